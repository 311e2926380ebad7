"""Slugs an article used to have, so that its old URLs keep working."""

from django.db import models


class ArticleSlugHistory(models.Model):
    article = models.ForeignKey(
        "articles.Article", on_delete=models.CASCADE, related_name="old_slugs"
    )
    slug = models.SlugField(max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "old article slug"
        verbose_name_plural = "old article slugs"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.slug} → {self.article_id}"
