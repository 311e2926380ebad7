"""Prepared statements (articles.reader.prepared): the reader pages' queries are planned once per
connection; search and everything else are planned for their values every time."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import override_settings

from tests.articles.site_data import build_site

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's"
    ),
]


def prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql")
        return [row[0] for row in cursor.fetchall()]


def view_uncached(client, url, times):
    for _ in range(times):
        cache.clear()  # the page cache would answer before the view runs
        assert client.get(url).status_code == 200


def test_the_article_page_prepares_its_queries_and_search_never_does(client):
    site = build_site(n=2)
    assert connection.settings_dict["OPTIONS"]["server_side_binding"] is True
    view_uncached(client, site["article"].get_absolute_url(), 3)
    after_article = prepared()
    assert any('FROM "articles_reference"' in sql for sql in after_article)
    assert any('"articles_rankedrelated"' in sql for sql in after_article)

    view_uncached(client, "/search/?q=breast+cancer", 4)
    new = [sql for sql in prepared() if sql not in after_article]
    assert not any("articles_search" in sql for sql in new), new
    # Back to planning every query for its values once the page is done.
    assert connection.connection.prepare_threshold is None


def test_the_pages_read_the_same_prepared_or_not(client):
    site = build_site(n=2)
    url = site["article"].get_absolute_url()
    view_uncached(client, url, 1)
    first = client.get(url).content  # the page cache's copy of the unprepared render
    cache.clear()
    view_uncached(client, url, 3)  # prepared from the second view on
    assert client.get(url).content == first


@override_settings(DATABASE_PREPARE_THRESHOLD=0)
def test_a_threshold_of_zero_prepares_nothing(client):
    site = build_site(n=2)
    before = prepared()
    view_uncached(client, site["article"].get_absolute_url(), 4)
    assert prepared() == before
