"""Nothing unpublished reaches a reader: a draft, a scheduled article, an unpublished issue."""

import pytest
from django.core.cache import cache

from tests.articles.site_data import build_site, make_hidden_articles

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    site = build_site(n=2)
    hidden = make_hidden_articles(site["issue"], site["topic"], site["section"], site["author"])
    return site, hidden


def assert_hidden(client, url, hidden):
    cache.clear()
    response = client.get(url)
    assert response.status_code == 200, url
    content = response.content.decode()
    for article in hidden:
        assert article.title not in content, f"{article.title} leaked on {url}"
        assert article.get_absolute_url() not in content, f"{article.slug} leaked on {url}"
    return content


@pytest.mark.parametrize(
    "surface",
    [
        "home",
        "issue-toc",
        "topic",
        "section",
        "author",
        "related-items",
        "search",
        "search-by-topic",
        "feed-latest-rss",
        "feed-latest-atom",
        "feed-topic",
        "feed-section",
        "sitemap",
        "topic-list",
    ],
)
def test_unpublished_articles_never_leak(client, world, surface):
    site, hidden = world
    url = {
        "home": "/",
        "issue-toc": site["issue"].get_absolute_url(),
        "topic": site["topic"].get_absolute_url(),
        "section": site["section"].get_absolute_url(),
        "author": site["author"].get_absolute_url(),
        "related-items": site["news"].get_absolute_url(),
        "search": "/search/?q=HIDDEN",
        "search-by-topic": f"/search/?topic={site['topic'].slug}",
        "feed-latest-rss": "/feeds/rss/",
        "feed-latest-atom": "/feeds/atom/",
        "feed-topic": f"/topics/{site['topic'].slug}/rss/",
        "feed-section": f"/sections/{site['section'].slug}/atom/",
        "sitemap": "/sitemap-articles.xml",
        "topic-list": "/topics/",
    }[surface]
    content = assert_hidden(client, url, hidden)
    if surface == "search":
        assert "No results" in content
    if surface == "related-items":
        assert "Related Items" in content


@pytest.mark.parametrize("index", [0, 1, 2], ids=["draft", "scheduled", "unpublished-issue"])
def test_direct_urls_and_citation_files_404(client, world, index):
    _, hidden = world
    article = hidden[index]
    assert client.get(article.get_absolute_url()).status_code == 404
    assert client.get(f"{article.get_absolute_url()}cite.ris").status_code == 404


def test_unpublished_issue_is_hidden_everywhere(client, world):
    _, hidden = world
    issue = hidden[2].issue
    assert client.get(issue.get_absolute_url()).status_code == 404
    for url in ("/", "/issues/", "/sitemap-issues.xml"):
        cache.clear()
        content = client.get(url).content.decode()
        assert issue.get_absolute_url() not in content, url


def test_an_author_with_only_hidden_work_has_no_page_or_sitemap_entry(client, world):
    from tests.factories import make_author

    _, hidden = world
    author = make_author(slug="only-drafts")
    hidden[0].authorships.create(author=author, position=9)
    assert client.get(author.get_absolute_url()).status_code == 404
    assert "only-drafts" not in client.get("/sitemap-authors.xml").content.decode()
