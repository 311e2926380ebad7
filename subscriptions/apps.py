from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    name = "subscriptions"
    verbose_name = "Subscriptions"

    def ready(self):
        from axes.models import AccessFailureLog
        from django.db.models.signals import post_save

        from articles.reader.public import sitemaps
        from subscriptions import webhooks  # noqa: F401  (connects the email service's reports)
        from subscriptions.services import audit
        from subscriptions.sitemaps import NewsletterSitemap

        sitemaps.setdefault("newsletter", NewsletterSitemap)
        post_save.connect(audit.failure_logged, sender=AccessFailureLog, dispatch_uid="audit-lock")
