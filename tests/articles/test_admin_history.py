"""History (django-reversion): restoring an earlier version, recovering a deleted article."""

import pytest
from django.urls import reverse
from reversion.models import Version

from articles.models import (
    Article,
    Author,
    Issue,
)
from tests.articles.admin_helpers import article_post, form_values, inline, restore_first_version
from tests.factories import (
    make_article,
    make_journal,
)

pytestmark = pytest.mark.django_db


def test_history_restores_an_earlier_version_with_its_authors_and_references(admin_client):
    url = reverse("admin:articles_article_add")
    assert admin_client.post(url, article_post()).status_code == 302
    article = Article.objects.get(slug="a-new-article")
    change = reverse("admin:articles_article_change", args=[article.pk])

    data = form_values(admin_client.get(change).text, "article_form")
    data["title"] = ["A Retitled Article"]
    data["body"] = ["<p>Now only [1].</p>"]
    data["references-1-DELETE"] = ["on"]
    data["authorships-0-DELETE"] = ["on"]
    response = admin_client.post(change, data)
    assert response.status_code == 302, response.context["errors"]
    article.refresh_from_db()
    assert article.title == "A Retitled Article"
    assert article.references.count() == 1 and len(article.ordered_authors) == 1

    history = admin_client.get(reverse("admin:articles_article_history", args=[article.pk]))
    assert history.status_code == 200
    first = Version.objects.get_for_object(article).order_by("pk").first()
    revision_url = reverse("admin:articles_article_revision", args=[article.pk, first.pk])
    page = admin_client.get(revision_url)
    assert page.status_code == 200
    response = admin_client.post(revision_url, form_values(page.text, "article_form"))
    assert response.status_code == 302

    article.refresh_from_db()
    assert article.title == "A New Article"
    assert article.references.count() == 2
    assert len(article.ordered_authors) == 2
    assert article.body == "<p>Shown twice [1] and once [2].</p>"


def test_history_for_issues_and_authors(admin_client):
    journal = make_journal()
    data = {
        "journal": journal.pk,
        "volume": "12",
        "number": "3",
        "kind": "regular",
        "title": "",
        "slug": "june-2022",
        "cover_date": "2022-06-01",
        "cover_image_alt": "",
        "status": "draft",
        "published_at_0": "",
        "published_at_1": "",
        "description": "",
        **inline("articles", []),
        **inline("preview_links", []),
    }
    response = admin_client.post(reverse("admin:articles_issue_add"), data)
    assert response.status_code == 302, response.context["errors"]
    issue = Issue.objects.get(slug="june-2022")
    assert Version.objects.get_for_object(issue).count() == 1

    author = {
        "given_name": "Meg",
        "family_name": "Barbor",
        "credentials": "MPH",
        "slug": "meg-barbor",
        "affiliation": "",
        "orcid": "0000-0002-1825-0097",
        "bio": "",
        "photo_alt": "",
    }
    assert admin_client.post(reverse("admin:articles_author_add"), author).status_code == 302
    saved = Author.objects.get(slug="meg-barbor")
    version = Version.objects.get_for_object(saved).get()
    saved.credentials = "PhD"
    saved.save()
    version.revision.revert()
    saved.refresh_from_db()
    assert saved.credentials == "MPH"


def test_restoring_removes_references_and_related_items_added_since(admin_client):
    add = admin_client.post(reverse("admin:articles_article_add"), article_post())
    assert add.status_code == 302
    article = Article.objects.get(slug="a-new-article")
    change = reverse("admin:articles_article_change", args=[article.pk])
    extra = make_article(title="Added later")
    data = form_values(admin_client.get(change).text, "article_form")
    data["body"] = ["<p>[1] [2] [3]</p>"]
    data.update({"references-TOTAL_FORMS": ["3"], "related_links-TOTAL_FORMS": ["3"]})
    data.update({"references-2-position": ["3"], "references-2-citation": ["Third."]})
    data.update({"related_links-2-related": [str(extra.pk)], "related_links-2-position": ["3"]})
    assert admin_client.post(change, data).status_code == 302
    assert article.references.count() == 3 and article.related_links.count() == 3

    assert restore_first_version(admin_client, article).status_code == 302

    article.refresh_from_db()
    assert article.body == "<p>Shown twice [1] and once [2].</p>"
    assert list(article.references.values_list("position", flat=True)) == [1, 2]
    assert [r.related.title for r in article.related_links.all()] == ["Related two", "Related one"]


def test_restoring_a_version_from_before_references_were_renumbered(admin_client):
    add = admin_client.post(reverse("admin:articles_article_add"), article_post())
    assert add.status_code == 302
    article = Article.objects.get(slug="a-new-article")
    change = reverse("admin:articles_article_change", args=[article.pk])
    data = form_values(admin_client.get(change).text, "article_form")
    data["references-0-position"], data["references-1-position"] = ["2"], ["1"]
    data["authorships-0-author"], data["authorships-1-author"] = (
        data["authorships-1-author"],
        data["authorships-0-author"],
    )
    assert admin_client.post(change, data).status_code == 302
    swapped = list(article.references.values_list("citation", flat=True))

    # Looking at the old version changes nothing.
    first = Version.objects.get_for_object(article).order_by("pk").first()
    admin_client.get(reverse("admin:articles_article_revision", args=[article.pk, first.pk]))
    assert list(article.references.values_list("citation", flat=True)) == swapped

    response = restore_first_version(admin_client, article)

    assert response.status_code == 302
    assert list(article.references.values_list("citation", flat=True)) == swapped[::-1]
    article = Article.objects.get(pk=article.pk)
    assert [a.credentials for a in article.ordered_authors] == ["PharmD, FASHP", "MPH"]


def test_a_deleted_article_can_be_recovered_with_its_rows(admin_client):
    add = admin_client.post(reverse("admin:articles_article_add"), article_post())
    assert add.status_code == 302
    article = Article.objects.get(slug="a-new-article")
    delete = reverse("admin:articles_article_delete", args=[article.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 302
    assert not Article.objects.filter(pk=article.pk).exists()

    [version] = Version.objects.get_deleted(Article)
    url = reverse("admin:articles_article_recover", args=[version.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    assert admin_client.post(url, form_values(page.text, "article_form")).status_code == 302

    article = Article.objects.get(pk=article.pk)
    assert article.references.count() == 2 and article.related_links.count() == 2
    assert [a.credentials for a in article.ordered_authors] == ["PharmD, FASHP", "MPH"]
    assert [t.name for t in article.topics.all()] == ["Breast Cancer"]
