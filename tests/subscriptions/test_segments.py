"""An edition or an alert may go to part of its list: by profession, country and when the
reader joined; the confirmation page counts who gets it before anything is sent."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from subscriptions.models import Edition, IssueAlert

from .factories import lists, make_subscriber
from .test_editions import articles, compose, edition_emails, manager  # noqa: F401
from .test_issue_alerts import ALERT_PAGE, alert_emails, issue  # noqa: F401

# The fixtures of test_editions and test_issue_alerts are used here by name.
# ruff: noqa: F811

pytestmark = pytest.mark.django_db


@pytest.fixture
def readers():
    newsletter, _ = lists()
    long_ago = timezone.now() - timedelta(days=400)
    made = {
        "us-pharmacist": make_subscriber(lists=[newsletter], profession="pharmacist"),
        "us-physician": make_subscriber(lists=[newsletter], profession="physician"),
        "ca-pharmacist": make_subscriber(lists=[newsletter], profession="pharmacist", country="CA"),
        "old-us-pharmacist": make_subscriber(lists=[newsletter], profession="pharmacist"),
    }
    made["old-us-pharmacist"].subscriptions.update(confirmed_at=long_ago)
    return newsletter, made


def test_an_edition_goes_only_to_its_segment_counted_before_sending(
    client, manager, articles, readers, outbox
):
    newsletter, made = readers
    edition = compose(
        articles,
        newsletter,
        segment_professions=["pharmacist"],
        segment_countries=["US"],
        segment_joined_after=(timezone.now() - timedelta(days=30)).date(),
    )
    client.force_login(manager)
    url = reverse("admin:subscriptions_edition_send", args=[edition.pk])
    page = client.get(url)
    assert "Only: Pharmacist; in United States of America; joined on or after" in page.text
    assert "1 active, confirmed or imported member will get it now" in page.text
    client.post(url, {"confirm": "yes"})
    assert [m.to for m in edition_emails(outbox)] == [[made["us-pharmacist"].email]]
    assert Edition.objects.get().recipients == 1


def test_the_edition_form_saves_a_segment(client, manager, articles, readers):
    newsletter, _ = readers
    edition = compose(articles, newsletter)
    client.force_login(manager)
    url = reverse("admin:subscriptions_edition_change", args=[edition.pk])
    page = client.get(url)
    assert page.status_code == 200 and "Who gets it" in page.text
    data = {
        "mailing_list": newsletter.pk,
        "subject": edition.subject,
        "slug": "",
        "preheader": "",
        "intro": edition.intro,
        "segment_professions": ["physician", "nurse"],
        "segment_countries": ["CA"],
        "segment_joined_after": "",
        "segment_joined_before": "2030-01-01",
        "items-TOTAL_FORMS": "0",
        "items-INITIAL_FORMS": "0",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    edition.refresh_from_db()
    assert edition.segment_professions == ["physician", "nurse"]
    assert edition.segment_countries == ["CA"]
    assert str(edition.segment_joined_before) == "2030-01-01"


def test_an_alert_goes_only_to_its_segment(client, issue, readers, outbox):
    newsletter, made = readers
    client.force_login(User.objects.create_superuser("chief", "chief@example.com", "pw"))
    data = {"issue": issue.pk, "mailing_list": newsletter.pk, "segment_professions": ["physician"]}
    page = client.post(reverse(ALERT_PAGE), data)
    assert "Only: Physician" in page.text
    assert "1 active, confirmed or imported member will get it now" in page.text
    assert not IssueAlert.objects.exists()
    client.post(reverse(ALERT_PAGE), {**data, "confirm": "yes"})
    assert IssueAlert.objects.get().segment_professions == ["physician"]
    assert [m.to for m in alert_emails(outbox)] == [[made["us-physician"].email]]
