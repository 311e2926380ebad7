"""Newsletter editions: compose, preview, test, schedule, send, pause and resume.

Sending reuses the per-recipient records of the new-issue alerts (services.bulk): each
active, confirmed member of the list gets the edition exactly once, whoever presses
"Send", however often a task runs, and after a pause or a worker's death.
"""

from datetime import timedelta
from functools import partial

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django_tasks import task

from articles.models import Article
from articles.signals import content_changed
from subscriptions import emails, sending, tokens
from subscriptions.models import (
    ConsentEvent,
    DeliveryEvent,
    Edition,
    EditionLink,
    EmailWording,
    MailingList,
    OutboundEmail,
    ReaderClick,
    Subscriber,
)
from subscriptions.sending import READER_SLOT
from subscriptions.services import bulk

Status = Edition.Status
TEMPLATE = "subscriptions/edition"
# Without an earlier edition, "what's new" reaches back this far.
FIRST_EDITION_LOOKBACK = timedelta(days=30)
SUGGESTIONS = 12


def archive_changed(mailing_list_id: int) -> None:
    """The list's public archive (and the sitemap) shows a newly sent edition now."""
    content_changed.send(sender=Edition, tags=[f"newsletter:{mailing_list_id}", "list:sitemap"])


def last_sent(mailing_list: MailingList) -> Edition | None:
    return (
        Edition.objects.filter(mailing_list=mailing_list, started_at__isnull=False)
        .exclude(status=Status.DRAFT)
        .order_by("-started_at")
        .first()
    )


def suggested_articles(mailing_list: MailingList | None) -> list[Article]:
    """What's new since the last edition to this list: published articles, newest first."""
    last = last_sent(mailing_list) if mailing_list else None
    since = last.started_at if last else timezone.now() - FIRST_EDITION_LOOKBACK
    return list(
        Article.objects.published().filter(published_at__gt=since).newest_first()[:SUGGESTIONS]
    )


def edition_articles(edition: Edition) -> list[Article]:
    """The edition's articles in the managers' order, only those readers can open."""
    return list(
        Article.objects.published()
        .for_listing()
        .filter(edition_items__edition=edition)
        .order_by("edition_items__position", "edition_items__pk")
    )


def context(edition: Edition, *, count_clicks: bool = False) -> dict:
    """What the edition's templates show. With count_clicks (the email as sent), each
    article's link goes through /l/<token>, the same for every reader: clicks are counted
    per link; only if the list records who clicked does the link end with the reader's
    tag (a slot in the shared body, filled in per reader when sent)."""
    articles = edition_articles(edition)
    per_reader = edition.mailing_list.track_clicks_per_reader
    for article in articles:
        article.email_url = emails.absolute_url(article.get_absolute_url())
        if count_clicks:
            article.email_url = click_url(
                edition, article.email_url, label=article.title, per_reader=per_reader
            )
        article.email_image = _image_url(article) if article.lead_image_alt.strip() else ""
    return {
        **emails.site_context(),
        "edition": edition,
        "wording": EmailWording.for_kind(EmailWording.Kind.EDITION),
        "intro": edition.intro_paragraphs(),
        "articles": articles,
        # The web version: the same for every reader, without their links.
        "web_url": emails.absolute_url(edition.get_absolute_url()) if edition.slug else "",
    }


CLICK_SALT = "subscriptions.edition-link"


def click_url(edition: Edition, url: str, *, label: str = "", per_reader: bool = False) -> str:
    """The counted address of one link of an edition (made once per edition and link); with
    per_reader, ending in the slot for the reader's tag."""
    link, _ = EditionLink.objects.get_or_create(
        edition=edition, url=url, defaults={"label": label[:300]}
    )
    token = signing.Signer(salt=CLICK_SALT).sign(str(link.pk))
    if per_reader:
        return emails.absolute_url(reverse("clicks:click-reader", args=[token, READER_SLOT]))
    return emails.absolute_url(reverse("clicks:click", args=[token]))


def follow_click(token: str, *, reader: str = "") -> str | None:
    """Count a click on an edition's link and return where it goes (None: not ours).

    `reader` is the tag of a list that records who clicked: the click is recorded for that
    reader only if the tag is genuine, the reader is not erased and the list still records
    who clicked (a manager who turns it off stops it for emails already sent). A link whose
    tag is damaged still counts, and still leads to the article.
    """
    try:
        pk = int(signing.Signer(salt=CLICK_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        return None
    found = (
        EditionLink.objects.filter(pk=pk)
        .values_list("url", "edition__mailing_list__track_clicks_per_reader")
        .first()
    )
    if found is None:
        return None
    url, per_reader = found
    EditionLink.objects.filter(pk=pk).update(clicks=F("clicks") + 1)
    subscriber_id = tokens.read_reader_tag(reader) if reader and per_reader else None
    if subscriber_id and Subscriber.objects.not_erased().filter(pk=subscriber_id).exists():
        ReaderClick.objects.create(link_id=pk, subscriber_id=subscriber_id)
    return url


def _image_url(article: Article) -> str:
    if not article.lead_image:
        return ""
    url = article.lead_image.url
    return emails.absolute_url(url) if url.startswith("/") else url


def preview(edition: Edition, *, email: str) -> tuple[str, str, str]:
    """Subject, plain text and HTML as a member receives them (links point nowhere real)."""
    stand_in = Subscriber(pk=0, email=email, first_name="")
    return emails.render_bulk(
        template=TEMPLATE,
        context={
            **context(edition),
            "subscriber": stand_in,
            "mailing_list": edition.mailing_list,
            "unsubscribe_url": emails.absolute_url("/subscribe/unsubscribe/preview/"),
            "manage_url": emails.absolute_url("/subscribe/manage/preview/"),
        },
    )


def send_test(*, edition: Edition, user) -> OutboundEmail:
    """Send the edition to the manager who asks, marked as a test; it counts nowhere."""
    if not user.email:
        raise ValidationError("Your user account has no email address to send the test to.")
    check_content(edition)
    subject, text, html = preview(edition, email=user.email)
    outbound = OutboundEmail.objects.create(
        kind="edition-test",
        to_email=user.email,
        subject=f"[Test] {subject}"[:200],
        body_text=text,
        body_html=html,
        next_attempt_at=timezone.now() + emails.UNSENT_AFTER,
    )
    transaction.on_commit(partial(sending.enqueue, outbound.pk), robust=True)
    return outbound


def check_content(edition: Edition) -> None:
    """Refuse an edition that cannot go out: no subject, no published article, no list."""
    if not edition.subject.strip():
        raise ValidationError("The edition needs a subject.")
    if not edition_articles(edition):
        raise ValidationError("Pick at least one published article for the edition.")
    if edition.mailing_list.kind != MailingList.Kind.EMAIL or not edition.mailing_list.is_active:
        raise ValidationError(f"{edition.mailing_list} is not an active email list.")


def give_address(edition: Edition) -> None:
    """The web version's slug, from the subject, unique within the list (kept if set)."""
    if edition.slug:
        return
    base = slugify(edition.subject)[:70] or "edition"
    taken = set(
        Edition.objects.filter(mailing_list=edition.mailing_list_id, slug__startswith=base)
        .exclude(pk=edition.pk)
        .values_list("slug", flat=True)
    )
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    edition.slug = slug
    Edition.objects.filter(pk=edition.pk, slug="").update(slug=slug)


def send_edition(*, edition: Edition, user) -> Edition:
    """Start sending now. A second press (or a second manager) is refused with a message.
    The edition's web version and the list's archive show it from then on."""
    check_content(edition)
    with transaction.atomic():
        give_address(edition)
        started = Edition.objects.filter(
            pk=edition.pk, status__in=[Status.DRAFT, Status.SCHEDULED]
        ).update(
            status=Status.SENDING,
            started_by=user,
            started_at=timezone.now(),
            scheduled_for=None,
        )
        if not started:
            raise ValidationError(f"“{edition}” has already been sent or is being sent.")
        archive_changed(edition.mailing_list_id)
        transaction.on_commit(partial(build_edition_emails_task.enqueue, edition.pk), robust=True)
    edition.refresh_from_db()
    return edition


def schedule_edition(*, edition: Edition, when, user) -> Edition:
    """Send at a time: the task queue runs the start then (no cron); cancellable until."""
    check_content(edition)
    if when <= timezone.now():
        raise ValidationError("Pick a time in the future, or send now.")
    if not start_scheduled_edition.get_backend().supports_defer:
        raise ValidationError("The task queue in use cannot run a task later: send now.")
    with transaction.atomic():
        give_address(edition)
        scheduled = Edition.objects.filter(
            pk=edition.pk, status__in=[Status.DRAFT, Status.SCHEDULED]
        ).update(status=Status.SCHEDULED, scheduled_for=when, started_by=user)
        if not scheduled:
            raise ValidationError(f"“{edition}” has already been sent or is being sent.")
        transaction.on_commit(
            partial(
                start_scheduled_edition.using(run_after=when).enqueue,
                edition.pk,
                when.isoformat(),
            ),
            robust=True,
        )
    edition.refresh_from_db()
    return edition


def cancel_schedule(*, edition: Edition) -> bool:
    """Back to draft, if it has not started; the scheduled task then finds nothing to do."""
    return bool(
        Edition.objects.filter(pk=edition.pk, status=Status.SCHEDULED).update(
            status=Status.DRAFT, scheduled_for=None
        )
    )


@task()
def start_scheduled_edition(edition_id: int, scheduled_for: str) -> str:
    """Runs at the scheduled time; does nothing if the edition was cancelled or moved."""
    started = Edition.objects.filter(
        pk=edition_id,
        status=Status.SCHEDULED,
        scheduled_for=scheduled_for,
        scheduled_for__lte=timezone.now(),
    ).update(status=Status.SENDING, started_at=timezone.now(), scheduled_for=None)
    if not started:
        return "not due (cancelled or rescheduled)"
    archive_changed(Edition.objects.values_list("mailing_list_id", flat=True).get(pk=edition_id))
    return f"{build_edition_emails(edition_id=edition_id)} email(s) recorded"


def pause_edition(*, edition: Edition) -> bool:
    """Stop recording and sending; emails already handed to the server are not recalled."""
    return bool(
        Edition.objects.filter(pk=edition.pk, status=Status.SENDING).update(status=Status.PAUSED)
    )


def resume_edition(*, edition: Edition) -> bool:
    """Go on where it stopped (a pause, or a worker that died while recording)."""
    resumed = Edition.objects.filter(
        pk=edition.pk, status__in=[Status.PAUSED, Status.SENDING]
    ).update(status=Status.SENDING)
    if resumed:
        waiting = list(
            edition.emails.filter(status=OutboundEmail.Status.QUEUED).values_list("pk", flat=True)
        )
        for start in range(0, len(waiting), bulk.CHUNK_SIZE):
            chunk = waiting[start : start + bulk.CHUNK_SIZE]
            transaction.on_commit(partial(sending.enqueue_batch, chunk), robust=True)
        transaction.on_commit(partial(build_edition_emails_task.enqueue, edition.pk), robust=True)
    return bool(resumed)


@task()
def build_edition_emails_task(edition_id: int) -> int:
    """Record and queue one email per member of the edition's list; safe to run twice."""
    return build_edition_emails(edition_id=edition_id)


def build_edition_emails(*, edition_id: int) -> int:
    edition = Edition.objects.select_related("mailing_list").get(pk=edition_id)
    if edition.status != Status.SENDING:
        return 0
    sending = Edition.objects.filter(pk=edition.pk, status=Status.SENDING)
    created = bulk.record_emails(
        edition,
        kind="edition",
        template=TEMPLATE,
        context=context(edition, count_clicks=True),
        keep_going=sending.exists,
        same_for_all=True,
    )
    # Finished only if it was not paused meanwhile (then resuming records the rest).
    sending.update(status=Status.SENT, sent_at=timezone.now(), recipients=edition.emails.count())
    return created


# What managers see per edition --------------------------------------------------------


def with_counts(editions):
    """Annotate queued, sent, failed, uncertain, bounced, complained and unsubscribed counts.

    Unsubscribed: members who left through a link (or the mailto) of this edition's email,
    which names the edition, signed (tokens.make_token, tokens.edition_tag).
    """
    S = OutboundEmail.Status
    unsubscribes = (
        ConsentEvent.objects.filter(edition=OuterRef("pk"), kind=ConsentEvent.Kind.UNSUBSCRIBED)
        .order_by()
        .values("edition")
        .annotate(n=Count("subscriber", distinct=True))
        .values("n")
    )
    events = DeliveryEvent.objects.filter(outbound_email=OuterRef("emails__pk"))
    return editions.annotate(
        queued_count=Count(
            "emails",
            filter=Q(emails__status__in=[S.QUEUED, S.SENDING, S.RETRYING]),
            distinct=True,
        ),
        sent_count=Count("emails", filter=Q(emails__status=S.SENT), distinct=True),
        failed_count=Count(
            "emails", filter=Q(emails__status__in=[S.FAILED, S.SUPPRESSED]), distinct=True
        ),
        uncertain_count=Count("emails", filter=Q(emails__status=S.UNCERTAIN), distinct=True),
        bounced_count=Count(
            "emails",
            filter=Q(Exists(events.filter(event_type__in=["bounced", "rejected"]))),
            distinct=True,
        ),
        complained_count=Count(
            "emails", filter=Q(Exists(events.filter(event_type="complained"))), distinct=True
        ),
        unsubscribed_count=Coalesce(Subquery(unsubscribes), 0),
    )
