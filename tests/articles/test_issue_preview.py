"""Previewing a draft issue as readers will see it, and sharing it with a link."""

from datetime import timedelta

import lxml.html
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, Issue, PreviewLink
from articles.services import create_preview_link, revoke_preview_links
from tests.factories import make_article, make_issue, make_section

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft_issue():
    issue = make_issue(status=Issue.Status.DRAFT, volume=13, number=1)
    section = make_section("Original Article")
    make_article(issue=issue, section=section, title="Going out with it", position=2)
    make_article(issue=issue, section=section, title="First in the issue", position=1)
    make_article(issue=issue, title="Still a draft", status=Article.Status.DRAFT)
    return issue


def toc_titles(html: str) -> list[str]:
    page = lxml.html.fromstring(html)
    return [h.text_content().strip() for h in page.xpath("//section[@class='toc-section']//h4")]


def test_staff_preview_a_draft_issue_as_readers_will_see_it(admin_client, client, draft_issue):
    assert client.get(draft_issue.get_absolute_url()).status_code == 404

    response = admin_client.get(draft_issue.get_absolute_url())

    assert response.status_code == 200
    assert "Draft preview." in response.text
    # Editors proof the whole issue: its drafts too, marked as such.
    titles = toc_titles(response.text)
    assert sorted(titles) == ["First in the issue", "Going out with it", "Still a draft"]
    assert titles.index("First in the issue") < titles.index("Going out with it")
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_proofing_a_draft_issue_marks_drafts_and_scheduled_articles_and_links_them(
    admin_client, client, draft_issue
):
    later = timezone.now() + timedelta(days=3)
    Article.objects.filter(title="Going out with it").update(published_at=later)

    page = lxml.html.fromstring(admin_client.get(draft_issue.get_absolute_url()).text)

    items = {
        item.xpath(".//h4")[0].text_content().strip(): item
        for item in page.xpath("//section[@class='toc-section']//article")
    }
    marks = {t: [b.text_content() for b in i.find_class("badge")] for t, i in items.items()}
    assert marks["Still a draft"] == ["Draft"]
    assert marks["Going out with it"][0].startswith("Scheduled for ")
    assert marks["First in the issue"] == []
    draft = Article.objects.get(title="Still a draft")
    [href] = items["Still a draft"].xpath(".//h4/a/@href")
    assert href == draft.get_absolute_url()
    assert "Draft preview" in admin_client.get(href).text  # the editor's preview of it
    assert client.get(href).status_code == 404


def test_public_issue_pages_never_show_drafts(admin_client, client, draft_issue):
    link = create_preview_link(issue=draft_issue, user=None)
    assert "Still a draft" not in client.get(link.get_absolute_url()).text
    Issue.objects.filter(pk=draft_issue.pk).update(status=Issue.Status.PUBLISHED)
    for reader in (client, admin_client):
        html = reader.get(draft_issue.get_absolute_url()).text
        assert "Still a draft" not in html and 'class="badge"' not in html


def test_a_shared_link_shows_the_draft_issue_to_a_guest(client, draft_issue):
    link = create_preview_link(issue=draft_issue, user=None)
    response = client.get(link.get_absolute_url())
    assert response.status_code == 200
    assert toc_titles(response.text) == ["First in the issue", "Going out with it"]
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]

    revoke_preview_links(links=PreviewLink.objects.filter(pk=link.pk))
    assert client.get(link.get_absolute_url()).status_code == 404


def test_an_article_token_does_not_open_the_issue_preview_and_back(client, draft_issue):
    article_link = create_preview_link(article=draft_issue.articles.first(), user=None)
    issue_link = create_preview_link(issue=draft_issue, user=None)
    assert (
        client.get(reverse("articles:issue-preview", args=[article_link.token])).status_code == 404
    )
    assert (
        client.get(reverse("articles:article-preview", args=[issue_link.token])).status_code == 404
    )


def test_a_link_shows_one_article_or_one_issue(draft_issue):
    link = PreviewLink(article=draft_issue.articles.first(), issue=draft_issue)
    with pytest.raises(ValidationError, match="one article or one issue"):
        link.full_clean()


def test_share_draft_action_on_issues(admin_client, draft_issue):
    response = admin_client.post(
        reverse("admin:articles_issue_changelist"),
        {"action": "share_draft", "_selected_action": [draft_issue.pk]},
        follow=True,
    )
    link = PreviewLink.objects.get(issue=draft_issue)
    assert link.get_absolute_url() in response.text
    assert link.expires_at > timezone.now() + timedelta(days=6)


def test_the_issue_form_lists_its_share_links(admin_client, draft_issue):
    link = create_preview_link(issue=draft_issue, user=None)
    html = admin_client.get(reverse("admin:articles_issue_change", args=[draft_issue.pk])).text
    assert link.get_absolute_url() in html
