from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_init, post_save


class ArticlesConfig(AppConfig):
    name = "articles"
    verbose_name = "Journal content"

    def ready(self):
        from articles import caching
        from articles.derived import hub
        from articles.models import Article, Issue, RankedRelated

        for model in self.get_models():
            if model is RankedRelated:
                continue  # rewritten in bulk; articles.derived.related bumps the version once
            post_save.connect(caching.bump_if_public, sender=model, dispatch_uid=f"save-{model}")
            post_delete.connect(caching.bump_if_public, sender=model, dispatch_uid=f"del-{model}")
        for model in (Article, Issue):
            post_init.connect(
                caching.remember_loaded_status, sender=model, dispatch_uid=f"init-{model}"
            )
        m2m_changed.connect(caching.bump_if_public_m2m, dispatch_uid="bump-m2m")
        caching.content_changed.connect(
            caching.purge_shared_caches, dispatch_uid="purge-shared-caches"
        )

        # Every derived copy (bylines, counts, related lists, record dates) is kept by
        # one mechanism, connected in one place.
        hub.install()
