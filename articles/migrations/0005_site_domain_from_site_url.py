"""Name the site after SITE_URL instead of Django's "example.com".

Feeds, the sitemap index and sitemaps print absolute URLs with the Site record's
domain. Editors can change it later in the admin (Sites); this only replaces the
placeholder that django.contrib.sites would otherwise create.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.color import no_style
from django.db import migrations

PLACEHOLDER = "example.com"


def name_site(apps, schema_editor):
    Site = apps.get_model("sites", "Site")
    domain = urlsplit(settings.SITE_URL).netloc or PLACEHOLDER
    site = Site.objects.filter(pk=settings.SITE_ID).first()
    if site is None:
        Site.objects.create(pk=settings.SITE_ID, domain=domain, name=settings.SITE_SHORT_NAME)
        # An explicit pk leaves PostgreSQL's sequence behind; move it on, as Django does.
        connection = schema_editor.connection
        for sql in connection.ops.sequence_reset_sql(no_style(), [Site]):
            schema_editor.execute(sql)
    elif site.domain == PLACEHOLDER:
        site.domain = domain
        site.name = settings.SITE_SHORT_NAME
        site.save(update_fields=["domain", "name"])


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0004_validated_identifiers_ordered_topics_preview_links"),
        ("sites", "0002_alter_domain_unique"),
    ]

    operations = [migrations.RunPython(name_site, migrations.RunPython.noop)]
