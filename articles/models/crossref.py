"""Deposits of DOI metadata with Crossref: one row per submission, kept as a record."""

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q

from articles.models.article import Article
from articles.models.journal import Issue


class CrossrefDepositQuerySet(models.QuerySet):
    def due(self, now):
        """Deposits whose next step (sending, or asking for the result) is due at now."""
        return self.filter(
            state__in=[CrossrefDeposit.State.QUEUED, CrossrefDeposit.State.SUBMITTED],
            next_attempt_at__lte=now,
        )

    def needing_editor(self):
        """What an editor must act on: a deposit that failed, or whose result Crossref never
        gave, unless a later deposit of the same issue or article was requested since."""
        later = CrossrefDeposit.objects.filter(created_at__gt=OuterRef("created_at")).filter(
            Q(issue_id=OuterRef("issue_id")) | Q(article_id=OuterRef("article_id"))
        )
        return self.filter(
            Q(state=CrossrefDeposit.State.FAILED)
            | Q(state=CrossrefDeposit.State.SUBMITTED, next_attempt_at=None)
        ).exclude(Exists(later))


class CrossrefDeposit(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        SUBMITTED = "submitted", "Submitted, waiting for Crossref's result"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    issue = models.ForeignKey(
        Issue, on_delete=models.CASCADE, null=True, blank=True, related_name="crossref_deposits"
    )
    article = models.ForeignKey(
        Article,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="crossref_deposits",
    )
    batch_id = models.CharField(max_length=100, unique=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    message = models.TextField(blank=True, help_text="What Crossref answered.")
    document = models.TextField(help_text="The deposit XML sent.")
    attempts = models.PositiveSmallIntegerField(default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="crossref_deposits",
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    result_checks = models.PositiveSmallIntegerField(
        default=0, help_text="How many times Crossref was asked for the result."
    )
    next_attempt_at = models.DateTimeField(
        null=True,
        blank=True,
        db_index=True,
        help_text="When the deposit is next sent or its result next asked for; "
        "empty once Crossref has answered for good.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CrossrefDepositQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(issue__isnull=False, article__isnull=True)
                | Q(issue__isnull=True, article__isnull=False),
                name="crossref_deposit_issue_xor_article",
                violation_error_message="A deposit is of one issue or of one article.",
            ),
        ]

    def __str__(self):
        return self.batch_id

    @property
    def subject(self):
        return self.issue or self.article
