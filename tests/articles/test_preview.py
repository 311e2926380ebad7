from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, PreviewLink
from articles.services import create_preview_link, revoke_preview_links
from tests.factories import make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft():
    return make_article(
        status=Article.Status.DRAFT,
        title="An Unpublished Article",
        body="<p>Cited [1].</p>",
        references=["Roberto M, et al. Cancers (Basel). 2021;13:332."],
    )


def test_a_valid_link_shows_the_draft_to_anyone(client, draft):
    link = create_preview_link(article=draft, user=None)
    assert client.get(draft.get_absolute_url()).status_code == 404

    response = client.get(link.get_absolute_url())

    assert response.status_code == 200
    assert "An Unpublished Article" in response.text
    assert 'href="#ref-1"' in response.text
    assert "Roberto M" in response.text
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-cache" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert '<meta name="robots" content="noindex' in response.text


def test_the_link_is_never_served_from_the_page_cache(client, draft):
    link = create_preview_link(article=draft, user=None)
    client.get(link.get_absolute_url())
    revoke_preview_links(links=PreviewLink.objects.filter(pk=link.pk))
    assert client.get(link.get_absolute_url()).status_code == 404


def test_expired_link_is_a_404(client, draft):
    link = create_preview_link(article=draft, user=None, lifetime=timedelta(hours=1))
    PreviewLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(link.get_absolute_url()).status_code == 404


def test_revoked_link_is_a_404(client, draft):
    link = create_preview_link(article=draft, user=None)
    assert revoke_preview_links(links=PreviewLink.objects.all()) == 1
    assert client.get(link.get_absolute_url()).status_code == 404


def test_unknown_token_is_a_404(client, draft):
    create_preview_link(article=draft, user=None)
    url = reverse("articles:article-preview", kwargs={"token": "not-a-real-token"})
    assert client.get(url).status_code == 404


def test_tokens_are_long_random_and_unique(draft):
    tokens = {create_preview_link(article=draft, user=None).token for _ in range(20)}
    assert len(tokens) == 20
    assert all(len(t) >= 40 for t in tokens)


def test_a_published_article_can_be_previewed_too_but_stays_noindex(client):
    article = make_article()
    link = create_preview_link(article=article, user=None)
    response = client.get(link.get_absolute_url())
    assert response.status_code == 200
    assert response["X-Robots-Tag"] == "noindex, nofollow"
