from django.apps import AppConfig
from django.db.models.signals import (
    m2m_changed,
    post_delete,
    post_init,
    post_save,
    pre_delete,
    pre_save,
)


class ArticlesConfig(AppConfig):
    name = "articles"
    verbose_name = "Journal content"

    def ready(self):
        from articles import cards, counts, related
        from articles.derived import pagecache
        from articles.models import (
            Article,
            ArticleTopic,
            Author,
            Authorship,
            Issue,
            RelatedItem,
            Section,
            Topic,
        )

        pagecache.connect()

        # Stored related-items lists follow every change that can alter them.
        post_init.connect(related.article_loaded, sender=Article, dispatch_uid="rank-init")
        post_save.connect(related.article_saved, sender=Article, dispatch_uid="rank-save")
        pre_delete.connect(related.article_deleting, sender=Article, dispatch_uid="rank-pre-del")
        post_delete.connect(related.article_deleted, sender=Article, dispatch_uid="rank-del")
        for signal in (post_save, post_delete):
            signal.connect(
                related.topic_link_changed, sender=ArticleTopic, dispatch_uid=f"rank-topic-{signal}"
            )
            signal.connect(
                related.pick_changed, sender=RelatedItem, dispatch_uid=f"rank-pick-{signal}"
            )
        m2m_changed.connect(
            related.topics_changed, sender=ArticleTopic, dispatch_uid="rank-topics-m2m"
        )

        # Stored live-article counts of topics, sections and authors, likewise.
        for signal in (pre_save, pre_delete):
            signal.connect(counts.article_changing, sender=Article, dispatch_uid=f"count-{signal}")
        post_save.connect(counts.article_saved, sender=Article, dispatch_uid="count-save")
        post_delete.connect(counts.article_deleted, sender=Article, dispatch_uid="count-del")
        pre_save.connect(counts.issue_changing, sender=Issue, dispatch_uid="count-issue-pre")
        post_save.connect(counts.issue_saved, sender=Issue, dispatch_uid="count-issue-save")
        for subject in (Topic, Section, Author):
            post_save.connect(
                counts.subject_restored, sender=subject, dispatch_uid=f"count-raw-{subject}"
            )
        for link in (ArticleTopic, Authorship):
            post_init.connect(counts.link_loaded, sender=link, dispatch_uid=f"count-init-{link}")
            post_save.connect(counts.link_saved, sender=link, dispatch_uid=f"count-save-{link}")
            post_delete.connect(counts.link_deleted, sender=link, dispatch_uid=f"count-del-{link}")
            m2m_changed.connect(counts.links_changed, sender=link, dispatch_uid=f"count-m2m-{link}")

        # Stored bylines and topic names of list items (articles.cards), likewise.
        for link in (Authorship, ArticleTopic):
            for signal in (post_save, post_delete):
                signal.connect(
                    cards.link_changed, sender=link, dispatch_uid=f"cards-{link}-{signal}"
                )
            m2m_changed.connect(cards.links_changed, sender=link, dispatch_uid=f"cards-m2m-{link}")
        for named in (Author, Topic):
            pre_save.connect(cards.name_saving, sender=named, dispatch_uid=f"cards-pre-{named}")
            post_save.connect(cards.name_saved, sender=named, dispatch_uid=f"cards-save-{named}")
        post_save.connect(cards.article_saved, sender=Article, dispatch_uid="cards-article-save")
        pre_delete.connect(cards.topic_deleting, sender=Topic, dispatch_uid="cards-topic-pre-del")
        post_delete.connect(cards.topic_deleted, sender=Topic, dispatch_uid="cards-topic-del")
