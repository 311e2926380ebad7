"""Every public page runs a fixed number of queries, however much content there is."""

import pytest
from django.contrib.sites.models import Site
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.articles.site_data import build_site
from tests.factories import make_article

pytestmark = pytest.mark.django_db

# Cold cache: the page cache and the journal cache miss, as on the first visit after a publish
# (the page cache's own bookkeeping, 2 queries once per content version, included).
# Reader pages: at most 10.
MAX_QUERIES = {
    "home": 7,
    "issue-list": 4,
    "issue-detail": 4,
    "article-detail": 6,
    "article-citation": 5,
    "topic-list": 4,
    "topic-detail": 4,
    "section-detail": 4,
    "author-detail": 6,
    # Search: the form's choices (years, topics, sections), the page and its total, its
    # headlines (PostgreSQL), its articles, and the facets (one query on PostgreSQL, two
    # on SQLite). On PostgreSQL with RUM (migration 0034) a ranked page also reads its ids
    # in the index's order and scores them (and, where equal scores run past the ids
    # scored, a few more); each of those reads sets the planner's methods first (one
    # query; in a savepoint where a transaction is open, as in tests: two more); the
    # index's kind is asked once per process, and the query's shape (a phrase?) once.
    "search": 19,
    "search-by-topic": 10,
    "search-phrase": 13,
    "search-exclusions": 10,
    "search-by-year-and-section": 10,
    "feed": 7,
    "sitemap-index": 15,  # two per section (its last change, its size), the journal, newsletters
    "sitemap-articles": 6,
}


def urls(site) -> dict[str, str]:
    article = site["article"]
    return {
        "home": "/",
        "issue-list": "/issues/",
        "issue-detail": site["issue"].get_absolute_url(),
        "article-detail": article.get_absolute_url(),
        "article-citation": f"{article.get_absolute_url()}cite.ris",
        "topic-list": "/topics/",
        "topic-detail": site["topic"].get_absolute_url(),
        "section-detail": site["news_section"].get_absolute_url(),
        "author-detail": site["author"].get_absolute_url(),
        "search": "/search/?q=breast+cancer",
        "search-by-topic": "/search/?topic=breast-cancer&page=2",
        "search-phrase": '/search/?q="breast+cancer"&topic=breast-cancer',
        "search-exclusions": "/search/?q=-cancer&page=2",
        "search-by-year-and-section": (
            f"/search/?year={article.published_at.year}&section={article.section.slug}&page=2"
        ),
        "feed": "/topics/breast-cancer/atom/",
        "sitemap-index": "/sitemap.xml",
        "sitemap-articles": "/sitemap-articles.xml",
    }


def count_queries(client, url) -> int:
    cache.clear()
    Site.objects.clear_cache()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def test_query_counts_do_not_grow_with_content(client):
    small = build_site(n=1)
    small_counts = {name: count_queries(client, url) for name, url in urls(small).items()}
    large = build_site_again_with(n=20)
    large_counts = {name: count_queries(client, url) for name, url in urls(large).items()}
    # Related items stop early once editors' picks fill the list, so 20 may cost less.
    for name, count in large_counts.items():
        assert count <= small_counts[name], f"{name}: {small_counts[name]} -> {count}"
    for name, count in large_counts.items():
        assert count <= MAX_QUERIES[name], f"{name}: {count} queries"


def build_site_again_with(*, n):
    """A second, larger site in the same database: 20 authors, topics, references, related
    items per article, and a bigger archive."""
    from articles.models import Article, Issue

    Article.objects.all().delete()
    Issue.objects.all().delete()
    site = build_site(n=n)
    for i in range(30):
        make_article(title=f"Archive {i}", topics=[site["topic"]], authors=site["authors"][:3])
    return site


@pytest.mark.parametrize("name", list(MAX_QUERIES))
def test_page_query_budget(client, django_assert_max_num_queries, name):
    site = build_site(n=20)
    url = urls(site)[name]
    cache.clear()
    Site.objects.clear_cache()
    with django_assert_max_num_queries(MAX_QUERIES[name]):
        assert client.get(url).status_code == 200


def test_a_cached_page_runs_no_queries(client, django_assert_num_queries):
    site = build_site(n=3)
    url = site["article"].get_absolute_url()
    client.get(url)
    with django_assert_num_queries(0):
        assert client.get(url).status_code == 200
