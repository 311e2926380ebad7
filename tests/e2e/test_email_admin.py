"""Subscription managers send email from the subscriptions admin in a real browser."""

import pytest
from django.contrib.auth.models import Group, User
from django.core import mail

from subscriptions.models import IssueAlert
from tests.factories import make_issue
from tests.subscriptions.factories import lists, make_subscriber


@pytest.fixture
def manager_page(live_server, page, settings):
    settings.SITE_URL = live_server.url
    manager = User.objects.create_user("lists", password="lists-pass-123", is_staff=True)
    manager.groups.add(Group.objects.get(name="Subscription managers"))
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("response", lambda r: r.status >= 400 and problems.append(f"{r.status} {r.url}"))
    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", "lists")
    page.fill("#id_password", "lists-pass-123")
    page.click("input[type=submit]")
    return page, problems


def test_a_manager_sends_a_new_issue_alert_from_its_own_page(live_server, manager_page):
    page, problems = manager_page
    newsletter, _ = lists()
    reader = make_subscriber(lists=[newsletter])
    issue = make_issue()
    mail.outbox.clear()

    page.goto(live_server.url + "/admin/subscriptions/issuealert/")
    page.get_by_role("link", name="Add new-issue alert").click()
    page.get_by_label("Issue").select_option(str(issue.pk))
    page.get_by_label("JHOP e-Newsletter (1 active, confirmed members)").check()
    page.get_by_role("button", name="Send the alert").click()
    # Nothing goes before a page names the list, the readers and the subject.
    page.get_by_text("1 active, confirmed or imported member will get it now").wait_for()
    assert not IssueAlert.objects.exists()
    page.get_by_role("button", name=f"Send the alert to {newsletter} now").click()
    page.get_by_text(f"{issue} is being announced to {newsletter}.").wait_for()

    alert = IssueAlert.objects.get()
    assert alert.mailing_list == newsletter and alert.created_by.username == "lists"
    assert [m.to for m in mail.outbox if m.subject.startswith("New issue:")] == [[reader.email]]
    assert problems == []


def test_a_manager_composes_previews_tests_and_sends_an_edition_then_a_bounce_stops_mail(
    live_server, manager_page, browser, settings, screenshot
):
    """The issue's done-when: compose from articles, preview, test, send, see counts; a
    bounce posted by the email service stops mail to that address."""
    import base64
    import importlib
    import json

    from django.urls import clear_url_caches

    import jhop.urls
    from subscriptions import emails
    from subscriptions.models import Edition, OutboundEmail, Subscription
    from subscriptions.services import editions
    from tests.factories import make_article, make_author

    page, problems = manager_page
    User.objects.filter(username="lists").update(email="lists@example.org")
    newsletter, _ = lists()
    readers = [make_subscriber(lists=[newsletter]) for _ in range(3)]
    make_article(
        title="Olaparib in early breast cancer",
        standfirst="What the OlympiA trial means for pharmacists.",
        authors=[make_author(given_name="Meg", family_name="Barbor", credentials="MPH")],
    )
    make_article(title="Tumor lysis syndrome prophylaxis")
    mail.outbox.clear()

    # Compose: the two new articles are already suggested.
    page.goto(live_server.url + "/admin/subscriptions/edition/add/")
    page.get_by_label("Subject").fill("JHOP Weekly: June")
    page.get_by_label("Introduction").fill("Two articles this week.")
    page.get_by_role("button", name="Save and continue editing").click()
    page.get_by_text("was added successfully").wait_for()
    edition = Edition.objects.get()
    assert edition.items.count() == 2

    # Preview both parts in the browser, as a phone and as a desktop would show them.
    with page.expect_popup() as popup:
        page.get_by_role("link", name="Preview (HTML)").click()
    preview = popup.value
    preview.wait_for_load_state()
    assert preview.get_by_role("link", name="Olaparib in early breast cancer").is_visible()
    for name, width in (("phone", 375), ("desktop", 1280)):
        preview.set_viewport_size({"width": width, "height": 900})
        sheet = preview.locator("table.sheet").bounding_box()
        assert sheet["width"] <= width and sheet["width"] == min(600, width - 24)
        screenshot(f"edition-{name}", target=preview.locator("body"))
    preview.close()
    with page.expect_popup() as popup:
        page.get_by_role("link", name="Preview (plain text)").click()
    assert "Two articles this week." in popup.value.locator("body").inner_text()
    popup.value.close()

    # A test to oneself, then to the list.
    page.get_by_role("button", name="Send me a test").click()
    page.get_by_text("A test of “JHOP Weekly: June” was sent to lists@example.org.").wait_for()
    page.get_by_role("link", name="Send to JHOP e-Newsletter now…").click()
    page.get_by_text("3 active, confirmed or imported members will get it now").wait_for()
    page.get_by_role("button", name="Send to JHOP e-Newsletter now").click()
    page.get_by_text("“JHOP Weekly: June” is being sent to JHOP e-Newsletter.").wait_for()
    page.goto(live_server.url + "/admin/subscriptions/edition/")
    row = page.locator("#result_list tbody tr").first
    assert row.locator(".field-sent").inner_text() == "3"
    assert row.locator("svg.edition-bar").get_attribute("aria-label").startswith("3 sent")
    sent = [m.to[0] for m in mail.outbox if m.subject == "JHOP Weekly: June"]
    assert sorted(sent) == sorted(r.email for r in readers)
    assert [m.to for m in mail.outbox if m.subject.startswith("[Test]")] == [["lists@example.org"]]

    # The email service reports a bounce: mail to that address stops.
    secret = "hooks:e2e-secret"
    settings.ANYMAIL_WEBHOOK_SECRET = secret
    settings.ANYMAIL = {"WEBHOOK_SECRET": secret}
    importlib.reload(jhop.urls)
    clear_url_caches()
    try:
        bounced = readers[0]
        response = page.request.post(
            live_server.url + "/anymail/postmark/tracking/",
            data=json.dumps(
                {
                    "RecordType": "Bounce",
                    "ID": 42,
                    "Type": "HardBounce",
                    "MessageID": "pm-1",
                    "Description": "Mailbox not found",
                    "Email": bounced.email,
                    "BouncedAt": "2026-06-01T10:00:00Z",
                }
            ),
            headers={
                "Content-Type": "application/json",
                "Authorization": "Basic " + base64.b64encode(secret.encode()).decode(),
            },
        )
        assert response.status == 200
    finally:
        settings.ANYMAIL_WEBHOOK_SECRET = ""
        settings.ANYMAIL = {}
        importlib.reload(jhop.urls)
        clear_url_caches()
    assert set(bounced.subscriptions.values_list("status", flat=True)) == {
        Subscription.Status.BOUNCED
    }
    page.goto(live_server.url + "/admin/subscriptions/edition/")
    row = page.locator("#result_list tbody tr").first
    assert row.locator(".field-bounced").inner_text() == "1"

    # Mail to that address has stopped: the next edition reaches the other two only, and
    # nothing else (here, the email with a link to manage one's subscription) goes to it.
    mail.outbox.clear()
    july = Edition.objects.create(mailing_list=newsletter, subject="JHOP Weekly: July", intro="")
    july.items.create(article=edition.items.first().article, position=1)
    editions.send_edition(edition=july, user=None)
    emails.manage_email(bounced)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(r.email for r in readers[1:])
    assert bounced.outbound_emails.latest("pk").status == OutboundEmail.Status.SUPPRESSED
    assert problems == []
