"""Handing recorded emails (OutboundEmail) to the mail server or email service.

- An email is claimed by one committed UPDATE before the server is called: no row lock is
  held while talking to it, and a second worker, or a task run twice, finds nothing to
  claim. The claim is the email's idempotency key: it is handed to the server at most once.
  The claim also stores the email's own Message-ID (deterministic: our_message_id), which
  goes out in its header and, for an email service, in anymail's metadata.
- Bulk emails go in batches over one connection, at most EMAIL_RATE per second per worker,
  backing off when the server throttles (SMTP 421/45x, HTTP 429).
- A batch checkpoints every FLUSH_EVERY emails: it records what it sent and sends only what
  it still holds. A heartbeat renews the claim every few seconds while the worker lives, so
  the lease is short (SEND_LEASE): when a worker dies, its claim is settled within half a
  minute. Only the FLUSH_EVERY emails after its last checkpoint may have gone out: those are
  marked "uncertain" (never "failed", never sent again by themselves), and the rest of its
  claim, never attempted, is queued again and sent (recover_stranded). An email service's
  report about an uncertain email (queued, sent, delivered, bounced, ...) settles it as
  sent (services.delivery.settle_uncertain); a manager may settle the rest, or resend them
  knowing they may arrive twice. The follow-up task of each mailing does this without cron.
"""

import logging
import threading
import time
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import CharField, F, Q, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django_tasks import task
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from subscriptions.models import Edition, OutboundEmail, Suppression
from subscriptions.models.subscribers import email_hash, legacy_email_hash

logger = logging.getLogger(__name__)
Status = OutboundEmail.Status

MAX_ATTEMPTS = 5
SKIPPED = "skipped"
THROTTLED = "throttled"
# SMTP replies that mean "slow down / try again shortly" (RFC 5321 4yz), and HTTP 429.
THROTTLING_SMTP_CODES = {421, 450, 451, 452, 454}
# Waits when throttled within one batch (seconds); after the last, the email waits its turn.
THROTTLE_BACKOFF = (1, 2, 4, 8, 16, 32)
# A queued email not sent by then is handed to the sender again (its task may have been
# lost: queue down at commit, worker killed before claiming it).
UNSENT_AFTER = timedelta(minutes=15)
# A batch records what it sent at least this often (emails): after a kill, at most this many
# emails are "may or may not have gone out".
FLUSH_EVERY = 25
# A claim not renewed for this long is a dead worker's; the heartbeat renews it this often,
# and each mailing's follow-up task looks for dead claims this often: a killed worker's
# emails are picked up within SEND_LEASE + FOLLOW_UP_EVERY (30 s).
SEND_LEASE = timedelta(seconds=20)
HEARTBEAT_EVERY = 5.0
FOLLOW_UP_EVERY = timedelta(seconds=10)
# Anymail metadata key carrying the email's id: services echo metadata in their reports.
METADATA_KEY = "jhop_email"


def _message_id_domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def our_message_id(outbound_email_id: int) -> str:
    """The Message-ID header of an email: fixed by its id, so known before it is sent."""
    return f"<jhop-email-{outbound_email_id}@{_message_id_domain()}>"


def _claimable(now) -> Q:
    # Only conditions on the row itself: PostgreSQL re-checks them after waiting for a
    # concurrent claim's lock, so exactly one of two claims succeeds.
    return Q(status=Status.QUEUED) | Q(status=Status.RETRYING, next_attempt_at__lte=now)


def claim(outbound_email_ids: list[int]) -> list[OutboundEmail]:
    """Claim these emails for this worker (those still due and not paused), committed."""
    now = timezone.now()
    token = uuid.uuid4().hex
    paused = OutboundEmail.objects.filter(pk__in=outbound_email_ids, edition__status="paused")
    wanted = set(outbound_email_ids) - set(paused.values_list("pk", flat=True))
    if not wanted:
        return []
    OutboundEmail.objects.filter(_claimable(now), pk__in=wanted).update(
        status=Status.SENDING,
        claimed_at=now,
        claim=token,
        attempts=F("attempts") + 1,
        message_id=Concat(
            Value("<jhop-email-"),
            Cast("pk", output_field=CharField()),
            Value(f"@{_message_id_domain()}>"),
            output_field=CharField(),
        ),
    )
    claimed = list(OutboundEmail.objects.filter(pk__in=wanted, claim=token).order_by("pk"))
    # An edition's body is stored once on the edition: read it once for the batch.
    shared = {o.edition_id for o in claimed if o.edition_id and not o.body_text}
    bodies = {e.pk: e for e in Edition.objects.filter(pk__in=shared).only("body_text", "body_html")}
    for outbound in claimed:
        outbound.shared_body = bodies.get(outbound.edition_id) if not outbound.body_text else None
    return claimed


def blocked_addresses(addresses) -> set[str]:
    """Which of these addresses bounced or complained (one query for all of them)."""
    addresses = list(addresses)
    keyed = {email_hash(a): a for a in addresses}
    legacy = {legacy_email_hash(a): a for a in addresses}
    found = Suppression.objects.blocking().filter(
        Q(keyed=True, email_hash__in=keyed) | Q(keyed=False, email_hash__in=legacy)
    )
    return {
        (keyed if is_keyed else legacy)[digest]
        for digest, is_keyed in found.values_list("email_hash", "keyed")
    }


def as_message(outbound: OutboundEmail, connection=None) -> EmailMultiAlternatives:
    text, html = outbound.body_text, outbound.body_html
    if shared := getattr(outbound, "shared_body", None):
        text = fill_links(shared.body_text, outbound.links)
        html = fill_links(shared.body_html, outbound.links)
    message = EmailMultiAlternatives(
        subject=outbound.subject,
        body=text,
        to=[outbound.to_email],
        headers={**outbound.headers, "Message-ID": our_message_id(outbound.pk)},
        connection=connection,
    )
    if html:
        message.attach_alternative(html, "text/html")
    message.metadata = {METADATA_KEY: str(outbound.pk)}  # anymail; SMTP ignores it
    return message


UNSUBSCRIBE_SLOT = "JHOP-UNSUBSCRIBE-URL-SLOT"
MANAGE_SLOT = "JHOP-MANAGE-URL-SLOT"
# In counted links, where the reader's tag goes (lists that record who clicked).
READER_SLOT = "JHOP-READER-SLOT"


def fill_links(part: str, links: dict[str, str]) -> str:
    """Put a reader's own links into a body shared by the whole list."""
    part = part.replace(UNSUBSCRIBE_SLOT, links.get("unsubscribe", "")).replace(
        MANAGE_SLOT, links.get("manage", "")
    )
    return part.replace(READER_SLOT, links["reader"]) if "reader" in links else part


def is_throttled(exc: Exception) -> bool:
    if getattr(exc, "smtp_code", None) in THROTTLING_SMTP_CODES:
        return True
    return getattr(exc, "status_code", None) == 429  # anymail's AnymailAPIError


def _send(outbound: OutboundEmail, connection, *, blocked: bool, sleep) -> None:
    """Send one claimed email and set its outcome on the instance (saved by the caller)."""
    if blocked:
        outbound.status, outbound.next_attempt_at = Status.SUPPRESSED, None
        return
    for wait in (*THROTTLE_BACKOFF, None):
        message = as_message(outbound, connection)
        try:
            message.send()
        except Exception as exc:  # any transport failure must be recorded, not lost
            if is_throttled(exc) and wait is not None:
                logger.warning("Throttled by the mail server, waiting %ss: %s", wait, exc)
                sleep(wait)
                continue
            if is_throttled(exc):
                # Not the email's fault: not counted as an attempt; it waits a minute.
                outbound.attempts -= 1
                outbound.status = Status.RETRYING
                outbound.last_error = f"Throttled: {exc}"[:2000]
                outbound.next_attempt_at = timezone.now() + timedelta(minutes=1)
            else:
                _record_failure(outbound, exc)
            return
        outbound.status = Status.SENT
        outbound.sent_at = timezone.now()
        outbound.next_attempt_at = None
        outbound.message_id = _service_message_id(message) or our_message_id(outbound.pk)
        return


def _service_message_id(message) -> str:
    """The email service's id for the message (anymail sets it), which its reports quote."""
    status = getattr(message, "anymail_status", None)
    return (getattr(status, "message_id", None) or "")[:200]


def _record_failure(outbound: OutboundEmail, exc: Exception) -> None:
    outbound.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    if outbound.attempts >= MAX_ATTEMPTS:
        outbound.status = Status.FAILED
        outbound.next_attempt_at = None
        logger.error("Gave up sending email %s: %s", outbound.pk, outbound.last_error)
    else:
        outbound.status = Status.RETRYING
        outbound.next_attempt_at = timezone.now() + retry_delay(outbound.attempts)


def retry_delay(attempts: int) -> timedelta:
    """1, 5, 25, 125 minutes: long enough for a mail service outage to pass."""
    return timedelta(minutes=5 ** (attempts - 1))


OUTCOME_FIELDS = ["status", "sent_at", "next_attempt_at", "message_id", "last_error", "attempts"]


def _record(done: list[OutboundEmail]) -> None:
    """Save outcomes, and hand each email to retry to a task that runs later.

    Sent emails (nearly all) are recorded by one plain UPDATE, stamped with the time they
    are recorded (at most FLUSH_EVERY emails after they went); the rare other outcomes, and
    the email service's message ids, are written row by row in one bulk_update.
    """
    if not done:
        return
    sent = [o for o in done if o.status == Status.SENT]
    if sent:
        now = timezone.now()
        OutboundEmail.objects.filter(pk__in=[o.pk for o in sent]).update(
            status=Status.SENT, sent_at=now, next_attempt_at=None
        )
        for outbound in sent:
            outbound.sent_at = now
        # Ours was stored with the claim; only a service's own id is written here.
        if with_ids := [o for o in sent if o.message_id != our_message_id(o.pk)]:
            OutboundEmail.objects.bulk_update(with_ids, ["message_id"])
    if others := [o for o in done if o.status != Status.SENT]:
        OutboundEmail.objects.bulk_update(others, OUTCOME_FIELDS)
    for outbound in others:
        if outbound.status == Status.RETRYING:
            enqueue(outbound.pk, run_after=outbound.next_attempt_at)
    done.clear()


class _Batch:
    """A worker's claimed emails: what it sent since its last checkpoint, and the rest."""

    def __init__(self, claimed: list[OutboundEmail]):
        self.pending = list(reversed(claimed))  # sent in primary key order
        self.claim = claimed[0].claim
        self.done: list[OutboundEmail] = []
        self.renewed = self.progressed = time.monotonic()
        self.every = send_lease().total_seconds() / 4

    def next(self) -> OutboundEmail | None:
        if len(self.done) >= FLUSH_EVERY or time.monotonic() - self.renewed > self.every:
            self.checkpoint()
        return self.pending.pop() if self.pending else None

    def checkpoint(self) -> None:
        """Record what was sent, then renew the claim on the rest; keep only what is still
        ours (recover_stranded may have given it to another worker after a long stall).
        One transaction: one commit for both."""
        self.renewed = time.monotonic()
        with transaction.atomic():
            _record(self.done)
            if not self.pending:
                return
            pks = [o.pk for o in self.pending]
            mine = OutboundEmail.objects.filter(pk__in=pks, claim=self.claim, status=Status.SENDING)
            if mine.update(claimed_at=timezone.now()) < len(pks):
                kept = set(mine.values_list("pk", flat=True))
                self.pending = [o for o in self.pending if o.pk in kept]


class _Heartbeat(threading.Thread):
    """Renews a live batch's claim every HEARTBEAT_EVERY seconds, even while one call to the
    mail server blocks (up to EMAIL_TIMEOUT), so that the lease can be short. A batch that
    has made no progress for long (a hung worker) is no longer renewed: its claim expires
    as a dead worker's does."""

    def __init__(self, batch: _Batch):
        super().__init__(daemon=True, name=f"send-claim-{batch.claim[:8]}")
        self.batch = batch
        self.stopped = threading.Event()
        self.stall_after = max(4 * (settings.EMAIL_TIMEOUT or 60), 120)

    def run(self) -> None:
        try:
            while not self.stopped.wait(HEARTBEAT_EVERY):
                if time.monotonic() - self.batch.progressed > self.stall_after:
                    return
                try:
                    self.beat()
                except Exception:  # a missed beat is made up by the next one
                    logger.warning("Could not renew a send claim", exc_info=True)
        finally:
            db_connection.close()  # this thread's own connection

    def beat(self) -> None:
        # Rows the batch's own checkpoint holds are skipped (it renews them): waiting for
        # them while it waits for ours would be a deadlock.
        with transaction.atomic():
            mine = OutboundEmail.objects.filter(claim=self.batch.claim, status=Status.SENDING)
            pks = list(mine.select_for_update(skip_locked=True).values_list("pk", flat=True))
            OutboundEmail.objects.filter(pk__in=pks).update(claimed_at=timezone.now())

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=HEARTBEAT_EVERY)


def deliver(outbound_email_id: int) -> str:
    """Send one recorded email; on failure record why and schedule a retry with backoff.

    Returns the email's status afterwards, or "skipped" when it was not this call's to send.
    """
    return next(iter(deliver_batch([outbound_email_id]).values()), SKIPPED)


def deliver_batch(outbound_email_ids: list[int], *, sleep=time.sleep) -> dict[int, str]:
    """Send emails over one connection, at most EMAIL_RATE per second (0: no limit) in this
    worker; returns each claimed email's status (emails not claimed are left out)."""
    claimed = claim(outbound_email_ids)
    if not claimed:
        return {}
    blocked = blocked_addresses({o.to_email for o in claimed})
    interval = 1 / settings.EMAIL_RATE if settings.EMAIL_RATE else 0
    batch = _Batch(claimed)
    heartbeat = _Heartbeat(batch)
    heartbeat.start()
    outcome: dict[int, str] = {}
    try:
        with get_connection() as connection:
            started, n = time.monotonic(), 0
            while (outbound := batch.next()) is not None:
                if interval and (wait := started + n * interval - time.monotonic()) > 0:
                    sleep(wait)
                n += 1
                _send(outbound, connection, blocked=outbound.to_email in blocked, sleep=sleep)
                outcome[outbound.pk] = outbound.status
                batch.done.append(outbound)
                batch.progressed = time.monotonic()
    finally:
        heartbeat.stop()
        _record(batch.done)
    return outcome


def enqueue(outbound_email_id: int, *, run_after=None) -> None:
    job = send_outbound_email
    if run_after is not None:
        if not job.get_backend().supports_defer:
            return  # the retry_emails command sends it when it is due
        job = job.using(run_after=run_after)
    job.enqueue(outbound_email_id)


def enqueue_batch(outbound_email_ids: list[int]) -> None:
    """Hand emails to one send task (one connection for all of them)."""
    if outbound_email_ids:
        send_outbound_batch.enqueue(list(outbound_email_ids))


STRANDED_ERROR = (
    "Uncertain: the worker stopped while handing this email to the mail server, so it may "
    "or may not have gone out. It is not sent again automatically (that could send it "
    "twice). A report from the email service about it settles it as sent; otherwise check "
    'the mail server\'s log for its Message-ID, then use "Mark uncertain emails as sent" '
    'or "Resend uncertain emails".'
)
SEND_TASK_PATHS = [
    "subscriptions.sending.send_outbound_email",
    "subscriptions.sending.send_outbound_batch",
    "subscriptions.tasks.send_outbound_email",
]


def send_lease() -> timedelta:
    """How long a claim lasts without being renewed: a live batch's heartbeat renews it
    every HEARTBEAT_EVERY seconds, so only a dead or hung worker's expires."""
    return SEND_LEASE


def recover_stranded(*, now=None) -> int:
    """Settle the claims of workers killed mid-send, and their tasks left RUNNING.

    Of each expired claim, the FLUSH_EVERY emails after the worker's last checkpoint may
    have gone out: they are marked uncertain, with an explanation (their Message-ID was
    stored with the claim). The rest were never attempted: they are queued again and handed
    to the sender. Returns how many were marked uncertain.
    """
    now = now or timezone.now()
    stale = now - send_lease()
    expired = OutboundEmail.objects.filter(status=Status.SENDING, claimed_at__lt=stale)
    by_claim: dict[str, list[int]] = {}
    for pk, token in expired.order_by("pk").values_list("pk", "claim"):
        by_claim.setdefault(token, []).append(pk)
    settled, requeued = 0, []
    for token, pks in by_claim.items():
        uncertain, untried = pks[:FLUSH_EVERY], pks[FLUSH_EVERY:]
        # Conditional on the claim still being expired: a worker renewing it meanwhile
        # keeps it (and one that was only stalled finds, at its checkpoint, what it lost).
        mine = expired.filter(claim=token)
        settled += mine.filter(pk__in=uncertain).update(
            status=Status.UNCERTAIN, last_error=STRANDED_ERROR, next_attempt_at=None
        )
        for start in range(0, len(untried), 500):
            chunk = untried[start : start + 500]
            if mine.filter(pk__in=chunk).update(
                status=Status.QUEUED,
                claim="",
                claimed_at=None,
                next_attempt_at=now + UNSENT_AFTER,
                attempts=F("attempts") - 1,  # never handed to the server
            ):
                requeued.append(chunk)
    _fail_lost_tasks(now=now, stale=stale)
    for chunk in requeued:
        enqueue_batch(chunk)
    return settled


def _fail_lost_tasks(*, now, stale) -> None:
    """Send tasks RUNNING since before the lease whose emails no worker holds any more."""
    live = set(
        OutboundEmail.objects.filter(status=Status.SENDING, claimed_at__gte=stale).values_list(
            "pk", flat=True
        )
    )
    lost = []
    for pk, args_kwargs in (
        DBTaskResult.objects.running()
        .filter(started_at__lt=stale, task_path__in=SEND_TASK_PATHS)
        .values_list("pk", "args_kwargs")
    ):
        (ids,) = args_kwargs.get("args") or [[]]
        ids = ids if isinstance(ids, list) else [ids]
        if not live.intersection(ids):
            lost.append(pk)
    DBTaskResult.objects.filter(pk__in=lost).running().update(
        status=TaskResultStatus.FAILED,
        finished_at=now,
        exception_class_path="subscriptions.sending.WorkerLost",
        traceback="The worker stopped (killed or crashed) while running this task.",
    )


def due() -> QuerySet[OutboundEmail]:
    """Emails to hand to the sender now: a retry that is due, or queued long ago and not sent
    (its task was lost: queue down at commit, worker killed before claiming it)."""
    return OutboundEmail.objects.filter(
        status__in=[Status.RETRYING, Status.QUEUED], next_attempt_at__lte=timezone.now()
    )


def hand_out(emails: QuerySet[OutboundEmail]) -> int:
    """Give these emails to send tasks, 500 a task. A queued one is not handed out again for
    UNSENT_AFTER: an email still waiting its turn in a long mailing gets one extra task (which
    finds it claimed or sent, or sends it), not one more every time this runs."""
    pks = list(emails.values_list("pk", flat=True))
    later = timezone.now() + UNSENT_AFTER
    for start in range(0, len(pks), 500):
        chunk = pks[start : start + 500]
        OutboundEmail.objects.filter(pk__in=chunk, status=Status.QUEUED).update(
            next_attempt_at=later
        )
        enqueue_batch(chunk)
    return len(pks)


def retry_due() -> int:
    """Settle stranded sends, then hand every email that is due to the sender; how many."""
    recover_stranded()
    return hand_out(due())


# What a manager's "retry" may send again: emails certain not to have gone out.
CERTAINLY_UNSENT = [Status.RETRYING, Status.FAILED, Status.QUEUED]


def retry_now(emails: QuerySet[OutboundEmail]) -> int:
    """A manager's "retry now": emails certain to be unsent get fresh attempts and go to
    the sender. Uncertain ones are left alone (resend_uncertain), as are sent, suppressed
    and in-flight ones."""
    count = emails.filter(status__in=CERTAINLY_UNSENT).update(
        status=Status.RETRYING, next_attempt_at=timezone.now(), attempts=0
    )
    retry_due()
    return count


def resend_uncertain(emails: QuerySet[OutboundEmail]) -> int:
    """Send uncertain emails again, knowing some readers may get a second copy: the
    manager's explicit choice, after the email service's reports had their chance."""
    count = emails.filter(status=Status.UNCERTAIN).update(
        status=Status.RETRYING, next_attempt_at=timezone.now(), attempts=0
    )
    retry_due()
    return count


def mark_uncertain_sent(emails: QuerySet[OutboundEmail]) -> int:
    """Settle uncertain emails as sent (the mail server's log shows their Message-ID)."""
    return emails.filter(status=Status.UNCERTAIN).update(
        status=Status.SENT, sent_at=timezone.now(), last_error=""
    )


def schedule_follow_up(owner_field: str, owner_id: int) -> None:
    """Look after one mailing (an edition, an alert) from the task queue, no cron needed:
    every FOLLOW_UP_EVERY while it is unfinished, settle what a dead worker left of it and
    resend what is due."""
    job = follow_up_mailing
    if not job.get_backend().supports_defer:
        return  # the retry_emails command does it
    when = timezone.now() + FOLLOW_UP_EVERY
    job.using(run_after=when).enqueue(owner_field, owner_id)


@task()
def follow_up_mailing(owner_field: str, owner_id: int) -> str:
    """Settle expired claims, hand this mailing's due emails to the sender, and come back
    later while any of them is still on its way (a paused edition waits for its resume)."""
    if owner_field not in {"edition", "issue_alert"}:
        raise ValueError(f"Not a mailing: {owner_field}")
    uncertain = recover_stranded()
    mailing = OutboundEmail.objects.filter(**{owner_field: owner_id})
    handed_out = hand_out(due().filter(**{owner_field: owner_id}))
    unfinished = mailing.filter(status__in=[Status.QUEUED, Status.SENDING, Status.RETRYING])
    if unfinished.exclude(edition__status=Edition.Status.PAUSED).exists():
        schedule_follow_up(owner_field, owner_id)
    return f"{uncertain} stranded email(s) marked uncertain, {handed_out} due email(s) handed out"


@task()
def send_outbound_email(outbound_email_id: int) -> str:
    """Send one recorded email; failures are recorded on it and retried with backoff."""
    return deliver(outbound_email_id)


@task()
def send_outbound_batch(outbound_email_ids: list[int]) -> dict[str, int]:
    """Send recorded emails over one connection, paced; each is sent at most once."""
    outcome = deliver_batch(outbound_email_ids)
    counts: dict[str, int] = {}
    for status in outcome.values():
        counts[status] = counts.get(status, 0) + 1
    return counts
