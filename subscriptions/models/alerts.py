"""New-issue alerts: one announcement of a published issue to one email list."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from subscriptions.models.lists import MailingList
from subscriptions.models.segments import Segmented


class IssueAlert(Segmented):
    """An issue announced to a list; the database refuses a second one for the same pair."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Building the emails"
        SENT = "sent", "Handed to the sender"

    issue = models.ForeignKey("articles.Issue", on_delete=models.PROTECT, related_name="alerts")
    mailing_list = models.ForeignKey(
        MailingList, on_delete=models.PROTECT, related_name="issue_alerts"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="issue_alerts",
    )
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    recipients = models.PositiveIntegerField(
        default=0, help_text="Emails recorded for this alert, one per subscriber."
    )
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "new-issue alert"
        constraints = [
            models.UniqueConstraint(
                fields=["issue", "mailing_list"],
                name="issuealert_once_per_issue_and_list",
                violation_error_message="This issue has already been announced to this list.",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["queued", "sending", "sent"]),
                name="issuealert_status_valid",
            ),
        ]

    def __str__(self):
        return f"{self.issue} → {self.mailing_list}"
