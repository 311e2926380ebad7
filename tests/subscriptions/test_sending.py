"""Handing emails to the mail server: no lock held while talking to it, no email sent
twice, nothing stranded when a worker dies."""

from datetime import timedelta
from io import StringIO
from unittest import mock

import pytest
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from subscriptions import emails, sending
from subscriptions.models import OutboundEmail

from .factories import lists, make_subscriber

pytestmark = pytest.mark.django_db


def queued_email(django_capture_on_commit_callbacks):
    subscriber = make_subscriber(lists=lists())
    # The task is "lost": nothing sends the email until it is handed out again.
    with mock.patch.object(emails, "_enqueue"), django_capture_on_commit_callbacks(execute=True):
        return emails.manage_email(subscriber)


def test_the_mail_server_waits_at_most_email_timeout():
    backend = get_connection("django.core.mail.backends.smtp.EmailBackend")
    assert settings.EMAIL_TIMEOUT and backend.timeout == settings.EMAIL_TIMEOUT


@pytest.mark.django_db(transaction=True)
def test_no_transaction_or_row_lock_is_open_while_the_mail_server_is_called(outbox):
    subscriber = make_subscriber(lists=lists())
    with mock.patch.object(emails, "_enqueue"):
        outbound = emails.manage_email(subscriber)  # autocommit: recorded at once
    seen = {}

    def send(message, *args, **kwargs):
        seen["in_transaction"] = connection.in_atomic_block
        seen["status"] = OutboundEmail.objects.get(pk=outbound.pk).status
        return 1

    with mock.patch("django.core.mail.EmailMultiAlternatives.send", send):
        assert sending.deliver(outbound.pk) == OutboundEmail.Status.SENT
    # The claim was committed before the call: another worker would see "sending".
    assert seen == {"in_transaction": False, "status": OutboundEmail.Status.SENDING}


def test_an_email_is_handed_to_the_server_once_however_often_its_task_runs(
    django_capture_on_commit_callbacks, outbox
):
    outbound = queued_email(django_capture_on_commit_callbacks)
    results = [sending.deliver(outbound.pk) for _ in range(3)]
    assert results == [OutboundEmail.Status.SENT, "skipped", "skipped"]
    assert len(outbox) == 1


def expire(pks):
    long_ago = timezone.now() - sending.send_lease() - timedelta(seconds=1)
    OutboundEmail.objects.filter(pk__in=pks, status=OutboundEmail.Status.SENDING).update(
        claimed_at=long_ago
    )
    return long_ago


def test_a_worker_killed_mid_send_strands_nothing_and_sends_nothing_twice(
    django_capture_on_commit_callbacks, outbox
):
    outbound = queued_email(django_capture_on_commit_callbacks)
    # The worker claimed the email and its task, then was killed (SIGKILL) while sending.
    assert sending.claim([outbound.pk]) != []
    long_ago = expire([outbound.pk])
    task = DBTaskResult.objects.create(
        task_path="subscriptions.sending.send_outbound_batch",
        args_kwargs={"args": [[outbound.pk]], "kwargs": {}},
        status=TaskResultStatus.RUNNING,
        started_at=long_ago,
        backend_name="default",
    )
    # The task is handed out again (a retry, a second worker): it does not send.
    assert sending.deliver(outbound.pk) == "skipped"
    call_command("retry_emails", stdout=StringIO())
    outbound.refresh_from_db()
    task.refresh_from_db()
    assert outbound.status == OutboundEmail.Status.UNCERTAIN  # never "failed": it may be in
    assert "may or may not have gone out" in outbound.last_error
    assert task.status == TaskResultStatus.FAILED
    assert outbox == []


def test_a_batch_records_what_it_sent_before_sending_more_than_flush_every(
    django_capture_on_commit_callbacks, outbox
):
    """What recover_stranded relies on: a dead worker can have sent at most FLUSH_EVERY of
    the emails its claim still shows as being sent."""
    pks = queued_emails(sending.FLUSH_EVERY + 12, django_capture_on_commit_callbacks)
    unrecorded = []
    real_send = EmailMultiAlternatives.send

    def send(message, *args, **kwargs):
        unrecorded.append(
            OutboundEmail.objects.filter(pk__in=pks, status=OutboundEmail.Status.SENDING).count()
            - (len(pks) - len(outbox))  # claimed and not yet sent, this one included
        )
        return real_send(message, *args, **kwargs)

    with mock.patch.object(EmailMultiAlternatives, "send", send):
        sending.deliver_batch(pks)
    assert len(outbox) == len(pks)
    # Sent but not recorded yet: with the one being sent, never more than the window.
    assert max(unrecorded) + 1 == sending.FLUSH_EVERY and min(unrecorded) == 0


def test_of_a_dead_workers_claim_only_the_window_after_its_checkpoint_is_uncertain(
    django_capture_on_commit_callbacks, outbox
):
    pks = queued_emails(sending.FLUSH_EVERY + 10, django_capture_on_commit_callbacks)
    claimed = sending.claim(pks)
    # It sent and recorded 5, then died while sending the next ones.
    sent_before = [o.pk for o in claimed[:5]]
    OutboundEmail.objects.filter(pk__in=sent_before).update(status=OutboundEmail.Status.SENT)
    expire(pks)
    assert sending.recover_stranded() == sending.FLUSH_EVERY
    emails = {o.pk: o for o in OutboundEmail.objects.filter(pk__in=pks)}
    window, untried = pks[5 : 5 + sending.FLUSH_EVERY], pks[5 + sending.FLUSH_EVERY :]
    assert {emails[pk].status for pk in window} == {OutboundEmail.Status.UNCERTAIN}
    # The rest of its claim was never attempted: queued again and sent (here at once).
    assert {emails[pk].status for pk in untried} == {OutboundEmail.Status.SENT}
    assert {emails[pk].attempts for pk in untried} == {1}
    assert sorted(m.to[0] for m in outbox) == sorted(emails[pk].to_email for pk in untried)


def test_a_stalled_worker_that_lost_its_claim_sends_nothing_another_worker_sent(
    django_capture_on_commit_callbacks, outbox
):
    pks = queued_emails(sending.FLUSH_EVERY + 10, django_capture_on_commit_callbacks)
    real_send = EmailMultiAlternatives.send
    calls = []

    def send(message, *args, **kwargs):
        calls.append(message.to[0])
        if len(calls) == 2:
            # The worker stalls past its lease; the stranded claim is settled meanwhile
            # (and the emails never attempted are sent by another worker).
            expire(pks)
            sending.recover_stranded()
        return real_send(message, *args, **kwargs)

    with mock.patch.object(EmailMultiAlternatives, "send", send):
        sending.deliver_batch(pks)
    recipients = [m.to[0] for m in outbox]
    assert len(recipients) == len(set(recipients)) == len(pks)  # each exactly once
    statuses = set(OutboundEmail.objects.filter(pk__in=pks).values_list("status", flat=True))
    assert statuses == {OutboundEmail.Status.SENT}


def test_a_mailing_is_followed_up_by_the_task_queue_without_cron(
    settings, newsletter, django_capture_on_commit_callbacks, outbox
):
    from subscriptions.models import Edition
    from subscriptions.services import bulk

    make_subscriber(lists=[newsletter])
    edition = Edition.objects.create(mailing_list=newsletter, subject="S", intro="Hi.")
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        bulk.record_emails(
            edition,
            kind="edition",
            template="subscriptions/edition",
            context={},
            same_for_all=True,
        )
    follow_up = DBTaskResult.objects.get(task_path="subscriptions.sending.follow_up_mailing")
    assert follow_up.args_kwargs["args"] == ["edition", edition.pk]
    assert follow_up.run_after <= timezone.now() + timedelta(seconds=10)
    # When it runs, it settles a dead worker's claim and comes back while emails are unsent.
    (email,) = edition.emails.all()
    sending.claim([email.pk])
    expire([email.pk])
    follow_up.delete()
    assert sending.follow_up_mailing.call("edition", edition.pk).startswith("1 stranded")
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.UNCERTAIN
    assert not DBTaskResult.objects.filter(task_path__endswith="follow_up_mailing").exists()


def test_a_claim_still_within_its_lease_is_left_alone(django_capture_on_commit_callbacks):
    outbound = queued_email(django_capture_on_commit_callbacks)
    sending.claim([outbound.pk])
    assert sending.recover_stranded() == 0
    outbound.refresh_from_db()
    assert outbound.status == OutboundEmail.Status.SENDING


def test_dry_run_counts_only_what_is_due(django_capture_on_commit_callbacks):
    due = queued_email(django_capture_on_commit_callbacks)
    queued_email(django_capture_on_commit_callbacks)  # queued a moment ago: its task runs
    OutboundEmail.objects.filter(pk=due.pk).update(next_attempt_at=timezone.now())
    out = StringIO()
    call_command("retry_emails", "--dry-run", stdout=out)
    assert out.getvalue().startswith("1 email(s) due")
    assert OutboundEmail.objects.filter(status=OutboundEmail.Status.QUEUED).count() == 2


def test_an_email_waiting_its_turn_is_handed_out_again_once_not_every_run(
    django_capture_on_commit_callbacks,
):
    outbound = queued_email(django_capture_on_commit_callbacks)
    OutboundEmail.objects.filter(pk=outbound.pk).update(next_attempt_at=timezone.now())
    with mock.patch.object(sending, "enqueue_batch") as enqueue_batch:
        assert sending.retry_due() == 1
        assert sending.retry_due() == 0  # its new task may simply not have run yet
    enqueue_batch.assert_called_once_with([outbound.pk])
    outbound.refresh_from_db()
    assert outbound.next_attempt_at > timezone.now() + sending.UNSENT_AFTER - timedelta(minutes=1)


def queued_emails(n, django_capture_on_commit_callbacks):
    return [queued_email(django_capture_on_commit_callbacks).pk for _ in range(n)]


def test_a_throttling_answer_is_waited_out_and_not_counted_as_an_attempt(
    django_capture_on_commit_callbacks, outbox
):
    import smtplib

    (pk,) = queued_emails(1, django_capture_on_commit_callbacks)
    answers = iter([smtplib.SMTPResponseException(421, b"Slow down"), None])
    real_send = mock.MagicMock(return_value=1)

    def send(message, *args, **kwargs):
        if (answer := next(answers)) is not None:
            raise answer
        return real_send()

    waits = []
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", send):
        outcome = sending.deliver_batch([pk], sleep=waits.append)
    assert outcome == {pk: OutboundEmail.Status.SENT} and waits == [1]
    assert OutboundEmail.objects.get(pk=pk).attempts == 1


def test_throttled_too_long_the_email_waits_without_losing_an_attempt(
    django_capture_on_commit_callbacks,
):
    import smtplib

    (pk,) = queued_emails(1, django_capture_on_commit_callbacks)

    def send(message, *args, **kwargs):
        raise smtplib.SMTPResponseException(451, b"Too many messages, try later")

    waits = []
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", send):
        sending.deliver_batch([pk], sleep=waits.append)
    assert waits == list(sending.THROTTLE_BACKOFF)
    email = OutboundEmail.objects.get(pk=pk)
    assert email.status == OutboundEmail.Status.RETRYING and email.attempts == 0
    assert "Throttled" in email.last_error and email.next_attempt_at > timezone.now()


def test_sending_keeps_to_the_configured_rate_over_one_connection(
    settings, django_capture_on_commit_callbacks, outbox
):
    settings.EMAIL_RATE = 4  # emails per second
    pks = queued_emails(5, django_capture_on_commit_callbacks)
    clock = {"now": 0.0}
    waits = []

    def sleep(seconds):
        waits.append(seconds)
        clock["now"] += seconds

    opened = []
    backend = type(get_connection())
    original_open = backend.open

    def counting_open(self):
        opened.append(self)
        return original_open(self)

    with (
        mock.patch("subscriptions.sending.time.monotonic", lambda: clock["now"]),
        mock.patch.object(backend, "open", counting_open),
    ):
        sending.deliver_batch(pks, sleep=sleep)
    assert len(outbox) == 5 and len(opened) == 1  # one connection for the batch
    # 5 emails at 4/s: the last one leaves a second after the first.
    assert sum(waits) == pytest.approx(1.0)
