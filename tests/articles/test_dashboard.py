"""The editors' dashboard on the admin index."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from tests.factories import make_article, make_issue

pytestmark = pytest.mark.django_db


def dashboard(client) -> str:
    html = client.get(reverse("admin:index")).text
    return html.split('id="editors-dashboard"')[1].split('<div id="content-related"')[0]


def test_dashboard_lists_drafts_scheduled_published_and_problems(admin_client):
    at = timezone.now() + timedelta(days=2)
    make_article(title="A draft", status=Article.Status.DRAFT)
    make_article(title="Going live soon", published_at=at)
    make_issue(title="The next issue", published_at=at, volume=14, number=1)
    make_article(title="Out already", published_at=timezone.now() - timedelta(days=1))
    make_article(title="Cites too much", body="<p>See [3].</p>", references=["One."])
    Article.objects.filter(title="Out already").update(lead_image="x.png", lead_image_alt="")

    text = dashboard(admin_client)

    assert "A draft" in text.split("Drafts")[1].split("Recently published")[0]
    scheduled = text.split("Scheduled")[1].split("Drafts")[0]
    assert "Going live soon" in scheduled and "The next issue" in scheduled
    assert timezone.localtime(at).strftime("%b %-d, %Y %H:%M") in scheduled
    assert "Out already" in text.split("Recently published")[1].split("Failing a check")[0]
    problems = text.split("Failing a check")[1].split("Recent changes")[0]
    assert "Cites too much</a>: cites [3] with no reference" in problems
    assert "Out already</a>: lead image without alt text" in problems


def test_dashboard_shows_who_changed_what(admin_client, admin_user):
    admin_client.post(
        reverse("admin:articles_topic_add"), {"name": "Breast Cancer", "slug": "breast-cancer"}
    )
    changes = dashboard(admin_client).split("Recent changes")[1]
    assert f"{admin_user.username} added topic “Breast Cancer”" in changes


def test_dashboard_runs_a_fixed_number_of_queries(admin_client):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            admin_client.get(reverse("admin:index"))
        return len(queries)

    make_article(references=["One."])
    count()  # a session's first admin request also looks up the second factor
    few = count()
    for n in range(12):
        make_article(title=f"More {n}", references=["One.", "Two."], status="draft")
    assert count() == few


def test_an_editor_sees_it_and_a_subscription_manager_without_article_rights_does_not(client):
    user = User.objects.create_user("ed", password="pw-12345678", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    client.force_login(user)
    assert 'id="editors-dashboard"' in client.get(reverse("admin:index")).text
    user.groups.clear()
    assert 'id="editors-dashboard"' not in client.get(reverse("admin:index")).text
