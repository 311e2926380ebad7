from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, Issue
from subscriptions import services, tasks
from subscriptions.models import IssueAlert, MailingList, OutboundEmail, Subscription
from subscriptions.services import RequestMeta
from tests.factories import make_article, make_author, make_issue, make_section

from .factories import lists, make_subscriber

pytestmark = pytest.mark.django_db

ALERT_SUBJECT = "New issue:"


def alert_emails(outbox):
    return [m for m in outbox if m.subject.startswith(ALERT_SUBJECT)]


@pytest.fixture
def issue():
    issue = make_issue(volume=12, number=3)
    original = make_section("Original Article", position=1)
    fda = make_section("FDA Oncology Update", position=2)
    make_article(
        title="Olaparib in early breast cancer",
        slug="olaparib",
        issue=issue,
        section=fda,
        authors=[make_author(given_name="Meg", family_name="Barbor", credentials="MPH")],
    )
    make_article(
        title="Tumor lysis syndrome prophylaxis",
        slug="tls",
        issue=issue,
        section=original,
        authors=[
            make_author(given_name="Ana", family_name="Ruiz", credentials="PharmD, BCOP"),
            make_author(given_name="Li", family_name="Wei", credentials="MD, MSc"),
        ],
    )
    make_article(
        title="A draft nobody may see",
        slug="draft",
        issue=issue,
        section=fda,
        status=Article.Status.DRAFT,
    )
    make_article(
        title="Scheduled for next week",
        slug="scheduled",
        issue=issue,
        section=fda,
        published_at=timezone.now() + timedelta(days=7),
    )
    return issue


def send(issue, mailing_list, django_capture_on_commit_callbacks, user=None):
    with django_capture_on_commit_callbacks(execute=True):
        return services.send_issue_alert(issue=issue, mailing_list=mailing_list, user=user)


def test_only_active_confirmed_members_of_the_list_get_exactly_one_email(
    issue, outbox, django_capture_on_commit_callbacks
):
    newsletter, print_edition = lists()
    other = MailingList.objects.create(name="Pharmacy Deals", slug="deals", kind="email")
    members = [make_subscriber(lists=[newsletter]) for _ in range(3)]
    make_subscriber(lists=[newsletter], status=Subscription.Status.PENDING)
    make_subscriber(lists=[newsletter], status=Subscription.Status.UNSUBSCRIBED)
    make_subscriber(lists=[newsletter], status=Subscription.Status.BOUNCED)
    erased = make_subscriber(lists=[newsletter])
    services.erase_subscriber(subscriber=erased, meta=RequestMeta())
    make_subscriber(lists=[print_edition])
    make_subscriber(lists=[other])

    alert = send(issue, newsletter, django_capture_on_commit_callbacks)

    sent = alert_emails(outbox)
    assert sorted(m.to[0] for m in sent) == sorted(s.email for s in members)
    alert.refresh_from_db()
    assert alert.status == IssueAlert.Status.SENT and alert.sent_at is not None
    assert alert.recipients == 3
    assert set(alert.emails.values_list("status", flat=True)) == {OutboundEmail.Status.SENT}


def test_the_email_shows_the_issue_its_contents_and_links_that_work(
    issue, outbox, django_capture_on_commit_callbacks
):
    newsletter, _ = lists()
    subscriber = make_subscriber(lists=[newsletter], email="reader@example.com")
    send(issue, newsletter, django_capture_on_commit_callbacks)

    [message] = alert_emails(outbox)
    html = message.alternatives[0].content
    assert issue.label in message.subject
    for body in (message.body, html):
        assert issue.label in body
        assert f"http://testserver{issue.get_absolute_url()}" in body
        assert "Meg Barbor, MPH" in body
        assert "Ana Ruiz, PharmD, BCOP" in body and "Li Wei, MD, MSc" in body
        assert "http://testserver/subscribe/unsubscribe/" in body
        assert "http://testserver/subscribe/manage/" in body
    # Sections in the editors' order: Original Article (1) before FDA Oncology Update (2).
    assert html.index("Tumor lysis") < html.index("Olaparib")
    assert message.body.index("ORIGINAL ARTICLE") < message.body.index("FDA ONCOLOGY UPDATE")
    tls = Article.objects.get(slug="tls")
    assert f'href="http://testserver{tls.get_absolute_url()}"' in html

    header = message.extra_headers["List-Unsubscribe"]
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in message.message().as_string()
    response = Client(enforce_csrf_checks=True).post(
        header.split(",")[0].strip("<>").removeprefix("http://testserver"),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert subscriber.subscriptions.get().status == Subscription.Status.UNSUBSCRIBED


def test_the_postal_address_is_in_both_parts(issue, outbox, django_capture_on_commit_callbacks):
    issue.journal.postal_address = "1 Journal Plaza, Cranbury, NJ 08512"
    issue.journal.save()
    newsletter, _ = lists()
    make_subscriber(lists=[newsletter])
    send(issue, newsletter, django_capture_on_commit_callbacks)
    [message] = alert_emails(outbox)
    assert "1 Journal Plaza" in message.body
    assert "1 Journal Plaza" in message.alternatives[0].content


def test_unpublished_articles_of_the_issue_never_appear(
    issue, outbox, django_capture_on_commit_callbacks
):
    newsletter, _ = lists()
    make_subscriber(lists=[newsletter])
    send(issue, newsletter, django_capture_on_commit_callbacks)
    [message] = alert_emails(outbox)
    for body in (message.body, message.alternatives[0].content):
        assert "Olaparib" in body
        assert "A draft nobody may see" not in body and "/draft/" not in body
        assert "Scheduled for next week" not in body and "/scheduled/" not in body


@pytest.mark.parametrize(
    "state",
    [
        {"status": Issue.Status.DRAFT, "published_at": None},
        {"status": Issue.Status.PUBLISHED, "published_at": timezone.now() + timedelta(days=3)},
    ],
    ids=["draft", "scheduled"],
)
def test_an_issue_readers_cannot_open_is_refused(state, outbox, django_capture_on_commit_callbacks):
    newsletter, _ = lists()
    make_subscriber(lists=[newsletter])
    issue = make_issue(**state)
    with pytest.raises(ValidationError, match="not published yet"):
        send(issue, newsletter, django_capture_on_commit_callbacks)
    assert not IssueAlert.objects.exists() and not outbox


def test_a_print_list_is_refused(issue, django_capture_on_commit_callbacks):
    _, print_edition = lists()
    with pytest.raises(ValidationError, match="not an email list"):
        send(issue, print_edition, django_capture_on_commit_callbacks)
    assert not IssueAlert.objects.exists()


def test_a_second_alert_for_the_same_issue_and_list_is_refused(
    issue, outbox, django_capture_on_commit_callbacks
):
    newsletter, _ = lists()
    make_subscriber(lists=[newsletter])
    send(issue, newsletter, django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError, match="already been announced"):
        send(issue, newsletter, django_capture_on_commit_callbacks)
    assert IssueAlert.objects.count() == 1
    assert len(alert_emails(outbox)) == 1


def test_two_editors_clicking_at_once_get_a_clear_message_not_a_crash(
    issue, django_capture_on_commit_callbacks
):
    """The second click passed validation before the first saved: the database decides."""
    newsletter, _ = lists()
    send(issue, newsletter, django_capture_on_commit_callbacks)
    with (
        mock.patch.object(IssueAlert, "full_clean"),
        pytest.raises(ValidationError, match="already been announced"),
    ):
        send(issue, newsletter, django_capture_on_commit_callbacks)
    assert IssueAlert.objects.count() == 1


def test_the_database_refuses_a_duplicate_alert_and_a_duplicate_email(issue):
    newsletter, _ = lists()
    subscriber = make_subscriber(lists=[newsletter])
    alert = IssueAlert.objects.create(issue=issue, mailing_list=newsletter)
    with pytest.raises(IntegrityError), transaction.atomic():
        IssueAlert.objects.create(issue=issue, mailing_list=newsletter)
    fields = {"kind": "issue-alert", "to_email": subscriber.email, "subject": "s", "body_text": "b"}
    OutboundEmail.objects.create(issue_alert=alert, subscriber=subscriber, **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        OutboundEmail.objects.create(issue_alert=alert, subscriber=subscriber, **fields)
    # Other emails to the same person are not alert emails and are not limited.
    OutboundEmail.objects.create(subscriber=subscriber, **fields)
    OutboundEmail.objects.create(subscriber=subscriber, **fields)


def test_the_task_run_twice_sends_no_duplicates(issue, outbox, django_capture_on_commit_callbacks):
    newsletter, _ = lists()
    for _ in range(3):
        make_subscriber(lists=[newsletter])
    alert = send(issue, newsletter, django_capture_on_commit_callbacks)

    # A retried task, even one that finds the alert half done, records nobody twice.
    IssueAlert.objects.filter(pk=alert.pk).update(status=IssueAlert.Status.SENDING)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.build_issue_alert_emails.enqueue(alert.pk)
        tasks.build_issue_alert_emails.enqueue(alert.pk)

    assert OutboundEmail.objects.filter(issue_alert=alert).count() == 3
    assert len(alert_emails(outbox)) == 3
    alert.refresh_from_db()
    assert alert.status == IssueAlert.Status.SENT and alert.recipients == 3


def test_a_run_cut_short_is_finished_by_the_next_run(
    issue, outbox, django_capture_on_commit_callbacks
):
    newsletter, _ = lists()
    subscribers = [make_subscriber(lists=[newsletter]) for _ in range(4)]
    alert = IssueAlert.objects.create(issue=issue, mailing_list=newsletter)
    with (
        mock.patch("subscriptions.services.bulk.CHUNK_SIZE", 2),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.build_issue_alert_emails(issue_alert_id=alert.pk)
    assert sorted(m.to[0] for m in alert_emails(outbox)) == sorted(s.email for s in subscribers)
    IssueAlert.objects.filter(pk=alert.pk).update(status=IssueAlert.Status.SENDING)
    alert.emails.filter(subscriber=subscribers[0]).delete()
    outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.build_issue_alert_emails(issue_alert_id=alert.pk) == 1
    assert [m.to[0] for m in alert_emails(outbox)] == [subscribers[0].email]


def test_building_the_recipients_costs_the_same_queries_for_3_or_12_subscribers(issue):
    newsletter, _ = lists()
    second_issue = make_issue()
    make_article(issue=second_issue, authors=[make_author()])

    def queries_for(alert_issue):
        alert = IssueAlert.objects.create(issue=alert_issue, mailing_list=newsletter)
        with CaptureQueriesContext(connection) as ctx:
            services.build_issue_alert_emails(issue_alert_id=alert.pk)
        assert alert.emails.count() == Subscription.objects.newsletter().count()
        return len(ctx.captured_queries)

    for _ in range(3):
        make_subscriber(lists=[newsletter])
    few = queries_for(issue)
    for _ in range(9):
        make_subscriber(lists=[newsletter])
    many = queries_for(second_issue)
    assert few == many
    assert many <= 15


# The admin -----------------------------------------------------------------


def post_action(client, issue):
    return client.post(
        reverse("admin:articles_issue_changelist"),
        {"action": "send_issue_alert", "_selected_action": [issue.pk]},
        follow=True,
    )


ALERT_PAGE = "admin:subscriptions_issuealert_add"


def send_from_page(client, issue, mailing_list):
    """Pick the issue and the list, then confirm on the page that names them."""
    data = {"issue": issue.pk, "mailing_list": mailing_list.pk}
    page = client.post(reverse(ALERT_PAGE), data, follow=True)
    if "confirm" not in page.text:
        return page  # refused before the confirmation
    return client.post(reverse(ALERT_PAGE), {**data, "confirm": "yes"}, follow=True)


def test_the_alert_goes_only_after_a_page_naming_the_list_the_count_and_the_subject(
    client, issue, outbox
):
    newsletter, _ = lists()
    make_subscriber(lists=[newsletter])
    make_subscriber(lists=[newsletter])
    make_subscriber(lists=[newsletter], status=Subscription.Status.PENDING)
    client.force_login(User.objects.create_superuser("chief", "chief@example.com", "pw"))
    data = {"issue": issue.pk, "mailing_list": newsletter.pk}
    page = client.post(reverse(ALERT_PAGE), data)
    assert page.status_code == 200
    assert "JHOP e-Newsletter" in page.text
    assert "2 active, confirmed or imported members will get it now" in page.text
    assert f"New issue: {issue.label}" in page.text
    assert not IssueAlert.objects.exists() and not alert_emails(outbox)
    client.post(reverse(ALERT_PAGE), {**data, "confirm": "yes"})
    assert IssueAlert.objects.get().mailing_list == newsletter
    assert len(alert_emails(outbox)) == 2


def test_an_imported_reader_is_not_told_they_subscribed(
    issue, outbox, django_capture_on_commit_callbacks
):
    newsletter, _ = lists()
    reader = make_subscriber(lists=[newsletter])
    reader.subscriptions.update(imported_at=timezone.now())
    send(issue, newsletter, django_capture_on_commit_callbacks)
    (message,) = alert_emails(outbox)
    for part in (message.body, message.alternatives[0][0]):
        assert "because you subscribed" not in part
        assert "came to our JHOP e-Newsletter list from an earlier list of ours" in part


def test_the_issue_list_action_opens_the_alert_page_with_the_issue_picked(client, issue, outbox):
    lists()
    client.force_login(User.objects.create_superuser("chief", "chief@example.com", "pw"))
    response = post_action(client, issue)
    assert response.request["PATH_INFO"] == reverse(ALERT_PAGE)
    assert response.context["form"]["issue"].value() == str(issue.pk)
    assert not IssueAlert.objects.exists() and not alert_emails(outbox)  # nothing sent yet


def test_a_superuser_sends_the_alert_from_its_page(client, issue, outbox):
    newsletter, print_edition = lists()
    make_subscriber(lists=[newsletter])
    superuser = User.objects.create_superuser("chief", "chief@example.com", "pw")
    client.force_login(superuser)

    page = client.get(reverse(ALERT_PAGE))
    choices = [str(c[1]) for c in page.context["form"].fields["mailing_list"].choices]
    assert choices == ["JHOP e-Newsletter (1 active, confirmed members)"]  # no print list
    response = send_from_page(client, issue, newsletter)
    assert f"{issue} is being announced to {newsletter}." in response.text
    alert = IssueAlert.objects.get()
    assert alert.created_by == superuser and alert.mailing_list == newsletter
    assert len(alert_emails(outbox)) == 1

    again = send_from_page(client, issue, newsletter)
    assert "already been announced" in again.text
    assert IssueAlert.objects.count() == 1 and len(alert_emails(outbox)) == 1
    refused = send_from_page(client, issue, print_edition)
    assert "Select a valid choice" in refused.text and IssueAlert.objects.count() == 1


def test_the_page_offers_no_unpublished_issue(client):
    newsletter, _ = lists()
    client.force_login(User.objects.create_superuser("chief", "chief@example.com", "pw"))
    draft = make_issue(status=Issue.Status.DRAFT, published_at=None)
    response = send_from_page(client, draft, newsletter)
    assert "Select a valid choice" in response.text
    assert not IssueAlert.objects.exists()


def test_an_editor_cannot_send_alerts(client, issue, outbox):
    newsletter, _ = lists()
    make_subscriber(lists=[newsletter])
    editor = User.objects.create_user("desk-editor", password="x", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))
    client.force_login(editor)

    changelist = client.get(reverse("admin:articles_issue_changelist"))
    assert changelist.status_code == 200
    assert "send_issue_alert" not in changelist.text
    post_action(client, issue)
    assert client.get(reverse(ALERT_PAGE)).status_code == 403
    assert send_from_page(client, issue, newsletter).status_code == 403
    assert not IssueAlert.objects.exists() and not alert_emails(outbox)
    assert client.get(reverse("admin:subscriptions_issuealert_changelist")).status_code == 403


def test_a_subscription_manager_sends_an_alert_without_access_to_the_issue_list(
    client, issue, outbox
):
    newsletter, _ = lists()
    make_subscriber(lists=[newsletter])
    manager = User.objects.create_user("lists", password="x", is_staff=True)
    manager.groups.add(Group.objects.get(name="Subscription managers"))
    client.force_login(manager)
    assert client.get(reverse("admin:articles_issue_changelist")).status_code == 403
    changelist = client.get(reverse("admin:subscriptions_issuealert_changelist"))
    assert reverse(ALERT_PAGE) in changelist.text  # the "Add" button leads to the page
    response = send_from_page(client, issue, newsletter)
    assert f"{issue} is being announced to {newsletter}." in response.text
    assert len(alert_emails(outbox)) == 1


def test_subscription_managers_get_the_alert_permissions_and_see_delivery_counts(
    client, issue, outbox, django_capture_on_commit_callbacks
):
    managers = Group.objects.get(name="Subscription managers")
    codenames = set(managers.permissions.values_list("codename", flat=True))
    assert {"add_issuealert", "view_issuealert", "change_issuealert"} <= codenames
    assert (
        not Group.objects.get(name="Editors").permissions.filter(codename="add_issuealert").exists()
    )

    newsletter, _ = lists()
    make_subscriber(lists=[newsletter])
    make_subscriber(lists=[newsletter])
    alert = send(issue, newsletter, django_capture_on_commit_callbacks)
    alert.emails.filter(pk=alert.emails.first().pk).update(status=OutboundEmail.Status.FAILED)

    manager = User.objects.create_user("lists", password="x", is_staff=True)
    manager.groups.add(managers)
    client.force_login(manager)
    response = client.get(reverse("admin:subscriptions_issuealert_changelist"))
    assert response.status_code == 200
    row = response.text[response.text.index("result_list") :]
    assert '<td class="field-sent_emails">1</td>' in row
    assert '<td class="field-failed_emails">1</td>' in row
    assert (
        client.get(reverse("admin:subscriptions_issuealert_changelist"), {"q": "x"}).status_code
        == 200
    )
    detail = client.get(reverse("admin:subscriptions_issuealert_change", args=[alert.pk]))
    assert detail.status_code == 200


def test_a_manager_finishes_an_alert_whose_task_was_lost(client, issue, outbox):
    newsletter, _ = lists()
    subscribers = [make_subscriber(lists=[newsletter]) for _ in range(2)]
    lost = IssueAlert.objects.create(issue=issue, mailing_list=newsletter)
    manager = User.objects.create_user("lists", password="x", is_staff=True)
    manager.groups.add(Group.objects.get(name="Subscription managers"))
    client.force_login(manager)

    response = client.post(
        reverse("admin:subscriptions_issuealert_changelist"),
        {"action": "resume", "_selected_action": [lost.pk]},
        follow=True,
    )
    assert "1 alert(s) handed to the sender again." in response.text
    assert sorted(m.to[0] for m in alert_emails(outbox)) == sorted(s.email for s in subscribers)
    lost.refresh_from_db()
    assert lost.status == IssueAlert.Status.SENT

    client.post(
        reverse("admin:subscriptions_issuealert_changelist"),
        {"action": "resume", "_selected_action": [lost.pk]},
    )
    assert len(alert_emails(outbox)) == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite serialises writes; run with DATABASE_URL=postgres://… to test the race",
)
def test_two_editors_at_the_same_moment_announce_the_issue_once(issue, mailoutbox, monkeypatch):
    import threading

    newsletter, _ = lists()
    make_subscriber(lists=[newsletter])
    barrier = threading.Barrier(2, timeout=10)
    original_full_clean = IssueAlert.full_clean

    def full_clean_then_wait(self, *args, **kwargs):
        original_full_clean(self, *args, **kwargs)
        barrier.wait()  # both found no alert; now both insert

    monkeypatch.setattr(IssueAlert, "full_clean", full_clean_then_wait)
    outcomes = []

    def click():
        try:
            services.send_issue_alert(issue=issue, mailing_list=newsletter, user=None)
            outcomes.append("sent")
        except ValidationError as exc:
            outcomes.append(" ".join(exc.messages))
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(outcomes) == 2 and outcomes.count("sent") == 1
    assert any("already been announced" in outcome for outcome in outcomes)
    assert IssueAlert.objects.count() == 1
    assert len(alert_emails(mailoutbox)) == 1
