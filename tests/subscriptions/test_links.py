from datetime import timedelta
from unittest import mock

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from subscriptions.models import ConsentEvent, Subscriber, Subscription
from subscriptions.tokens import InvalidToken, Purpose, address_check, make_token, read_token
from tests.html import parse

from .helpers import ADDRESS, link_in, post_signup

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada(client, newsletter, print_edition, outbox):
    post_signup(client, newsletter, print_edition, **ADDRESS)
    outbox.clear()
    return Subscriber.objects.get()


def url(name, subscriber, purpose=None, mailing_list=None):
    token = make_token(
        subscriber=subscriber, purpose=purpose or Purpose(name), mailing_list=mailing_list
    )
    return reverse(f"subscriptions:{name}", args=[token])


def statuses(subscriber):
    return dict(subscriber.subscriptions.values_list("mailing_list__slug", "status"))


# Confirm -------------------------------------------------------------------


def test_confirm_get_is_safe_for_link_scanners(client, ada):
    response = client.get(url("confirm", ada))
    assert response.status_code == 200
    assert b"Confirm my subscription" in response.content
    assert set(statuses(ada).values()) == {"pending"}
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]


def test_confirm_post_activates_and_is_idempotent(client, ada, outbox):
    path = url("confirm", ada)
    client.get(path)  # the scanner's visit first
    assert client.post(path).status_code == 200
    assert set(statuses(ada).values()) == {"active"}
    first = Subscription.objects.filter(subscriber=ada).values_list("confirmed_at", flat=True)
    first = sorted(first)
    response = client.post(path)
    assert response.status_code == 200
    assert sorted(ada.subscriptions.values_list("confirmed_at", flat=True)) == first
    assert ada.events.filter(kind=ConsentEvent.Kind.CONFIRMED).count() == 1
    confirmed = ada.events.get(kind=ConsentEvent.Kind.CONFIRMED)
    assert confirmed.consent_text is not None and confirmed.ip_address == "127.0.0.0"
    assert confirmed.details["city"] == "Philadelphia"
    assert confirmed.source_url == "http://testserver/subscribe/confirm/-/"  # no live token
    assert outbox == []


def test_confirm_needs_csrf(ada):
    response = Client(enforce_csrf_checks=True).post(url("confirm", ada))
    assert response.status_code == 403
    assert set(statuses(ada).values()) == {"pending"}


# Token misuse --------------------------------------------------------------


def bad_tokens(ada):
    other = Subscriber.objects.create(email="other@example.com")
    good = make_token(subscriber=ada, purpose=Purpose.CONFIRM)
    forged_payload = {"s": ada.pk, "h": address_check(ada), "p": "confirm"}
    return {
        "forged": signing.dumps(forged_payload, key="not-the-secret", salt="x"),
        "tampered": good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB"),
        "wrong purpose": make_token(subscriber=ada, purpose=Purpose.UNSUBSCRIBE),
        "other subscriber": make_token(subscriber=other, purpose=Purpose.CONFIRM),
        "garbage": "not-a-token",
    }


@pytest.mark.parametrize("kind", ["forged", "tampered", "wrong purpose", "garbage"])
def test_bad_confirm_tokens_get_a_clear_page_and_change_nothing(client, ada, kind):
    token = bad_tokens(ada)[kind]
    for method in (client.get, client.post):
        response = method(reverse("subscriptions:confirm", args=[token]))
        assert response.status_code == 400
        assert b"This link is not valid" in response.content
    assert set(statuses(ada).values()) == {"pending"}


def test_a_link_for_one_address_cannot_touch_another(client, ada):
    token = bad_tokens(ada)["other subscriber"]
    client.post(reverse("subscriptions:confirm", args=[token]))
    assert set(statuses(ada).values()) == {"pending"}


def test_confirm_token_cannot_unsubscribe(client, ada):
    client.post(url("confirm", ada))
    token = make_token(subscriber=ada, purpose=Purpose.CONFIRM)
    response = client.post(reverse("subscriptions:unsubscribe", args=[token]))
    assert response.status_code == 400
    assert set(statuses(ada).values()) == {"active"}


def test_expired_tokens_are_refused(client, ada):
    token = make_token(subscriber=ada, purpose=Purpose.CONFIRM)
    later = timezone.now().timestamp() + timedelta(days=8).total_seconds()
    with mock.patch("time.time", return_value=later):
        with pytest.raises(InvalidToken):
            read_token(token, purpose=Purpose.CONFIRM)
        response = client.post(reverse("subscriptions:confirm", args=[token]))
    assert response.status_code == 400
    assert set(statuses(ada).values()) == {"pending"}


def test_changing_the_address_voids_old_links(ada):
    token = make_token(subscriber=ada, purpose=Purpose.MANAGE)
    ada.email = "new-address@example.com"
    ada.save()
    with pytest.raises(InvalidToken):
        read_token(token, purpose=Purpose.MANAGE)


# Unsubscribe ---------------------------------------------------------------


@pytest.fixture
def active_ada(client, ada, outbox):
    client.post(url("confirm", ada))
    outbox.clear()
    return ada


def test_unsubscribe_get_only_shows_a_button(client, active_ada, newsletter):
    response = client.get(url("unsubscribe", active_ada, mailing_list=newsletter))
    assert response.status_code == 200
    assert b"JHOP e-Newsletter" in response.content and b"<button" in response.content
    assert set(statuses(active_ada).values()) == {"active"}


def test_one_click_unsubscribe_works_without_csrf_and_only_for_that_list(
    active_ada, newsletter, outbox
):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        url("unsubscribe", active_ada, mailing_list=newsletter),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert statuses(active_ada) == {
        "jhop-e-newsletter": "unsubscribed",
        "jhop-print-edition": "active",
    }
    event = active_ada.events.get(kind=ConsentEvent.Kind.UNSUBSCRIBED)
    assert event.source == ConsentEvent.Source.ONE_CLICK
    assert event.lists == ["JHOP e-Newsletter"]


def test_repeated_unsubscribe_is_harmless(client, active_ada, newsletter, outbox):
    path = url("unsubscribe", active_ada, mailing_list=newsletter)
    client.post(path)
    client.post(path)
    assert active_ada.events.filter(kind=ConsentEvent.Kind.UNSUBSCRIBED).count() == 1
    assert outbox == []  # the print edition stays active: no goodbye
    assert b"already unsubscribed" in client.post(path).content


def test_a_goodbye_only_when_nothing_is_left_and_never_after_one_click(
    client, active_ada, newsletter, print_edition, outbox
):
    client.post(url("unsubscribe", active_ada, mailing_list=newsletter))
    assert outbox == []  # still receives the print edition
    client.post(url("unsubscribe", active_ada, mailing_list=print_edition))
    assert len(outbox) == 1 and "unsubscribed" in outbox[0].subject
    assert "JHOP Print Edition" in outbox[0].body


def test_one_click_unsubscribe_of_the_last_list_sends_no_goodbye(
    active_ada, newsletter, print_edition, outbox
):
    for mailing_list in (newsletter, print_edition):
        response = Client(enforce_csrf_checks=True).post(
            url("unsubscribe", active_ada, mailing_list=mailing_list),
            data="List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        )
        assert response.status_code == 200
    assert set(statuses(active_ada).values()) == {"unsubscribed"}
    assert outbox == []


def test_an_unsubscribe_link_works_however_old(active_ada, newsletter, outbox):
    """RFC 8058: the one-click button in a years-old email must still unsubscribe."""
    path = url("unsubscribe", active_ada, mailing_list=newsletter)
    ten_years = timezone.now().timestamp() + 10 * 365 * 24 * 3600
    with mock.patch("time.time", return_value=ten_years):
        assert Client().get(path).status_code == 200
        response = Client(enforce_csrf_checks=True).post(
            path,
            data="List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        )
    assert response.status_code == 200
    assert statuses(active_ada)["jhop-e-newsletter"] == "unsubscribed"


def test_forged_unsubscribe_changes_nothing(active_ada, newsletter):
    token = make_token(subscriber=active_ada, purpose=Purpose.UNSUBSCRIBE, mailing_list=newsletter)
    response = Client().post(reverse("subscriptions:unsubscribe", args=[token + "x"]))
    assert response.status_code == 400
    assert set(statuses(active_ada).values()) == {"active"}


def test_csrf_exemption_is_only_on_the_unsubscribe_endpoint(active_ada):
    client = Client(enforce_csrf_checks=True)
    assert client.post(url("manage", active_ada), {"unsubscribe_all": "1"}).status_code == 403
    assert set(statuses(active_ada).values()) == {"active"}


# Preference centre ---------------------------------------------------------


def preferences(lists, **overrides):
    data = {
        "first_name": "Ada",
        "last_name": "King",
        "profession": "physician",
        "organization": "",
        **ADDRESS,
        "lists": [str(m.pk) for m in lists],
    }
    data.update(overrides)
    return data


def test_manage_get_changes_nothing_and_shows_current_choices(client, active_ada):
    response = client.get(url("manage", active_ada))
    assert response.status_code == 200
    ticked = {box.get("value") for box in parse(response).xpath('//input[@name="lists"][@checked]')}
    assert ticked == {str(s.mailing_list_id) for s in active_ada.subscriptions.all()}
    assert len(ticked) == 2
    assert set(statuses(active_ada).values()) == {"active"}


def test_preference_centre_changes_lists_name_and_address(client, active_ada, newsletter, outbox):
    path = url("manage", active_ada)
    response = client.post(path, preferences([newsletter], city="Pittsburgh"))
    assert response.status_code == 302
    active_ada.refresh_from_db()
    assert (active_ada.last_name, active_ada.profession, active_ada.city) == (
        "King",
        "physician",
        "Pittsburgh",
    )
    assert statuses(active_ada)["jhop-print-edition"] == "unsubscribed"
    event = active_ada.events.get(kind=ConsentEvent.Kind.PREFERENCES)
    assert event.details["removed"] == ["JHOP Print Edition"]
    assert outbox == []  # still subscribed to something: no goodbye
    assert b"Your preferences are saved." in client.get(path).content


def test_resubscribe_later_from_the_preference_centre_records_new_consent(
    client, active_ada, newsletter, print_edition
):
    path = url("manage", active_ada)
    client.post(path, {"unsubscribe_all": "1"})
    assert set(statuses(active_ada).values()) == {"unsubscribed"}
    client.post(path, preferences([newsletter, print_edition]))
    assert set(statuses(active_ada).values()) == {"active"}
    event = active_ada.events.filter(kind=ConsentEvent.Kind.PREFERENCES).get()
    assert event.consent_text is not None
    assert event.details["added"] == ["JHOP e-Newsletter", "JHOP Print Edition"]


def test_unsubscribe_from_all_sends_one_goodbye(client, active_ada, outbox):
    response = client.post(url("manage", active_ada), {"unsubscribe_all": "1"})
    assert b"You are unsubscribed" in response.content
    assert set(statuses(active_ada).values()) == {"unsubscribed"}
    assert len(outbox) == 1
    assert "JHOP Print Edition" in outbox[0].body


def test_preference_centre_requires_the_address_for_print(client, active_ada, print_edition):
    response = client.post(url("manage", active_ada), preferences([print_edition], city=""))
    assert response.status_code == 200
    assert b"Needed to mail you the print edition." in response.content
    active_ada.refresh_from_db()
    assert active_ada.last_name == "Lovelace"


def test_manage_link_request_never_reveals_whether_an_address_is_known(client, active_ada, outbox):
    known = client.post(reverse("subscriptions:manage-request"), {"email": "ada@example.com"})
    unknown = client.post(reverse("subscriptions:manage-request"), {"email": "who@example.com"})
    assert known.content == unknown.content
    assert len(outbox) == 1
    assert client.get(link_in(outbox[0], "manage")).status_code == 200


def test_manage_link_request_does_the_same_work_for_known_and_unknown_addresses(
    client, active_ada, outbox, settings, django_capture_on_commit_callbacks
):
    """No timing tells them apart: each request only queues a task; the lookup and the
    email happen in the task, after the answer has gone."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django_tasks import default_task_backend

    from subscriptions.tasks import send_manage_link

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    outbox.clear()
    work = {}
    for email in ("ada@example.com", "who@example.com"):
        default_task_backend.clear()
        cache.clear()  # both pages read the journal from the database alike
        with CaptureQueriesContext(connection) as queries:
            response = client.post(reverse("subscriptions:manage-request"), {"email": email})
        assert response.status_code == 200
        work[email] = (
            [q["sql"] for q in queries.captured_queries],
            [(r.task.name, r.args) for r in default_task_backend.results],
        )
    assert work["ada@example.com"][0] == work["who@example.com"][0]
    assert not any("subscriber" in sql for sql in work["ada@example.com"][0])
    assert work["ada@example.com"][1] == [(send_manage_link.name, ["ada@example.com"])]
    assert work["who@example.com"][1] == [(send_manage_link.name, ["who@example.com"])]
    assert outbox == [] and not active_ada.outbound_emails.filter(kind="manage").exists()
    # The task does the rest: only the known address gets an email.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        send_manage_link.call("who@example.com")
        send_manage_link.call("ada@example.com")
    assert [m.to for m in outbox] == [["ada@example.com"]]


# Every misuse of every link ---------------------------------------------------


ENDPOINTS = {
    # endpoint: (purpose, what a POST would carry if the token were good)
    "confirm": (Purpose.CONFIRM, {}),
    "manage": (Purpose.MANAGE, {"unsubscribe_all": "1"}),
    "unsubscribe": (Purpose.UNSUBSCRIBE, "List-Unsubscribe=One-Click"),
}


def _tamper(token: str, **payload) -> str:
    """Swap the signed payload for another while keeping the original timestamp and signature."""
    _, stamp, signature = token.rsplit(":", 2)
    other = signing.dumps(payload, salt="anything", compress=True).rsplit(":", 1)[0]
    return f"{other.rsplit(':', 1)[0]}:{stamp}:{signature}"


def misuses(ada, other, endpoint):
    purpose, _ = ENDPOINTS[endpoint]
    good = make_token(subscriber=ada, purpose=purpose)
    payload = {"s": ada.pk, "h": address_check(ada), "p": str(purpose)}
    return {
        "forged": signing.dumps(
            payload, key="not-the-secret", salt=f"subscriptions.token.{purpose}"
        ),
        "tampered signature": good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB"),
        "tampered payload": _tamper(good, s=other.pk, h=address_check(other), p=str(purpose)),
        "truncated": good[: len(good) // 2],
        "garbage": "not-a-token",
        **{
            f"{wrong} token": make_token(subscriber=ada, purpose=wrong)
            for wrong in Purpose
            if wrong != purpose
        },
    }


def snapshot_of_everything():
    return (
        list(Subscription.objects.order_by("pk").values_list("pk", "status", "updated_at")),
        list(Subscriber.objects.order_by("pk").values()),
        ConsentEvent.objects.count(),
    )


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize("method", ["get", "post"])
def test_every_bad_token_gets_a_clear_page_and_changes_nothing(
    client, active_ada, outbox, endpoint, method
):
    other = Subscriber.objects.create(email="other@example.com")
    _, body = ENDPOINTS[endpoint]
    before = snapshot_of_everything()
    for kind, token in misuses(active_ada, other, endpoint).items():
        path = reverse(f"subscriptions:{endpoint}", args=[token])
        if method == "post" and isinstance(body, str):
            response = Client(enforce_csrf_checks=True).post(
                path, data=body, content_type="application/x-www-form-urlencoded"
            )
        else:
            response = getattr(client, method)(path, {} if isinstance(body, str) else body)
        assert response.status_code == 400, (kind, response.status_code)
        assert b"This link is not valid" in response.content, kind
        assert "no-store" in response["Cache-Control"], kind
    assert snapshot_of_everything() == before
    assert outbox == []


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_links_die_when_the_address_changes_or_is_erased(client, active_ada, outbox, endpoint):
    from subscriptions import services

    purpose, body = ENDPOINTS[endpoint]
    token = make_token(subscriber=active_ada, purpose=purpose)
    path = reverse(f"subscriptions:{endpoint}", args=[token])
    active_ada.email = "ada.new@example.com"
    active_ada.save()
    before = snapshot_of_everything()
    for method in (client.get, client.post):
        assert method(path, {} if isinstance(body, str) else body).status_code == 400
    assert snapshot_of_everything() == before

    active_ada.email = "ada@example.com"  # back: the old link works again, as it should
    active_ada.save()
    assert client.get(path).status_code == 200
    services.erase_subscriber(subscriber=active_ada, meta=services.RequestMeta())
    before = snapshot_of_everything()
    for method in (client.get, client.post):
        response = method(path, {} if isinstance(body, str) else body)
        assert response.status_code == 400
        assert b"ada@example.com" not in response.content
    assert snapshot_of_everything() == before
    assert outbox == []


@pytest.mark.parametrize("endpoint", ["confirm", "manage"])
def test_expired_links_are_refused(client, active_ada, endpoint):
    from subscriptions.tokens import MAX_AGE

    purpose, body = ENDPOINTS[endpoint]
    path = reverse(
        f"subscriptions:{endpoint}", args=[make_token(subscriber=active_ada, purpose=purpose)]
    )
    before = snapshot_of_everything()
    later = timezone.now().timestamp() + MAX_AGE[purpose].total_seconds() + 60
    with mock.patch("time.time", return_value=later):
        for method in (client.get, client.post):
            assert method(path, {} if isinstance(body, str) else body).status_code == 400
    assert snapshot_of_everything() == before


def test_a_valid_link_of_another_subscriber_only_acts_on_that_subscriber(
    active_ada, newsletter, outbox
):
    from .factories import make_subscriber

    other = make_subscriber(lists=[newsletter])
    token = make_token(subscriber=other, purpose=Purpose.UNSUBSCRIBE, mailing_list=newsletter)
    Client().post(
        reverse("subscriptions:unsubscribe", args=[token]),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert other.subscriptions.get().status == "unsubscribed"
    assert set(statuses(active_ada).values()) == {"active"}


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_opening_a_link_never_changes_anything(client, ada, newsletter, endpoint):
    """Link scanners GET (and HEAD) every link in a message before the person does."""
    purpose, _ = ENDPOINTS[endpoint]
    mailing_list = newsletter if endpoint == "unsubscribe" else None
    path = url(endpoint, ada, purpose, mailing_list)
    for subscriber_state in ("pending", "active"):
        if subscriber_state == "active":
            client.post(url("confirm", ada))
        before = snapshot_of_everything()
        for _ in range(3):
            assert client.get(path).status_code == 200
            assert client.head(path).status_code == 200
        assert snapshot_of_everything() == before


def test_one_click_unsubscribe_accepts_multipart_and_needs_no_cookie(active_ada, newsletter):
    """RFC 8058: the POST carries no cookies and may be multipart/form-data."""
    path = url("unsubscribe", active_ada, mailing_list=newsletter)
    client = Client(enforce_csrf_checks=True)
    response = client.post(path, {"List-Unsubscribe": "One-Click"})  # multipart
    assert response.status_code == 200 and not response.cookies
    assert statuses(active_ada)["jhop-e-newsletter"] == "unsubscribed"
    assert active_ada.events.get(kind="unsubscribed").source == ConsentEvent.Source.ONE_CLICK


def test_saving_preferences_with_print_ticked_requalifies_it(
    client, active_ada, newsletter, print_edition
):
    """A print request lapses after three years; the person renews it in the preference
    centre, and the record keeps what they were shown and the address they gave."""
    from datetime import timedelta as td

    active_ada.subscriptions.update(qualified_at=timezone.now() - td(days=3 * 365 + 10))
    assert Subscription.objects.needing_requalification().filter(subscriber=active_ada).exists()
    path = url("manage", active_ada)
    page = client.get(path).content.decode()
    consent_body = ConsentEvent.objects.filter(consent_text__isnull=False).first().consent_text
    assert consent_body.body.splitlines()[0] in page  # the offer is on the page
    client.post(path, preferences([newsletter, print_edition], address_line2="Suite 4"))
    assert not Subscription.objects.needing_requalification().filter(subscriber=active_ada)
    event = active_ada.events.get(kind=ConsentEvent.Kind.PREFERENCES)
    assert event.consent_text == consent_body
    assert event.details["renewed"] == ["JHOP e-Newsletter", "JHOP Print Edition"]
    assert (event.details["address_line2"], event.details["email"]) == (
        "Suite 4",
        "ada@example.com",
    )
    assert event.lists == ["JHOP e-Newsletter", "JHOP Print Edition"]
    assert event.ip_address == "127.0.0.0" and event.created_at


def test_a_link_does_not_show_a_guessable_hash_of_the_address(ada):
    """Anyone who sees a link can read its signed payload: it must not reveal the address."""
    import base64
    import hashlib
    import zlib

    token = make_token(subscriber=ada, purpose=Purpose.MANAGE)
    payload = token.split(":")[0]
    compressed = payload.startswith(".")
    raw = base64.urlsafe_b64decode(payload.lstrip(".") + "=" * (-len(payload) % 4))
    text = (zlib.decompress(raw) if compressed else raw).decode()
    assert hashlib.sha256(b"ada@example.com").hexdigest()[:12] not in text
    assert "ada" not in text


def test_links_survive_a_secret_key_rotation(ada, settings):
    token = make_token(subscriber=ada, purpose=Purpose.UNSUBSCRIBE)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-" + "x" * 40
    assert read_token(token, purpose=Purpose.UNSUBSCRIBE).subscriber == ada
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(InvalidToken):
        read_token(token, purpose=Purpose.UNSUBSCRIBE)
