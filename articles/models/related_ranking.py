"""Each article's related items, ranked once when content changes and read as stored."""

from django.db import models
from django.db.models import F, Q


class RankedRelated(models.Model):
    """One entry of an article's stored related-items list (see articles.derived.related).

    The list holds the editors' picks first, then articles sharing the most topics, then
    the newest, among articles whose status is published, whatever their date or issue:
    pages filter it through Article.objects.published() when they read it, so a scheduled
    article appears on its own when it goes live and a withdrawn one never shows.
    """

    article = models.ForeignKey(
        "articles.Article", on_delete=models.CASCADE, related_name="ranked_related"
    )
    related = models.ForeignKey(
        "articles.Article", on_delete=models.CASCADE, related_name="ranked_in"
    )
    position = models.PositiveSmallIntegerField()
    # Topics shared with the article: 0 for an entry that only fills the list with the newest.
    shared = models.PositiveSmallIntegerField(default=0)
    is_picked = models.BooleanField(default=False)

    class Meta:
        ordering = ["article", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "position"], name="ranked_related_unique_position"
            ),
            models.UniqueConstraint(fields=["article", "related"], name="ranked_related_once"),
            models.CheckConstraint(
                condition=~Q(article=F("related")), name="ranked_related_not_self"
            ),
        ]
        indexes = [
            models.Index(
                fields=["article"],
                condition=Q(shared=0, is_picked=False),
                name="ranked_related_filler_idx",
            ),
        ]

    def __str__(self):
        return f"{self.position}. {self.related_id} for {self.article_id}"
