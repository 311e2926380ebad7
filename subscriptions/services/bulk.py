"""One email to every active, confirmed member of a list, exactly once each: the machinery
that new-issue alerts and newsletter editions share.

The recipients are read, rendered and recorded in chunks (memory and queries stay flat
however long the list is); each chunk's emails are recorded in one transaction and handed
to one send task, which sends them over one connection. A run cut short (a worker killed,
a pause) is finished by running it again: whoever already has an email of this mailing is
skipped, and the database refuses a second one.
"""

from collections.abc import Callable
from functools import partial
from itertools import islice

from django.db import models, transaction
from django.utils import timezone

from subscriptions import emails, sending, tokens
from subscriptions.models import Edition, OutboundEmail, Subscription

# Recipients read and recorded at a time, and emails handed to one send task.
CHUNK_SIZE = 500


def recipient_count(mailing_list, *, owner: models.Model | None = None, segment=None) -> int:
    """How many would get a mailing if it went now: the list's active, confirmed (or
    imported) members in its segment (`segment`, else `owner`'s) with no email of `owner`
    (an alert or edition) yet."""
    segment = segment if segment is not None else owner
    where = segment.segment_q() if segment is not None else models.Q()
    if owner is None or owner.pk is None:
        members = Subscription.objects.newsletter().filter(mailing_list=mailing_list)
    else:
        members = Subscription.objects.recipients(mailing_list, not_in=owner.emails.all())
    return members.filter(where).count()


def record_emails(
    owner: models.Model,
    *,
    kind: str,
    template: str,
    context: dict,
    keep_going: Callable[[], bool] = lambda: True,
    same_for_all: bool = False,
) -> int:
    """Record one email per member of owner.mailing_list in owner's segment who has none of
    owner's emails yet.

    `owner` is the alert or edition (OutboundEmail has a foreign key to it, related name
    "emails"); `keep_going` is asked before each chunk (a paused edition stops). With
    `same_for_all`, the content is rendered once and stored on the owner (its body_text and
    body_html), and each reader's email holds only their own links. Returns how many
    emails this run recorded.
    """
    link = OutboundEmail._meta.get_field(owner_field(owner)).name
    # Settles what a worker killed mid-send leaves, from the task queue (no cron).
    sending.schedule_follow_up(link, owner.pk)
    rows = Subscription.objects.recipients(owner.mailing_list, not_in=owner.emails.all())
    rows = rows.filter(owner.segment_q()).iterator(chunk_size=CHUNK_SIZE)
    if same_for_all:
        # Rendered once and kept on the owner; each reader's row holds only their links.
        subject, text, html = emails.render_shared(
            template=template, context=context, mailing_list=owner.mailing_list
        )
        type(owner).objects.filter(pk=owner.pk).update(body_text=text, body_html=html)
        edition_id = owner.pk if isinstance(owner, Edition) else None
        make = partial(
            _shared_message,
            subject=subject,
            mailing_list=owner.mailing_list,
            edition_id=edition_id,
            edition_tag=tokens.edition_tag(edition_id) if edition_id else "",
        )
    else:
        make = partial(_personal_message, template=template, context=context)
    created = 0
    while keep_going() and (chunk := list(islice(rows, CHUNK_SIZE))):
        created += _record_chunk(owner, link, kind, make, chunk)
    return created


def _personal_message(subscription: Subscription, *, template: str, context: dict) -> dict:
    message = emails.bulk_message(subscription=subscription, template=template, context=context)
    return {
        "subject": message.subject[:200],
        "body_text": message.body,
        "body_html": message.alternatives[0].content,
        "headers": message.extra_headers,
    }


def _shared_message(
    subscription: Subscription,
    *,
    subject: str,
    mailing_list,
    edition_id: int | None,
    edition_tag: str,
) -> dict:
    # The links (and the mailto's subject) say which edition they came from, signed: the
    # edition's "unsubscribed" count reads it.
    links = emails.reader_links(subscription.subscriber, mailing_list, edition_id=edition_id)
    headers = {
        **emails.list_unsubscribe_headers(
            subscriber=subscription.subscriber,
            mailing_list=mailing_list,
            url=links["unsubscribe"],
            edition_tag=edition_tag,
        ),
        **emails.reply_to_headers(mailing_list),
    }
    return {"subject": subject[:200], "headers": headers, "links": links}


def owner_field(owner: models.Model) -> str:
    for field in OutboundEmail._meta.get_fields():
        if field.is_relation and field.related_model is type(owner) and field.many_to_one:
            return field.name
    raise TypeError(f"OutboundEmail has no foreign key to {type(owner).__name__}")


def _record_chunk(owner, link, kind, make, chunk: list[Subscription]) -> int:
    retry_after = timezone.now() + emails.UNSENT_AFTER
    rows = []
    for subscription in chunk:
        rows.append(
            OutboundEmail(
                **{link: owner},
                subscriber=subscription.subscriber,
                kind=kind,
                to_email=subscription.subscriber.email,
                next_attempt_at=retry_after,
                **make(subscription),
            )
        )
    with transaction.atomic():
        OutboundEmail.objects.bulk_create(rows, ignore_conflicts=True)
        queued = list(
            owner.emails.filter(
                subscriber__in=[s.subscriber_id for s in chunk],
                status=OutboundEmail.Status.QUEUED,
            ).values_list("pk", flat=True)
        )
        # A queue that is down leaves the emails queued: retry_due() sends them later.
        transaction.on_commit(partial(sending.enqueue_batch, queued), robust=True)
    return len(queued)
