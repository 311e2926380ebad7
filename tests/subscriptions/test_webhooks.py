"""Email services report bounces and complaints to /anymail/<service>/tracking/.

The payloads are the shapes the services post (from anymail's own test fixtures, which copy
the Postmark and Amazon SES documentation).
"""

import base64
import importlib
import json
from datetime import timedelta

import pytest
from django.test import TestCase
from django.urls import clear_url_caches
from django.utils import timezone

from subscriptions import emails, services
from subscriptions.models import (
    ConsentEvent,
    DeliveryEvent,
    OutboundEmail,
    Subscription,
    Suppression,
    email_hash,
)
from subscriptions.services import RequestMeta

from .factories import lists, make_subscriber

pytestmark = pytest.mark.django_db

SECRET = "hooks:correct-horse-battery"
POSTMARK = "/anymail/postmark/tracking/"
SES = "/anymail/amazon_ses/tracking/"


def _reload_urls():
    import jhop.urls

    importlib.reload(jhop.urls)
    clear_url_caches()


@pytest.fixture
def webhooks(settings):
    """The site as deployed with ANYMAIL_WEBHOOK_SECRET set (the URLs depend on it)."""
    settings.ANYMAIL_WEBHOOK_SECRET = SECRET
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}
    _reload_urls()
    yield
    settings.ANYMAIL_WEBHOOK_SECRET = ""
    settings.ANYMAIL = {}
    _reload_urls()


def auth(secret=SECRET):
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(secret.encode()).decode()}


def postmark_bounce(email, *, event_id=901542550, kind="HardBounce", message_id=""):
    return {
        "RecordType": "Bounce",
        "ID": event_id,
        "Type": kind,
        "TypeCode": 1 if kind == "HardBounce" else 4096,
        "ServerID": 23,
        "Name": "Hard bounce" if kind == "HardBounce" else "Soft bounce",
        "MessageID": message_id or "2706ee8a-737c-4285-b032-ccd317af53ed",
        "Description": "The server was unable to deliver your message"
        " (ex: unknown user, mailbox not found).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": email,
        "From": "sender@example.com",
        "BouncedAt": "2016-04-27T16:28:50.3963933-04:00",
        "DumpAvailable": True,
        "Inactive": True,
        "CanActivate": True,
        "Subject": "Postmark event test",
        "Content": "...",
    }


def post_postmark(client, payload, **extra):
    headers = extra or auth()
    return client.post(POSTMARK, json.dumps(payload), content_type="application/json", **headers)


def ses_complaint(email):
    raw_ses_event = {
        "notificationType": "Complaint",
        "complaint": {
            "userAgent": "AnyCompany Feedback Loop (V0.01)",
            "complainedRecipients": [{"emailAddress": email}],
            "complaintFeedbackType": "abuse",
        },
        "mail": {
            "messageId": "000001378603177f-7a5433e7-8edb-42ae-af10-f0181f34d6ee-000000",
            "destination": ["jane@example.com", email],
        },
    }
    return {
        "Type": "Notification",
        "MessageId": "19ba9823-d7f2-53c1-860e-cb10e0d13dfc",
        "TopicArn": "arn:aws:sns:us-east-1:1234567890:SES_Events",
        "Subject": "Amazon SES Email Event Notification",
        "Message": json.dumps(raw_ses_event) + "\n",
        "Timestamp": "2018-03-26T17:58:59.675Z",
        "SignatureVersion": "1",
        "Signature": "EXAMPLE-SIGNATURE==",
        "SigningCertURL": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-1.pem",
        "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
    }


def ses_bounce(email, *, bounce_type="Permanent", sns_id="19ba9823-d7f2-53c1-860e-cb10e0d13dfc"):
    raw_ses_event = {
        "notificationType": "Bounce",
        "bounce": {
            "bounceType": bounce_type,
            "reportingMTA": "dns; email.example.com",
            "bouncedRecipients": [
                {
                    "emailAddress": email,
                    "status": "5.1.1",
                    "action": "failed",
                    "diagnosticCode": f"smtp; 550 5.1.1 <{email}>... User unknown",
                }
            ],
            "bounceSubType": "General",
            "timestamp": "2016-01-27T14:59:44.101Z",
            "feedbackId": "00000138111222aa-44455566-cccc-cccc-cccc-ddddaaaa068a-000000",
        },
        "mail": {
            "timestamp": "2016-01-27T14:59:38.237Z",
            "source": "john@example.com",
            "messageId": "00000138111222aa-33322211-cccc-cccc-cccc-ddddaaaa0680-000000",
            "destination": [email],
        },
    }
    return {
        "Type": "Notification",
        "MessageId": sns_id,
        "TopicArn": "arn:aws:sns:us-east-1:1234567890:SES_Events",
        "Message": json.dumps(raw_ses_event) + "\n",
        "Timestamp": "2018-03-26T17:58:59.675Z",
    }


def post_sns(client, message, headers=None):
    return client.post(
        SES,
        json.dumps(message),
        content_type="text/plain; charset=UTF-8",  # SNS posts JSON as text/plain
        HTTP_X_AMZ_SNS_MESSAGE_ID=message["MessageId"],
        HTTP_X_AMZ_SNS_MESSAGE_TYPE=message["Type"],
        **(auth() if headers is None else headers),
    )


def statuses(subscriber):
    return set(subscriber.subscriptions.values_list("status", flat=True))


def test_no_webhooks_without_a_secret(client):
    assert client.post(POSTMARK, "{}", content_type="application/json").status_code == 404


def test_a_postmark_hard_bounce_stops_all_mail_to_the_address(client, webhooks):
    reader = make_subscriber(lists=lists(), email="bounce@example.com")
    with TestCase.captureOnCommitCallbacks(execute=True):
        queued = emails.manage_email(reader)
    OutboundEmail.objects.filter(pk=queued.pk).update(status=OutboundEmail.Status.QUEUED)
    response = post_postmark(client, postmark_bounce("bounce@example.com"))
    assert response.status_code == 200
    assert statuses(reader) == {Subscription.Status.BOUNCED}
    entry = reader.events.get(kind=ConsentEvent.Kind.BOUNCED)
    assert entry.source == ConsentEvent.Source.EMAIL_SERVICE
    assert entry.details["email_service"] == "Postmark"
    assert entry.details["event_id"] == "901542550"
    assert entry.details["occurred_at"].startswith("2016-04-27T20:28:50")  # in UTC
    assert "unable to deliver" in entry.details["reason"]
    assert set(entry.lists) == {"JHOP e-Newsletter", "JHOP Print Edition"}
    assert Suppression.objects.blocking().filter(email_hash=email_hash(reader.email)).exists()
    # A queued email is not sent any more, and nothing new goes out to the address.
    queued.refresh_from_db()
    assert queued.status == OutboundEmail.Status.SUPPRESSED
    with TestCase.captureOnCommitCallbacks(execute=True):
        later = emails.manage_email(reader)
    later.refresh_from_db()
    assert later.status == OutboundEmail.Status.SUPPRESSED


def test_the_same_event_posted_twice_changes_nothing_more(client, webhooks):
    reader = make_subscriber(lists=lists(), email="bounce@example.com")
    for _ in range(2):
        assert post_postmark(client, postmark_bounce(reader.email)).status_code == 200
    assert DeliveryEvent.objects.count() == 1
    assert reader.events.filter(kind=ConsentEvent.Kind.BOUNCED).count() == 1
    assert Suppression.objects.count() == 1


def test_a_wrong_secret_is_refused_and_changes_nothing(client, webhooks):
    reader = make_subscriber(lists=lists(), email="bounce@example.com")
    wrong = post_postmark(client, postmark_bounce(reader.email), **auth("hooks:guess"))
    missing = client.post(
        POSTMARK, json.dumps(postmark_bounce(reader.email)), content_type="application/json"
    )
    assert wrong.status_code == 400 and missing.status_code == 400
    assert statuses(reader) == {Subscription.Status.ACTIVE}
    assert not DeliveryEvent.objects.exists() and not Suppression.objects.exists()


def test_the_webhook_answers_at_once_and_leaves_the_work_to_the_queue(client, webhooks, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    from django_tasks_db.models import DBTaskResult

    reader = make_subscriber(lists=lists(), email="bounce@example.com")
    assert post_postmark(client, postmark_bounce(reader.email)).status_code == 200
    assert statuses(reader) == {Subscription.Status.ACTIVE}  # not yet: the task does it
    task = DBTaskResult.objects.get()
    assert task.task_path == "subscriptions.services.delivery.apply_delivery_event"
    services.apply_event(delivery_event_id=task.args_kwargs["args"][0])
    assert statuses(reader) == {Subscription.Status.BOUNCED}


def test_an_amazon_ses_complaint_through_sns_unsubscribes_and_suppresses(client, webhooks):
    reader = make_subscriber(lists=lists(), email="richard@example.com")
    bystander = make_subscriber(lists=lists(), email="jane@example.com")
    assert post_sns(client, ses_complaint(reader.email)).status_code == 200
    assert statuses(reader) == {Subscription.Status.UNSUBSCRIBED}
    assert statuses(bystander) == {Subscription.Status.ACTIVE}  # only complained recipients
    entry = reader.events.get(kind=ConsentEvent.Kind.COMPLAINED)
    assert entry.details["event_id"] == "19ba9823-d7f2-53c1-860e-cb10e0d13dfc"
    assert entry.details["occurred_at"] == "2018-03-26T17:58:59.675000+00:00"
    suppression = Suppression.objects.get(email_hash=email_hash(reader.email))
    assert suppression.kind == Suppression.Kind.COMPLAINED


def test_an_amazon_ses_bounce_with_a_wrong_secret_is_refused(client, webhooks):
    reader = make_subscriber(lists=lists(), email="jane@example.com")
    response = post_sns(client, ses_bounce(reader.email), headers=auth("hooks:nope"))
    assert response.status_code == 400
    assert statuses(reader) == {Subscription.Status.ACTIVE}
    assert not DeliveryEvent.objects.exists()


def test_soft_bounces_are_counted_then_suspend_the_address(client, webhooks, settings):
    settings.SUBSCRIPTIONS_SOFT_BOUNCE_LIMIT = 3
    reader = make_subscriber(lists=lists(), email="full@example.com")
    for n in range(1, 4):
        payload = postmark_bounce(reader.email, event_id=1000 + n, kind="SoftBounce")
        post_postmark(client, payload)
        expected = Subscription.Status.ACTIVE if n < 3 else Subscription.Status.BOUNCED
        assert statuses(reader) == {expected}, n
    assert DeliveryEvent.objects.filter(soft_bounce=True).count() == 3
    assert reader.events.get(kind=ConsentEvent.Kind.SUSPENDED).details["reason"] == (
        "3 soft bounces within 30 days"
    )


def test_soft_bounces_outside_the_window_do_not_count(client, webhooks, settings):
    settings.SUBSCRIPTIONS_SOFT_BOUNCE_LIMIT = 2
    reader = make_subscriber(lists=lists(), email="full@example.com")
    post_sns(client, ses_bounce(reader.email, bounce_type="Transient", sns_id="a"))
    DeliveryEvent.objects.update(received_at=timezone.now() - timedelta(days=31))
    post_sns(client, ses_bounce(reader.email, bounce_type="Transient", sns_id="b"))
    assert statuses(reader) == {Subscription.Status.ACTIVE}
    assert DeliveryEvent.objects.filter(soft_bounce=True).count() == 2


def test_delivered_and_opened_reports_are_not_kept(client, webhooks):
    reader = make_subscriber(lists=lists(), email="happy@example.com")
    delivery = {
        "RecordType": "Delivery",
        "ServerID": 23,
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "Recipient": reader.email,
        "Tag": "welcome-email",
        "DeliveredAt": "2014-08-01T13:28:10.2735393-04:00",
        "Details": "Test delivery webhook details",
    }
    assert post_postmark(client, delivery).status_code == 200
    assert not DeliveryEvent.objects.exists()
    assert statuses(reader) == {Subscription.Status.ACTIVE}


def test_the_report_is_tied_to_the_email_it_is_about(client, webhooks, outbox):
    reader = make_subscriber(lists=lists(), email="bounce@example.com")
    with TestCase.captureOnCommitCallbacks(execute=True):
        sent = emails.manage_email(reader)
    OutboundEmail.objects.filter(pk=sent.pk).update(message_id="pm-123")
    post_postmark(client, postmark_bounce(reader.email, message_id="pm-123"))
    assert DeliveryEvent.objects.get().outbound_email_id == sent.pk


def test_an_import_cannot_bring_a_bounced_address_back(client, webhooks):
    reader = make_subscriber(lists=lists(), email="bounce@example.com")
    post_postmark(client, postmark_bounce(reader.email))
    report = services.import_subscribers(
        rows=[{"email": "Bounce@example.com", "lists": "jhop-e-newsletter"}],
        source="Old list",
        dry_run=False,
        meta=RequestMeta(actor="manager"),
    )
    assert report.invalid and "bounced: suppressed" in report.invalid[0][2]
    assert statuses(reader) == {Subscription.Status.BOUNCED}


def test_managers_can_still_mark_a_bounce_by_hand(client):
    reader = make_subscriber(lists=lists())
    services.mark_bounced(subscriber=reader, meta=RequestMeta(actor="manager"))
    assert statuses(reader) == {Subscription.Status.BOUNCED}


def postmark_inbound(sender, to, subject):
    return {
        "FromFull": {"Email": sender, "Name": "A Reader", "MailboxHash": ""},
        "ToFull": [{"Email": to, "Name": "", "MailboxHash": ""}],
        "CcFull": [],
        "OriginalRecipient": to,
        "Subject": subject,
        "MessageID": "22c74902-a0c1-4511-804f2-341342852c90",
        "Date": "Wed, 11 Oct 2017 18:31:04 -0700",
        "TextBody": "",
        "Headers": [],
    }


def test_an_unsubscribe_email_to_the_list_unsubscribe_mailbox_unsubscribes_the_sender(
    client, webhooks, settings, outbox
):
    settings.SUBSCRIPTIONS_UNSUBSCRIBE_MAILTO = "unsubscribe@jhop.example"
    newsletter, print_edition = lists()
    reader = make_subscriber(lists=[newsletter, print_edition], email="reader@example.com")
    headers = emails.list_unsubscribe_headers(subscriber=reader, mailing_list=newsletter)
    mailto = headers["List-Unsubscribe"].split(",")[1].strip().strip("<>")
    assert mailto == "mailto:unsubscribe@jhop.example?subject=unsubscribe%20jhop-e-newsletter"
    url = "/anymail/postmark/inbound/"
    other = postmark_inbound(reader.email, "editor@jhop.example", "unsubscribe jhop-e-newsletter")
    response = client.post(url, json.dumps(other), content_type="application/json", **auth())
    assert response.status_code == 200
    assert statuses(reader) == {Subscription.Status.ACTIVE}  # not the unsubscribe mailbox
    message = postmark_inbound(
        reader.email, "unsubscribe@jhop.example", "unsubscribe jhop-e-newsletter"
    )
    response = client.post(url, json.dumps(message), content_type="application/json", **auth())
    assert response.status_code == 200
    assert dict(reader.subscriptions.values_list("mailing_list__slug", "status")) == {
        "jhop-e-newsletter": "unsubscribed",
        "jhop-print-edition": "active",
    }
    entry = reader.events.get(kind=ConsentEvent.Kind.UNSUBSCRIBED)
    assert entry.source == ConsentEvent.Source.MAILTO and entry.actor == "Postmark"
    assert outbox == []  # the mail client promised no more email
