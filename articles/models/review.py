"""An article's way through editorial review, and the comments made on the way.

Kept beside the article, not in it: restoring an old version of the article from its
history must not move it back through review, and the review step is off for teams that
do not use it (settings.EDITORIAL_REVIEW).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class ReviewState(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"


class Review(models.Model):
    article = models.OneToOneField(
        "articles.Article", on_delete=models.CASCADE, related_name="review"
    )
    state = models.CharField(max_length=20, choices=ReviewState.choices, default=ReviewState.DRAFT)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="submitted_reviews",
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="decided_reviews",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        permissions = [("approve_article", "Can approve and publish articles under review")]
        indexes = [
            models.Index(fields=["state", "submitted_by"], name="review_state_submitter_idx")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=ReviewState.values), name="review_state_known"
            )
        ]

    def __str__(self):
        return f"{self.article}: {self.get_state_display()}"


class ReviewComment(models.Model):
    article = models.ForeignKey(
        "articles.Article", on_delete=models.CASCADE, related_name="review_comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="review_comments",
    )
    body = models.TextField()
    # What the comment came with: "Submitted for review", "Changes requested", … or "".
    transition = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.author} on {self.article}"
