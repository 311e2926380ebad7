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
    page.get_by_text(f"{issue} is being announced to {newsletter}.").wait_for()

    alert = IssueAlert.objects.get()
    assert alert.mailing_list == newsletter and alert.created_by.username == "lists"
    assert [m.to for m in mail.outbox if m.subject.startswith("New issue:")] == [[reader.email]]
    assert problems == []
