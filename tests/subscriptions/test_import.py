import re
from io import StringIO

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command, load_command_class
from django.core.management.base import CommandError
from django.urls import reverse

from subscriptions import services
from subscriptions.forms import ImportRowForm
from subscriptions.models import Subscriber, Subscription
from subscriptions.services import RequestMeta

from .factories import lists, make_subscriber

pytestmark = pytest.mark.django_db

HEADER = (
    "email,first_name,last_name,profession,organization,"
    "address_line1,city,region,postal_code,country,lists,requested_on\n"
)


def csv_text(*rows: str) -> str:
    return HEADER + "\n".join(rows) + "\n"


SAMPLE = csv_text(
    "new@example.com,New,Person,pharmacist,Clinic,1 Elm St,Austin,TX,73301,US,"
    "jhop-e-newsletter;jhop-print-edition,2024-05-01",
    "NEW@example.com,Dup,Person,,,,,,,,jhop-e-newsletter,",
    "not-an-email,Bad,Row,,,,,,,,jhop-e-newsletter,",
    "nolist@example.com,No,List,,,,,,,,unknown-list,",
    "print@example.com,No,Address,,,,,,,,jhop-print-edition,",
    "known@example.com,Known,Person,,,2 Oak St,Boston,MA,02115,US,jhop-print-edition,",
    "gone@example.com,Un,Subscribed,,,,,,,,jhop-e-newsletter,",
    "erased@example.com,Erased,Person,,,,,,,,jhop-e-newsletter,",
    "evil@example.com,=cmd|' /C calc'!A0,X,,,,,,,,jhop-e-newsletter,",
)


@pytest.fixture
def existing():
    newsletter, _ = lists()
    known = make_subscriber(email="known@example.com", lists=[newsletter])
    gone = make_subscriber(email="gone@example.com", lists=[newsletter], status="unsubscribed")
    erased = make_subscriber(email="erased@example.com")
    services.erase_subscriber(subscriber=erased, meta=RequestMeta())
    return known, gone


def run(text, dry_run=False):
    from subscriptions.exports import read_csv

    return services.import_subscribers(
        rows=read_csv(text), source="2019 conference sheet", dry_run=dry_run, meta=RequestMeta()
    )


def test_dry_run_reports_and_saves_nothing(existing):
    before = Subscriber.objects.count(), Subscription.objects.count()
    report = run(SAMPLE, dry_run=True)
    assert (report.new, report.updated, report.unchanged) == (2, 1, 1)
    reasons = {line: reason for line, _, reason in report.invalid}
    assert "duplicate of line 2" in reasons[3]
    assert "Enter a valid email address" in reasons[4]
    assert "unknown list unknown-list" in reasons[5]
    assert "Needed to mail you the print edition" in reasons[6]
    assert "suppressed" in reasons[9]
    assert (Subscriber.objects.count(), Subscription.objects.count()) == before


def test_import_creates_updates_and_never_overrides_an_unsubscribe(existing):
    known, gone = existing
    report = run(SAMPLE)
    assert (report.new, report.updated) == (2, 1)
    new = Subscriber.objects.get(email="new@example.com")
    assert set(new.subscriptions.values_list("status", flat=True)) == {"active"}
    # Active without confirming to us: counted and worded as an import, not a confirmation.
    assert new.subscriptions.filter(imported_at__isnull=True).count() == 0
    print_subscription = new.subscriptions.get(mailing_list__slug="jhop-print-edition")
    assert print_subscription.qualified_at.date().isoformat() == "2024-05-01"
    event = new.events.get()
    assert event.source == "import" and event.details["import_source"] == "2019 conference sheet"
    assert gone.subscriptions.get().status == "unsubscribed"
    assert not Subscriber.objects.filter(email__iexact="erased@example.com").exists()
    assert known.subscriptions.count() == 2
    assert known.first_name == "Reader"  # an import fills blanks, never overwrites


def test_reimport_is_idempotent(existing):
    run(SAMPLE)
    report = run(SAMPLE)
    assert (report.new, report.updated) == (0, 0)
    assert Subscriber.objects.filter(email__iexact="new@example.com").count() == 1


def test_admin_import_page(client):
    user = User.objects.create_user("m", password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="subscriptions"))
    client.force_login(user)
    upload = SimpleUploadedFile("list.csv", SAMPLE.encode("utf-8-sig"), "text/csv")
    response = client.post(
        reverse("admin:subscriptions_import"),
        {"file": upload, "source": "Old list", "dry_run": "on"},
    )
    content = response.content.decode()
    assert "Dry run: nothing was saved" in content and "New subscribers: 5" in content
    assert not Subscriber.objects.exists()
    upload = SimpleUploadedFile("list.csv", SAMPLE.encode(), "text/csv")
    client.post(reverse("admin:subscriptions_import"), {"file": upload, "source": "Old list"})
    assert Subscriber.objects.count() == 5


def test_import_command(tmp_path, existing):
    path = tmp_path / "list.csv"
    path.write_text(SAMPLE, encoding="utf-8")
    out = StringIO()
    with pytest.raises(CommandError, match="5 row"):
        call_command(
            "import_subscribers", str(path), "--source", "Old list", "--dry-run", stdout=out
        )
    assert "Dry run, nothing saved: 2 new, 1 updated, 1 unchanged, 5 invalid" in out.getvalue()
    assert "line 3 (NEW@example.com): duplicate of line 2" in out.getvalue()
    assert not Subscriber.objects.filter(email="new@example.com").exists()
    with pytest.raises(CommandError, match="the others were imported"):
        call_command("import_subscribers", str(path), "--source", "Old list", stdout=out)
    assert Subscriber.objects.filter(email="new@example.com").exists()


def test_import_command_exits_zero_only_when_every_row_is_valid(tmp_path, existing):
    path = tmp_path / "list.csv"
    path.write_text("email,lists\nok@example.com,jhop-e-newsletter\n", encoding="utf-8")
    out = StringIO()
    call_command("import_subscribers", str(path), "--source", "Old list", stdout=out)
    assert "1 new, 0 updated, 0 unchanged, 0 invalid" in out.getvalue()

    # A CommandError is exit status 1 from the command line.
    path.write_text("email,lists\nnot-an-address,jhop-e-newsletter\n", encoding="utf-8")
    with pytest.raises(CommandError, match="1 row"):
        call_command("import_subscribers", str(path), "--source", "Old list", stdout=out)
    assert "line 2 (not-an-address): email:" in out.getvalue()


def test_import_command_help_lists_every_column():
    out = StringIO()
    parser = load_command_class("subscriptions", "import_subscribers").create_parser(
        "manage.py", "import_subscribers"
    )
    parser.print_help(out)
    for column in ImportRowForm({}, mailing_lists_by_slug={}).fields:
        assert re.search(rf"^  {column}\b", out.getvalue(), re.MULTILINE), column


def test_a_print_request_dated_in_the_future_is_refused(existing):
    report = run(
        csv_text(
            "future@example.com,Fu,Ture,,,1 Elm St,Austin,TX,73301,US,jhop-print-edition,2999-01-01"
        )
    )
    assert report.new == 0
    assert "requested_on: The request date is in the future." in report.invalid[0][2]


def test_an_import_never_reactivates_a_bounced_or_unsubscribed_list_nor_a_suppressed_address(
    existing,
):
    from subscriptions.models import Suppression

    newsletter, _ = lists()
    bounced = make_subscriber(email="bounced@example.com", lists=[newsletter], status="bounced")
    _, gone = existing
    rows = csv_text(
        "bounced@example.com,B,B,,,,,,,,jhop-e-newsletter,",
        "GONE@example.com,G,G,,,,,,,,jhop-e-newsletter,",
        "Erased@Example.com,E,E,,,,,,,,jhop-e-newsletter,",
    )
    run(rows)
    assert bounced.subscriptions.get().status == "bounced"
    assert gone.subscriptions.get().status == "unsubscribed"
    assert not Subscriber.objects.filter(email__iexact="erased@example.com").exists()
    assert Suppression.objects.count() == 1
