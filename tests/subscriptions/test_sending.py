"""Handing emails to the mail server: no lock held while talking to it, no email sent
twice, nothing stranded when a worker dies."""

from datetime import timedelta
from io import StringIO
from unittest import mock

import pytest
from django.conf import settings
from django.core.mail import get_connection
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


def test_a_worker_killed_mid_send_strands_nothing_and_sends_nothing_twice(
    django_capture_on_commit_callbacks, outbox
):
    outbound = queued_email(django_capture_on_commit_callbacks)
    # The worker claimed the email and its task, then was killed (SIGKILL) while sending.
    assert sending.claim([outbound.pk]) != []
    long_ago = timezone.now() - sending.send_lease() - timedelta(seconds=1)
    OutboundEmail.objects.filter(pk=outbound.pk).update(claimed_at=long_ago)
    task = DBTaskResult.objects.create(
        task_path="subscriptions.sending.send_outbound_batch",
        args_kwargs={"args": [outbound.pk], "kwargs": {}},
        status=TaskResultStatus.RUNNING,
        started_at=long_ago,
        backend_name="default",
    )
    # The task is handed out again (a retry, a second worker): it does not send.
    assert sending.deliver(outbound.pk) == "skipped"
    call_command("retry_emails", stdout=StringIO())
    outbound.refresh_from_db()
    task.refresh_from_db()
    assert outbound.status == OutboundEmail.Status.FAILED
    assert "may or may not have gone out" in outbound.last_error
    assert task.status == TaskResultStatus.FAILED
    assert outbox == []


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
