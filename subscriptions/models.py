"""Mailing lists, subscribers, their subscriptions, and the consent record behind each."""

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from django.core.cache import cache
from django.db import models
from django.db.models import Q, Subquery
from django.db.models.functions import Lower
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from django_countries.fields import CountryField

# A print request for a free requester publication counts for three years.
PRINT_QUALIFICATION_PERIOD = timedelta(days=3 * 365)


def email_hash(email: str) -> str:
    """A stable, case-insensitive fingerprint of an address, kept after the address is erased."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


class MailingListQuerySet(models.QuerySet):
    def active(self) -> "MailingListQuerySet":
        """Lists offered on the signup form and in the preference centre."""
        return self.filter(is_active=True)


class MailingList(models.Model):
    class Kind(models.TextChoices):
        EMAIL = "email", "Email"
        PRINT = "print", "Print (needs a postal address)"

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.EMAIL)
    description = models.CharField(max_length=300, blank=True)
    is_active = models.BooleanField(
        default=True, help_text="Inactive lists are hidden from the signup form."
    )
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MailingListQuerySet.as_manager()

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["email", "print"]), name="mailinglist_kind_valid"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def needs_address(self) -> bool:
        return self.kind == self.Kind.PRINT


class ConsentText(models.Model):
    """One version of the offer text shown beside the signup form; versions are never edited."""

    version = models.PositiveIntegerField(unique=True)
    body = models.TextField(
        help_text="The exact text shown to people above the list checkboxes, as they read it."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        get_latest_by = "version"

    def __str__(self):
        return f"Version {self.version}"


# What a person tells us about themselves; everything else about a subscriber is bookkeeping.
PROFILE_FIELDS = (
    "first_name",
    "last_name",
    "profession",
    "organization",
    "address_line1",
    "address_line2",
    "city",
    "region",
    "postal_code",
    "country",
)


class Profession(models.TextChoices):
    PHARMACIST = "pharmacist", "Pharmacist"
    PHARMACY_TECHNICIAN = "pharmacy-technician", "Pharmacy technician"
    PHYSICIAN = "physician", "Physician"
    NURSE = "nurse", "Nurse"
    NURSE_PRACTITIONER = "nurse-practitioner", "Nurse practitioner"
    PHYSICIAN_ASSISTANT = "physician-assistant", "Physician assistant"
    RESEARCHER = "researcher", "Researcher"
    ADMINISTRATOR = "administrator", "Administrator"
    STUDENT = "student", "Student or resident"
    OTHER = "other", "Other"


class SubscriberQuerySet(models.QuerySet):
    def not_erased(self) -> "SubscriberQuerySet":
        return self.filter(erased_at__isnull=True)

    def by_email(self, email: str) -> "SubscriberQuerySet":
        return self.filter(email__iexact=email)


class Subscriber(models.Model):
    email = models.EmailField(max_length=254, blank=True)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    profession = models.CharField(max_length=30, choices=Profession.choices, blank=True)
    organization = models.CharField(max_length=200, blank=True)
    address_line1 = models.CharField("address line 1", max_length=200, blank=True)
    address_line2 = models.CharField("address line 2", max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField("state / region", max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = CountryField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    erased_at = models.DateTimeField(
        null=True, blank=True, help_text="Personal data was removed on request at this time."
    )

    objects = SubscriberQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        permissions = [
            ("export_subscriber", "Can export subscriber lists and data"),
            ("import_subscriber", "Can import subscribers from CSV"),
            ("erase_subscriber", "Can erase a subscriber's personal data"),
        ]
        constraints = [
            models.UniqueConstraint(
                Lower("email"), condition=~Q(email=""), name="subscriber_email_ci_unique"
            ),
            models.CheckConstraint(
                condition=Q(erased_at__isnull=False) | ~Q(email=""),
                name="subscriber_email_unless_erased",
            ),
        ]

    def __str__(self):
        if self.erased_at:
            return f"Erased subscriber #{self.pk}"
        return self.email

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def email_hash(self) -> str:
        return email_hash(self.email)

    @property
    def has_address(self) -> bool:
        return bool(self.address_line1 and self.city and self.postal_code and self.country)


class SubscriptionQuerySet(models.QuerySet):
    def active(self) -> "SubscriptionQuerySet":
        return self.filter(status=Subscription.Status.ACTIVE, subscriber__erased_at__isnull=True)

    def print_fulfilment(self) -> "SubscriptionQuerySet":
        """Active, confirmed print subscriptions: what the mailing house ships to."""
        return (
            self.active()
            .filter(mailing_list__kind=MailingList.Kind.PRINT, confirmed_at__isnull=False)
            .order_by("pk")
        )

    def newsletter(self) -> "SubscriptionQuerySet":
        """Active, confirmed email subscriptions."""
        return (
            self.active()
            .filter(mailing_list__kind=MailingList.Kind.EMAIL, confirmed_at__isnull=False)
            .order_by("pk")
        )

    def needing_requalification(self) -> "SubscriptionQuerySet":
        """Active print subscriptions whose last request is too old (or unknown, e.g. imported)."""
        cutoff = timezone.now() - PRINT_QUALIFICATION_PERIOD
        return self.active().filter(
            Q(qualified_at__lt=cutoff) | Q(qualified_at__isnull=True),
            mailing_list__kind=MailingList.Kind.PRINT,
        )


class Subscription(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending confirmation"
        ACTIVE = "active", "Active"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        BOUNCED = "bounced", "Bounced"

    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.CASCADE, related_name="subscriptions"
    )
    mailing_list = models.ForeignKey(
        MailingList, on_delete=models.PROTECT, related_name="subscriptions"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    requested_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    qualified_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the person last asked for this list themselves (print re-qualification).",
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["mailing_list__position", "mailing_list__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscriber", "mailing_list"], name="subscription_one_per_list"
            ),
            models.CheckConstraint(
                condition=~Q(status="active") | Q(confirmed_at__isnull=False),
                name="subscription_active_is_confirmed",
            ),
        ]

    def __str__(self):
        return f"{self.subscriber} · {self.mailing_list} ({self.get_status_display()})"

    @property
    def needs_requalification(self) -> bool:
        if self.status != self.Status.ACTIVE or not self.mailing_list.needs_address:
            return False
        cutoff = timezone.now() - PRINT_QUALIFICATION_PERIOD
        return self.qualified_at is None or self.qualified_at < cutoff


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
        ERASED = "erased", "Personal data erased"

    class Source(models.TextChoices):
        FORM = "form", "Signup form"
        PREFERENCES = "preferences", "Preference centre"
        CONFIRM_LINK = "confirm-link", "Confirmation link"
        UNSUBSCRIBE_LINK = "unsubscribe-link", "Unsubscribe link"
        ONE_CLICK = "one-click", "One-click unsubscribe (RFC 8058)"
        IMPORT = "import", "Import"
        ADMIN = "admin", "Admin"

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


class Suppression(models.Model):
    """A hashed address that must not be subscribed again by import (after erasure)."""

    email_hash = models.CharField(max_length=64, unique=True)
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.email_hash[:12]}… ({self.reason or 'suppressed'})"


class OutboundEmail(models.Model):
    """Every email the app sends, so failures are retried and visible rather than lost."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RETRYING = "retrying", "Failed, will retry"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed (gave up)"

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
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "outbound email"

    def __str__(self):
        return f"{self.kind} to {self.to_email} ({self.get_status_display()})"


OFFER_CACHE_KEY = "subscriptions:offer:v1"


@dataclass(frozen=True)
class Offer:
    """What the signup form offers right now: the active lists and the consent text shown."""

    lists: tuple[MailingList, ...]
    consent_text_id: int | None
    consent_body: str

    def get(self, pk: int) -> MailingList | None:
        return next((m for m in self.lists if m.pk == pk), None)


def current_offer() -> Offer:
    """The active lists and the latest consent text, cached; one query on a cold cache."""
    offer = cache.get(OFFER_CACHE_KEY)
    if offer is None:
        latest = ConsentText.objects.order_by("-version")[:1]
        lists = tuple(
            MailingList.objects.active().annotate(
                consent_id=Subquery(latest.values("pk")),
                consent_body=Subquery(latest.values("body")),
            )
        )
        offer = Offer(
            lists=lists,
            consent_text_id=lists[0].consent_id if lists else None,
            consent_body=lists[0].consent_body or "" if lists else "",
        )
        cache.set(OFFER_CACHE_KEY, offer, 3600)
    return offer


@receiver([post_save, post_delete], sender=MailingList)
@receiver([post_save, post_delete], sender=ConsentText)
def _forget_offer(**kwargs):
    cache.delete(OFFER_CACHE_KEY)
