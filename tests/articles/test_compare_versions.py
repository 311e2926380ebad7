"""Comparing two versions of an article or an issue from its history."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from reversion.models import Version

from articles.admin.compare import html_text, word_diff
from articles.models import Article
from tests.articles.admin_helpers import article_post, form_values
from tests.articles.test_views_html import check
from tests.factories import make_issue

pytestmark = pytest.mark.django_db


def test_word_diff_marks_only_the_words_that_changed():
    left, right = word_diff("Give 5 mg daily with food.", "Give 10 mg daily.")
    assert [(s.kind, s.text) for s in left] == [
        ("same", "Give"),
        ("removed", "5"),
        ("same", "mg"),
        ("removed", "daily with food."),
    ]
    assert [(s.kind, s.text) for s in right] == [
        ("same", "Give"),
        ("added", "10"),
        ("same", "mg"),
        ("added", "daily."),
    ]


def test_html_is_compared_as_the_text_readers_read():
    assert html_text("<p>One &amp; two</p><p>three<br>four</p>") == "One & two\nthree\nfour"


@pytest.fixture
def two_versions(admin_client):
    admin_client.post(reverse("admin:articles_article_add"), article_post())
    article = Article.objects.get(slug="a-new-article")
    change = reverse("admin:articles_article_change", args=[article.pk])
    data = form_values(admin_client.get(change).text, "article_form")
    data["title"] = ["A Renamed Article"]
    data["body"] = ["<p>Shown twice [1] and &lt;b&gt;bold&lt;/b&gt; [2].</p>"]
    data["references-0-citation"] = ["Roberto M, et al. Cancers. 2022;14:1."]
    assert admin_client.post(change, data).status_code == 302
    revisions = [
        v.revision_id for v in Version.objects.get_for_object(article).order_by("revision_id")
    ]
    return article, revisions


def compare_url(article, **params):
    url = reverse("admin:articles_article_compare", args=[article.pk])
    return url + "?" + "&".join(f"{k}={v}" for k, v in params.items())


def test_the_history_offers_two_versions_to_compare(admin_client, two_versions):
    article, (first, second) = two_versions
    page = admin_client.get(reverse("admin:articles_article_history", args=[article.pk])).text
    assert f'name="from" value="{first}"' in page and f'name="to" value="{second}"' in page
    assert "Compare the two versions" in page
    assert check(page) == []


def test_two_versions_side_by_side_escaped(admin_client, two_versions):
    article, (first, second) = two_versions
    # The order they are picked in does not matter: the older one is on the left.
    page = admin_client.get(compare_url(article, **{"from": second, "to": first})).text
    assert '<td class="compare-text">A New Article</td>' in page
    assert '<td class="compare-text">A Renamed Article</td>' in page
    assert "<del>once</del>" in page
    assert "<ins>&lt;b&gt;bold&lt;/b&gt;</ins>" in page
    assert "<script>" not in page and "onclick" not in page
    assert check(page) == []
    assert "1. Roberto M, et al. Cancers. 2021;13:332." in page
    assert "1. Roberto M, et al. Cancers. 2022;14:1." in page
    # Unchanged fields are not listed.
    assert ">Doi<" not in page and ">DOI<" not in page


@pytest.mark.parametrize(
    "params", [{}, {"from": "x", "to": "1"}, {"from": "1"}], ids=["none", "not-a-number", "one"]
)
def test_bad_choices_are_a_clear_400(admin_client, two_versions, params):
    article, _ = two_versions
    response = admin_client.get(compare_url(article, **params))
    assert response.status_code == 400
    assert b"Choose two versions" in response.content


def test_a_version_of_another_article_is_not_found(admin_client, two_versions):
    article, (first, _) = two_versions
    other = Article.objects.exclude(pk=article.pk).first()
    assert admin_client.get(compare_url(other, **{"from": first, "to": first})).status_code == 404
    missing = compare_url(article, **{"from": 999999, "to": first})
    assert admin_client.get(missing).status_code == 404


def test_staff_without_article_rights_cannot_compare(client, two_versions):
    article, (first, second) = two_versions
    client.force_login(User.objects.create_user("nobody", password="pw", is_staff=True))
    assert client.get(compare_url(article, **{"from": first, "to": second})).status_code == 403


def test_an_issue_can_be_compared_too(admin_client):
    issue = make_issue(title="")
    change = reverse("admin:articles_issue_change", args=[issue.pk])
    for title in ("Year in Review", "Year in Review: Breast Cancer"):
        data = form_values(admin_client.get(change).text, "issue_form")
        data["title"] = [title]
        assert admin_client.post(change, data).status_code == 302
    first, second = [
        v.revision_id for v in Version.objects.get_for_object(issue).order_by("revision_id")
    ]
    url = reverse("admin:articles_issue_compare", args=[issue.pk])
    page = admin_client.get(f"{url}?from={first}&to={second}").text
    assert '<td class="compare-text">Year in Review</td>' in page
    assert '<td class="compare-text">Year in Review: Breast Cancer</td>' in page
