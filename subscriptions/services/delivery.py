"""Reports from the email service: bounces, complaints, rejections and unsubscribes stop
email (never print); temporary failures are counted and suspend email after a few.

The webhook (anymail's tracking signal) only records the event, once, and hands it to a task;
the task applies it. The same event posted twice is recorded once and applied once.
"""

import hashlib
import json
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from subscriptions import emails, sending
from subscriptions.models import (
    ConsentEvent,
    DeliveryEvent,
    EmailProblem,
    MailingList,
    OutboundEmail,
    Subscriber,
    Subscription,
    Suppression,
)
from subscriptions.services.consent import RequestMeta, log_event
from subscriptions.services.subscribers import locked, unsubscribe
from subscriptions.tokens import read_edition_tag

Status = Subscription.Status

# What each stopping event does to the reader's email lists: the subscription status, the
# consent log entry, the suppression kind, and the flag print fulfilment sees (an unsubscribe
# is the reader's wish, not a problem with the address).
OUTCOMES = {
    "bounced": (
        Status.BOUNCED,
        ConsentEvent.Kind.BOUNCED,
        Suppression.Kind.BOUNCED,
        EmailProblem.BOUNCED,
    ),
    "rejected": (
        Status.BOUNCED,
        ConsentEvent.Kind.BOUNCED,
        Suppression.Kind.REJECTED,
        EmailProblem.REJECTED,
    ),
    "complained": (
        Status.UNSUBSCRIBED,
        ConsentEvent.Kind.COMPLAINED,
        Suppression.Kind.COMPLAINED,
        EmailProblem.COMPLAINED,
    ),
    "unsubscribed": (
        Status.UNSUBSCRIBED,
        ConsentEvent.Kind.UNSUBSCRIBED,
        Suppression.Kind.UNSUBSCRIBED,
        "",
    ),
}
RECORDED = {*OUTCOMES, *DeliveryEvent.SOFT}
# Temporary failures as the services word them: Postmark's bounce Type (SoftBounce, Transient,
# DnsError), Amazon SES's bounceType (Transient; Undetermined is not known to be permanent),
# Mailgun's severity, SendGrid's bounce type ("blocked": a mailbox provider's temporary
# block, typically SMTP 421) and Postmark's Blocked.
SOFT_BOUNCE_TYPES = {
    "softbounce",
    "transient",
    "dnserror",
    "temporary",
    "undetermined",
    "blocked",
}


def _field(raw, *path) -> str:
    for key in path:
        raw = raw.get(key) if isinstance(raw, dict) else None
    return str(raw or "")


def is_soft_bounce(event) -> bool:
    """A temporary failure: anymail's "deferred", or a bounce or rejection the service
    describes as temporary. Only permanent failures suppress an address."""
    if event.event_type in DeliveryEvent.SOFT:
        return True
    if event.event_type not in {"bounced", "rejected"}:
        return False
    if event.reject_reason == "blocked":
        return True
    raw = event.esp_event if isinstance(event.esp_event, dict) else {}
    kinds = {
        _field(raw, "Type"),  # Postmark
        _field(raw, "bounce", "bounceType"),  # Amazon SES
        _field(raw, "event-data", "severity"),  # Mailgun
        _field(raw, "type") if _field(raw, "event") == "bounce" else "",  # SendGrid
        (event.description or "").split(":")[0],  # SES through anymail: "Transient: ..."
    }
    return any(k.lower() in SOFT_BOUNCE_TYPES for k in kinds)


def stopping_kind(event: DeliveryEvent) -> str:
    """What a permanent report does: SendGrid drops mail to an address on its own
    unsubscribe list ("rejected", reason "unsubscribed"), which is an unsubscribe."""
    if event.event_type == "rejected" and event.reject_reason == "unsubscribed":
        return "unsubscribed"
    return event.event_type


# Reports that say the service had the email: what a worker that died while handing it over
# did is then known (it went). "failed" says the service could not send it.
HANDED_OVER = {
    "queued",
    "sent",
    "delivered",
    "bounced",
    "deferred",
    "rejected",
    "opened",
    "clicked",
    "complained",
    "unsubscribed",
}


def settle_uncertain(event) -> int:
    """Settle an uncertain email (see sending.recover_stranded) from the service's report
    about it, found by our metadata (echoed by Postmark, Mailgun, SendGrid, and SES when it
    includes headers), our Message-ID (Mailgun, SES's commonHeaders) or the service's id.
    One UPDATE that touches only uncertain emails; returns how many it settled."""
    if event.event_type not in {*HANDED_OVER, "failed"}:
        return 0
    metadata = event.metadata if isinstance(event.metadata, dict) else {}
    ours = str(metadata.get(sending.METADATA_KEY, ""))
    ids = {
        str(event.message_id or ""),
        _field(event.esp_event, "mail", "commonHeaders", "messageId"),
    } - {""}
    ids |= {f"<{i.strip('<>')}>" for i in ids} | {i.strip("<>") for i in ids}
    match = Q(message_id__in=ids) if ids else None
    if ours.isdigit():
        match = Q(pk=int(ours)) if match is None else match | Q(pk=int(ours))
    if match is None:
        return 0
    uncertain = OutboundEmail.objects.filter(match, status=OutboundEmail.Status.UNCERTAIN)
    if event.recipient:
        uncertain = uncertain.filter(to_email__iexact=event.recipient.strip())
    if event.event_type == "failed":
        return uncertain.update(
            status=OutboundEmail.Status.FAILED,
            last_error=f"The email service could not send it: {event.description or ''}"[:2000],
        )
    return uncertain.update(
        status=OutboundEmail.Status.SENT,
        sent_at=event.timestamp or timezone.now(),
        last_error="",
    )


def record_tracking_event(*, esp: str, event) -> DeliveryEvent | None:
    """Record a tracking event the service posted, once; the task applies it after commit.
    Any report about an email whose fate was uncertain settles it first.

    Events that do not concern deliverability (sent, delivered, opened, ...) are not kept.
    """
    settle_uncertain(event)
    recipient = (event.recipient or "").strip()
    if event.event_type not in RECORDED or not recipient:
        return None
    event_id = (
        event.event_id
        or hashlib.sha256(
            json.dumps(event.esp_event, sort_keys=True, default=str).encode()
        ).hexdigest()
    )
    with transaction.atomic():
        row, created = DeliveryEvent.objects.get_or_create(
            esp=esp[:40],
            event_id=str(event_id)[:200],
            recipient=recipient[:254],
            event_type=event.event_type,
            defaults={
                "occurred_at": event.timestamp or timezone.now(),
                "message_id": (event.message_id or "")[:200],
                "description": (event.description or "")[:300],
                "mta_response": (event.mta_response or "")[:500],
                "reject_reason": (event.reject_reason or "")[:20],
                "soft_bounce": is_soft_bounce(event),
            },
        )
        if created:
            transaction.on_commit(partial(apply_delivery_event.enqueue, row.pk), robust=True)
    return row


@task()
def apply_delivery_event(delivery_event_id: int) -> str:
    """Apply a recorded delivery event to the subscriber; returns what was done."""
    return apply_event(delivery_event_id=delivery_event_id)


def apply_event(*, delivery_event_id: int) -> str:
    """Apply one recorded report, once. The address's subscriber rows are locked first, so
    that reports about one address are applied one after the other: a soft bounce counts
    the reports applied before it, and exactly one of them reaches the limit."""
    with transaction.atomic():
        event = DeliveryEvent.objects.select_for_update().get(pk=delivery_event_id)
        if event.processed_at:
            return event.outcome
        event.outbound_email = _email_reported_on(event)
        subscribers = list(
            Subscriber.objects.not_erased()
            .by_email(event.recipient)
            .select_for_update()
            .order_by("pk")
        )
        if event.soft_bounce:
            outcome = _count_soft_bounce(event, subscribers)
        else:
            outcome = stop_mail(event=event, kind=stopping_kind(event), subscribers=subscribers)
        event.processed_at = timezone.now()
        event.outcome = outcome[:300]
        event.save(update_fields=["outbound_email", "processed_at", "outcome"])
        return outcome


def _email_reported_on(event: DeliveryEvent) -> OutboundEmail | None:
    """The email the report is about: by the service's message id, else the last one sent."""
    emails = OutboundEmail.objects.filter(to_email__iexact=event.recipient)
    if event.message_id:
        match = emails.filter(message_id=event.message_id).first()
        if match:
            return match
    recent = event.received_at - timedelta(days=7)
    return (
        emails.filter(status=OutboundEmail.Status.SENT, sent_at__gte=recent)
        .order_by("-sent_at", "-pk")
        .first()
    )


def _count_soft_bounce(event: DeliveryEvent, subscribers: list[Subscriber]) -> str:
    """Count the address's temporary failures within the window (since its last suspension,
    if later), one per email: a service reports each retry of one message (SendGrid's
    "deferred" per attempt, Mailgun's per delivery attempt), which is one failure."""
    limit = settings.SUBSCRIPTIONS_SOFT_BOUNCE_LIMIT
    days = settings.SUBSCRIPTIONS_SOFT_BOUNCE_DAYS
    since = timezone.now() - timedelta(days=days)
    last_suspension = (
        ConsentEvent.objects.filter(subscriber__in=subscribers, kind=ConsentEvent.Kind.SUSPENDED)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if last_suspension and last_suspension > since:
        since = last_suspension
    earlier = DeliveryEvent.objects.soft_bounces(email=event.recipient, since=since)
    message_ids = list(earlier.values_list("message_id", flat=True))
    if event.message_id and event.message_id in message_ids:
        return f"Soft bounce, again for the same email: still {_distinct(message_ids)} of {limit}."
    count = _distinct(message_ids) + 1
    if count < limit:
        return f"Soft bounce {count} of {limit} within {days} days."
    stopped = stop_mail(
        event=event,
        kind="bounced",
        subscribers=subscribers,
        consent_kind=ConsentEvent.Kind.SUSPENDED,
        problem=EmailProblem.SUSPENDED,
        reason=f"{count} soft bounces within {days} days",
    )
    return f"Soft bounce {count} of {limit} within {days} days: suspended. {stopped}"


def _distinct(message_ids: list[str]) -> int:
    return len({m for m in message_ids if m}) + sum(1 for m in message_ids if not m)


def stop_mail(
    *,
    event: DeliveryEvent,
    kind: str,
    subscribers: list[Subscriber] | None = None,
    consent_kind: str | None = None,
    problem: str | None = None,
    reason: str = "",
) -> str:
    """Stop email to the event's address at once: its email subscriptions end (print
    subscriptions stay, flagged with the problem for print fulfilment), the consent log
    says why (with the service's event id and time), queued emails are not sent, and the
    address is suppressed (unless the failure was temporary: a suspension), so that an
    import cannot bring it back."""
    status, default_consent_kind, suppression_kind, default_problem = OUTCOMES[kind]
    problem = default_problem if problem is None else problem
    reason = reason or event.description or event.event_type
    now = timezone.now()
    if not event.soft_bounce:
        _suppress(event.recipient, suppression_kind, f"{event.esp} {kind}: {reason}"[:200])
    held = (
        OutboundEmail.objects.filter(to_email__iexact=event.recipient)
        .filter(status__in=[OutboundEmail.Status.QUEUED, OutboundEmail.Status.RETRYING])
        .update(status=OutboundEmail.Status.SUPPRESSED, next_attempt_at=None)
    )
    details = {
        "email_service": event.esp,
        "event_id": event.event_id,
        "event": event.event_type,
        "occurred_at": event.occurred_at.isoformat(),
        "reason": reason,
        "mta_response": event.mta_response,
    }
    if subscribers is None:
        subscribers = [locked(s) for s in Subscriber.objects.not_erased().by_email(event.recipient)]
    stopped = 0
    for subscriber in subscribers:
        subscriptions = (
            subscriber.subscriptions.current().email_lists().select_related("mailing_list")
        )
        lists = [s.mailing_list for s in subscriptions]
        if lists:
            subscriptions.update(status=status, unsubscribed_at=now)
            stopped += len(lists)
        if problem:
            Subscriber.objects.filter(pk=subscriber.pk).update(
                email_problem=problem, email_problem_at=now
            )
        log_event(
            subscriber,
            kind=consent_kind or default_consent_kind,
            source=ConsentEvent.Source.EMAIL_SERVICE,
            meta=RequestMeta(actor=event.esp),
            lists=lists,
            details=details,
        )
    return (
        f"Email stopped: {stopped} email subscription(s) ended (print kept), "
        f"{held} queued email(s) held back."
    )


def _suppress(email: str, kind: str, reason: str) -> None:
    entry, created = Suppression.objects.entry_for(email, kind=kind, reason=reason)
    if not created and entry.kind not in {kind, *BLOCKING_KINDS} and kind in BLOCKING_KINDS:
        Suppression.objects.filter(pk=entry.pk).update(kind=kind, reason=reason)


BLOCKING_KINDS = {Suppression.Kind.BOUNCED, Suppression.Kind.COMPLAINED, Suppression.Kind.REJECTED}


def unsubscribe_by_email(*, esp: str, sender: str, to: list[str], subject: str) -> list:
    """An "unsubscribe" email to the List-Unsubscribe mailbox (the mailto in every bulk
    email), received through the email service's inbound webhook: the sender leaves the
    list the subject names ("unsubscribe <list slug> [<edition tag>]"), or every list; a
    signed edition tag (an edition's mailto) counts it for that edition. Returns the lists."""
    mailbox = emails.unsubscribe_mailbox().lower()
    words = subject.strip().split()  # the edition tag is case-sensitive: lower the rest
    to_mailbox = mailbox in {address.lower() for address in to}
    if not to_mailbox or [w.lower() for w in words[:1]] != ["unsubscribe"]:
        return []
    mailing_list = MailingList.objects.filter(slug__in=[w.lower() for w in words[1:2]]).first()
    edition_id = read_edition_tag(words[2]) if len(words) > 2 and mailing_list else None
    left = []
    for subscriber in Subscriber.objects.not_erased().by_email(sender):
        left += unsubscribe(
            subscriber=subscriber,
            mailing_list=mailing_list,
            source=ConsentEvent.Source.MAILTO,
            meta=RequestMeta(actor=esp),
            edition_id=edition_id,
        )
    return left


PROBLEM_OF = {
    ConsentEvent.Kind.BOUNCED: EmailProblem.BOUNCED,
    ConsentEvent.Kind.COMPLAINED: EmailProblem.COMPLAINED,
    ConsentEvent.Kind.SUSPENDED: EmailProblem.SUSPENDED,
}


def restore_print_ended_by_email_reports(*, dry_run: bool, meta: RequestMeta) -> list[str]:
    """Give back the print subscriptions that an email service's report ended before reports
    ended email lists only: a print subscription whose end is the moment of such a report
    (the consent log names its list) and that nothing has changed since. The subscriber is
    flagged with the email problem instead, and the log says what was restored and why.
    Returns "<address>: <list>" for each one (restored unless dry_run)."""
    restored = []
    window = timedelta(seconds=60)
    reports = ConsentEvent.objects.filter(
        source=ConsentEvent.Source.EMAIL_SERVICE, subscriber__erased_at__isnull=True
    ).select_related("subscriber")
    print_names = set(MailingList.objects.print().values_list("name", flat=True))
    for report in reports.iterator(chunk_size=500):
        names = print_names.intersection(report.lists)
        if not names:
            continue
        with transaction.atomic():
            subscriber = locked(report.subscriber)
            ended = subscriber.subscriptions.print_lists().filter(
                mailing_list__name__in=names,
                status__in=[Status.BOUNCED, Status.UNSUBSCRIBED],
                unsubscribed_at__range=(report.created_at - window, report.created_at + window),
            )
            later = subscriber.events.filter(created_at__gt=report.created_at + window)
            for subscription in ended.select_related("mailing_list"):
                name = subscription.mailing_list.name
                if any(name in event.lists for event in later):
                    continue  # something happened to it since: a person decides
                restored.append(f"{subscriber.email}: {name}")
                if dry_run:
                    continue
                subscription.status = Status.ACTIVE if subscription.confirmed_at else Status.PENDING
                subscription.unsubscribed_at = None
                subscription.save(update_fields=["status", "unsubscribed_at", "updated_at"])
                if problem := PROBLEM_OF.get(report.kind):
                    Subscriber.objects.filter(pk=subscriber.pk).update(
                        email_problem=problem, email_problem_at=report.created_at
                    )
                log_event(
                    subscriber,
                    kind=ConsentEvent.Kind.ADMIN,
                    source=ConsentEvent.Source.ADMIN,
                    meta=meta,
                    lists=[subscription.mailing_list],
                    details={
                        "restored": "print subscription ended by an email service report; "
                        "such reports end email lists only",
                        "report": report.details.get("event_id", ""),
                    },
                )
    return restored
