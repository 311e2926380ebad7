"""Whatever a stranger posts to the email-service webhooks, the answer is a 4xx, never a 500
(which would also email the admins); a service whose keys are not set is not mounted."""

import json

import pytest

from subscriptions.models import DeliveryEvent

from .test_webhooks import (  # noqa: F401 (fixtures)
    SES,
    ses_bounce,
    sign,
    sns_certificates,
    webhooks,
)

pytestmark = pytest.mark.django_db

SECRET = "hooks:correct-horse-battery"


def basic(secret=SECRET):
    import base64

    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(secret.encode()).decode()}


def test_a_service_without_its_signing_key_is_not_mounted(client, webhooks, settings):  # noqa: F811
    assert "MAILGUN_WEBHOOK_SIGNING_KEY" not in settings.ANYMAIL
    for path in (
        "/anymail/mailgun/tracking/",
        "/anymail/postal/tracking/",
        "/anymail/mandrill/tracking/",  # its key is read only when a request comes
    ):
        response = client.post(path, {"signature": "x"}, **basic())
        assert response.status_code == 404, path
    # The services that need nothing more than the shared secret are there.
    postmark = client.post(
        "/anymail/postmark/tracking/", "[]", content_type="application/json", **basic()
    )
    assert postmark.status_code == 400


def test_mailgun_is_mounted_with_its_signing_key(client, settings):
    import importlib

    from django.urls import clear_url_caches

    import jhop.urls

    settings.ANYMAIL_WEBHOOK_SECRET = SECRET
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET, "MAILGUN_WEBHOOK_SIGNING_KEY": "key"}
    importlib.reload(jhop.urls)
    clear_url_caches()
    try:
        response = client.post("/anymail/mailgun/tracking/", {"signature": "x"}, **basic())
        assert response.status_code == 400  # a wrong signature
        bad_json = client.post(
            "/anymail/mailgun/tracking/", "{not json", content_type="application/json", **basic()
        )
        assert bad_json.status_code == 400
    finally:
        settings.ANYMAIL_WEBHOOK_SECRET = ""
        settings.ANYMAIL = {}
        importlib.reload(jhop.urls)
        clear_url_caches()


@pytest.mark.parametrize("service", ["postmark", "sendgrid"])
@pytest.mark.parametrize(
    "body",
    ["{not json", "", "[1, 2", '"a string"', "42", "[42]", "null", "\x00"],
)
def test_a_malformed_body_with_the_right_secret_is_a_400(client, webhooks, service, body):  # noqa: F811
    response = client.post(
        f"/anymail/{service}/tracking/", body, content_type="application/json", **basic()
    )
    assert response.status_code == 400, response.content
    assert not DeliveryEvent.objects.exists()


def test_bytes_that_are_not_utf8_are_a_400(client, webhooks):  # noqa: F811
    response = client.post(
        "/anymail/postmark/tracking/", b"\xff\xfe{", content_type="application/json", **basic()
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    "headers",
    [
        {},  # no SNS headers at all
        {"HTTP_X_AMZ_SNS_MESSAGE_TYPE": "Notification"},
        {"HTTP_X_AMZ_SNS_MESSAGE_TYPE": "Bogus", "HTTP_X_AMZ_SNS_MESSAGE_ID": "1"},
    ],
)
@pytest.mark.parametrize("secret", [SECRET, "hooks:wrong", None])
def test_amazon_ses_without_the_sns_headers_or_the_right_secret_is_refused(
    client,
    webhooks,  # noqa: F811
    headers,
    secret,
):
    auth = basic(secret) if secret else {}
    for body in ("{}", "not json", json.dumps(ses_bounce("a@example.com")), "[]"):
        response = client.post(SES, body, content_type="text/plain", **headers, **auth)
        assert response.status_code in (400, 401, 403), (body, response.status_code)


@pytest.mark.parametrize(
    "url",
    [
        "https://sns.us-east-1.amazonaws.com:99999/cert.pem",
        "https://sns.us-east-1.amazonaws.com:-1/cert.pem",
        "https://[::1/cert.pem",
        "https://sns.us-east-1.amazonaws.com:notaport/cert.pem",
        "https://sns.us-east-1.amazonaws.com\x00/cert.pem",
    ],
)
def test_an_unparseable_certificate_url_is_a_400(client, webhooks, url, sns_certificates):  # noqa: F811
    message = sign(ses_bounce("a@example.com"), url=url)
    response = client.post(
        SES,
        json.dumps(message),
        content_type="text/plain; charset=UTF-8",
        HTTP_X_AMZ_SNS_MESSAGE_ID=message["MessageId"],
        HTTP_X_AMZ_SNS_MESSAGE_TYPE=message["Type"],
        **basic(),
    )
    assert response.status_code == 400
    assert sns_certificates == []  # nothing fetched


@pytest.mark.parametrize(
    "change",
    [
        {"SignatureVersion": None},
        {"SignatureVersion": ["1"]},
        {"Signature": 12},
        {"Signature": "not base64!"},
        {"TopicArn": {"a": 1}},
        {"Message": None},
        {"Type": ["Notification"]},
    ],
)
def test_odd_sns_fields_are_a_400(client, webhooks, change):  # noqa: F811
    message = {**sign(ses_bounce("a@example.com")), **change}
    response = client.post(
        SES,
        json.dumps(message),
        content_type="text/plain; charset=UTF-8",
        HTTP_X_AMZ_SNS_MESSAGE_ID="19ba9823-d7f2-53c1-860e-cb10e0d13dfc",
        HTTP_X_AMZ_SNS_MESSAGE_TYPE="Notification",
        **basic(),
    )
    assert response.status_code == 400


def test_deprecated_aliases_are_not_mounted_and_no_request_warns(client, webhooks, recwarn):  # noqa: F811
    """anymail's /sendinblue/ URLs are Brevo's under an old name, deprecated: only /brevo/ is
    mounted. SendGrid's views, which anymail no longer supports officially, work without a
    warning per request (`manage.py check` says it once, jhop.W001)."""
    body = '[{"event": "delivered", "email": "a@example.org", "sg_event_id": "1"}]'
    json_body = {"content_type": "application/json", **basic()}
    sendinblue = client.post("/anymail/sendinblue/tracking/", "{}", **json_body)
    brevo = client.post("/anymail/brevo/tracking/", "{not json", **json_body)
    sendgrid = client.post("/anymail/sendgrid/tracking/", body, **json_body)
    assert sendinblue.status_code == 404
    assert brevo.status_code == 400
    assert sendgrid.status_code == 200
    assert [str(w.message) for w in recwarn] == []


@pytest.mark.parametrize(
    ("esp", "check_id"),
    [("sendgrid", "jhop.W001"), ("sendinblue", "jhop.W002"), ("postmark", None)],
)
def test_check_names_an_email_service_anymail_no_longer_supports(settings, esp, check_id):
    from jhop.checks import email_service_supported

    settings.ANYMAIL_ESP = esp
    assert [m.id for m in email_service_supported(None)] == ([check_id] if check_id else [])
