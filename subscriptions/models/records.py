"""What happened and what was sent: the consent log, suppressions, outbound emails."""

from dataclasses import dataclass

from django.db import models
from django.db.models import Q
from django.utils import timezone

from subscriptions.models.alerts import IssueAlert
from subscriptions.models.editions import Edition
from subscriptions.models.lists import ConsentText
from subscriptions.models.subscribers import Subscriber, email_hash, legacy_email_hash


class ConsentEvent(models.Model):
    """Append-only history: what happened to a subscriber, when, how, and what they were shown."""

    class Kind(models.TextChoices):
        REQUESTED = "requested", "Asked to subscribe"
        REQUESTED_KNOWN = "requested-known", "Signup form used by a known address"
        CONFIRMED = "confirmed", "Confirmed by email link"
        PREFERENCES = "preferences", "Changed preferences"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        IMPORTED = "imported", "Imported"
        ADMIN = "admin", "Changed by staff"
        BOUNCED = "bounced", "Marked as bounced"
        COMPLAINED = "complained", "Complained (marked as spam)"
        SUSPENDED = "suspended", "Suspended after repeated soft bounces"
        ERASED = "erased", "Personal data erased"

    class Source(models.TextChoices):
        FORM = "form", "Signup form"
        PREFERENCES = "preferences", "Preference centre"
        CONFIRM_LINK = "confirm-link", "Confirmation link"
        UNSUBSCRIBE_LINK = "unsubscribe-link", "Unsubscribe link"
        ONE_CLICK = "one-click", "One-click unsubscribe (RFC 8058)"
        MAILTO = "mailto", "Unsubscribe email (List-Unsubscribe mailto)"
        IMPORT = "import", "Import"
        ADMIN = "admin", "Admin"
        EMAIL_SERVICE = "email-service", "Email service report"

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    source = models.CharField(max_length=20, choices=Source.choices)
    source_url = models.CharField(max_length=500, blank=True)
    lists = models.JSONField(
        default=list, blank=True, help_text="Names of the lists concerned, as shown at the time."
    )
    consent_text = models.ForeignKey(
        ConsentText, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    details = models.JSONField(
        default=dict,
        blank=True,
        help_text="What the person submitted (name, address, email) at the time.",
    )
    ip_address = models.CharField(
        "IP address (reduced)", max_length=50, blank=True, help_text="Last part zeroed."
    )
    user_agent = models.CharField(max_length=300, blank=True)
    actor = models.CharField(max_length=150, blank=True, help_text="Staff user, if any.")
    edition = models.ForeignKey(
        Edition,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="unsubscribes",
        help_text="For an unsubscribe: the newsletter edition whose link or mailto was used.",
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        # The log is evidence: an entry is never rewritten (erasure blanks fields with update()).
        if self.pk:
            raise ValueError("Consent events are append-only.")
        super().save(*args, **kwargs)


class SuppressionQuerySet(models.QuerySet):
    def blocking(self) -> "SuppressionQuerySet":
        """Addresses no email at all may go to: the mail service reported them unreachable
        or the person complained. (An erased person may sign up again and be mailed.)"""
        return self.exclude(kind__in=[Suppression.Kind.ERASED, Suppression.Kind.UNSUBSCRIBED])

    def matching(self, email: str) -> "SuppressionQuerySet":
        """The entry for this address: keyed, or a plain SHA-256 one stored before keying."""
        return self.filter(
            Q(keyed=True, email_hash=email_hash(email))
            | Q(keyed=False, email_hash=legacy_email_hash(email))
        )

    def rekey(self, email: str) -> None:
        """Store a pre-keying entry for this address under its keyed hash, now that we know it."""
        legacy = self.filter(keyed=False, email_hash=legacy_email_hash(email))
        if self.filter(keyed=True, email_hash=email_hash(email)).exists():
            legacy.delete()
        else:
            legacy.update(keyed=True, email_hash=email_hash(email))

    def entry_for(self, email: str, *, kind: str, reason: str) -> tuple["Suppression", bool]:
        """The address's entry (re-keyed if it predates keying), made if there is none."""
        self.rekey(email)
        return self.get_or_create(
            email_hash=email_hash(email), defaults={"kind": kind, "reason": reason}
        )

    def index(self) -> "SuppressionIndex":
        """Every entry in memory, to test many addresses (an import) with one query."""
        keyed, legacy = {}, {}
        for digest, is_keyed, kind in self.values_list("email_hash", "keyed", "kind"):
            (keyed if is_keyed else legacy)[digest] = kind
        return SuppressionIndex(keyed=keyed, legacy=legacy)


@dataclass(frozen=True)
class SuppressionIndex:
    keyed: dict[str, str]
    legacy: dict[str, str]

    def kind_of(self, email: str) -> str | None:
        """Why the address is suppressed (a Suppression.Kind), or None."""
        return self.keyed.get(email_hash(email)) or self.legacy.get(legacy_email_hash(email))


class Suppression(models.Model):
    """A hashed address that must not be subscribed again by import (after erasure, a bounce,
    a complaint); bounces and complaints also stop every email to it."""

    class Kind(models.TextChoices):
        ERASED = "erased", "Erased on request"
        BOUNCED = "bounced", "Bounced"
        COMPLAINED = "complained", "Complained"
        REJECTED = "rejected", "Rejected by the email service"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed at the email service"

    email_hash = models.CharField(max_length=64, unique=True)
    keyed = models.BooleanField(
        default=True,
        help_text="Keyed hash (HMAC); entries made before keying hold a plain SHA-256.",
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.ERASED)
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SuppressionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.email_hash[:12]}… ({self.reason or 'suppressed'})"


class OutboundEmail(models.Model):
    """Every email the app sends, so failures are retried and visible rather than lost."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Being sent"
        RETRYING = "retrying", "Failed, will retry"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed (gave up)"
        UNCERTAIN = "uncertain", "Uncertain (the worker stopped while handing it over)"
        SUPPRESSED = "suppressed", "Not sent (address bounced or complained)"

    subscriber = models.ForeignKey(
        Subscriber,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="outbound_emails",
    )
    kind = models.CharField(max_length=30)
    to_email = models.EmailField(max_length=254)
    subject = models.CharField(max_length=200)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    links = models.JSONField(
        default=dict,
        blank=True,
        help_text="This reader's own links, for an email whose body is shared (an edition).",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When a worker took the email to send it: the claim is committed before "
        "the mail server is called, so no other worker sends it again.",
    )
    claim = models.CharField(
        max_length=32, blank=True, help_text="Which worker's batch claimed it (a random token)."
    )
    message_id = models.CharField(
        max_length=200,
        blank=True,
        db_index=True,
        help_text="Ours (the Message-ID header, stored with the claim, before the email is "
        "handed over), then the email service's own id once it gives one; its reports quote "
        "either.",
    )
    issue_alert = models.ForeignKey(
        IssueAlert,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="emails",
        help_text="The new-issue alert this email announces, if any.",
    )
    edition = models.ForeignKey(
        Edition,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="emails",
        help_text="The newsletter edition this email carries, if any.",
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "outbound email"
        constraints = [
            # A re-run alert task must not mail anyone twice.
            models.UniqueConstraint(
                fields=["issue_alert", "subscriber"],
                condition=Q(issue_alert__isnull=False),
                name="outboundemail_once_per_alert_and_subscriber",
            ),
            models.UniqueConstraint(
                fields=["edition", "subscriber"],
                condition=Q(edition__isnull=False),
                name="outboundemail_once_per_edition_and_subscriber",
            ),
        ]

    def __str__(self):
        return f"{self.kind} to {self.to_email} ({self.get_status_display()})"
