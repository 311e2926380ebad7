"""HTTP edges a production site meets: HEAD, odd charsets, CSRF failures, 429s."""

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from subscriptions.models import Subscriber
from subscriptions.tokens import Purpose, make_token
from tests.subscriptions.factories import lists, make_subscriber
from tests.subscriptions.helpers import signup_data

pytestmark = pytest.mark.django_db

TOKEN = "k" * 32


def test_head_is_answered_wherever_get_is():
    newsletter, _ = lists()
    ada = make_subscriber(email="ada@example.com", lists=[newsletter])
    paths = [
        "/healthz",
        "/robots.txt",
        reverse("subscriptions:subscribe"),
        reverse("subscriptions:thanks"),
        reverse("subscriptions:manage-request"),
        reverse("subscriptions:confirm", args=[make_token(subscriber=ada, purpose="confirm")]),
        reverse("subscriptions:manage", args=[make_token(subscriber=ada, purpose="manage")]),
        reverse(
            "subscriptions:unsubscribe",
            args=[make_token(subscriber=ada, purpose=Purpose.UNSUBSCRIBE, mailing_list=newsletter)],
        ),
    ]
    client = Client()
    for path in paths:
        get = client.get(path)
        head = client.head(path)
        assert (path, head.status_code) == (path, get.status_code) == (path, 200)
        assert head["Content-Type"] == get["Content-Type"]
    assert ada.subscriptions.get().status == "active"  # HEAD changed nothing


@pytest.mark.parametrize("path", ["/subscribe/", "/admin/login/"])
@pytest.mark.parametrize("charset", ["utf-16", "latin-1", "shift_jis"])
def test_a_form_posted_in_another_charset_is_a_400_with_the_site_page(path, charset, settings):
    settings.ADMINS = [("Ops", "ops@example.org")]  # server errors would be emailed here
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.cookies["csrftoken"] = TOKEN
    mail.outbox.clear()
    response = client.post(
        path,
        data=f"email=a%40example.com&csrfmiddlewaretoken={TOKEN}",  # encoded in charset
        content_type=f"application/x-www-form-urlencoded; charset={charset}",
        HTTP_X_CSRFTOKEN=TOKEN,
    )
    assert response.status_code == 400
    assert "Bad request" in response.content.decode()
    assert 'href="/static/css/site.css"' in response.content.decode()  # the site's layout
    assert mail.outbox == []  # a 400 is not a server error: nobody is emailed
    assert not Subscriber.objects.exists()


@pytest.mark.parametrize("path", ["/subscribe/manage/", "/admin/login/"])
def test_csrf_failure_page_is_the_site_page_without_inline_style(path):
    client = Client(enforce_csrf_checks=True)
    response = client.post(path, {"email": "a@example.com", "username": "a", "password": "b"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "This form could not be sent" in page
    assert 'href="/static/css/site.css"' in page
    assert "<style" not in page  # the CSP (style-src 'self') would block it


def test_a_rate_limited_answer_says_when_to_retry(settings):
    newsletter, _ = lists()
    settings.SUBSCRIPTIONS_MIN_FORM_SECONDS = 0
    settings.SUBSCRIPTIONS_RATE_PER_IP = "2/h"
    client = Client()
    url = reverse("subscriptions:subscribe")
    for i in range(2):
        assert client.post(url, signup_data(newsletter, email=f"p{i}@example.com")).status_code
    response = client.post(url, signup_data(newsletter, email="p3@example.com"))
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 3600
    # The daily per-address limit makes a longer wait.
    settings.SUBSCRIPTIONS_RATE_PER_IP = "1000/h"
    settings.SUBSCRIPTIONS_RATE_PER_EMAIL_DAY = "1/d"
    settings.SUBSCRIPTIONS_RATE_PER_EMAIL = "1000/h"
    client.post(url, signup_data(newsletter, email="daily@example.com"))
    response = client.post(url, signup_data(newsletter, email="daily@example.com"))
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 86400
    assert "Retry-After" not in client.get(url)


def test_a_request_for_an_unknown_host_gets_the_400_page_without_using_the_host():
    response = Client().get("/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert "Bad request" in response.content.decode()
    assert "evil.example" not in response.content.decode()


def test_head_is_answered_on_the_pages_alert_emails_link_to():
    from tests.articles.site_data import build_site

    site = build_site()
    client = Client()
    for path in (
        "/",
        site["article"].get_absolute_url(),
        site["article"].issue.get_absolute_url(),
        "/sitemap.xml",
    ):
        get, head = client.get(path), client.head(path)
        assert (path, head.status_code) == (path, get.status_code) == (path, 200)
