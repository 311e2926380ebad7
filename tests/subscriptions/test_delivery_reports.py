"""What each email service reports, and what it does to the reader: permanent failures,
complaints and unsubscribes end the reader's email lists (never print); temporary failures
are counted, one per email, and suspend email after SUBSCRIPTIONS_SOFT_BOUNCE_LIMIT.

The payloads are shaped as the services post them; the facts (field names, values, how
anymail reads them) come from django-anymail's own webhook tests (v15.1), which copy the
services' documentation.
"""

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from subscriptions import services
from subscriptions.models import (
    ConsentEvent,
    DeliveryEvent,
    Subscription,
    Suppression,
    email_hash,
)
from subscriptions.services import delivery

from .factories import lists, make_subscriber
from .test_webhooks import _reload_urls, auth, post_sns, sns_certificates, webhooks  # noqa: F401

MAILGUN_KEY = "mailgun-signing-key"


@pytest.fixture
def services_configured(webhooks, settings):  # noqa: F811
    settings.ANYMAIL = {**settings.ANYMAIL, "MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_KEY}
    _reload_urls()  # Mailgun's webhook is mounted only with its signing key
    settings.SUBSCRIPTIONS_SOFT_BOUNCE_LIMIT = 3


# Each builder gives the n-th report (its own event id and message id) for an address.


def postmark_bounce(kind):
    def build(email, n):
        return {
            "RecordType": "Bounce",
            "ID": 4323372036854775807 + n,
            "Type": kind,
            "TypeCode": {"HardBounce": 1, "Transient": 2, "SoftBounce": 4096}.get(kind, 0),
            "Name": kind,
            "Tag": "newsletter",
            "MessageID": f"883953f4-6105-42a2-a16a-77a8eac7{n:04d}",
            "ServerID": 23,
            "MessageStream": "broadcast",
            "Description": "The server was unable to deliver your message.",
            "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist",
            "Email": email,
            "From": "news@jhop.example",
            "BouncedAt": "2024-05-20T09:12:44.5315932Z",
            "DumpAvailable": True,
            "Inactive": kind == "HardBounce",
            "CanActivate": True,
            "Subject": "JHOP e-Newsletter",
        }

    return "postmark", build


def postmark_spam(email, n):
    return {
        "RecordType": "SpamComplaint",
        "ID": 901542550 + n,
        "Type": "SpamComplaint",
        "TypeCode": 512,
        "Name": "Spam complaint",
        "MessageID": f"2706ee8a-737c-4285-b032-ccd317af{n:04d}",
        "ServerID": 1234,
        "Description": "",
        "Details": "Test spam complaint details",
        "Email": email,
        "From": "news@jhop.example",
        "BouncedAt": "2024-05-20T09:12:44Z",
        "Inactive": True,
        "CanActivate": False,
        "Subject": "JHOP e-Newsletter",
    }


def postmark_unsubscribe(email, n):
    # No event id: recorded under a digest of the payload, which the MessageID varies.
    return {
        "RecordType": "SubscriptionChange",
        "MessageID": f"a4909a96-73d7-4c49-b148-a54522d3{n:04d}",
        "ServerID": 23,
        "MessageStream": "broadcast",
        "ChangedAt": "2024-05-20T09:12:44Z",
        "Recipient": email,
        "Origin": "Recipient",
        "SuppressSending": True,
        "SuppressionReason": "ManualSuppression",
        "Tag": "newsletter",
        "Metadata": {},
    }


def ses(notification_type, detail):
    def build(email, n):
        event = {
            "notificationType": notification_type,
            "mail": {
                "timestamp": "2024-05-20T09:12:40.000Z",
                "source": "news@jhop.example",
                "messageId": f"0100018f95a1b2c3-{n:08d}-0000-0000-0000-000000000000-000000",
                "destination": [email],
            },
            **detail(email),
        }
        return {
            "Type": "Notification",
            "MessageId": f"19ba9823-d7f2-53c1-860e-cb10e0d1{n:04d}",
            "TopicArn": "arn:aws:sns:us-east-1:1234567890:SES_Events",
            "Message": json.dumps(event),
            "Timestamp": "2024-05-20T09:12:45.675Z",
        }

    return "amazon_ses", build


def ses_bounce(bounce_type, sub_type):
    return ses(
        "Bounce",
        lambda email: {
            "bounce": {
                "bounceType": bounce_type,
                "bounceSubType": sub_type,
                "bouncedRecipients": [
                    {
                        "emailAddress": email,
                        "status": "5.1.1" if bounce_type == "Permanent" else "4.2.2",
                        "action": "failed",
                        "diagnosticCode": "smtp; 550 5.1.1 user unknown"
                        if bounce_type == "Permanent"
                        else "smtp; 452 4.2.2 mailbox full",
                    }
                ],
                "timestamp": "2024-05-20T09:12:44.101Z",
                "feedbackId": "0100018f95a1b2c3-feedback-000000",
                "reportingMTA": "dsn; a8-70.smtp-out.amazonses.com",
            }
        },
    )


SES_COMPLAINT = ses(
    "Complaint",
    lambda email: {
        "complaint": {
            "userAgent": "AnyCompany Feedback Loop (V0.01)",
            "complainedRecipients": [{"emailAddress": email}],
            "complaintFeedbackType": "abuse",
            "timestamp": "2024-05-20T09:12:44.000Z",
            "feedbackId": "0100018f95a1b2c3-complaint-000000",
        }
    },
)


def mailgun(event, **fields):
    def build(email, n):
        token = f"651869375b9df3c98fc15c4889b102119add1235c38fc928{n:02d}"
        timestamp = "1716196364"
        signature = hmac.new(
            MAILGUN_KEY.encode(), (timestamp + token).encode(), hashlib.sha256
        ).hexdigest()
        return {
            "signature": {"token": token, "timestamp": timestamp, "signature": signature},
            "event-data": {
                "event": event,
                "id": f"G9Bn5sl1TC6nu79C8C0b{n:02d}",
                "timestamp": 1716196364.153125,
                "recipient": email,
                "message": {"headers": {"message-id": f"20240520092244.{n}.ABC@mg.jhop.example"}},
                **fields,
            },
        }

    return "mailgun", build


def sendgrid(event, **fields):
    def build(email, n):
        return [
            {
                "email": email,
                "timestamp": 1716196364,
                "smtp-id": f"<wrfRRvF7Q0GgwUo2CvDm{n:02d}@ismtpd0006p1sjc2.sendgrid.net>",
                "sg_event_id": f"lC0Rc-FuQmKbnxCWxX1j{n:02d}",
                "sg_message_id": f"Lli-03HcQ5-JLybO9fXs{n:02d}.filter0077p1las1.21536.0",
                "event": event,
                **fields,
            }
        ]

    return "sendgrid", build


PERMANENT = {
    "postmark-hard-bounce": (postmark_bounce("HardBounce"), "bounced"),
    "postmark-bad-email-address": (postmark_bounce("BadEmailAddress"), "rejected"),
    "postmark-spam-complaint": (("postmark", postmark_spam), "complained"),
    "postmark-unsubscribe": (("postmark", postmark_unsubscribe), "unsubscribed"),
    "ses-permanent-bounce": (ses_bounce("Permanent", "General"), "bounced"),
    "ses-complaint": (SES_COMPLAINT, "complained"),
    "mailgun-permanent-failure": (
        mailgun(
            "failed",
            severity="permanent",
            reason="bounce",
            **{"delivery-status": {"code": 550, "message": "5.1.1 No such user"}},
        ),
        "bounced",
    ),
    "mailgun-rejected": (
        mailgun("rejected", reject={"reason": "Address is on the bounce list", "description": ""}),
        "rejected",
    ),
    "mailgun-complained": (mailgun("complained"), "complained"),
    "mailgun-unsubscribed": (mailgun("unsubscribed"), "unsubscribed"),
    "sendgrid-bounce": (
        sendgrid("bounce", type="bounce", status="5.1.1", reason="550 5.1.1 no such user"),
        "bounced",
    ),
    "sendgrid-dropped-bounced-address": (
        sendgrid("dropped", reason="Bounced Address", status="5.0.0"),
        "rejected",
    ),
    "sendgrid-dropped-unsubscribed-address": (
        sendgrid("dropped", reason="Unsubscribed Address"),
        "unsubscribed",
    ),
    "sendgrid-spamreport": (sendgrid("spamreport"), "complained"),
    "sendgrid-unsubscribe": (sendgrid("unsubscribe"), "unsubscribed"),
    "sendgrid-group-unsubscribe": (sendgrid("group_unsubscribe", asm_group_id=10), "unsubscribed"),
}

TEMPORARY = {
    "postmark-soft-bounce": postmark_bounce("SoftBounce"),
    "postmark-transient": postmark_bounce("Transient"),
    "postmark-dns-error": postmark_bounce("DnsError"),
    "postmark-blocked": postmark_bounce("Blocked"),
    "ses-transient": ses_bounce("Transient", "MailboxFull"),
    "ses-undetermined": ses_bounce("Undetermined", "Undetermined"),
    # SES refused the message (its content), not the address.
    "ses-reject": ses("Reject", lambda email: {"reject": {"reason": "Bad content"}}),
    "mailgun-temporary-failure": mailgun(
        "failed",
        severity="temporary",
        reason="generic",
        **{
            "delivery-status": {
                "attempt-no": 3,
                "code": 498,
                "message": "No MX for nomx.example.com",
                "description": "No MX for nomx.example.com",
                "retry-seconds": 1800,
            }
        },
    ),
    "mailgun-greylisted": mailgun(
        "failed",
        severity="temporary",
        reason="greylisted",
        **{
            "delivery-status": {
                "code": 450,
                "message": "Recipient address rejected: Greylisted",
                "description": "Recipient address rejected: Greylisted",
            }
        },
    ),
    "sendgrid-deferred": sendgrid(
        "deferred",
        response="Email was deferred due to the following reason(s): [IPs were throttled]",
        attempt="1",
    ),
    "sendgrid-blocked": sendgrid(
        "bounce",
        type="blocked",
        status="4.0.0",
        reason="421 4.7.0 [TSS04] Messages temporarily deferred due to user complaints",
    ),
}

# What a permanent report does to the email lists, the flag and the suppression list.
EXPECTED = {
    "bounced": ("bounced", "bounced", ConsentEvent.Kind.BOUNCED, True),
    "rejected": ("bounced", "rejected", ConsentEvent.Kind.BOUNCED, True),
    "complained": ("unsubscribed", "complained", ConsentEvent.Kind.COMPLAINED, True),
    "unsubscribed": ("unsubscribed", "", ConsentEvent.Kind.UNSUBSCRIBED, False),
}


def post(client, service, payload):
    if service == "amazon_ses":
        return post_sns(client, payload)
    return client.post(
        f"/anymail/{service}/tracking/",
        json.dumps(payload),
        content_type="application/json",
        **auth(),
    )


def by_list(subscriber):
    return dict(subscriber.subscriptions.values_list("mailing_list__slug", "status"))


def suppressed(subscriber) -> bool:
    return Suppression.objects.blocking().filter(email_hash=email_hash(subscriber.email)).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("report", "outcome"), PERMANENT.values(), ids=PERMANENT.keys())
def test_a_permanent_report_ends_email_only_and_flags_the_print_subscriber(
    client, services_configured, report, outcome
):
    service, build = report
    reader = make_subscriber(lists=lists())
    for _ in range(2):  # the service posts it again: nothing more happens
        assert post(client, service, build(reader.email, 1)).status_code == 200
    status, problem, consent_kind, blocks = EXPECTED[outcome]
    assert by_list(reader) == {"jhop-e-newsletter": status, "jhop-print-edition": "active"}
    reader.refresh_from_db()
    assert reader.email_problem == problem
    assert suppressed(reader) is blocks
    entry = reader.events.get(source=ConsentEvent.Source.EMAIL_SERVICE)
    assert (entry.kind, entry.lists) == (consent_kind, ["JHOP e-Newsletter"])
    assert DeliveryEvent.objects.get().soft_bounce is False


@pytest.mark.django_db
@pytest.mark.parametrize("report", TEMPORARY.values(), ids=TEMPORARY.keys())
def test_temporary_failures_are_counted_and_suspend_email_at_the_limit(
    client, services_configured, report
):
    service, build = report
    reader = make_subscriber(lists=lists())
    for n in (1, 2):
        assert post(client, service, build(reader.email, n)).status_code == 200
    assert set(by_list(reader).values()) == {"active"}
    assert [e.outcome for e in DeliveryEvent.objects.order_by("pk")] == [
        "Soft bounce 1 of 3 within 30 days.",
        "Soft bounce 2 of 3 within 30 days.",
    ]
    assert post(client, service, build(reader.email, 3)).status_code == 200
    assert by_list(reader) == {"jhop-e-newsletter": "bounced", "jhop-print-edition": "active"}
    reader.refresh_from_db()
    assert reader.email_problem == "suspended"
    assert not suppressed(reader)  # temporary: the reader may ask for email again
    assert not Suppression.objects.exists()
    entry = reader.events.get(source=ConsentEvent.Source.EMAIL_SERVICE)
    assert entry.kind == ConsentEvent.Kind.SUSPENDED
    assert entry.lists == ["JHOP e-Newsletter"]
    assert DeliveryEvent.objects.filter(soft_bounce=True).count() == 3


@pytest.mark.django_db
def test_retries_of_one_email_count_as_one_failure(client, services_configured):
    """SendGrid reports a "deferred" for each retry of a message; one message delayed four
    times is one failure, not a reason to suspend the reader."""
    service, build = TEMPORARY["sendgrid-deferred"]
    reader = make_subscriber(lists=lists())
    for attempt in range(1, 5):
        payload = build(reader.email, 1)
        payload[0].update(sg_event_id=f"deferred-attempt-{attempt}", attempt=str(attempt))
        assert post(client, service, payload).status_code == 200
    assert set(by_list(reader).values()) == {"active"}
    assert DeliveryEvent.objects.count() == 4
    assert DeliveryEvent.objects.order_by("-pk").first().outcome == (
        "Soft bounce, again for the same email: still 1 of 3."
    )


@pytest.mark.django_db
def test_after_a_suspension_counting_starts_again(client, services_configured):
    service, build = TEMPORARY["postmark-transient"]
    reader = make_subscriber(lists=lists())
    for n in (1, 2, 3, 4):
        post(client, service, build(reader.email, n))
    assert reader.events.filter(kind=ConsentEvent.Kind.SUSPENDED).count() == 1
    assert DeliveryEvent.objects.order_by("-pk").first().outcome == (
        "Soft bounce 1 of 3 within 30 days."
    )


@pytest.mark.django_db
def test_following_an_emailed_link_clears_the_flag(client, services_configured, newsletter):
    service, build = PERMANENT["postmark-hard-bounce"][0]
    reader = make_subscriber(lists=lists())
    post(client, service, build(reader.email, 1))
    reader.refresh_from_db()
    assert reader.email_problem == "bounced"
    services.update_preferences(
        subscriber=reader,
        profile={},
        lists=[newsletter],
        offered=[newsletter],
        consent_text=None,
        meta=services.RequestMeta(),
    )
    reader.refresh_from_db()
    assert (reader.email_problem, reader.email_problem_at) == ("", None)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite serialises writes; run with DATABASE_URL=postgres://… to test the race",
)
def test_concurrent_soft_bounces_suspend_once(settings, monkeypatch):
    """Four reports about one address applied at the same moment by four workers: each
    counts the ones applied before it, so exactly one reaches the limit."""
    settings.SUBSCRIPTIONS_SOFT_BOUNCE_LIMIT = 4
    reader = make_subscriber(lists=lists())
    events = [
        DeliveryEvent.objects.create(
            esp="Postmark",
            event_id=f"race-{n}",
            event_type="bounced",
            recipient=reader.email,
            message_id=f"race-message-{n}",
            soft_bounce=True,
        )
        for n in range(4)
    ]
    barrier = threading.Barrier(4, timeout=10)
    reported_on = delivery._email_reported_on

    def all_at_once(event):
        found = reported_on(event)
        barrier.wait()  # every worker holds its own report; now they all apply it
        return found

    monkeypatch.setattr(delivery, "_email_reported_on", all_at_once)
    errors = []

    def apply(pk):
        try:
            services.apply_event(delivery_event_id=pk)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=apply, args=(e.pk,)) for e in events]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    outcomes = sorted(DeliveryEvent.objects.values_list("outcome", flat=True))
    assert [o[:19] for o in outcomes] == [f"Soft bounce {n} of 4 " for n in (1, 2, 3, 4)]
    assert sum("suspended" in o for o in outcomes) == 1
    assert reader.events.filter(kind=ConsentEvent.Kind.SUSPENDED).count() == 1
    assert by_list(reader) == {"jhop-e-newsletter": "bounced", "jhop-print-edition": "active"}
    assert Subscription.objects.filter(status="active").count() == 1


def ended_by_old_report(subscriber, at, kind=ConsentEvent.Kind.BOUNCED):
    """What an email service's report did before: every list ended, print included."""
    subscriber.subscriptions.update(status="bounced", unsubscribed_at=at)
    ConsentEvent.objects.create(
        subscriber=subscriber,
        kind=kind,
        source=ConsentEvent.Source.EMAIL_SERVICE,
        lists=["JHOP e-Newsletter", "JHOP Print Edition"],
        details={"event_id": "901542550"},
        created_at=at,
    )


@pytest.mark.django_db
def test_print_subscriptions_an_email_report_ended_are_given_back():
    at = timezone.now() - timedelta(days=40)
    bounced, decided = make_subscriber(lists=lists()), make_subscriber(lists=lists())
    untouched = make_subscriber(lists=lists())
    ended_by_old_report(bounced, at)
    ended_by_old_report(decided, at, kind=ConsentEvent.Kind.COMPLAINED)
    ConsentEvent.objects.create(  # the reader ended print themselves afterwards
        subscriber=decided,
        kind=ConsentEvent.Kind.UNSUBSCRIBED,
        source=ConsentEvent.Source.PREFERENCES,
        lists=["JHOP Print Edition"],
        created_at=at + timedelta(days=3),
    )
    out = StringIO()
    call_command("restore_print_subscriptions", "--dry-run", stdout=out)
    assert out.getvalue().splitlines() == [
        f"{bounced.email}: JHOP Print Edition",
        "1 print subscription(s) would be restored (dry run).",
    ]
    assert by_list(bounced)["jhop-print-edition"] == "bounced"
    call_command("restore_print_subscriptions", stdout=StringIO())
    assert by_list(bounced) == {"jhop-e-newsletter": "bounced", "jhop-print-edition": "active"}
    assert by_list(decided)["jhop-print-edition"] == "bounced"
    assert set(by_list(untouched).values()) == {"active"}
    bounced.refresh_from_db()
    assert bounced.email_problem == "bounced"
    entry = bounced.events.get(kind=ConsentEvent.Kind.ADMIN)
    assert entry.lists == ["JHOP Print Edition"] and entry.actor == "restore_print_subscriptions"
    out = StringIO()
    call_command("restore_print_subscriptions", stdout=out)  # again: nothing more
    assert out.getvalue().startswith("0 print subscription(s) restored")
