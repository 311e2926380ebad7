from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_save

# Models outside this app whose changes show on cached pages (the subscribe box's offer).
ALSO_SHOWN = ("subscriptions.MailingList", "subscriptions.ConsentText")


class ArticlesConfig(AppConfig):
    name = "articles"
    verbose_name = "Journal content"

    def ready(self):
        from articles.caching import bump_content_version

        senders = [*self.get_models(), *ALSO_SHOWN]
        for sender in senders:
            post_save.connect(bump_content_version, sender=sender, dispatch_uid=f"save-{sender}")
            post_delete.connect(bump_content_version, sender=sender, dispatch_uid=f"del-{sender}")
        m2m_changed.connect(bump_content_version, dispatch_uid="bump-m2m")
