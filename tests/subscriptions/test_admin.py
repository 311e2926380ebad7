import csv
import io
import json

import pytest
from django.contrib.auth.models import Permission, User
from django.http import StreamingHttpResponse
from django.urls import reverse

from subscriptions.models import ConsentEvent, OutboundEmail, Subscriber, Suppression

from .factories import lists, make_subscriber

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(client):
    user = User.objects.create_user("manager", password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="subscriptions"))
    client.force_login(user)
    return user


@pytest.fixture
def editor_client(client):
    """A staff user with no subscriptions permissions (an editor)."""
    user = User.objects.create_user("editor", password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="articles"))
    client.force_login(user)
    return client


def admin_urls(subscriber):
    return [
        reverse("admin:subscriptions_subscriber_changelist"),
        reverse("admin:subscriptions_subscriber_change", args=[subscriber.pk]),
        reverse("admin:subscriptions_export_print"),
        reverse("admin:subscriptions_export_newsletter"),
        reverse("admin:subscriptions_import"),
        reverse("admin:subscriptions_subscriber_data", args=[subscriber.pk]),
        reverse("admin:subscriptions_subscriber_erase", args=[subscriber.pk]),
        reverse("admin:subscriptions_outboundemail_changelist"),
        reverse("admin:subscriptions_consenttext_changelist"),
        reverse("admin:subscriptions_suppression_changelist"),
    ]


def test_staff_without_subscription_permissions_get_403_everywhere(editor_client):
    subscriber = make_subscriber()
    for url in admin_urls(subscriber):
        assert editor_client.get(url).status_code == 403, url
    response = editor_client.post(
        reverse("admin:subscriptions_subscriber_erase", args=[subscriber.pk])
    )
    assert response.status_code == 403
    assert Subscriber.objects.get().email


def test_view_only_permission_does_not_allow_exports(client):
    user = User.objects.create_user("viewer", password="pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_subscriber"))
    client.force_login(user)
    assert client.get(reverse("admin:subscriptions_subscriber_changelist")).status_code == 200
    assert client.get(reverse("admin:subscriptions_export_print")).status_code == 403


def test_admin_pages_render_for_a_subscription_manager(client, manager):
    newsletter, print_edition = lists()
    subscriber = make_subscriber(lists=[newsletter, print_edition])
    for url in admin_urls(subscriber):
        if "erase" in url or "export" in url or url.endswith(".json"):
            continue
        assert client.get(url).status_code == 200, url
    changelist = reverse("admin:subscriptions_subscriber_changelist")
    for query in [
        "?q=reader",
        f"?subscription={print_edition.pk}:active",
        "?confirmed=no",
        "?requalify=due",
        "?profession=pharmacist",
        "?country=US",
        "?erased=no",
    ]:
        assert client.get(changelist + query).status_code == 200, query
    for name in ["mailinglist", "consenttext", "outboundemail"]:
        assert client.get(reverse(f"admin:subscriptions_{name}_add")).status_code in {200, 403}


def test_subscriber_page_shows_subscriptions_and_history(client, manager):
    newsletter, _ = lists()
    subscriber = make_subscriber(lists=[newsletter])
    ConsentEvent.objects.create(subscriber=subscriber, kind="requested", source="form")
    response = client.get(reverse("admin:subscriptions_subscriber_change", args=[subscriber.pk]))
    content = response.content.decode()
    assert "JHOP e-Newsletter" in content and "Asked to subscribe" in content
    assert "Export data (JSON)" in content and "Erase personal data" in content


def test_admin_edit_is_logged_and_cannot_touch_subscription_status(client, manager):
    newsletter, _ = lists()
    subscriber = make_subscriber(lists=[newsletter], status="unsubscribed")
    url = reverse("admin:subscriptions_subscriber_change", args=[subscriber.pk])
    data = {
        "email": subscriber.email,
        "first_name": "Renamed",
        "last_name": subscriber.last_name,
        "profession": "nurse",
        "organization": "",
        "address_line1": "",
        "address_line2": "",
        "city": "",
        "region": "",
        "postal_code": "",
        "country": "",
        "subscriptions-TOTAL_FORMS": "1",
        "subscriptions-INITIAL_FORMS": "1",
        "subscriptions-0-id": str(subscriber.subscriptions.get().pk),
        "subscriptions-0-subscriber": str(subscriber.pk),
        "subscriptions-0-status": "active",
        "events-TOTAL_FORMS": "0",
        "events-INITIAL_FORMS": "0",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    subscriber.refresh_from_db()
    assert subscriber.first_name == "Renamed"
    assert subscriber.subscriptions.get().status == "unsubscribed"
    event = subscriber.events.get(kind="admin")
    assert "first_name" in event.details["changed"] and event.actor == "manager"


def test_admin_cannot_create_a_duplicate_address(client, manager):
    make_subscriber(email="dup@example.com")
    response = client.post(
        reverse("admin:subscriptions_subscriber_add"),
        {
            "email": "DUP@example.com",
            "subscriptions-TOTAL_FORMS": "0",
            "subscriptions-INITIAL_FORMS": "0",
            "events-TOTAL_FORMS": "0",
            "events-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert Subscriber.objects.count() == 1


def read_streamed(response) -> list[list[str]]:
    assert isinstance(response, StreamingHttpResponse)
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_print_fulfilment_export_streams_active_confirmed_print_subscribers(client, manager):
    newsletter, print_edition = lists()
    shipped = make_subscriber(
        lists=[print_edition], organization='=HYPERLINK("http://x")', email_problem="bounced"
    )
    make_subscriber(lists=[print_edition], status="pending")
    make_subscriber(lists=[print_edition], status="unsubscribed")
    make_subscriber(lists=[newsletter])
    response = client.get(reverse("admin:subscriptions_export_print"))
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = read_streamed(response)
    assert rows[0] == [
        "first_name",
        "last_name",
        "organization",
        "address_line1",
        "address_line2",
        "city",
        "state_region",
        "postal_code",
        "country",
        "list",
        "email_problem",
        "subscriber_id",
        "since",
    ]
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["subscriber_id"] == str(shipped.pk)
    assert row["organization"] == '\'=HYPERLINK("http://x")'
    assert row["country"] == "United States of America"
    assert row["list"] == "JHOP Print Edition"
    assert row["email_problem"] == "Email address bounced"


@pytest.mark.parametrize("danger", ["=1+1", "+1", "-1", "@SUM(A1)", "\tcmd", "\rcmd"])
def test_every_formula_prefix_is_neutralised(client, manager, danger):
    newsletter, _ = lists()
    make_subscriber(lists=[newsletter], first_name=danger)
    rows = read_streamed(client.get(reverse("admin:subscriptions_export_newsletter")))
    assert rows[1][1] == "'" + danger


def test_newsletter_export_has_email_names_profession(client, manager):
    newsletter, print_edition = lists()
    make_subscriber(lists=[newsletter], email="n@example.com")
    make_subscriber(lists=[print_edition])
    rows = read_streamed(client.get(reverse("admin:subscriptions_export_newsletter")))
    assert rows[0][:4] == ["email", "first_name", "last_name", "profession"]
    assert [r[0] for r in rows[1:]] == ["n@example.com"]


@pytest.mark.parametrize(
    ("export", "columns"),
    [("newsletter_csv", "NEWSLETTER_COLUMNS"), ("print_fulfilment_csv", "PRINT_COLUMNS")],
)
def test_export_is_lazy_and_reads_in_chunks(
    manager, monkeypatch, django_assert_num_queries, export, columns
):
    """Constant memory: nothing is read until the body streams, then a chunked cursor.
    (bench/export.py shows the peak memory staying flat up to 100,000 rows.)"""
    from django.db.models import QuerySet

    from subscriptions import exports

    newsletter, print_edition = lists()
    for _ in range(5):
        make_subscriber(lists=[newsletter, print_edition])
    chunk_sizes = []
    original = QuerySet.iterator

    def spy(self, chunk_size=None):
        chunk_sizes.append(chunk_size)
        return original(self, chunk_size=chunk_size)

    monkeypatch.setattr(QuerySet, "iterator", spy)
    with django_assert_num_queries(0):
        response = getattr(exports, export)()
    stream = iter(response.streaming_content)
    header = next(stream).decode()
    assert header.count(",") == len(getattr(exports, columns)) - 1
    assert len(list(stream)) == 5
    assert chunk_sizes == [exports.CHUNK_SIZE]


def test_json_data_export(client, manager):
    newsletter, _ = lists()
    subscriber = make_subscriber(lists=[newsletter], email="me@example.com")
    response = client.get(reverse("admin:subscriptions_subscriber_data", args=[subscriber.pk]))
    data = json.loads(response.content)
    assert data["email"] == "me@example.com"
    assert data["subscriptions"][0]["list"] == "JHOP e-Newsletter"
    assert data["emails"] == []


def test_json_data_export_answers_who_when_how_and_what_they_were_told(client, newsletter, outbox):
    """A regulator's questions, from the request and the confirmation alike."""
    from django.contrib.auth.models import Permission, User

    from .helpers import link_in, post_signup

    client.defaults["HTTP_USER_AGENT"] = "Firefox/140"
    post_signup(client, newsletter)
    subscriber = Subscriber.objects.get()
    client.defaults["HTTP_USER_AGENT"] = "Safari/18"
    client.post(link_in(outbox[0], "confirm"))
    user = User.objects.create_user("dpo", password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="subscriptions"))
    client.force_login(user)
    response = client.get(reverse("admin:subscriptions_subscriber_data", args=[subscriber.pk]))
    data = json.loads(response.content)
    requested, confirmed = data["events"]
    for event, how, agent in [
        (requested, "Signup form", "Firefox/140"),
        (confirmed, "Confirmation link", "Safari/18"),
    ]:
        assert event["details"]["email"] == "ada@example.com"  # who
        assert event["details"]["first_name"] == "Ada"
        assert event["at"]  # when
        assert (event["source"], event["user_agent"], event["ip_address"]) == (
            how,
            agent,
            "127.0.0.0",
        )  # how
        assert event["consent_text"].startswith("To sign up for our newsletter")  # told
        assert event["lists"] == ["JHOP e-Newsletter"]
    assert [e["what"] for e in data["emails"]] == ["confirm"]
    assert data["emails"][0]["sent_at"]


def test_erasure_keeps_the_fact_and_suppresses_the_address(client, manager):
    newsletter, _ = lists()
    subscriber = make_subscriber(lists=[newsletter], email="forget@example.com")
    ConsentEvent.objects.create(
        subscriber=subscriber,
        kind="requested",
        source="form",
        ip_address="10.0.0.0",
        details={"email": "forget@example.com"},
    )
    OutboundEmail.objects.create(
        subscriber=subscriber,
        kind="confirm",
        to_email="forget@example.com",
        subject="s",
        body_text="b",
    )
    url = reverse("admin:subscriptions_subscriber_erase", args=[subscriber.pk])
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 302
    subscriber.refresh_from_db()
    assert subscriber.erased_at and subscriber.email == "" and subscriber.first_name == ""
    assert subscriber.address_line1 == "" and subscriber.city == ""
    assert subscriber.subscriptions.get().status == "unsubscribed"
    requested = subscriber.events.get(kind="requested")
    assert requested.details == {} and requested.ip_address == ""
    assert subscriber.events.filter(kind="erased").exists()
    assert not OutboundEmail.objects.exists()
    assert Suppression.objects.filter(
        email_hash=Subscriber(email="Forget@example.com").email_hash
    ).exists()
    assert (
        "forget@example.com"
        not in client.get(
            reverse("admin:subscriptions_subscriber_change", args=[subscriber.pk])
        ).content.decode()
    )


def test_erasure_also_removes_the_address_from_the_admin_history(client, manager):
    from django.contrib.admin.models import LogEntry

    newsletter, _ = lists()
    subscriber = make_subscriber(lists=[newsletter], email="forget@example.com")
    change = reverse("admin:subscriptions_subscriber_change", args=[subscriber.pk])
    form = {
        name: getattr(subscriber, name)
        for name in ["email", "first_name", "last_name", "profession", "organization"]
    }
    client.post(
        change,
        {
            **form,
            "first_name": "Renamed",
            "country": "US",
            "subscriptions-TOTAL_FORMS": "1",
            "subscriptions-INITIAL_FORMS": "1",
            "subscriptions-0-id": str(subscriber.subscriptions.get().pk),
            "subscriptions-0-subscriber": str(subscriber.pk),
            "events-TOTAL_FORMS": "0",
            "events-INITIAL_FORMS": "0",
        },
    )
    assert LogEntry.objects.filter(object_repr="forget@example.com").exists()
    client.post(reverse("admin:subscriptions_subscriber_erase", args=[subscriber.pk]), follow=True)
    assert not LogEntry.objects.filter(object_repr__icontains="forget").exists()
    history = client.get(
        reverse("admin:subscriptions_subscriber_history", args=[subscriber.pk])
    ).content.decode()
    assert "forget@example.com" not in history and "Erased subscriber" in history


def test_mark_as_bounced_action(client, manager):
    newsletter, print_edition = lists()
    subscriber = make_subscriber(lists=[newsletter, print_edition])
    gone = make_subscriber(lists=[newsletter], status="unsubscribed")
    client.post(
        reverse("admin:subscriptions_subscriber_changelist"),
        {"action": "mark_bounced", "_selected_action": [subscriber.pk, gone.pk]},
    )
    assert dict(subscriber.subscriptions.values_list("mailing_list__slug", "status")) == {
        "jhop-e-newsletter": "bounced",
        "jhop-print-edition": "active",  # the address bounced, not the postal one
    }
    assert gone.subscriptions.get().status == "unsubscribed"
    assert subscriber.events.get().kind == "bounced"
    subscriber.refresh_from_db()
    assert subscriber.email_problem == "bounced"
    changelist = client.get(reverse("admin:subscriptions_subscriber_changelist"))
    assert "Email address bounced" in changelist.content.decode()


def test_subscriber_changelist_queries_do_not_grow_with_subscribers(
    client, manager, django_assert_max_num_queries
):
    newsletter, print_edition = lists()
    make_subscriber(lists=[newsletter, print_edition])
    url = reverse("admin:subscriptions_subscriber_changelist")
    client.get(url)
    with django_assert_max_num_queries(15) as few:
        client.get(url)
    for _ in range(20):
        make_subscriber(lists=[newsletter, print_edition])
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert b"JHOP Print Edition: Active" in client.get(url).content


def test_requalification_filter_lists_print_subscribers_over_three_years(client, manager):
    from datetime import timedelta

    from django.utils import timezone

    newsletter, print_edition = lists()
    fresh = make_subscriber(lists=[print_edition], email="fresh@example.com")
    stale = make_subscriber(lists=[print_edition], email="stale@example.com")
    unknown = make_subscriber(lists=[print_edition], email="unknown@example.com")
    old_newsletter = make_subscriber(lists=[newsletter], email="oldnews@example.com")
    gone = make_subscriber(lists=[print_edition], email="gone@example.com", status="unsubscribed")
    long_ago = timezone.now() - timedelta(days=3 * 365 + 1)
    for subscriber in (stale, old_newsletter, gone):
        subscriber.subscriptions.update(qualified_at=long_ago)
    unknown.subscriptions.update(qualified_at=None)
    changelist = reverse("admin:subscriptions_subscriber_changelist")
    assert f'href="{changelist}?requalify=due"' in client.get(changelist).content.decode()
    content = client.get(changelist + "?requalify=due").content.decode()
    assert "stale@example.com" in content and "unknown@example.com" in content
    assert "JHOP Print Edition: Active — re-qualify" in content
    for absent in (fresh, old_newsletter, gone):
        assert absent.email not in content
    assert "re-qualify" not in client.get(changelist + "?q=fresh").content.decode()


def test_an_address_typed_in_the_admin_is_normalised_like_the_signup_form(client, manager):
    make_subscriber(email="zoe@xn--bcher-kva.example")
    empty_inlines = {
        "subscriptions-TOTAL_FORMS": "0",
        "subscriptions-INITIAL_FORMS": "0",
        "events-TOTAL_FORMS": "0",
        "events-INITIAL_FORMS": "0",
    }
    add = reverse("admin:subscriptions_subscriber_add")
    response = client.post(add, {"email": "Zoe@BÜCHER.example", **empty_inlines})
    assert response.status_code == 200  # the same address: refused as a duplicate
    assert Subscriber.objects.count() == 1
    response = client.post(add, {"email": "ada@straße.de", **empty_inlines})
    assert response.status_code == 302
    assert Subscriber.objects.filter(email="ada@xn--strae-oqa.de").exists()


def test_staff_cannot_delete_a_subscriber_or_a_suppression(client, manager):
    """A deleted record would let a later import subscribe an unsubscribed or erased person
    again; erasure is the way to remove personal data."""
    from subscriptions import services

    newsletter, _ = lists()
    gone = make_subscriber(lists=[newsletter], status="unsubscribed", email="gone@example.com")
    erased = make_subscriber(email="erased@example.com")
    services.erase_subscriber(subscriber=erased, meta=services.RequestMeta())
    suppression = Suppression.objects.get()
    assert (
        client.get(reverse("admin:subscriptions_subscriber_delete", args=[gone.pk])).status_code
        == 403
    )
    assert (
        client.post(
            reverse("admin:subscriptions_suppression_delete", args=[suppression.pk]),
            {"post": "yes"},
        ).status_code
        == 403
    )
    changelist = client.get(reverse("admin:subscriptions_subscriber_changelist"))
    assert b"delete_selected" not in changelist.content
    client.post(
        reverse("admin:subscriptions_subscriber_changelist"),
        {"action": "delete_selected", "_selected_action": [gone.pk], "post": "yes"},
    )
    assert Subscriber.objects.filter(pk=gone.pk).exists() and Suppression.objects.exists()


def test_an_erased_subscriber_cannot_be_edited_back_to_life(client, manager):
    from subscriptions import services

    erased = make_subscriber(email="erased@example.com")
    services.erase_subscriber(subscriber=erased, meta=services.RequestMeta())
    url = reverse("admin:subscriptions_subscriber_change", args=[erased.pk])
    assert client.get(url).status_code == 200
    client.post(
        url,
        {
            "email": "erased@example.com",
            "first_name": "Back",
            "subscriptions-TOTAL_FORMS": "0",
            "subscriptions-INITIAL_FORMS": "0",
            "events-TOTAL_FORMS": "0",
            "events-INITIAL_FORMS": "0",
        },
    )
    erased.refresh_from_db()
    assert (erased.email, erased.first_name) == ("", "")


def test_staff_cannot_type_an_erased_address_into_a_record(client, manager):
    from subscriptions import services

    services.erase_subscriber(
        subscriber=make_subscriber(email="erased@example.com"), meta=services.RequestMeta()
    )
    other = make_subscriber(email="other@example.com")
    empty_inlines = {
        "subscriptions-TOTAL_FORMS": "0",
        "subscriptions-INITIAL_FORMS": "0",
        "events-TOTAL_FORMS": "0",
        "events-INITIAL_FORMS": "0",
    }
    for url in (
        reverse("admin:subscriptions_subscriber_add"),
        reverse("admin:subscriptions_subscriber_change", args=[other.pk]),
    ):
        response = client.post(url, {"email": "Erased@Example.com", **empty_inlines})
        assert response.status_code == 200
        assert "This address was erased on request" in response.content.decode()
    assert not Subscriber.objects.filter(email__iexact="erased@example.com").exists()


def test_staff_cannot_blank_the_address_of_a_print_subscriber(client, manager):
    _, print_edition = lists()
    subscriber = make_subscriber(lists=[print_edition], email="print@example.com")
    data = {
        "email": subscriber.email,
        "first_name": subscriber.first_name,
        "last_name": subscriber.last_name,
        "profession": subscriber.profession,
        "address_line1": "",
        "city": subscriber.city,
        "postal_code": subscriber.postal_code,
        "country": "US",
        "subscriptions-TOTAL_FORMS": "1",
        "subscriptions-INITIAL_FORMS": "1",
        "subscriptions-0-id": str(subscriber.subscriptions.get().pk),
        "subscriptions-0-subscriber": str(subscriber.pk),
        "events-TOTAL_FORMS": "0",
        "events-INITIAL_FORMS": "0",
    }
    url = reverse("admin:subscriptions_subscriber_change", args=[subscriber.pk])
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Needed: this person receives the print edition." in response.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.address_line1
    assert client.post(url, {**data, "address_line1": "5 New Road"}).status_code == 302
