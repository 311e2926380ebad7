"""Every action on subscriber data, and every change to who may act, leaves exactly one
audit entry saying who, when and from where; nobody edits or deletes the trail."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from subscriptions.models import AuditEntry, Edition, EditionArticle
from tests.factories import make_article, make_issue

from .factories import lists, make_subscriber

pytestmark = pytest.mark.django_db
Action = AuditEntry.Action


@pytest.fixture
def manager_client():
    user = User.objects.create_user(
        "manager", email="manager@example.org", password="pw", is_staff=True
    )
    user.groups.add(Group.objects.get(name="Subscription managers"))
    client = Client(REMOTE_ADDR="192.0.2.44", HTTP_USER_AGENT="Audit test browser")
    client.force_login(user)
    return client


def only_entry(action) -> AuditEntry:
    (entry,) = AuditEntry.objects.all()
    assert entry.action == action
    return entry


def test_a_print_export_is_recorded_with_its_row_count(manager_client):
    newsletter, print_edition = lists()
    for _ in range(3):
        make_subscriber(lists=[print_edition])
    make_subscriber(lists=[newsletter])
    response = manager_client.get(reverse("admin:subscriptions_export_print"))
    assert b"".join(response.streaming_content).count(b"\n") == 4  # header and three rows
    entry = only_entry(Action.EXPORT_PRINT)
    assert (entry.actor_name, entry.rows, entry.ip_address) == ("manager", 3, "192.0.2.44")
    assert entry.user_agent == "Audit test browser"
    assert entry.actor.username == "manager"


def test_a_newsletter_export_is_recorded(manager_client):
    newsletter, _ = lists()
    make_subscriber(lists=[newsletter])
    manager_client.get(reverse("admin:subscriptions_export_newsletter"))
    assert only_entry(Action.EXPORT_NEWSLETTER).rows == 1


def test_a_data_download_and_an_erasure_are_recorded(manager_client):
    subscriber = make_subscriber(lists=[lists()[0]])
    manager_client.get(reverse("admin:subscriptions_subscriber_data", args=[subscriber.pk]))
    assert only_entry(Action.DATA_DOWNLOAD).detail == {"subscriber": subscriber.pk}
    AuditEntry.objects.all().delete()
    manager_client.post(reverse("admin:subscriptions_subscriber_erase", args=[subscriber.pk]))
    assert only_entry(Action.ERASURE).detail == {"subscriber": subscriber.pk}


def test_imports_and_their_dry_runs_are_recorded(manager_client, tmp_path):
    lists()
    csv = b"email,first_name,lists\nnew@example.com,New,jhop-e-newsletter\nnot-an-email,X,\n"
    for dry_run in (True, False):
        manager_client.post(
            reverse("admin:subscriptions_import"),
            {
                "file": SimpleUploadedFile("list.csv", csv, content_type="text/csv"),
                "source": "ASCO 2026 booth",
                **({"dry_run": "on"} if dry_run else {}),
            },
        )
    tried, done = AuditEntry.objects.order_by("pk")
    assert (tried.action, done.action) == (Action.IMPORT_DRY_RUN, Action.IMPORT)
    assert done.rows == 2 and done.detail["new"] == 1 and done.detail["invalid"] == 1
    assert "ASCO 2026 booth" in done.summary

    path = tmp_path / "list.csv"
    path.write_bytes(csv.replace(b"new@", b"other@"))
    with pytest.raises(CommandError, match="1 row"):  # the invalid row, after the import
        call_command("import_subscribers", str(path), "--source", "Old CRM", stdout=None)
    latest = AuditEntry.objects.latest("pk")
    assert latest.action == Action.IMPORT and latest.actor is None
    assert latest.actor_name.startswith("manage.py import_subscribers")


def test_an_edition_sent_is_recorded_once(manager_client):
    newsletter, _ = lists()
    make_subscriber(lists=[newsletter])
    edition = Edition.objects.create(mailing_list=newsletter, subject="Weekly", intro="Hi.")
    EditionArticle.objects.create(edition=edition, article=make_article(), position=1)
    send = reverse("admin:subscriptions_edition_send", args=[edition.pk])
    manager_client.post(send)  # the confirmation page: nothing sent, nothing recorded
    assert not AuditEntry.objects.exists()
    manager_client.post(send, {"confirm": "yes"})
    manager_client.post(send, {"confirm": "yes"})
    entry = only_entry(Action.EDITION_SENT)  # the second press had nothing to do
    assert entry.detail == {"edition": edition.pk, "list": newsletter.pk}


def test_an_alert_sent_is_recorded(manager_client):
    newsletter, _ = lists()
    make_subscriber(lists=[newsletter])
    issue = make_issue()
    make_article(issue=issue)
    manager_client.post(
        reverse("admin:subscriptions_issuealert_add"),
        {"issue": issue.pk, "mailing_list": newsletter.pk, "confirm": "yes"},
    )
    assert only_entry(Action.ALERT_SENT).detail["issue"] == issue.pk


def test_group_and_permission_changes_are_recorded():
    chief = User.objects.create_superuser("chief", "chief@example.org", "pw")
    client = Client(REMOTE_ADDR="192.0.2.9")
    client.force_login(chief)
    staff = User.objects.create_user("newcomer", password="pw", is_staff=True)
    managers = Group.objects.get(name="Subscription managers")
    response = client.post(
        reverse("admin:auth_user_change", args=[staff.pk]),
        {
            "username": "newcomer",
            "is_active": "on",
            "is_staff": "on",
            "groups": [managers.pk],
            "date_joined_0": "2026-12-01",
            "date_joined_1": "10:00:00",
            "initial-date_joined_0": "2026-12-01",
            "initial-date_joined_1": "10:00:00",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    entry = only_entry(Action.PERMISSIONS)
    assert (entry.actor_name, entry.ip_address) == ("chief", "192.0.2.9")
    assert "groups" in entry.summary and "newcomer" in entry.summary

    AuditEntry.objects.all().delete()
    permission = Permission.objects.get(codename="export_subscriber")
    group = Group.objects.create(name="Auditors")
    client.post(
        reverse("admin:auth_group_change", args=[group.pk]),
        {"name": "Auditors", "permissions": [permission.pk]},
    )
    assert "permissions" in only_entry(Action.PERMISSIONS).summary


def test_a_lockout_is_recorded_once():
    User.objects.create_superuser("admin", "admin@example.org", "right")
    client = Client(REMOTE_ADDR="198.51.100.3")
    for _ in range(8):
        client.post(reverse("admin:login"), {"username": "admin", "password": "wrong"})
    entry = only_entry(Action.LOCKOUT)
    assert (entry.actor_name, entry.ip_address) == ("admin", "198.51.100.3")


def test_superusers_read_the_trail_and_nobody_changes_it(manager_client):
    manager_client.get(reverse("admin:subscriptions_export_newsletter"))
    entry = AuditEntry.objects.get()
    changelist = reverse("admin:subscriptions_auditentry_changelist")
    assert manager_client.get(changelist).status_code == 403  # managers are audited, not auditors

    chief = Client()
    chief.force_login(User.objects.create_superuser("chief", "chief@example.org", "pw"))
    page = chief.get(changelist + "?action=export-newsletter")
    assert page.status_code == 200 and "Exported the newsletter list" in page.text
    change = reverse("admin:subscriptions_auditentry_change", args=[entry.pk])
    assert chief.get(change).status_code == 200
    chief.post(change, {"summary": "nothing happened"})
    chief.post(changelist, {"action": "delete_selected", "_selected_action": [entry.pk]})
    chief.post(reverse("admin:subscriptions_auditentry_delete", args=[entry.pk]), {"post": "yes"})
    entry.refresh_from_db()
    assert entry.summary.startswith("Exported the newsletter list")


def test_entries_past_the_retention_period_are_purged(settings):
    settings.AUDIT_RETENTION_DAYS = 30
    old = AuditEntry.objects.create(
        action=Action.EXPORT_PRINT,
        summary="old",
        created_at=timezone.now() - timedelta(days=31),
    )
    AuditEntry.objects.create(action=Action.EXPORT_PRINT, summary="recent")
    call_command("purge_audit_log", "--dry-run", stdout=None)
    assert AuditEntry.objects.filter(pk=old.pk).exists()
    call_command("purge_audit_log", stdout=None)
    assert list(AuditEntry.objects.values_list("summary", flat=True)) == ["recent"]


def test_the_dry_run_keeps_its_file_for_the_real_run(manager_client):
    from subscriptions.models import PendingImport, Subscriber

    lists()
    csv = b"email,first_name,lists\nkept@example.com,Kept,jhop-e-newsletter\n"
    url = reverse("admin:subscriptions_import")
    dry = manager_client.post(
        url,
        {
            "file": SimpleUploadedFile("booth.csv", csv, content_type="text/csv"),
            "source": "ASCO booth",
            "dry_run": "on",
        },
    )
    kept = dry.context["kept"]
    assert "Import this file for real" in dry.text and "booth.csv" in dry.text
    assert not Subscriber.objects.exists()

    # Nobody else can run it.
    other = Client()
    other_user = User.objects.create_user("other", password="pw", is_staff=True)
    other_user.groups.add(Group.objects.get(name="Subscription managers"))
    other.force_login(other_user)
    refused = other.post(url, {"pending": kept.pk, "source": "ASCO booth"})
    assert "choose it again" in refused.text and not Subscriber.objects.exists()

    done = manager_client.post(url, {"pending": kept.pk, "source": "ASCO booth"})
    assert "Import done" in done.text
    assert Subscriber.objects.get().email == "kept@example.com"
    assert not PendingImport.objects.exists()
    # Sent again (a double click), it finds nothing to run twice.
    again = manager_client.post(url, {"pending": kept.pk, "source": "ASCO booth"})
    assert "choose it again" in again.text


def test_a_kept_file_lasts_a_day(manager_client):
    from subscriptions.models import PendingImport

    lists()
    user = User.objects.get(username="manager")
    old = PendingImport.objects.create(
        created_by=user,
        content="email\nold@example.com\n",
        created_at=timezone.now() - timedelta(days=1, minutes=1),
    )
    response = manager_client.post(
        reverse("admin:subscriptions_import"), {"pending": old.pk, "source": "x"}
    )
    assert "choose it again" in response.text
    assert not PendingImport.objects.exists()
