"""The edition's article picker: any published article, found by typing, put in order by
dragging or with the keyboard (the article form's reorderable rows)."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from tests.factories import make_article

from .factories import lists
from .test_editions import manager  # noqa: F401

# The fixture of test_editions is used here by name.
# ruff: noqa: F811

pytestmark = pytest.mark.django_db
SEARCH = "admin:subscriptions_edition_article_search"


def search(client, term):
    response = client.get(reverse(SEARCH), {"term": term})
    return response.status_code, [r["text"] for r in response.json()["results"]] if (
        response.status_code == 200
    ) else []


def test_any_published_article_is_found_by_typing_however_old(client, manager):
    make_article(title="Olaparib in 2019", published_at=timezone.now() - timedelta(days=2000))
    make_article(title="Olaparib this week")
    make_article(title="Olaparib draft", status=Article.Status.DRAFT)
    make_article(title="Olaparib next month", published_at=timezone.now() + timedelta(days=30))
    make_article(title="Tumor lysis")
    client.force_login(manager)
    status, found = search(client, "olaparib")
    assert status == 200
    assert [t.split(" (")[0] for t in found] == ["Olaparib this week", "Olaparib in 2019"]


def test_only_managers_of_editions_may_search(client):
    make_article(title="Olaparib this week")
    editor = User.objects.create_user("desk", password="x", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))
    client.force_login(editor)
    assert client.get(reverse(SEARCH), {"term": "o"}).status_code == 403


def test_the_form_offers_the_picker_and_reorderable_rows(client, manager):
    lists()
    client.force_login(manager)
    page = client.get(reverse("admin:subscriptions_edition_add"))
    assert f'data-ajax--url="{reverse(SEARCH)}"' in page.text
    assert "js/admin/reorder.js" in page.text and "reorderable" in page.text
