"""Newsletter editions: a selection of published articles with an introduction, sent to a list."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from subscriptions.models.lists import MailingList
from subscriptions.models.segments import Segmented


class EditionQuerySet(models.QuerySet):
    def published(self) -> "EditionQuerySet":
        """Editions readers may read on the web: sending has started (some members have
        it in their inbox), newest first."""
        return (
            self.filter(
                status__in=[Edition.Status.SENDING, Edition.Status.PAUSED, Edition.Status.SENT],
                started_at__isnull=False,
                mailing_list__kind=MailingList.Kind.EMAIL,
            )
            .exclude(slug="")
            .order_by("-started_at", "-pk")
        )


class Edition(Segmented):
    """One issue of the e-newsletter, composed by a subscription manager and sent once.

    Each member of the list gets it at most once: the emails are recorded one per
    subscriber (the database refuses a second), and only a draft or a scheduled edition can
    be started, by one conditional update, so two managers pressing "Send" start it once.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        SENDING = "sending", "Sending"
        PAUSED = "paused", "Paused"
        SENT = "sent", "Handed to the sender"

    mailing_list = models.ForeignKey(
        MailingList,
        on_delete=models.PROTECT,
        related_name="editions",
        limit_choices_to={"kind": MailingList.Kind.EMAIL},
    )
    subject = models.CharField(max_length=200)
    slug = models.SlugField(
        max_length=80,
        blank=True,
        help_text="The web version's address: /newsletter/<list>/<slug>/ (filled in from the "
        "subject when it is sent, if left empty).",
    )
    preheader = models.CharField(
        max_length=150,
        blank=True,
        help_text="Preview text that mail apps show after the subject (hidden in the email "
        "itself). Leave empty to let them show the first lines.",
    )
    intro = models.TextField(
        "introduction", blank=True, help_text="Plain text; a blank line starts a new paragraph."
    )
    articles = models.ManyToManyField(
        "articles.Article", through="EditionArticle", related_name="+", blank=True
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    scheduled_for = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who sent it (or scheduled it).",
    )
    started_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(
        null=True, blank=True, help_text="When every member's email had been recorded."
    )
    recipients = models.PositiveIntegerField(default=0)
    body_text = models.TextField(
        blank=True, help_text="The plain text as sent (each reader's links filled in)."
    )
    body_html = models.TextField(blank=True, help_text="The HTML as sent.")

    objects = EditionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        permissions = [("send_edition", "Can send newsletter editions to a list")]
        constraints = [
            models.UniqueConstraint(
                fields=["mailing_list", "slug"],
                condition=~Q(slug=""),
                name="edition_slug_unique_per_list",
                violation_error_message="Another edition of this list has this address.",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "scheduled", "sending", "paused", "sent"]),
                name="edition_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="scheduled") | Q(scheduled_for__isnull=False),
                name="edition_scheduled_has_time",
            ),
        ]

    def __str__(self):
        return self.subject

    def get_absolute_url(self) -> str:
        return reverse(
            "newsletter:edition-detail",
            kwargs={"list_slug": self.mailing_list.slug, "slug": self.slug},
        )

    @property
    def editable(self) -> bool:
        return self.status in {self.Status.DRAFT, self.Status.SCHEDULED}

    def intro_paragraphs(self) -> list[str]:
        return [p.strip() for p in self.intro.replace("\r\n", "\n").split("\n\n") if p.strip()]


class EditionArticle(models.Model):
    edition = models.ForeignKey(Edition, on_delete=models.CASCADE, related_name="items")
    article = models.ForeignKey(
        "articles.Article", on_delete=models.PROTECT, related_name="edition_items"
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = "article"
        constraints = [
            models.UniqueConstraint(fields=["edition", "article"], name="edition_article_once"),
        ]

    def __str__(self):
        return str(self.article)


class EditionLink(models.Model):
    """A link of an edition's email, counted when followed (/l/<token>): how many times. Who
    clicked is recorded (ReaderClick) only if the list records clicks per reader."""

    edition = models.ForeignKey(Edition, on_delete=models.CASCADE, related_name="links")
    url = models.URLField(max_length=500)
    label = models.CharField(max_length=300, blank=True)
    clicks = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-clicks", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["edition", "url"], name="editionlink_once"),
        ]

    def __str__(self):
        return self.label or self.url


class ReaderClick(models.Model):
    """One reader's click on an edition's link, kept only for lists whose manager turned on
    per-reader click tracking (MailingList.track_clicks_per_reader)."""

    link = models.ForeignKey(EditionLink, on_delete=models.CASCADE, related_name="reader_clicks")
    subscriber = models.ForeignKey(
        "subscriptions.Subscriber", on_delete=models.CASCADE, related_name="link_clicks"
    )
    clicked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["clicked_at", "pk"]
        indexes = [models.Index(fields=["subscriber", "clicked_at"], name="readerclick_reader")]

    def __str__(self):
        return f"{self.subscriber_id} → {self.link_id}"
