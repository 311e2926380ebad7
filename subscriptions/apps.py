from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    name = "subscriptions"
    verbose_name = "Subscriptions"

    def ready(self):
        from articles.sitemaps import sitemaps
        from subscriptions import webhooks  # noqa: F401  (connects the email service's reports)
        from subscriptions.sitemaps import NewsletterSitemap

        sitemaps.setdefault("newsletter", NewsletterSitemap)
