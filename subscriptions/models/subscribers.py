"""Subscribers and their subscription to each list."""

import hashlib
import hmac
import unicodedata
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django_countries.fields import CountryField

from subscriptions.models.lists import MailingList

# A print request for a free requester publication counts for three years.
PRINT_QUALIFICATION_PERIOD = timedelta(days=3 * 365)


# Blank letters people paste to make a name look empty or like someone else's.
BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0")


def strip_invisible(value: str) -> str:
    """Drop format characters (right-to-left overrides, zero-width spaces and joiners, ...).

    They are invisible, and used to spoof names or to make two records look like one.
    """
    return "".join(
        ch for ch in value if unicodedata.category(ch) != "Cf" and ch not in BLANK_LETTERS
    )


def _idna_label(label: str) -> str:
    # IDNA 2008 / UTS 46 non-transitional mapping: width and case folded, but "ß" and final
    # "ς" kept. Python's "idna" codec (IDNA 2003) would turn straße.de into strasse.de, a
    # different domain someone else may own.
    label = unicodedata.normalize("NFKC", label).lower()
    label = unicodedata.normalize("NFC", "".join(c if c in "ßς" else c.casefold() for c in label))
    if label.isascii():
        return label
    label.encode("idna")  # nameprep's checks: prohibited characters, bidi rules
    return "xn--" + label.encode("punycode").decode("ascii")


def normalise_email(value: str) -> str:
    """Lower-case the domain and encode an international domain name as IDNA (punycode).

    Invisible characters are dropped and full-width letters folded (as IDNA does); look-alike
    domains stay distinct: their IDNA forms differ.
    """
    local, _, domain = value.strip().rpartition("@")
    if not local or not domain:
        raise ValidationError("Enter a valid email address.", code="invalid")
    if len(local.encode()) > 64:  # RFC 5321: mail servers may refuse longer local parts
        raise ValidationError(
            "The part before the @ is too long: an email address allows at most 64 characters "
            "there.",
            code="local_part_too_long",
        )
    if domain.startswith("["):
        raise ValidationError(
            "Enter an address at a domain name (name@example.org), not at an IP address.",
            code="address_literal",
        )
    domain = strip_invisible(unicodedata.normalize("NFKC", domain)).replace("\u3002", ".")
    if "." not in domain.strip("."):
        raise ValidationError(
            "Enter an address with a full domain name, such as name@example.org.",
            code="bare_host",
        )
    try:
        domain = ".".join(_idna_label(label) for label in domain.split("."))
    except UnicodeError as exc:
        raise ValidationError("Enter a valid email address.") from exc
    email = f"{local}@{domain}"
    if len(email) > 254 or any(len(label) > 63 for label in domain.split(".")):
        raise ValidationError("Enter a valid email address.")
    return email


def email_hash(email: str) -> str:
    """A stable, case-insensitive fingerprint of an address, kept after the address is erased.

    Keyed (HMAC-SHA256 under SUBSCRIPTIONS_SUPPRESSION_KEY): without the key, nobody holding
    the table can confirm a guessed address. The key is not SECRET_KEY, so rotating that
    one leaves every fingerprint valid.
    """
    key = settings.SUBSCRIPTIONS_SUPPRESSION_KEY.encode()
    return hmac.new(key, email.strip().lower().encode(), hashlib.sha256).hexdigest()


def legacy_email_hash(email: str) -> str:
    """The plain SHA-256 fingerprint suppressions were stored under before they were keyed."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


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


class EmailProblem(models.TextChoices):
    """What an email service reported about a subscriber's address. It ends their email
    lists, not their print subscription: the flag tells print fulfilment, who may want to
    ask by post for a new address."""

    BOUNCED = "bounced", "Email address bounced"
    COMPLAINED = "complained", "Complained about our email (marked as spam)"
    REJECTED = "rejected", "Email address rejected by the email service"
    SUSPENDED = "suspended", "Email suspended after repeated soft bounces"


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
    email_problem = models.CharField(
        max_length=20,
        choices=EmailProblem.choices,
        blank=True,
        help_text="Set when the email service reports the address undeliverable or a "
        "complaint; cleared when the reader proves the address again (an emailed link).",
    )
    email_problem_at = models.DateTimeField(null=True, blank=True)

    objects = SubscriberQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        # The admin's list, newest first (with the id its paging adds to the order).
        indexes = [models.Index(fields=["-created_at", "-id"], name="subscriber_newest_idx")]
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
            models.CheckConstraint(
                condition=Q(email_problem__in=["", *EmailProblem.values]),
                name="subscriber_email_problem_valid",
            ),
        ]

    def __str__(self):
        if self.erased_at:
            return f"Erased subscriber #{self.pk}"
        return self.email

    def clean(self):
        # The same address typed in the admin as on the signup form is the same record.
        if self.email:
            self.email = normalise_email(self.email)

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

    def pending(self) -> "SubscriptionQuerySet":
        """Asked for, not confirmed yet (double opt-in)."""
        return self.filter(status=Subscription.Status.PENDING)

    def current(self) -> "SubscriptionQuerySet":
        """Active or pending: what unsubscribing, a bounce or a complaint ends."""
        return self.filter(status__in=[Subscription.Status.ACTIVE, Subscription.Status.PENDING])

    def email_lists(self) -> "SubscriptionQuerySet":
        return self.filter(mailing_list__kind=MailingList.Kind.EMAIL)

    def print_lists(self) -> "SubscriptionQuerySet":
        return self.filter(mailing_list__kind=MailingList.Kind.PRINT)

    def print_fulfilment(self) -> "SubscriptionQuerySet":
        """Active, confirmed print subscriptions: what the mailing house ships to."""
        return self.active().print_lists().filter(confirmed_at__isnull=False).order_by("pk")

    def newsletter(self) -> "SubscriptionQuerySet":
        """Active, confirmed email subscriptions."""
        return self.active().email_lists().filter(confirmed_at__isnull=False).order_by("pk")

    def recipients(self, mailing_list, *, not_in) -> "SubscriptionQuerySet":
        """Active, confirmed members of an email list who have no email in `not_in` yet
        (the emails of one alert or edition): who a bulk send still has to write to."""
        already = not_in.filter(subscriber=models.OuterRef("subscriber_id"))
        return (
            self.newsletter()
            .filter(mailing_list=mailing_list)
            .filter(~models.Exists(already))
            .select_related("subscriber", "mailing_list")
        )

    def needing_requalification(self) -> "SubscriptionQuerySet":
        """Active print subscriptions whose last request is too old (or unknown, e.g. imported)."""
        cutoff = timezone.now() - PRINT_QUALIFICATION_PERIOD
        return (
            self.active()
            .print_lists()
            .filter(Q(qualified_at__lt=cutoff) | Q(qualified_at__isnull=True))
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
    imported_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Added by an import (active without the person confirming to us).",
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
    def is_current(self) -> bool:
        """Active or pending, as SubscriptionQuerySet.current() has it."""
        return self.status in {self.Status.ACTIVE, self.Status.PENDING}

    @property
    def needs_requalification(self) -> bool:
        if self.status != self.Status.ACTIVE or not self.mailing_list.needs_address:
            return False
        cutoff = timezone.now() - PRINT_QUALIFICATION_PERIOD
        return self.qualified_at is None or self.qualified_at < cutoff
