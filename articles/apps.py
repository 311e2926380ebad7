from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_save


class ArticlesConfig(AppConfig):
    name = "articles"
    verbose_name = "Journal content"

    def ready(self):
        from articles.caching import bump_content_version

        for model in self.get_models():
            post_save.connect(bump_content_version, sender=model, dispatch_uid=f"save-{model}")
            post_delete.connect(bump_content_version, sender=model, dispatch_uid=f"del-{model}")
        m2m_changed.connect(bump_content_version, dispatch_uid="bump-m2m")
