"""Autosave on the article and issue forms: kept apart from the live row, restorable."""

import json

import lxml.html
import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse
from reversion.models import Version

from articles.models import Article, Autosave
from tests.articles.admin_helpers import form_values, staff_editor
from tests.factories import make_article, make_issue

pytestmark = pytest.mark.django_db


def url(article) -> str:
    return reverse("admin:articles_article_autosave", args=[article.pk])


def post(client, target: str, payload, **extra):
    body = payload if isinstance(payload, str) else json.dumps(payload)
    return client.post(target, body, content_type="application/json", **extra)


def test_an_autosave_keeps_the_fields_and_changes_nothing_readers_see(admin_client, client):
    article = make_article(title="Live title", body="<p>Live body.</p>")
    before = (article.body_html, article.status, Version.objects.count())

    response = post(admin_client, url(article), {"data": {"title": ["Typed"], "status": ["draft"]}})

    assert response.status_code == 200 and response.json()["time"]
    article.refresh_from_db()
    assert (article.title, article.body_html, article.status) == ("Live title", *before[:2])
    assert Version.objects.count() == before[2]
    assert Autosave.objects.get().data == {"title": ["Typed"], "status": ["draft"]}
    assert "Live title" in client.get(article.get_absolute_url()).text
    post(admin_client, url(article), {"data": {"title": ["Typed again"]}})
    assert Autosave.objects.get().data == {"title": ["Typed again"]}  # one per user and item


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ("{not json", 400),
        ('["a list"]', 400),
        ({"data": {"title": "not a list"}}, 400),
        ({"data": {"title": [1]}}, 400),
        ({"data": {"body": ["x" * 600_000]}}, 413),
    ],
)
def test_bad_input_is_a_4xx_and_keeps_nothing(admin_client, payload, status):
    response = post(admin_client, url(make_article()), payload)
    assert response.status_code == status and response.json()["error"]
    assert not Autosave.objects.exists()


def test_the_endpoint_checks_csrf_staff_and_permission(client):
    article = make_article()
    data = {"data": {"title": ["x"]}}
    assert post(client, url(article), data).status_code == 302  # to the admin login
    user = staff_editor(Client())
    checked = Client(enforce_csrf_checks=True)
    checked.force_login(user)
    assert post(checked, url(article), data).status_code == 403  # no CSRF token
    viewer = User.objects.create_user("viewer", password="x", is_staff=True)
    client.force_login(viewer)
    assert post(client, url(article), data).status_code == 403
    assert client.get(url(article)).status_code == 403
    editor = User.objects.create_user("ed", password="x", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))
    client.force_login(editor)
    missing = reverse("admin:articles_article_autosave", args=[987654])
    assert post(client, missing, data).status_code == 404
    assert client.get(url(article)).status_code == 405
    assert not Autosave.objects.exists()


def test_restore_discard_and_save(admin_client):
    article = make_article(title="Live title")
    change = reverse("admin:articles_article_change", args=[article.pk])
    post(admin_client, url(article), {"data": {"title": ["Typed title"], "body": ["<p>New</p>"]}})

    page = admin_client.get(change).text
    assert "You have unsaved changes from" in page and "?autosave=restore" in page
    restored = admin_client.get(change, {"autosave": "restore"}).text
    values = form_values(restored, "article_form")
    assert values["title"] == ["Typed title"] and values["body"][0].strip() == "<p>New</p>"
    assert "Restored your unsaved changes" in restored

    assert admin_client.delete(url(article)).status_code == 204
    assert "You have unsaved changes" not in admin_client.get(change).text

    post(admin_client, url(article), {"data": {"title": ["Typed title"]}})
    data = form_values(admin_client.get(change).text, "article_form")
    data.pop("_saveasnew", None)
    assert admin_client.post(change, data).status_code == 302
    assert not Autosave.objects.exists()  # saving the form drops what it replaced


def test_the_issue_form_autosaves_too(admin_client):
    issue = make_issue()
    target = reverse("admin:articles_issue_autosave", args=[issue.pk])
    assert post(admin_client, target, {"data": {"title": ["Typed"]}}).status_code == 200
    page = admin_client.get(reverse("admin:articles_issue_change", args=[issue.pk])).text
    assert 'id="autosave"' in page and "You have unsaved changes" in page
    add = reverse("admin:articles_article_autosave")
    assert post(admin_client, add, {"data": {"title": ["New one"]}}).status_code == 200
    doc = lxml.html.fromstring(
        admin_client.get(reverse("admin:articles_article_add"), {"autosave": "restore"}).text
    )
    assert doc.get_element_by_id("id_title").value == "New one"
    assert Article.objects.count() == 0
