"""Reports from the email service: bounces, complaints, rejections and unsubscribes stop mail.

The webhook (anymail's tracking signal) only records the event, once, and hands it to a task;
the task applies it. The same event posted twice is recorded once and applied once.
"""

import hashlib
import json
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from subscriptions import emails
from subscriptions.models import (
    ConsentEvent,
    DeliveryEvent,
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

# What each stopping event does: the subscription status, the consent log entry, the
# suppression kind.
OUTCOMES = {
    "bounced": (Status.BOUNCED, ConsentEvent.Kind.BOUNCED, Suppression.Kind.BOUNCED),
    "rejected": (Status.BOUNCED, ConsentEvent.Kind.BOUNCED, Suppression.Kind.REJECTED),
    "complained": (Status.UNSUBSCRIBED, ConsentEvent.Kind.COMPLAINED, Suppression.Kind.COMPLAINED),
    "unsubscribed": (
        Status.UNSUBSCRIBED,
        ConsentEvent.Kind.UNSUBSCRIBED,
        Suppression.Kind.UNSUBSCRIBED,
    ),
}
# Bounce types the services report for a temporary failure (Postmark, SES, Mailgun, ...).
SOFT_BOUNCE_TYPES = {"softbounce", "transient", "dnserror", "temporary"}


def is_soft_bounce(event) -> bool:
    if event.event_type != "bounced":
        return False
    raw = event.esp_event if isinstance(event.esp_event, dict) else {}
    kinds = {
        str(raw.get("Type", "")),  # Postmark
        str(raw.get("bounce", {}).get("bounceType", "")),  # Amazon SES
        str(raw.get("severity", "")),  # Mailgun
        (event.description or "").split(":")[0],  # SES through anymail: "Transient: ..."
    }
    return any(k.lower() in SOFT_BOUNCE_TYPES for k in kinds)


def record_tracking_event(*, esp: str, event) -> DeliveryEvent | None:
    """Record a tracking event the service posted, once; the task applies it after commit.

    Events that do not concern deliverability (sent, delivered, opened, ...) are not kept.
    """
    recipient = (event.recipient or "").strip()
    if event.event_type not in OUTCOMES or not recipient:
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
    with transaction.atomic():
        event = DeliveryEvent.objects.select_for_update().get(pk=delivery_event_id)
        if event.processed_at:
            return event.outcome
        event.outbound_email = _email_reported_on(event)
        if event.soft_bounce:
            outcome = _count_soft_bounce(event)
        else:
            outcome = stop_mail(event=event, kind=event.event_type)
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


def _count_soft_bounce(event: DeliveryEvent) -> str:
    limit = settings.SUBSCRIPTIONS_SOFT_BOUNCE_LIMIT
    days = settings.SUBSCRIPTIONS_SOFT_BOUNCE_DAYS
    since = timezone.now() - timedelta(days=days)
    count = DeliveryEvent.objects.soft_bounces(email=event.recipient, since=since).count()
    if count < limit:
        return f"Soft bounce {count} of {limit} within {days} days."
    stopped = stop_mail(
        event=event,
        kind="bounced",
        consent_kind=ConsentEvent.Kind.SUSPENDED,
        reason=f"{count} soft bounces within {days} days",
    )
    return f"Soft bounce {count} of {limit} within {days} days: suspended. {stopped}"


def stop_mail(
    *, event: DeliveryEvent, kind: str, consent_kind: str | None = None, reason: str = ""
) -> str:
    """Stop every email to the event's address at once: its subscriptions end, the consent
    log says why (with the service's event id and time), queued emails are not sent, and
    the address is suppressed so that an import cannot bring it back."""
    status, default_consent_kind, suppression_kind = OUTCOMES[kind]
    reason = reason or event.description or event.event_type
    now = timezone.now()
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
    stopped = 0
    for subscriber in Subscriber.objects.not_erased().by_email(event.recipient):
        subscriber = locked(subscriber)
        subscriptions = subscriber.subscriptions.current().select_related("mailing_list")
        lists = [s.mailing_list for s in subscriptions]
        if lists:
            subscriptions.update(status=status, unsubscribed_at=now)
            stopped += len(lists)
        log_event(
            subscriber,
            kind=consent_kind or default_consent_kind,
            source=ConsentEvent.Source.EMAIL_SERVICE,
            meta=RequestMeta(actor=event.esp),
            lists=lists,
            details=details,
        )
    return f"Mail stopped: {stopped} subscription(s) ended, {held} queued email(s) held back."


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
