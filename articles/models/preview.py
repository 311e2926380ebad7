"""Links that let someone without an admin login read an unpublished article or issue."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

PREVIEW_LIFETIME = timedelta(days=7)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def default_expiry():
    return timezone.now() + PREVIEW_LIFETIME


class PreviewLinkQuerySet(models.QuerySet):
    def active(self) -> "PreviewLinkQuerySet":
        """Links that still open their article: not revoked and not expired."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


class PreviewLink(models.Model):
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    article = models.ForeignKey(
        "articles.Article",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="preview_links",
    )
    issue = models.ForeignKey(
        "articles.Issue",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="preview_links",
        help_text="Or an issue: the link shows its table of contents.",
    )
    note = models.CharField(
        max_length=200, blank=True, help_text="Who it is for, e.g. “Dr Patel, for proofing”."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="preview_links",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(default=default_expiry)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = PreviewLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "draft preview link"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(article__isnull=True, issue__isnull=False)
                | models.Q(article__isnull=False, issue__isnull=True),
                name="preview_link_one_target",
                violation_error_message="A preview link shows one article or one issue.",
            ),
        ]

    def __str__(self):
        return f"Preview of {self.target}"

    def get_absolute_url(self):
        name = "articles:article-preview" if self.article_id else "articles:issue-preview"
        return reverse(name, kwargs={"token": self.token})

    @property
    def target(self):
        return self.article if self.article_id else self.issue

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()
