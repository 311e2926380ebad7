"""The "Managing editors" group (approves and publishes under review), and the review
permission withheld from "Editors"."""

from django.db import migrations


def create_group(apps, schema_editor):
    from jhop.permissions import sync_groups

    sync_groups(apps, create_missing_permissions=True)


def delete_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Managing editors").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("jhop", "0004_passkeys"),
        ("articles", "0030_review_workflow"),
    ]

    operations = [migrations.RunPython(create_group, delete_group)]
