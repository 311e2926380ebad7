"""Unsubscribes record the newsletter edition whose link was used (signed into the link).

Unsubscribes logged before links named their edition are given the edition the counts
inferred until now: the bulk email that last reached the reader before they left, if it was
an edition's.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Q

LINK_SOURCES = ["one-click", "unsubscribe-link", "mailto"]


def name_the_editions(apps, schema_editor):
    ConsentEvent = apps.get_model("subscriptions", "ConsentEvent")
    OutboundEmail = apps.get_model("subscriptions", "OutboundEmail")
    bulk = OutboundEmail.objects.filter(Q(edition__isnull=False) | Q(issue_alert__isnull=False))
    events = ConsentEvent.objects.filter(
        kind="unsubscribed", source__in=LINK_SOURCES, edition__isnull=True
    )
    for pk, subscriber_id, at in events.values_list("pk", "subscriber_id", "created_at"):
        last = (
            bulk.filter(subscriber_id=subscriber_id, sent_at__lte=at)
            .order_by("-sent_at")
            .values_list("edition_id", flat=True)
            .first()
        )
        if last is not None:
            ConsentEvent.objects.filter(pk=pk).update(edition_id=last)


class Migration(migrations.Migration):
    dependencies = [
        ("subscriptions", "0009_subscriber_admin_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="consentevent",
            name="edition",
            field=models.ForeignKey(
                blank=True,
                help_text="For an unsubscribe: the newsletter edition whose link or mailto was used.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="unsubscribes",
                to="subscriptions.edition",
            ),
        ),
        migrations.RunPython(name_the_editions, migrations.RunPython.noop, elidable=True),
    ]
