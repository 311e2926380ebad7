from datetime import timedelta
from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from subscriptions import emails, sending
from subscriptions.models import OutboundEmail, Subscription

from .factories import lists, make_subscriber

pytestmark = pytest.mark.django_db


@pytest.mark.usefixtures("test_templates")
def test_sample_bulk_email_carries_one_click_unsubscribe_headers(outbox):
    newsletter, _ = lists()
    subscriber = make_subscriber(lists=[newsletter], email="bulk@example.com")
    subscription = subscriber.subscriptions.get()
    message = emails.bulk_message(
        subscription=subscription,
        template="tests/sample_bulk",
        context={"title": "June 2022 issue", "body": "The new issue is out."},
    )
    message.send()
    sent = outbox[0]
    header = sent.extra_headers["List-Unsubscribe"]
    assert header.startswith("<http://testserver/subscribe/unsubscribe/") and header.endswith(">")
    assert sent.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    raw = sent.message().as_string()
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in raw
    assert "Unsubscribe: http://testserver/subscribe/unsubscribe/" in sent.body
    # What a mail provider does with the header: POST the body RFC 8058 prescribes.
    response = Client(enforce_csrf_checks=True).post(
        header.split(",")[0].strip("<>").removeprefix("http://testserver"),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert subscription.__class__.objects.get(pk=subscription.pk).status == "unsubscribed"


def test_list_unsubscribe_helper_without_a_list_unsubscribes_from_everything(client):
    newsletter, print_edition = lists()
    subscriber = make_subscriber(lists=[newsletter, print_edition])
    headers = emails.list_unsubscribe_headers(subscriber=subscriber)
    client.post(
        headers["List-Unsubscribe"].split(",")[0].strip("<>").removeprefix("http://testserver")
    )
    assert set(subscriber.subscriptions.values_list("status", flat=True)) == {"unsubscribed"}


def failing_send(*args, **kwargs):
    raise ConnectionRefusedError("mail server down")


def queue_one(django_capture_on_commit_callbacks):
    subscriber = make_subscriber(lists=lists())
    with django_capture_on_commit_callbacks(execute=True):
        outbound = emails.manage_email(subscriber)
    outbound.refresh_from_db()
    return outbound


def test_a_failed_send_is_recorded_and_scheduled_for_retry(
    django_capture_on_commit_callbacks, outbox
):
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", failing_send):
        outbound = queue_one(django_capture_on_commit_callbacks)
    assert outbound.status == OutboundEmail.Status.RETRYING
    assert outbound.attempts == 1
    assert "mail server down" in outbound.last_error
    assert outbound.next_attempt_at > timezone.now()
    assert outbox == []


def test_retries_back_off_then_give_up_visibly(django_capture_on_commit_callbacks, caplog):
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", failing_send):
        outbound = queue_one(django_capture_on_commit_callbacks)
        delays = [outbound.next_attempt_at - timezone.now()]
        for _ in range(sending.MAX_ATTEMPTS - 1):
            assert sending.deliver(outbound.pk) == "skipped"  # a stray task before it is due
            OutboundEmail.objects.filter(pk=outbound.pk).update(next_attempt_at=timezone.now())
            sending.deliver(outbound.pk)
            outbound.refresh_from_db()
            if outbound.next_attempt_at:
                delays.append(outbound.next_attempt_at - timezone.now())
    assert outbound.status == OutboundEmail.Status.FAILED
    assert outbound.attempts == sending.MAX_ATTEMPTS
    assert delays == sorted(delays) and delays[-1] > timedelta(minutes=100)
    assert "Gave up sending email" in caplog.text


def test_retry_command_sends_what_is_due(django_capture_on_commit_callbacks, outbox):
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", failing_send):
        outbound = queue_one(django_capture_on_commit_callbacks)
    out = StringIO()
    call_command("retry_emails", "--dry-run", stdout=out)
    assert "0 email(s) due" in out.getvalue()  # waiting for its retry, not due yet
    call_command("retry_emails", stdout=out)
    outbound.refresh_from_db()
    assert outbound.status == OutboundEmail.Status.RETRYING and outbox == []  # not due yet
    OutboundEmail.objects.update(next_attempt_at=timezone.now())
    out = StringIO()
    call_command("retry_emails", "--dry-run", stdout=out)
    assert "1 email(s) due" in out.getvalue()
    assert OutboundEmail.objects.get().status == OutboundEmail.Status.RETRYING  # only counted
    call_command("retry_emails", stdout=out)
    outbound.refresh_from_db()
    assert outbound.status == OutboundEmail.Status.SENT and len(outbox) == 1
    assert outbound.attempts == 2


def test_database_queue_schedules_the_retry_itself(settings, django_capture_on_commit_callbacks):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    from django_tasks_db.models import DBTaskResult

    with mock.patch("django.core.mail.EmailMultiAlternatives.send", failing_send):
        subscriber = make_subscriber(lists=lists())
        with django_capture_on_commit_callbacks(execute=True):
            outbound = emails.manage_email(subscriber)
        sending.deliver(outbound.pk)
    outbound.refresh_from_db()
    queued = DBTaskResult.objects.order_by("enqueued_at")
    assert queued.count() == 2
    assert queued.last().run_after == outbound.next_attempt_at


def test_editors_can_retry_from_the_admin(client, django_capture_on_commit_callbacks, outbox):
    from django.contrib.auth.models import Permission, User

    with mock.patch("django.core.mail.EmailMultiAlternatives.send", failing_send):
        outbound = queue_one(django_capture_on_commit_callbacks)
    user = User.objects.create_user("m", password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="subscriptions"))
    client.force_login(user)
    changelist = reverse("admin:subscriptions_outboundemail_changelist")
    assert b"mail server down" in client.get(changelist).content
    client.post(changelist, {"action": "retry_now", "_selected_action": [outbound.pk]})
    outbound.refresh_from_db()
    assert outbound.status == OutboundEmail.Status.SENT and len(outbox) == 1


def test_goodbye_and_manage_emails_have_text_and_html(outbox, django_capture_on_commit_callbacks):
    subscriber = make_subscriber(lists=lists())
    with django_capture_on_commit_callbacks(execute=True):
        emails.goodbye_email(subscriber, list(lists()))
    message = outbox[0]
    assert "JHOP Print Edition" in message.body
    assert message.alternatives[0][1] == "text/html"
    assert Subscription.objects.count() == 2


def test_a_lost_task_does_not_lose_the_email(client, settings, outbox):
    """The queue is down when the signup commits: the person still gets the thank-you page,
    the email stays queued (visible to editors) and retry_emails sends it later."""
    from tests.subscriptions.helpers import post_signup

    newsletter, _ = lists()
    with mock.patch("django_tasks.base.Task.enqueue", side_effect=ConnectionError("queue is down")):
        response = post_signup(client, newsletter)
    assert response.status_code == 302
    outbound = OutboundEmail.objects.get()
    assert outbound.status == OutboundEmail.Status.QUEUED and outbox == []
    call_command("retry_emails", stdout=StringIO())
    assert outbox == []  # not given up on yet: the task may just be slow
    OutboundEmail.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    out = StringIO()
    call_command("retry_emails", stdout=out)
    assert "1 email(s)" in out.getvalue()
    outbound.refresh_from_db()
    assert outbound.status == OutboundEmail.Status.SENT and len(outbox) == 1
    assert outbound.next_attempt_at is None
    call_command("retry_emails", stdout=StringIO())
    assert len(outbox) == 1  # sent once, never again


@pytest.mark.usefixtures("test_templates")
def test_no_stored_value_can_add_an_email_header(outbox, django_capture_on_commit_callbacks):
    """Names reach only the body. Even a legacy record holding line breaks (forms refuse them)
    cannot add a recipient or a header to any email the app sends."""
    from email import message_from_string

    newsletter, _ = lists()
    subscriber = make_subscriber(
        lists=[newsletter],
        email="victim@example.com",
        first_name="Eve\r\nBcc: spam@evil.example",
        last_name="X\nSubject: hijacked",
        organization="O\rReply-To: evil@evil.example",
    )
    with django_capture_on_commit_callbacks(execute=True):
        emails.confirmation_email(subscriber, [newsletter])
        emails.manage_email(subscriber)
        emails.goodbye_email(subscriber, [newsletter])
    bulk = emails.bulk_message(
        subscription=subscriber.subscriptions.get(),
        template="tests/sample_bulk",
        context={"title": "June issue", "body": "Out now."},
    )
    bulk.send()
    assert len(outbox) == 4
    for message in outbox:
        assert message.recipients() == ["victim@example.com"]
        parsed = message_from_string(message.message().as_string())
        assert parsed["Bcc"] is None and parsed["Reply-To"] is None
        assert "hijacked" not in (parsed["Subject"] or "")
        assert parsed.get_all("Subject") and len(parsed.get_all("Subject")) == 1
