"""The topics an article is filed under, in the order the editors give them."""

from django.db import models

from articles.derived.writes import KeptQuerySet


class ArticleTopic(models.Model):
    # The table is the one the plain many-to-many field used to create.
    article = models.ForeignKey(
        "articles.Article", on_delete=models.CASCADE, related_name="article_topics"
    )
    topic = models.ForeignKey(
        "articles.Topic", on_delete=models.CASCADE, related_name="article_topics"
    )
    position = models.PositiveSmallIntegerField(default=0)

    objects = KeptQuerySet.as_manager()

    class Meta:
        db_table = "articles_article_topics"
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["article", "topic"], name="article_topic_once"),
        ]

    def __str__(self):
        return f"{self.article} in {self.topic}"
