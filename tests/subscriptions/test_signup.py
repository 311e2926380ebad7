import pytest
from django.urls import reverse

from subscriptions.models import ConsentEvent, Subscriber, Subscription
from tests.factories import make_journal

from .helpers import ADDRESS, link_in, post_signup, signup_data

pytestmark = pytest.mark.django_db


def test_signup_page_renders_the_form(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        response = client.get(reverse("subscriptions:subscribe"))
    assert response.status_code == 200
    assert b"Subscribe Today!" in response.content
    assert b"JHOP Print Edition" in response.content


def test_new_address_gets_pending_subscriptions_and_exactly_one_confirmation_email(
    client, newsletter, consent_text, outbox
):
    make_journal(postal_address="Amplity Health\n2 Walnut St, Philadelphia PA")
    response = post_signup(client, newsletter)
    assert response.status_code == 302
    assert response["Location"] == reverse("subscriptions:thanks")
    subscriber = Subscriber.objects.get()
    assert (subscriber.first_name, subscriber.profession) == ("Ada", "pharmacist")
    assert subscriber.subscriptions.get().status == Subscription.Status.PENDING
    assert len(outbox) == 1
    message = outbox[0]
    assert message.to == ["ada@example.com"]
    assert "confirm" in message.subject.lower()
    assert "/subscribe/confirm/" in message.body
    assert "2 Walnut St, Philadelphia PA" in message.body
    html_part, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and "2 Walnut St, Philadelphia PA" in html_part
    event = subscriber.events.get()
    assert event.kind == ConsentEvent.Kind.REQUESTED
    assert event.consent_text == consent_text
    assert event.lists == ["JHOP e-Newsletter"]
    assert event.details["first_name"] == "Ada"
    assert event.ip_address == "127.0.0.0"


def test_postal_address_falls_back_to_the_setting(client, newsletter, outbox, settings):
    settings.SUBSCRIPTIONS_POSTAL_ADDRESS = "Fallback Press, 9 Elm Road"
    post_signup(client, newsletter)
    assert "Fallback Press, 9 Elm Road" in outbox[0].body


def test_email_is_sent_only_after_commit(
    newsletter, consent_text, outbox, django_capture_on_commit_callbacks
):
    from subscriptions.services import RequestMeta, request_subscription

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        request_subscription(
            email="late@example.com",
            profile={"first_name": "L", "last_name": "T", "profession": "nurse"},
            lists=[newsletter],
            consent_text=consent_text,
            meta=RequestMeta(),
        )
    assert outbox == [] and len(callbacks) == 1
    callbacks[0]()
    assert len(outbox) == 1


def test_print_signup_stores_the_address(client, print_edition, outbox):
    response = post_signup(client, print_edition, **ADDRESS)
    assert response.status_code == 302
    subscriber = Subscriber.objects.get()
    assert subscriber.country.code == "US" and subscriber.city == "Philadelphia"


def test_known_address_gets_a_manage_link_and_the_same_response(
    client, newsletter, print_edition, outbox
):
    first = post_signup(client, newsletter)
    outbox.clear()
    second = post_signup(client, newsletter, email="ADA@Example.com", first_name="Mallory")
    assert (first.status_code, first["Location"]) == (second.status_code, second["Location"])
    assert Subscriber.objects.count() == 1
    assert Subscriber.objects.get().first_name == "Ada"  # a stranger cannot rewrite the record
    assert len(outbox) == 1
    assert "/subscribe/manage/" in outbox[0].body
    assert "/subscribe/confirm/" in outbox[0].body  # still pending: the link is offered again
    assert Subscriber.objects.get().events.filter(kind="requested-known").exists()


def test_the_response_is_identical_for_new_pending_active_unsubscribed_bounced_erased(
    client, newsletter, print_edition, outbox
):
    from subscriptions import services

    from .factories import make_subscriber

    make_subscriber(email="pending@example.com", lists=[newsletter], status="pending")
    make_subscriber(email="active@example.com", lists=[newsletter, print_edition])
    make_subscriber(email="gone@example.com", lists=[newsletter], status="unsubscribed")
    make_subscriber(email="bounced@example.com", lists=[newsletter], status="bounced")
    erased = make_subscriber(email="erased@example.com", lists=[newsletter])
    services.erase_subscriber(subscriber=erased, meta=services.RequestMeta())
    seen = {}
    for state in ["new", "pending", "active", "gone", "bounced", "erased"]:
        outbox.clear()
        response = post_signup(client, newsletter, email=f"{state}@example.com")
        headers = sorted(
            (k, v) for k, v in response.headers.items() if k not in {"Date", "Expires"}
        )
        thanks = client.get(response["Location"])
        assert len(outbox) == 1, state  # a confirmation, or a link to manage: never more
        assert outbox[0].to == [f"{state}@example.com"]
        seen[state] = (
            response.status_code,
            headers,
            response.content,
            response.cookies.output(),
            thanks.status_code,
            thanks.content,
        )
    assert seen["new"][0] == 302
    for state, answer in seen.items():
        assert answer == seen["new"], state


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "", "This field is required"),
        ("email", "not-an-email", "Enter a valid email address"),
        ("email", "a@example.com\r\nBcc: victim@example.com", "Line breaks"),
        ("email", "a" * 250 + "@example.com", "at most 254 characters"),
        ("first_name", "", "This field is required"),
        ("first_name", "x" * 101, "at most 100 characters"),
        ("last_name", "Evil\nInjected: header", "Line breaks"),
        ("organization", "o" * 201, "at most 200 characters"),
        ("profession", "astronaut", "Select a valid choice"),
        ("lists", [], "Choose at least one publication"),
    ],
)
def test_bad_input_gets_a_clear_error_and_saves_nothing(
    client, newsletter, outbox, field, value, message
):
    response = post_signup(client, newsletter, **{field: value})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert b'aria-invalid="true"' in response.content
    assert Subscriber.objects.count() == 0 and outbox == []


def test_print_without_an_address_asks_for_it(client, newsletter, print_edition):
    response = post_signup(client, newsletter, print_edition)
    assert response.status_code == 200
    assert response.content.decode().count("Needed to mail you the print edition.") == 4
    assert Subscriber.objects.count() == 0


def test_unknown_country_is_rejected(client, print_edition):
    response = post_signup(client, print_edition, **{**ADDRESS, "country": "XX"})
    assert "Select a valid choice" in response.content.decode()
    assert Subscriber.objects.count() == 0


def test_unicode_names_and_international_addresses_are_accepted(client, print_edition):
    response = post_signup(
        client,
        print_edition,
        email="zoe@Bücher.example",
        first_name="Zoë\u202e",
        last_name="O\u200b’Brien-Ñúñez",
        address_line1="Königstraße 5",
        city="München",
        region="",
        postal_code="80331",
        country="DE",
    )
    assert response.status_code == 302
    subscriber = Subscriber.objects.get()
    assert subscriber.email == "zoe@xn--bcher-kva.example"
    assert (subscriber.first_name, subscriber.last_name) == ("Zoë", "O’Brien-Ñúñez")
    assert subscriber.city == "München"


def test_look_alike_domains_are_not_merged(client, newsletter):
    post_signup(client, newsletter, email="ada@example.com")
    post_signup(client, newsletter, email="ada@exаmple.com")  # Cyrillic а
    assert Subscriber.objects.count() == 2


def test_honeypot_shows_thanks_and_stores_nothing(client, newsletter, outbox):
    response = post_signup(client, newsletter, website="http://spam.example")
    assert response["Location"] == reverse("subscriptions:thanks")
    assert Subscriber.objects.count() == 0 and outbox == []


def test_form_posted_too_fast_or_unsigned_is_treated_as_a_bot(client, newsletter, settings):
    settings.SUBSCRIPTIONS_MIN_FORM_SECONDS = 3
    assert post_signup(client, newsletter).status_code == 302
    assert post_signup(client, newsletter, started="forged").status_code == 302
    assert Subscriber.objects.count() == 0


def test_rate_limit_per_address(client, newsletter, settings):
    settings.SUBSCRIPTIONS_RATE_PER_EMAIL = "2/h"
    assert post_signup(client, newsletter).status_code == 302
    assert post_signup(client, newsletter).status_code == 302
    response = post_signup(client, newsletter)
    assert response.status_code == 429
    assert b"Too many requests" in response.content
    assert post_signup(client, newsletter, email="someone-else@example.com").status_code == 302


def test_rate_limit_per_ip(client, newsletter, settings):
    settings.SUBSCRIPTIONS_RATE_PER_IP = "3/h"
    codes = [
        post_signup(client, newsletter, email=f"p{i}@example.com").status_code for i in range(4)
    ]
    assert codes == [302, 302, 302, 429]
    assert Subscriber.objects.count() == 3


def test_confirmation_link_from_the_email_activates(client, newsletter, outbox):
    post_signup(client, newsletter)
    path = link_in(outbox[0], "confirm")
    assert client.post(path).status_code == 200
    subscription = Subscription.objects.get()
    assert subscription.status == "active" and subscription.confirmed_at


def test_the_page_the_form_was_on_is_recorded_and_foreign_sources_are_ignored(client, newsletter):
    post_signup(client, newsletter, source="/articles/cdk46-resistance/")
    post_signup(client, newsletter, email="b@example.com", source="https://evil.example/x")
    urls = dict(ConsentEvent.objects.values_list("subscriber__email", "source_url"))
    assert urls["ada@example.com"] == "http://testserver/articles/cdk46-resistance/"
    assert urls["b@example.com"] == "http://testserver/subscribe/"


def test_the_consent_text_version_shown_is_the_one_recorded(client, newsletter, consent_text):
    from subscriptions.models import ConsentText

    newer = ConsentText.objects.create(version=2, body="New offer wording.")
    page = client.get(reverse("subscriptions:subscribe")).content.decode()
    assert "New offer wording." in page
    assert f'name="consent_text" value="{newer.pk}"' in page
    # Someone who loaded the form before the change was shown version 1.
    post_signup(client, newsletter, consent_text=str(consent_text.pk))
    assert ConsentEvent.objects.get().consent_text == consent_text


def test_consent_texts_cannot_be_edited_once_saved(admin_client, consent_text):
    url = reverse("admin:subscriptions_consenttext_change", args=[consent_text.pk])
    admin_client.post(url, {"version": "1", "body": "Rewritten history"})
    consent_text.refresh_from_db()
    assert "Rewritten history" not in consent_text.body


TEXT_FIELDS = {
    "first_name": 100,
    "last_name": 100,
    "organization": 200,
    "address_line1": 200,
    "address_line2": 200,
    "city": 100,
    "region": 100,
    "postal_code": 20,
}


@pytest.mark.parametrize("field", ["email", *TEXT_FIELDS])
@pytest.mark.parametrize("line_break", ["\r", "\n", "\r\n", "\x85", "\u2028", "\u2029", "\x00"])
def test_header_injection_is_rejected_in_every_field(
    client, print_edition, outbox, field, line_break
):
    value = f"{signup_data(print_edition, **ADDRESS).get(field)}{line_break}Bcc: victim@example.com"
    response = post_signup(client, print_edition, **{**ADDRESS, field: value})
    assert response.status_code == 200
    assert "Line breaks and control characters are not allowed here." in response.content.decode()
    assert Subscriber.objects.count() == 0 and outbox == []


@pytest.mark.parametrize(("field", "limit"), [("email", 254), *TEXT_FIELDS.items()])
def test_every_field_has_a_length_limit(client, print_edition, outbox, field, limit):
    value = "x" * (limit + 1)
    if field == "email":
        # The longest address: 64 characters before the @, domain labels of 63 at most.
        domain = "b" * 63 + "." + "c" * 63 + "." + "d" * (limit - 64 - 1 - 128 - 4) + ".com"
        value = "a" * 64 + "@" + domain
        assert len(value) == limit
        assert len(post_signup(client, print_edition, **ADDRESS, email=value)["Location"])
        Subscriber.objects.all().delete()
        outbox.clear()
        value = value.replace(".d", ".dd", 1)  # one character more
    response = post_signup(client, print_edition, **{**ADDRESS, field: value})
    assert response.status_code == 200
    assert f"at most {limit} characters" in response.content.decode()
    assert Subscriber.objects.count() == 0 and outbox == []


def test_an_address_too_long_once_its_domain_is_encoded_is_refused(client, newsletter):
    # 152 characters, 328 once each 19-character label is encoded as punycode (63 each).
    email = "a" * 64 + "@" + ".".join(["漢字網址測試範例長域名標籤漢字網址測試"] * 4) + ".example"
    response = post_signup(client, newsletter, email=email)
    assert response.status_code == 200
    assert "Enter a valid email address" in response.content.decode()
    assert Subscriber.objects.count() == 0


@pytest.mark.parametrize(
    "invisible",
    [
        "\u202e",
        "\u202d",
        "\u2066",
        "\u200b",
        "\u200c",
        "\u200d",
        "\u2060",
        "\ufeff",
        "\u00ad",
        "\u061c",
        "\u180e",
        "\U000e0041",
    ],
)
def test_invisible_characters_are_stripped_from_names_and_addresses(
    client, print_edition, invisible
):
    post_signup(
        client,
        print_edition,
        **{**ADDRESS, "city": f"Phila{invisible}delphia"},
        first_name=f"{invisible}Ada",
        last_name=f"Love{invisible}lace{invisible}",
        organization=f"General{invisible} Hospital",
    )
    subscriber = Subscriber.objects.get()
    assert (subscriber.first_name, subscriber.last_name) == ("Ada", "Lovelace")
    assert (subscriber.organization, subscriber.city) == ("General Hospital", "Philadelphia")


def test_a_name_made_only_of_invisible_characters_is_missing(client, newsletter):
    response = post_signup(client, newsletter, first_name="\u200b\u202e\u3164")
    assert "This field is required" in response.content.decode()
    assert Subscriber.objects.count() == 0


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("ada@Bücher.example", "ada@xn--bcher-kva.example"),
        ("ada@xn--BCHER-kva.example", "ada@xn--bcher-kva.example"),
        ("ada@ＥＸＡＭＰＬＥ.com", "ada@example.com"),
        ("ada@exa\u200bmple.com", "ada@example.com"),
        ("ada@straße.de", "ada@xn--strae-oqa.de"),  # IDNA 2008: not strasse.de
        ("ada@例え.テスト", "ada@xn--r8jz45g.xn--zckzah"),
    ],
)
def test_international_domain_names_are_stored_in_one_form(client, newsletter, typed, stored):
    assert post_signup(client, newsletter, email=typed).status_code == 302
    assert Subscriber.objects.get().email == stored


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("ada@example.com", "ada@exаmple.com"),  # Cyrillic а
        ("ada@straße.de", "ada@strasse.de"),  # two registrable domains
        ("ada@paypal.com", "ada@pаypal.com"),
    ],
)
def test_distinct_domains_that_look_alike_stay_distinct(client, newsletter, one, other):
    post_signup(client, newsletter, email=one)
    post_signup(client, newsletter, email=other)
    assert Subscriber.objects.count() == 2


def test_spelling_variants_of_one_address_share_its_rate_limit(client, newsletter, settings):
    settings.SUBSCRIPTIONS_RATE_PER_EMAIL = "2/h"
    assert post_signup(client, newsletter, email="zoe@bücher.example").status_code == 302
    assert post_signup(client, newsletter, email="ZOE@BÜCHER.example").status_code == 302
    assert post_signup(client, newsletter, email="zoe@xn--bcher-kva.example").status_code == 429


def test_a_stamp_kept_for_days_is_not_accepted_but_a_person_can_send_again(
    client, newsletter, settings, outbox
):
    import re
    import time

    from subscriptions.forms import form_stamp

    settings.SUBSCRIPTIONS_MIN_FORM_SECONDS = 3
    old = form_stamp(at=time.time() - 3 * 24 * 3600)
    response = post_signup(client, newsletter, started=old)
    page = response.content.decode()
    assert response.status_code == 200
    assert "This form was open for a long time" in page
    assert 'value="ada@example.com"' in page  # the answers are kept
    assert Subscriber.objects.count() == 0 and outbox == []
    fresh = re.search(r'name="started" value="([^"]+)"', page).group(1)
    assert fresh != old
    assert post_signup(client, newsletter, started=fresh).status_code == 302  # sent at once
    assert Subscriber.objects.count() == 1 and len(outbox) == 1


def test_people_who_forget_the_address_do_not_share_a_rate_limit(client, newsletter, settings):
    settings.SUBSCRIPTIONS_RATE_PER_EMAIL = "2/h"
    for _ in range(4):
        response = post_signup(client, newsletter, email="")
        assert response.status_code == 200
        assert "This field is required" in response.content.decode()


def test_an_address_gets_a_few_emails_a_day_at_most(client, newsletter, settings, outbox):
    settings.SUBSCRIPTIONS_RATE_PER_EMAIL = "100/h"
    settings.SUBSCRIPTIONS_RATE_PER_EMAIL_DAY = "3/d"
    codes = [post_signup(client, newsletter).status_code for _ in range(4)]
    assert codes == [302, 302, 302, 429]
    assert len(outbox) == 3
    response = client.post(reverse("subscriptions:manage-request"), {"email": "ada@example.com"})
    assert response.status_code == 429 and len(outbox) == 3


def test_the_thanks_page_is_public_like_every_page_with_nothing_per_visitor(client, settings):
    response = client.get(reverse("subscriptions:thanks"))
    assert response["Cache-Control"] == "public, max-age=60, s-maxage=300"
    assert not response.cookies
    assert "Cookie" not in response.get("Vary", "")

    client.cookies[settings.SESSION_COOKIE_NAME] = "a-signed-in-editor"
    assert "no-store" in client.get(reverse("subscriptions:thanks"))["Cache-Control"]
