from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


def _sync_groups(sender, apps=apps, **kwargs):
    from jhop.permissions import sync_groups

    sync_groups(apps)


class JhopConfig(AppConfig):
    name = "jhop"
    verbose_name = "Site"

    def ready(self):
        from jhop import checks  # noqa: F401  (registers the deployment checks)
        from jhop.mail import name_the_site_in_emails

        name_the_site_in_emails()

        # Sent per app in INSTALLED_APPS order; after the last app with models, every
        # permission (including those of newly added models) exists.
        last = [app for app in apps.get_app_configs() if app.models_module][-1]
        post_migrate.connect(_sync_groups, sender=last, dispatch_uid="jhop-sync-groups")
