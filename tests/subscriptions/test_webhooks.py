"""Email services report bounces and complaints to /anymail/<service>/tracking/.

The payloads are the shapes the services post (from anymail's own test fixtures, which copy
the Postmark and Amazon SES documentation).
"""

import base64
import functools
import importlib
import json
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.test import TestCase
from django.urls import clear_url_caches
from django.utils import timezone

from subscriptions import emails, services, sns
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


CERT_URL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem"


@functools.cache
def sns_key():
    """A key and self-signed certificate standing in for Amazon SNS's (made once)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return key, cert.public_bytes(serialization.Encoding.PEM)


@pytest.fixture(autouse=True)
def sns_certificates():
    """SigningCertURL answers with our certificate, without the network; counts fetches."""
    fetched = []

    def fetch(url):
        fetched.append(url)
        return sns_key()[1]

    with mock.patch.object(sns, "fetch_certificate", fetch):
        yield fetched


def sign(message, *, version="1", url=CERT_URL, key=None):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    message = {**message, "SignatureVersion": version, "SigningCertURL": url}
    # SignatureVersion 1 is SHA1withRSA: SNS's protocol, not our choice.
    algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()  # noqa: S303
    signature = (key or sns_key()[0]).sign(sns.canonical(message), padding.PKCS1v15(), algorithm)
    return {**message, "Signature": base64.b64encode(signature).decode()}


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


def post_sns(client, message, headers=None, *, signed=True):
    """Post as SNS does: signed with its certificate (or as given, signed=False)."""
    if signed:
        message = sign(message)
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


def email_stopped(subscriber, status=Subscription.Status.BOUNCED) -> bool:
    """The e-newsletter ended with this status; the print edition goes on."""
    by_list = dict(subscriber.subscriptions.values_list("mailing_list__slug", "status"))
    return by_list == {"jhop-e-newsletter": status, "jhop-print-edition": "active"}


def test_no_webhooks_without_a_secret(client):
    assert client.post(POSTMARK, "{}", content_type="application/json").status_code == 404


def test_a_postmark_hard_bounce_stops_all_mail_to_the_address(client, webhooks):
    reader = make_subscriber(lists=lists(), email="bounce@example.com")
    with TestCase.captureOnCommitCallbacks(execute=True):
        queued = emails.manage_email(reader)
    OutboundEmail.objects.filter(pk=queued.pk).update(status=OutboundEmail.Status.QUEUED)
    response = post_postmark(client, postmark_bounce("bounce@example.com"))
    assert response.status_code == 200
    assert email_stopped(reader)
    entry = reader.events.get(kind=ConsentEvent.Kind.BOUNCED)
    assert entry.source == ConsentEvent.Source.EMAIL_SERVICE
    assert entry.details["email_service"] == "Postmark"
    assert entry.details["event_id"] == "901542550"
    assert entry.details["occurred_at"].startswith("2016-04-27T20:28:50")  # in UTC
    assert "unable to deliver" in entry.details["reason"]
    assert entry.lists == ["JHOP e-Newsletter"]
    reader.refresh_from_db()
    assert reader.get_email_problem_display() == "Email address bounced"
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
    assert email_stopped(reader)


def test_an_amazon_ses_complaint_through_sns_unsubscribes_and_suppresses(client, webhooks):
    reader = make_subscriber(lists=lists(), email="richard@example.com")
    bystander = make_subscriber(lists=lists(), email="jane@example.com")
    assert post_sns(client, ses_complaint(reader.email)).status_code == 200
    assert email_stopped(reader, Subscription.Status.UNSUBSCRIBED)
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


def assert_nothing_changed(reader):
    assert statuses(reader) == {Subscription.Status.ACTIVE}
    assert not DeliveryEvent.objects.exists()
    assert not reader.events.exclude(kind=ConsentEvent.Kind.IMPORTED).exists()
    assert not Suppression.objects.exists()


def test_sns_signatures_of_both_versions_are_accepted_and_the_certificate_fetched_once(
    client, webhooks, sns_certificates
):
    first, second = make_subscriber(lists=lists()), make_subscriber(lists=lists())
    assert (
        post_sns(client, sign(ses_bounce(first.email), version="1"), signed=False).status_code
        == 200
    )
    bounce = ses_bounce(second.email, sns_id="5d2e0a3c-2f8b-4f4e-9c1a-0a1b2c3d4e5f")
    assert post_sns(client, sign(bounce, version="2"), signed=False).status_code == 200
    assert email_stopped(first) and email_stopped(second)
    assert sns_certificates == [CERT_URL]  # then read from the shared cache


def test_a_message_signed_with_another_key_is_refused_and_changes_nothing(client, webhooks):
    from cryptography.hazmat.primitives.asymmetric import rsa

    reader = make_subscriber(lists=lists())
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = sign(ses_bounce(reader.email), key=forger)
    assert post_sns(client, forged, signed=False).status_code == 400
    assert_nothing_changed(reader)


def test_a_tampered_message_is_refused_and_changes_nothing(client, webhooks):
    reader, bystander = make_subscriber(lists=lists()), make_subscriber(lists=lists())
    message = sign(ses_bounce(bystander.email))
    message["Message"] = message["Message"].replace(bystander.email, reader.email)
    assert post_sns(client, message, signed=False).status_code == 400
    assert_nothing_changed(reader)
    assert statuses(bystander) == {Subscription.Status.ACTIVE}


@pytest.mark.parametrize(
    "url",
    [
        "https://sns.us-east-1.amazonaws.com.attacker.example/SimpleNotificationService-1.pem",
        "https://attacker.example/sns.us-east-1.amazonaws.com/SimpleNotificationService-1.pem",
        "https://sns.us-east-1.amazonaws.com@attacker.example/SimpleNotificationService-1.pem",
        "http://sns.us-east-1.amazonaws.com/SimpleNotificationService-1.pem",
    ],
    ids=["lookalike-host", "foreign-host", "userinfo", "http"],
)
def test_a_certificate_anywhere_but_sns_over_https_is_refused_unfetched(
    client, webhooks, sns_certificates, url
):
    reader = make_subscriber(lists=lists())
    assert (
        post_sns(client, sign(ses_bounce(reader.email), url=url), signed=False).status_code == 400
    )
    assert sns_certificates == []
    assert_nothing_changed(reader)


def test_only_the_configured_sns_topics_are_accepted(client, webhooks, settings):
    settings.SNS_TOPIC_ARNS = ["arn:aws:sns:us-east-1:1234567890:SES_Events"]
    reader, other = make_subscriber(lists=lists()), make_subscriber(lists=lists())
    elsewhere = {
        **ses_bounce(other.email, sns_id="0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"),
        "TopicArn": "arn:aws:sns:us-east-1:999999999999:Someone_Elses_Topic",
    }
    assert post_sns(client, elsewhere).status_code == 400  # signed by SNS all the same
    assert_nothing_changed(other)
    assert post_sns(client, ses_bounce(reader.email)).status_code == 200
    assert email_stopped(reader)


def test_an_unsigned_message_is_refused(client, webhooks):
    reader = make_subscriber(lists=lists())
    assert post_sns(client, ses_bounce(reader.email), signed=False).status_code == 400
    assert_nothing_changed(reader)


def test_a_wrong_secret_is_refused_before_any_certificate_is_fetched(
    client, webhooks, sns_certificates
):
    reader = make_subscriber(lists=lists())
    assert post_sns(client, ses_bounce(reader.email), headers=auth("hooks:nope")).status_code == 400
    assert sns_certificates == []


def test_soft_bounces_are_counted_then_suspend_the_address(client, webhooks, settings):
    settings.SUBSCRIPTIONS_SOFT_BOUNCE_LIMIT = 3
    reader = make_subscriber(lists=lists(), email="full@example.com")
    for n in range(1, 4):
        payload = postmark_bounce(
            reader.email, event_id=1000 + n, kind="SoftBounce", message_id=f"pm-{n}"
        )
        post_postmark(client, payload)
        if n < 3:
            assert statuses(reader) == {Subscription.Status.ACTIVE}, n
        else:
            assert email_stopped(reader), n
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
    assert email_stopped(reader)


def test_managers_can_still_mark_a_bounce_by_hand(client):
    reader = make_subscriber(lists=lists())
    services.mark_bounced(subscriber=reader, meta=RequestMeta(actor="manager"))
    assert email_stopped(reader)


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


def ses_inbound(sender, to, subject):
    """An email received by Amazon SES, its content in the SNS message (action type SNS)."""
    raw = (
        f"From: A Reader <{sender}>\r\nTo: {to}\r\nSubject: {subject}\r\n"
        "Message-ID: <abc@example.com>\r\nContent-Type: text/plain\r\n\r\nPlease stop.\r\n"
    )
    ses_event = {
        "notificationType": "Received",
        "mail": {"source": sender, "destination": [to], "messageId": "jqc0j7pvb1v2djs8fo"},
        "receipt": {"recipients": [to], "action": {"type": "SNS", "encoding": "BASE64"}},
        "content": base64.b64encode(raw.encode()).decode(),
    }
    return {
        "Type": "Notification",
        "MessageId": "8f6dad76-c29f-5a38-8b34-7b5d3c5fb1d1",
        "TopicArn": "arn:aws:sns:us-east-1:1234567890:SES_Inbound",
        "Subject": "Amazon SES Email Receipt Notification",
        "Message": json.dumps(ses_event),
        "Timestamp": "2018-03-30T17:21:51.636Z",
    }


def test_the_amazon_ses_inbound_webhook_checks_sns_signatures_too(client, webhooks, settings):
    settings.SUBSCRIPTIONS_UNSUBSCRIBE_MAILTO = "unsubscribe@jhop.example"
    newsletter, _ = lists()
    reader = make_subscriber(lists=[newsletter])
    message = ses_inbound(reader.email, "unsubscribe@jhop.example", "unsubscribe jhop-e-newsletter")

    def post(payload):
        return client.post(
            "/anymail/amazon_ses/inbound/",
            json.dumps(payload),
            content_type="text/plain; charset=UTF-8",
            HTTP_X_AMZ_SNS_MESSAGE_ID=payload["MessageId"],
            HTTP_X_AMZ_SNS_MESSAGE_TYPE=payload["Type"],
            **auth(),
        )

    assert post(message).status_code == 400  # unsigned
    assert statuses(reader) == {Subscription.Status.ACTIVE}
    assert post(sign(message)).status_code == 200
    assert statuses(reader) == {Subscription.Status.UNSUBSCRIBED}


def mailgun_failure(email, key, *, timestamp="1534108637"):
    import hashlib
    import hmac

    token = "651869375b9df3c98fc15c4889b102119add1235c38fc92824"
    return {
        "signature": {
            "token": token,
            "timestamp": timestamp,
            "signature": hmac.new(
                key.encode(), (timestamp + token).encode(), hashlib.sha256
            ).hexdigest(),
        },
        "event-data": {
            "event": "failed",
            "severity": "permanent",
            "id": "G9Bn5sl1TC6nu79C8C0bwg",
            "timestamp": 1534108637.153125,
            "recipient": email,
            "reason": "bounce",
            "message": {"headers": {"message-id": "20180812211713.1.ABC@mg.example.org"}},
            "delivery-status": {"code": 550, "message": "No such mailbox", "description": ""},
        },
    }


def test_mailgun_reports_are_checked_with_its_webhook_signing_key(client, webhooks, settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "MAILGUN_WEBHOOK_SIGNING_KEY": "signing-key"}
    _reload_urls()  # mounted only with its key
    reader = make_subscriber(lists=lists())
    url = "/anymail/mailgun/tracking/"
    forged = mailgun_failure(reader.email, "guessed-key")
    response = client.post(url, json.dumps(forged), content_type="application/json", **auth())
    assert response.status_code == 400
    assert_nothing_changed(reader)
    signed = mailgun_failure(reader.email, "signing-key")
    response = client.post(url, json.dumps(signed), content_type="application/json", **auth())
    assert response.status_code == 200
    assert email_stopped(reader)


def test_the_signed_string_is_the_one_sns_documents():
    """Written out by hand from the SNS documentation, not built by the code under test: our
    own signatures (above) would agree with any canonical form, SNS's only with this one."""
    notification = {
        "Type": "Notification",
        "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
        "TopicArn": "arn:aws:sns:us-west-2:123456789012:MyTopic",
        "Subject": "My First Message",
        "Message": "Hello world!",
        "Timestamp": "2012-05-02T00:54:06.655Z",
        "UnsubscribeURL": "https://sns.us-west-2.amazonaws.com/?Action=Unsubscribe",
    }
    assert sns.canonical(notification) == (
        b"Message\nHello world!\nMessageId\n22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\n"
        b"Subject\nMy First Message\nTimestamp\n2012-05-02T00:54:06.655Z\n"
        b"TopicArn\narn:aws:sns:us-west-2:123456789012:MyTopic\nType\nNotification\n"
    )
    del notification["Subject"]  # optional: left out of the string, not left empty
    assert b"Subject" not in sns.canonical(notification)
    confirmation = {
        "Type": "SubscriptionConfirmation",
        "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
        "Token": "2336412f37f",
        "TopicArn": "arn:aws:sns:us-west-2:123456789012:MyTopic",
        "Message": "You have chosen to subscribe to the topic.",
        "SubscribeURL": "https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription",
        "Timestamp": "2012-04-26T20:45:04.751Z",
    }
    assert sns.canonical(confirmation) == (
        b"Message\nYou have chosen to subscribe to the topic.\n"
        b"MessageId\n165545c9-2a5c-472c-8df2-7ff2be2b3b1b\n"
        b"SubscribeURL\nhttps://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription\n"
        b"Timestamp\n2012-04-26T20:45:04.751Z\nToken\n2336412f37f\n"
        b"TopicArn\narn:aws:sns:us-west-2:123456789012:MyTopic\nType\nSubscriptionConfirmation\n"
    )
