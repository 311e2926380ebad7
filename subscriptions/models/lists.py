"""The lists people can ask for, and the offer text they are shown."""

from dataclasses import dataclass

from django.core.cache import cache
from django.db import models
from django.db.models import Q, Subquery
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.urls import reverse

from articles.signals import EVERY_PAGE, content_changed


class MailingListQuerySet(models.QuerySet):
    def active(self) -> "MailingListQuerySet":
        """Lists offered on the signup form and in the preference centre."""
        return self.filter(is_active=True)

    def email(self) -> "MailingListQuerySet":
        """Lists sent by email (newsletters, alerts)."""
        return self.filter(kind=MailingList.Kind.EMAIL)

    def print(self) -> "MailingListQuerySet":
        """Lists mailed on paper (need a postal address)."""
        return self.filter(kind=MailingList.Kind.PRINT)


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
    reply_to = models.EmailField(
        "Reply-To",
        blank=True,
        help_text="Where readers' replies to this list's emails go (else the site's "
        "SUBSCRIPTIONS_REPLY_TO; else the sender).",
    )
    archive_in_sitemap = models.BooleanField(
        "list the archive in the sitemap",
        default=True,
        help_text="The public archive of sent editions (/newsletter/<list>/) and each "
        "edition's web version are listed in sitemap.xml for search engines.",
    )
    track_clicks_per_reader = models.BooleanField(
        "record which reader clicked",
        default=False,
        help_text="Off: clicks on an edition's links are counted per link only, and nothing "
        "says who clicked. On: each reader's email carries links that name them, and a click "
        "records the reader (shown in their data export, removed when they are erased). "
        "Opens are never tracked: since Apple Mail Privacy Protection, mail apps fetch images "
        "for their readers, so an open says nothing reliable.",
    )
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

    def get_absolute_url(self) -> str:
        """The public archive of the list's sent editions (email lists)."""
        return reverse("newsletter:edition-archive", kwargs={"list_slug": self.slug})

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


OFFER_CACHE_KEY = "subscriptions:offer:v1"


@dataclass(frozen=True)
class Offer:
    """What the signup form offers right now: the active lists and the consent text shown."""

    lists: tuple[MailingList, ...]
    consent_text_id: int | None
    consent_body: str


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
    # Every page embeds the subscribe box: they must show the change at once too.
    content_changed.send(sender=MailingList, tags=[EVERY_PAGE])
