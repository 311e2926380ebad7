"""Subscription emails: rendered from templates, recorded, and delivered by a task after commit."""

import logging
import time
from datetime import timedelta
from email.utils import parseaddr
from urllib.parse import urlsplit

import css_inline
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import models, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_tasks import task
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from articles.models import Journal
from subscriptions.models import (
    MailingList,
    OutboundEmail,
    Subscriber,
    Subscription,
    Suppression,
)
from subscriptions.tokens import Purpose, make_token

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# A queued email not sent by then is handed to the sender again by retry_due(): the task may
# have been lost (queue down at commit, worker killed mid-send).
UNSENT_AFTER = timedelta(minutes=15)


def postal_address(journal: Journal | None = None) -> str:
    """The publisher's address every email must carry: the journal's, else the setting."""
    journal = journal or Journal.primary()
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
    """RFC 2369 / RFC 8058 headers: mail clients show an unsubscribe button that POSTs to the
    https link (the mailto is for clients that only write); List-Id names the list (RFC 2919)
    so readers and their mail services can filter and report it."""
    value = f"<{link(Purpose.UNSUBSCRIBE, subscriber, mailing_list)}>"
    mailto = unsubscribe_mailbox()
    if mailto:
        value += f", <mailto:{mailto}?subject=unsubscribe>"
    headers = {"List-Unsubscribe": value, "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    if mailing_list is not None:
        host = urlsplit(settings.SITE_URL).hostname or "localhost"
        name = mailing_list.name.replace('"', "'")
        headers["List-Id"] = f'"{name}" <{mailing_list.slug}.list-id.{host}>'
    return headers


def unsubscribe_mailbox() -> str:
    """Where "unsubscribe" emails go: the setting, else the sender's own address."""
    configured = settings.SUBSCRIPTIONS_UNSUBSCRIBE_MAILTO
    return configured or parseaddr(settings.DEFAULT_FROM_EMAIL)[1]


def site_context() -> dict:
    """What every email shows of the publisher. A bulk send computes it once and passes it
    in, so that rendering one email per subscriber costs no query."""
    journal = Journal.primary()
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
    html = INLINER.inline(render_to_string(f"emails/{template}.html", context))
    return subject, text, html


# Mail clients drop <style> blocks (Gmail's apps, Outlook): every rule goes into the
# elements' style attributes; media queries stay in <style> for the clients that read them.
INLINER = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)


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
    pending = subscriber.subscriptions.pending().exists()
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


def render_bulk(*, template: str, context: dict) -> tuple[str, str, str]:
    """Subject, plain text and HTML of a bulk email (an alert, an edition) for one reader."""
    return _render(template, context)


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


def _claim(outbound_email_id: int) -> OutboundEmail | None:
    """Take an email to send it, or None if it is not due or someone else has it.

    One UPDATE, committed before the mail server is called: no row lock is held while
    talking to it, and a second worker (or a task run twice) finds nothing to claim. The
    claim is the email's idempotency key: an email is handed to the server at most once per
    claim, and a claim is only made from queued or due-for-retry.
    """
    now = timezone.now()
    Status = OutboundEmail.Status
    if OutboundEmail.objects.filter(pk=outbound_email_id, edition__status="paused").exists():
        return None  # a paused edition's emails wait for it to be resumed
    # Only conditions on the row itself: PostgreSQL re-checks them after waiting for a
    # concurrent claim's lock, so exactly one of two claims succeeds.
    claimed = OutboundEmail.objects.filter(
        Q(status=Status.QUEUED) | Q(status=Status.RETRYING, next_attempt_at__lte=now),
        pk=outbound_email_id,
    ).update(status=Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return None
    return OutboundEmail.objects.get(pk=outbound_email_id)


def is_blocked(email: str) -> bool:
    """The email service reported the address as bouncing, or its owner complained."""
    return Suppression.objects.blocking().matching(email).exists()


def as_message(outbound: OutboundEmail, connection=None) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=outbound.subject,
        body=outbound.body_text,
        to=[outbound.to_email],
        headers=outbound.headers,
        connection=connection,
    )
    if outbound.body_html:
        message.attach_alternative(outbound.body_html, "text/html")
    return message


def deliver(outbound_email_id: int, *, connection=None) -> str:
    """Send one recorded email; on failure record why and schedule a retry with backoff.

    Returns the email's status afterwards, or "skipped" when it was not this call's to send.
    """
    outbound = _claim(outbound_email_id)
    if outbound is None:
        return "skipped"
    Status = OutboundEmail.Status
    mine = OutboundEmail.objects.filter(pk=outbound.pk, status=Status.SENDING)
    if is_blocked(outbound.to_email):
        mine.update(status=Status.SUPPRESSED, next_attempt_at=None)
        return Status.SUPPRESSED
    message = as_message(outbound, connection)
    try:
        message.send()
    except Exception as exc:  # any transport failure must be recorded, not lost
        if is_throttled(exc):
            # The server asks us to slow down: not the email's fault, not an attempt.
            mine.update(
                status=Status.RETRYING,
                attempts=F("attempts") - 1,
                last_error=f"Throttled: {exc}"[:2000],
                next_attempt_at=timezone.now(),
            )
            return THROTTLED
        _record_failure(outbound, exc)
        mine.update(
            status=outbound.status,
            last_error=outbound.last_error,
            next_attempt_at=outbound.next_attempt_at,
        )
        if outbound.status == Status.RETRYING:
            _enqueue(outbound.pk, run_after=outbound.next_attempt_at)
        return outbound.status
    mine.update(
        status=Status.SENT,
        sent_at=timezone.now(),
        next_attempt_at=None,
        message_id=_service_message_id(message),
    )
    return Status.SENT


THROTTLED = "throttled"
# SMTP replies that mean "slow down / try again shortly" (RFC 5321 4yz), and HTTP 429.
THROTTLING_SMTP_CODES = {421, 450, 451, 452, 454}


def is_throttled(exc: Exception) -> bool:
    code = getattr(exc, "smtp_code", None)
    if code in THROTTLING_SMTP_CODES:
        return True
    status = getattr(exc, "status_code", None)  # anymail's AnymailAPIError
    return status == 429


def enqueue_batch(outbound_email_ids: list[int]) -> None:
    """Hand emails to one send task (one connection for all of them)."""
    if outbound_email_ids:
        send_outbound_batch.enqueue(list(outbound_email_ids))


def deliver_batch(outbound_email_ids: list[int], *, sleep=time.sleep) -> dict[str, int]:
    """Send several emails over one connection, at most EMAIL_RATE per second (0: no limit)
    in this worker, backing off when the server throttles (1, 2, 4, ... 60 s)."""
    rate = settings.EMAIL_RATE
    interval = 1 / rate if rate else 0
    counts: dict[str, int] = {}
    connection = get_connection()
    with connection:
        started = time.monotonic()
        for n, pk in enumerate(outbound_email_ids):
            if interval:
                wait = started + n * interval - time.monotonic()
                if wait > 0:
                    sleep(wait)
            backoff = 1
            while (status := deliver(pk, connection=connection)) == THROTTLED:
                counts[THROTTLED] = counts.get(THROTTLED, 0) + 1
                if backoff > 60:
                    break  # still due: the next retry_emails run or the task's retry sends it
                sleep(backoff)
                backoff *= 2
                started = time.monotonic() - n * interval
            counts[status] = counts.get(status, 0) + 1
    return counts


def _service_message_id(message) -> str:
    """The email service's id for the message (anymail sets it), which its reports quote."""
    status = getattr(message, "anymail_status", None)
    return (getattr(status, "message_id", None) or "")[:200]


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


STRANDED_ERROR = (
    "The worker stopped while handing this email to the mail server, so it may or may not "
    "have gone out. It is not sent again automatically (that could send it twice): use "
    '"Retry sending now" if the reader did not get it.'
)


def recover_stranded(*, now=None) -> int:
    """Settle emails whose worker was killed mid-send, and their tasks left RUNNING.

    A claim older than SEND_LEASE cannot still be sending (the mail server times out after
    EMAIL_TIMEOUT): the email is marked failed with an explanation rather than resent, and
    the task's result is marked failed so the queue does not show it running forever.
    """
    now = now or timezone.now()
    stale = now - send_lease()
    Status = OutboundEmail.Status
    count = OutboundEmail.objects.filter(status=Status.SENDING, claimed_at__lt=stale).update(
        status=Status.FAILED, last_error=STRANDED_ERROR, next_attempt_at=None
    )
    DBTaskResult.objects.running().filter(
        started_at__lt=stale, task_path__in=SEND_TASK_PATHS
    ).update(
        status=TaskResultStatus.FAILED,
        finished_at=now,
        exception_class_path="subscriptions.emails.WorkerLost",
        traceback="The worker stopped (killed or crashed) while running this task.",
    )
    return count


SEND_TASK_PATHS = [
    "subscriptions.emails.send_outbound_batch",
    "subscriptions.emails.send_outbound_email",
    "subscriptions.tasks.send_outbound_email",
]


def send_lease() -> timedelta:
    return timedelta(seconds=max(4 * (settings.EMAIL_TIMEOUT or 60), 120))


def due() -> "models.QuerySet[OutboundEmail]":
    """Emails to hand to the sender now: a retry that is due, or queued long ago and not sent
    (its task was lost: queue down at commit, worker killed before claiming it)."""
    return OutboundEmail.objects.filter(
        status__in=[OutboundEmail.Status.RETRYING, OutboundEmail.Status.QUEUED],
        next_attempt_at__lte=timezone.now(),
    )


def retry_due() -> int:
    """Hand every email that is due to the send task; returns how many."""
    recover_stranded()
    pks = list(due().values_list("pk", flat=True))
    for pk in pks:
        _enqueue(pk)
    return len(pks)


@task()
def send_outbound_email(outbound_email_id: int) -> str:
    """Send one recorded email; failures are recorded on it and retried with backoff."""
    return deliver(outbound_email_id)


@task()
def send_outbound_batch(outbound_email_ids: list[int]) -> dict[str, int]:
    """Send recorded emails over one connection, paced; each is sent at most once."""
    return deliver_batch(outbound_email_ids)
