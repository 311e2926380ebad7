"""The signup form posts from cached pages without a CSRF token: the Origin is the check.

See subscriptions.views.same_origin_post for the design, and the README ("Signup on
cached pages").
"""

import time

import pytest
from django.urls import reverse
from lxml import html

from subscriptions.forms import form_stamp
from subscriptions.models import Subscriber
from tests.factories import make_journal
from tests.subscriptions.conftest import CommittingClient
from tests.subscriptions.helpers import signup_data

pytestmark = pytest.mark.django_db
URL = "/subscribe/"


@pytest.fixture
def browser():
    """A client that, like a browser on a cached page, has no CSRF cookie or token."""
    make_journal(postal_address="Amplity Health\n2 Walnut St, Philadelphia PA")
    return CommittingClient(enforce_csrf_checks=True)


def test_a_cross_site_post_is_refused_and_changes_nothing(browser, newsletter, outbox):
    response = browser.post(URL, signup_data(newsletter), HTTP_ORIGIN="https://evil.example")
    assert response.status_code == 403
    assert "sent from another website" in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert Subscriber.objects.count() == 0
    assert outbox == []


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_REFERER": "https://evil.example/page.html"},  # no Origin: the Referer counts
        {"HTTP_ORIGIN": "null"},  # sandboxed frames and privacy modes
        {"HTTP_ORIGIN": "https://testserver"},  # another scheme is another origin
        {"HTTP_ORIGIN": "http://testserver.evil.example"},
        {"HTTP_REFERER": "not a url"},
    ],
)
def test_other_origins_are_refused(browser, newsletter, headers):
    assert browser.post(URL, signup_data(newsletter), **headers).status_code == 403
    assert Subscriber.objects.count() == 0


def test_a_same_origin_post_without_cookie_or_token_is_accepted(browser, newsletter, outbox):
    response = browser.post(URL, signup_data(newsletter), HTTP_ORIGIN="http://testserver")
    assert response.status_code == 302 and response["Location"] == reverse("subscriptions:thanks")
    assert Subscriber.objects.get().email == "ada@example.com"
    assert len(outbox) == 1


def test_a_same_origin_referer_is_enough_without_origin(browser, newsletter):
    response = browser.post(
        URL, signup_data(newsletter), HTTP_REFERER="http://testserver/articles/some-article/"
    )
    assert response.status_code == 302
    assert Subscriber.objects.count() == 1


def test_trusted_origins_are_accepted_including_wildcards(browser, newsletter, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://www.jhoponline.example", "https://*.cdn.example"]
    assert (
        browser.post(
            URL, signup_data(newsletter), HTTP_ORIGIN="https://www.jhoponline.example"
        ).status_code
        == 302
    )
    other = signup_data(newsletter, email="grace@example.com")
    assert browser.post(URL, other, HTTP_ORIGIN="https://edge.cdn.example").status_code == 302
    third = signup_data(newsletter, email="alan@example.com")
    assert browser.post(URL, third, HTTP_ORIGIN="http://edge.cdn.example").status_code == 403
    assert Subscriber.objects.count() == 2


def test_a_post_with_neither_origin_nor_referer_is_accepted_but_still_screened(browser, newsletter):
    """Decision (documented in same_origin_post and the README): no browser sends a
    cross-site POST without Origin, and a script could send any header it liked; the
    honeypot, the stamp and the rate limits are what screen such posts."""
    assert browser.post(URL, signup_data(newsletter)).status_code == 302
    assert Subscriber.objects.count() == 1
    bot = signup_data(newsletter, email="bot@example.com", website="http://spam.example")
    assert browser.post(URL, bot).status_code == 302
    assert not Subscriber.objects.filter(email="bot@example.com").exists()


def test_forms_and_token_pages_are_never_stored(client):
    for url in (URL, reverse("subscriptions:manage-request"), reverse("subscriptions:stamp")):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "private" in response["Cache-Control"], url
        assert "no-store" in response["Cache-Control"], url


# The time-on-form stamp on cached pages ------------------------------------------------


def test_each_visitor_gets_a_stamp_of_their_own(client):
    first = client.get(reverse("subscriptions:stamp"))
    second = client.get(reverse("subscriptions:stamp"))
    assert first["Content-Type"] == "application/json"
    assert first.json()["started"] != second.json()["started"]
    assert not first.cookies


def test_a_stamp_counts_for_one_signup_only(browser, newsletter, settings, outbox):
    """A stamp harvested once and replayed for other addresses does not get through."""
    settings.SUBSCRIPTIONS_MIN_FORM_SECONDS = 3
    stamp = form_stamp(at=time.time() - 10)
    assert browser.post(URL, signup_data(newsletter, started=stamp)).status_code == 302
    for n in range(3):
        replay = signup_data(newsletter, email=f"victim{n}@example.com", started=stamp)
        assert browser.post(URL, replay, REMOTE_ADDR=f"10.0.0.{n}").status_code == 302
    assert list(Subscriber.objects.values_list("email", flat=True)) == ["ada@example.com"]
    assert len(outbox) == 1


def test_an_invalid_form_keeps_its_stamp_for_the_corrected_one(browser, newsletter, settings):
    settings.SUBSCRIPTIONS_MIN_FORM_SECONDS = 3
    stamp = form_stamp(at=time.time() - 10)
    assert browser.post(URL, signup_data(newsletter, started=stamp, email="")).status_code == 200
    assert browser.post(URL, signup_data(newsletter, started=stamp)).status_code == 302
    assert Subscriber.objects.count() == 1


def test_without_javascript_the_form_comes_back_with_a_stamp_to_send_again(
    browser, newsletter, settings
):
    settings.SUBSCRIPTIONS_MIN_FORM_SECONDS = 3
    response = browser.post(URL, signup_data(newsletter, started=""))
    assert response.status_code == 200
    assert Subscriber.objects.count() == 0
    doc = html.fromstring(response.content)
    assert "send the form again" in doc.text_content()
    assert doc.xpath("//input[@name='email']/@value") == ["ada@example.com"]
    stamp = doc.xpath("//input[@name='started']/@value")[0]
    # Sent again at once, it is too fast (a bot resending in a loop); after a while, it counts.
    assert browser.post(URL, signup_data(newsletter, started=stamp)).status_code == 302
    assert Subscriber.objects.count() == 0
    settings.SUBSCRIPTIONS_MIN_FORM_SECONDS = 0
    fresh = html.fromstring(browser.post(URL, signup_data(newsletter, started="")).content)
    stamp = fresh.xpath("//input[@name='started']/@value")[0]
    assert browser.post(URL, signup_data(newsletter, started=stamp)).status_code == 302
    assert Subscriber.objects.count() == 1


def test_honeypot_without_stamp_is_dropped_silently(browser, newsletter):
    data = signup_data(newsletter, started="", website="http://spam.example")
    assert browser.post(URL, data).status_code == 302
    assert Subscriber.objects.count() == 0
