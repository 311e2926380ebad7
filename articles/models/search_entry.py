from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.search import SearchVectorField
from django.db import models

from articles.models.article import Article
from articles.models.journal import Issue, Section


class SearchEntry(models.Model):
    """An article's row in articles_search (PostgreSQL only): its weighted search document,
    a plain-text excerpt for headlines and the publish fields and topics a search filters
    on, all written by the triggers of migrations 0019, 0024 and 0025 (never by Django)."""

    article = models.OneToOneField(
        Article,
        primary_key=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="search_entry",
    )
    status = models.CharField(max_length=10)
    published_at = models.DateTimeField(null=True)
    issue = models.ForeignKey(
        Issue, null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    section = models.ForeignKey(
        Section, null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    document = SearchVectorField()
    excerpt = models.TextField()
    topic_ids = ArrayField(models.BigIntegerField(), default=list)

    class Meta:
        managed = False
        db_table = "articles_search"

    def __str__(self):
        return f"search entry of article {self.article_id}"
