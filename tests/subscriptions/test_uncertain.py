"""An email a dead worker may or may not have handed over is "uncertain", never "failed":
its Message-ID was stored with the claim, a report of the email service settles it, "Retry"
leaves it alone, and resending it is a separate choice."""

# The webhook fixtures of test_delivery_reports are used here by name.
# ruff: noqa: F811

import json
import threading
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils import timezone

from subscriptions import emails, sending
from subscriptions.models import OutboundEmail

from .factories import lists, make_subscriber
from .test_delivery_reports import (  # noqa: F401
    post,
    services_configured,
    sns_certificates,
    webhooks,
)

pytestmark = pytest.mark.django_db
Status = OutboundEmail.Status


def stranded(n=1):
    """Emails a worker claimed, then died while handing over (its lease long gone)."""
    made = []
    for _ in range(n):
        subscriber = make_subscriber(lists=lists())
        with mock.patch.object(emails, "_enqueue"):
            made.append(emails.manage_email(subscriber))
    pks = [o.pk for o in made]
    sending.claim(pks)
    OutboundEmail.objects.filter(pk__in=pks).update(
        claimed_at=timezone.now() - sending.send_lease() - timedelta(seconds=1)
    )
    assert sending.recover_stranded() == n
    return list(OutboundEmail.objects.filter(pk__in=pks).order_by("pk"))


def test_the_message_id_is_stored_with_the_claim_before_the_email_is_handed_over(outbox):
    subscriber = make_subscriber(lists=lists())
    with mock.patch.object(emails, "_enqueue"):
        outbound = emails.manage_email(subscriber)
    seen = {}
    real_send = EmailMultiAlternatives.send

    def send(message, *args, **kwargs):
        seen["stored"] = OutboundEmail.objects.get(pk=outbound.pk).message_id
        seen["header"] = message.extra_headers["Message-ID"]
        seen["metadata"] = message.metadata
        return real_send(message, *args, **kwargs)

    with mock.patch.object(EmailMultiAlternatives, "send", send):
        sending.deliver(outbound.pk)
    expected = f"<jhop-email-{outbound.pk}@testserver>"
    assert seen == {
        "stored": expected,
        "header": expected,
        "metadata": {"jhop_email": str(outbound.pk)},
    }
    assert outbox[0].message()["Message-ID"] == expected


def test_a_dead_workers_window_is_uncertain_and_explained():
    (email,) = stranded()
    assert email.status == Status.UNCERTAIN
    assert "may or may not have gone out" in email.last_error
    assert email.message_id == sending.our_message_id(email.pk)


def test_a_killed_workers_claim_is_picked_up_within_half_a_minute():
    subscriber = make_subscriber(lists=lists())
    with mock.patch.object(emails, "_enqueue"):
        outbound = emails.manage_email(subscriber)
    sending.claim([outbound.pk])
    # Its last heartbeat was 21 seconds ago: the worker is gone.
    OutboundEmail.objects.filter(pk=outbound.pk).update(
        claimed_at=timezone.now() - timedelta(seconds=21)
    )
    assert sending.recover_stranded() == 1
    assert sending.send_lease() + sending.FOLLOW_UP_EVERY <= timedelta(seconds=30)


# The services' reports that settle an uncertain email as sent, each finding it its own way.


def postmark_delivery(email):
    return "postmark", {
        "RecordType": "Delivery",
        "ServerID": 23,
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "Recipient": email.to_email,
        "Tag": "",
        "DeliveredAt": "2024-05-20T09:12:44Z",
        "Details": "Test delivery webhook details",
        "Metadata": {"jhop_email": str(email.pk)},
    }


def mailgun_delivered(email):
    from .test_delivery_reports import mailgun

    service, build = mailgun(
        "delivered", **{"delivery-status": {"code": 250, "message": "OK", "description": ""}}
    )
    payload = build(email.to_email, 1)
    payload["event-data"]["message"]["headers"]["message-id"] = email.message_id.strip("<>")
    return service, payload


def sendgrid_delivered(email):
    return "sendgrid", [
        {
            "email": email.to_email,
            "timestamp": 1716196364,
            "event": "delivered",
            "response": "250 2.0.0 OK",
            "sg_event_id": "nOSv8m0eTQ-vxvwNwt3fZQ",
            "sg_message_id": "wrfRRvF7Q0GgwUo2CvDmEA.filter0425p1mdw1.13037.0",
            "smtp-id": "<wrfRRvF7Q0GgwUo2CvDmEA@ismtpd0006p1sjc2.sendgrid.net>",
            "jhop_email": str(email.pk),  # custom args come back as event fields
        }
    ]


def ses_delivery(email):
    event = {
        "eventType": "Delivery",
        "mail": {
            "timestamp": "2024-05-20T09:12:40.000Z",
            "source": "news@jhop.example",
            "messageId": "0100018f95a1b2c3-d4e5f6a7-0000-0000-0000-000000000000-000000",
            "destination": [email.to_email],
            "commonHeaders": {"messageId": email.message_id, "subject": email.subject},
        },
        "delivery": {
            "timestamp": "2024-05-20T09:12:44.000Z",
            "recipients": [email.to_email],
            "smtpResponse": "250 2.6.0 Message received",
        },
    }
    return "amazon_ses", {
        "Type": "Notification",
        "MessageId": "8f6dad76-c29f-5a38-8b34-7b5d3c5fb1d1",
        "TopicArn": "arn:aws:sns:us-east-1:1234567890:SES_Events",
        "Message": json.dumps(event),
        "Timestamp": "2024-05-20T09:12:45.675Z",
    }


@pytest.mark.parametrize(
    "report",
    [postmark_delivery, mailgun_delivered, sendgrid_delivered, ses_delivery],
    ids=["postmark-metadata", "mailgun-message-id", "sendgrid-custom-args", "ses-headers"],
)
def test_a_report_of_the_service_settles_the_email_as_sent(client, services_configured, report):
    delivered, other = stranded(2)
    service, payload = report(delivered)
    assert post(client, service, payload).status_code == 200
    delivered.refresh_from_db()
    other.refresh_from_db()
    assert (delivered.status, delivered.last_error) == (Status.SENT, "")
    assert other.status == Status.UNCERTAIN  # nothing was said about this one


def test_retry_sends_only_what_is_certainly_unsent_and_resending_uncertain_is_separate(
    client, outbox
):
    uncertain, failed = stranded(2)
    OutboundEmail.objects.filter(pk=failed.pk).update(status=Status.FAILED)
    client.force_login(User.objects.create_superuser("chief", "chief@example.com", "pw"))
    changelist = reverse("admin:subscriptions_outboundemail_changelist")
    both = [uncertain.pk, failed.pk]
    response = client.post(
        changelist, {"action": "retry_now", "_selected_action": both}, follow=True
    )
    assert "1 uncertain email(s) were left alone" in response.text
    assert [m.to for m in outbox] == [[failed.to_email]]
    uncertain.refresh_from_db()
    assert uncertain.status == Status.UNCERTAIN
    response = client.post(
        changelist, {"action": "resend_uncertain", "_selected_action": both}, follow=True
    )
    assert "may get a second copy" in response.text or "get a second copy" in response.text
    assert [m.to for m in outbox] == [[failed.to_email], [uncertain.to_email]]


def test_a_manager_settles_an_uncertain_email_from_the_mail_servers_log(client):
    (email,) = stranded()
    client.force_login(User.objects.create_superuser("chief", "chief@example.com", "pw"))
    changelist = reverse("admin:subscriptions_outboundemail_changelist")
    found = client.get(changelist, {"q": email.message_id})
    assert email.to_email in found.text
    client.post(changelist, {"action": "mark_uncertain_sent", "_selected_action": [email.pk]})
    email.refresh_from_db()
    assert email.status == Status.SENT


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_renews_the_claim_while_a_send_blocks(monkeypatch):
    monkeypatch.setattr(sending, "HEARTBEAT_EVERY", 0.05)
    subscriber = make_subscriber(lists=lists())
    with mock.patch.object(emails, "_enqueue"):
        outbound = emails.manage_email(subscriber)
    seen = []

    def slow_send(message, *args, **kwargs):
        seen.append(OutboundEmail.objects.get(pk=outbound.pk).claimed_at)
        time.sleep(0.5)  # the mail server takes its time
        seen.append(OutboundEmail.objects.get(pk=outbound.pk).claimed_at)
        return 1

    with mock.patch.object(EmailMultiAlternatives, "send", slow_send):
        assert sending.deliver(outbound.pk) == Status.SENT
    assert seen[1] > seen[0]
    assert not [t for t in threading.enumerate() if t.name.startswith("send-claim-")]
