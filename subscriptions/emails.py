"""Subscription emails: rendered from templates, recorded, and delivered by a task after commit."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from articles.models import Journal
from subscriptions.models import MailingList, OutboundEmail, Subscriber, Subscription
from subscriptions.tokens import Purpose, make_token

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# A queued email not sent by then is handed to the sender again by retry_due(): the task may
# have been lost (queue down at commit, worker killed mid-send).
UNSENT_AFTER = timedelta(minutes=15)


def postal_address(journal: Journal | None = None) -> str:
    """The publisher's address every email must carry: the journal's, else the setting."""
    journal = journal or Journal.objects.primary()
    if journal and journal.postal_address:
        return journal.postal_address
    address = getattr(settings, "SUBSCRIPTIONS_POSTAL_ADDRESS", "")
    if not address:
        logger.warning("No postal address for emails: set Journal.postal_address")
    return address


def absolute_url(path: str) -> str:
    return settings.SITE_URL + path


def link(purpose: Purpose, subscriber: Subscriber, mailing_list: MailingList | None = None) -> str:
    token = make_token(subscriber=subscriber, purpose=purpose, mailing_list=mailing_list)
    return absolute_url(reverse(f"subscriptions:{purpose}", args=[token]))


def list_unsubscribe_headers(
    *, subscriber: Subscriber, mailing_list: MailingList | None = None
) -> dict[str, str]:
    """RFC 2369 / RFC 8058 headers: mail clients show an unsubscribe button that POSTs."""
    return {
        "List-Unsubscribe": f"<{link(Purpose.UNSUBSCRIBE, subscriber, mailing_list)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def site_context() -> dict:
    """What every email shows of the publisher. A bulk send computes it once and passes it
    in, so that rendering one email per subscriber costs no query."""
    journal = Journal.objects.primary()
    return {
        "site_name": journal.name if journal else settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "postal_address": postal_address(journal),
    }


def _render(template: str, context: dict) -> tuple[str, str, str]:
    if "postal_address" not in context:
        context = {**site_context(), **context}
    subject = " ".join(render_to_string(f"emails/{template}_subject.txt", context).split())
    text = render_to_string(f"emails/{template}.txt", context)
    html = render_to_string(f"emails/{template}.html", context)
    return subject, text, html


def queue_email(
    *, kind: str, subscriber: Subscriber, context: dict, headers: dict | None = None
) -> OutboundEmail:
    """Record an email and hand it to the send task once the current transaction commits."""
    subject, text, html = _render(f"subscriptions/{kind}", {"subscriber": subscriber, **context})
    outbound = OutboundEmail.objects.create(
        subscriber=subscriber,
        kind=kind,
        to_email=subscriber.email,
        subject=subject,
        body_text=text,
        body_html=html,
        headers=headers or {},
        next_attempt_at=timezone.now() + UNSENT_AFTER,
    )
    # robust: a queue that is down must not turn the person's saved signup into an error
    # page; the email stays queued and retry_due() sends it.
    transaction.on_commit(lambda: _enqueue(outbound.pk), robust=True)
    return outbound


def _enqueue(outbound_email_id: int, *, run_after=None) -> None:
    from subscriptions.tasks import send_outbound_email

    task = send_outbound_email
    if run_after is not None:
        if not task.get_backend().supports_defer:
            return  # the retry_emails command sends it when it is due
        task = task.using(run_after=run_after)
    task.enqueue(outbound_email_id)


def confirmation_email(subscriber: Subscriber, lists: list[MailingList]) -> OutboundEmail:
    return queue_email(
        kind="confirm",
        subscriber=subscriber,
        context={"lists": lists, "confirm_url": link(Purpose.CONFIRM, subscriber)},
    )


def manage_email(subscriber: Subscriber) -> OutboundEmail:
    pending = subscriber.subscriptions.filter(status=Subscription.Status.PENDING).exists()
    return queue_email(
        kind="manage",
        subscriber=subscriber,
        context={
            "manage_url": link(Purpose.MANAGE, subscriber),
            "confirm_url": link(Purpose.CONFIRM, subscriber) if pending else "",
        },
    )


def goodbye_email(subscriber: Subscriber, lists: list[MailingList]) -> OutboundEmail:
    return queue_email(
        kind="goodbye",
        subscriber=subscriber,
        context={"lists": lists, "manage_url": link(Purpose.MANAGE, subscriber)},
    )


def bulk_message(
    *, subscription: Subscription, template: str, context: dict
) -> EmailMultiAlternatives:
    """A message to one member of a list (e.g. a new-issue alert), with one-click unsubscribe."""
    subscriber, mailing_list = subscription.subscriber, subscription.mailing_list
    unsubscribe_url = link(Purpose.UNSUBSCRIBE, subscriber, mailing_list)
    subject, text, html = _render(
        template,
        {
            "subscriber": subscriber,
            "mailing_list": mailing_list,
            "unsubscribe_url": unsubscribe_url,
            "manage_url": link(Purpose.MANAGE, subscriber),
            **context,
        },
    )
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=[subscriber.email],
        headers=list_unsubscribe_headers(subscriber=subscriber, mailing_list=mailing_list),
    )
    message.attach_alternative(html, "text/html")
    return message


def deliver(outbound_email_id: int) -> str:
    """Send one recorded email; on failure record why and schedule a retry with backoff.

    The row stays locked while sending, so two workers handed the same email send it once.
    """
    with transaction.atomic():
        outbound = (
            OutboundEmail.objects.select_for_update(skip_locked=True)
            .filter(pk=outbound_email_id)
            .first()
        )
        if outbound is None or outbound.status == OutboundEmail.Status.SENT:
            return "skipped"
        message = EmailMultiAlternatives(
            subject=outbound.subject,
            body=outbound.body_text,
            to=[outbound.to_email],
            headers=outbound.headers,
        )
        if outbound.body_html:
            message.attach_alternative(outbound.body_html, "text/html")
        outbound.attempts += 1
        try:
            message.send()
        except Exception as exc:  # any transport failure must be recorded, not lost
            _record_failure(outbound, exc)
        else:
            outbound.status = OutboundEmail.Status.SENT
            outbound.sent_at = timezone.now()
            outbound.next_attempt_at = None
        outbound.save(
            update_fields=["attempts", "last_error", "status", "sent_at", "next_attempt_at"]
        )
        if outbound.status == OutboundEmail.Status.RETRYING:
            _enqueue(outbound.pk, run_after=outbound.next_attempt_at)
        return outbound.status


def _record_failure(outbound: OutboundEmail, exc: Exception) -> None:
    outbound.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    if outbound.attempts >= MAX_ATTEMPTS:
        outbound.status = OutboundEmail.Status.FAILED
        outbound.next_attempt_at = None
        logger.error("Gave up sending email %s: %s", outbound.pk, outbound.last_error)
    else:
        outbound.status = OutboundEmail.Status.RETRYING
        outbound.next_attempt_at = timezone.now() + retry_delay(outbound.attempts)


def retry_delay(attempts: int) -> timedelta:
    """1, 5, 25, 125 minutes: long enough for a mail service outage to pass."""
    return timedelta(minutes=5 ** (attempts - 1))


def retry_due(*, now=None) -> int:
    """Hand every email whose retry is due, or still unsent long after queueing, to the send
    task; returns how many."""
    now = now or timezone.now()
    due = list(
        OutboundEmail.objects.filter(
            status__in=[OutboundEmail.Status.RETRYING, OutboundEmail.Status.QUEUED],
            next_attempt_at__lte=now,
        ).values_list("pk", flat=True)
    )
    for pk in due:
        _enqueue(pk)
    return len(due)
