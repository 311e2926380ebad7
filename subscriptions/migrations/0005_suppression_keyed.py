"""Suppressions become keyed hashes (HMAC under SUBSCRIPTIONS_SUPPRESSION_KEY).

Entries already stored hold a plain SHA-256 of an address that was erased: it cannot be
recomputed under the key without the address, so they are marked keyed=False and still
matched by their plain hash; each is re-keyed the first time its address is seen again
(an import or an admin edit). New entries are keyed.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("subscriptions", "0004_delivery_reports"),
    ]

    operations = [
        migrations.AddField(
            model_name="suppression",
            name="keyed",
            field=models.BooleanField(
                default=False,
                help_text="Keyed hash (HMAC); entries made before keying hold a plain SHA-256.",
            ),
        ),
        migrations.AlterField(
            model_name="suppression",
            name="keyed",
            field=models.BooleanField(
                default=True,
                help_text="Keyed hash (HMAC); entries made before keying hold a plain SHA-256.",
            ),
        ),
    ]
