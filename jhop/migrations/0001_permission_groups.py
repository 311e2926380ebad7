from django.db import migrations


def create_groups(apps, schema_editor):
    from jhop.permissions import sync_groups

    sync_groups(apps, create_missing_permissions=True)


def delete_groups(apps, schema_editor):
    from jhop.permissions import GROUPS

    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("redirects", "0002_alter_redirect_new_path_help_text"),
        ("articles", "0004_validated_identifiers_ordered_topics_preview_links"),
        ("subscriptions", "0002_default_lists_and_consent_text"),
    ]

    operations = [migrations.RunPython(create_groups, delete_groups)]
