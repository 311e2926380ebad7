"""Odd input from readers, crawlers and scanners: a clear 404 or a clamped page, never a 500."""

import pytest

from tests.articles.site_data import build_site
from tests.factories import make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def site():
    site = build_site(n=1)
    for i in range(25):
        make_article(
            title=f"Breast filler {i}",
            topics=[site["topic"]],
            section=site["section"],
            authors=[site["author"]],
        )
    return site


def list_urls(site) -> list[str]:
    return [
        site["topic"].get_absolute_url(),
        site["section"].get_absolute_url(),
        site["author"].get_absolute_url(),
    ]


# The odd values are looped over inside one test each, not parametrized: each case would
# otherwise build the site again (the fixture's 25 articles are most of this file's time).
def test_list_pages_404_on_a_page_that_does_not_exist(client, site):
    for page in ["abc", "0", "-1", "999", "1.5", "%00"]:
        expected = 400 if page == "%00" else 404  # NUL: refused before any view (jhop.middleware)
        for url in list_urls(site):
            assert client.get(f"{url}?page={page}").status_code == expected, (url, page)


def test_every_list_page_paginates_with_links_both_ways(client, site):
    for url in list_urls(site):
        first = client.get(url).content.decode()
        second = client.get(f"{url}?page=last").content.decode()
        assert 'rel="next"' in first and 'rel="prev"' not in first, url
        assert "Page 2 of 2" in second and 'rel="prev"' in second, url
        assert f'<link rel="canonical" href="http://testserver{url}?page=2">' in second, url


def test_search_clamps_an_out_of_range_page(client, site):
    for page in ["abc", "0", "-1", "999", "99999999999999999999"]:
        response = client.get(f"/search/?q=breast&page={page}")
        assert response.status_code == 200, page
        assert "results for “breast”" in response.content.decode(), page


def test_search_pages_keep_the_query_and_filters(client, site):
    html = client.get("/search/?q=breast&topic=breast-cancer").content.decode()
    assert 'href="?q=breast&amp;topic=breast-cancer&amp;page=2" rel="next"' in html
    second = client.get("/search/?q=breast&topic=breast-cancer&page=2").content.decode()
    assert "Page 2 of 2" in second
    assert 'href="?q=breast&amp;topic=breast-cancer&amp;page=1" rel="prev"' in second


ODD_QUERIES = [
    "' OR 1=1 --",
    "breast'); DROP TABLE articles_article; --",
    '"unbalanced quote',
    "a\\b",
    "&|!:*()<>",
    "-",
    "or",
    "✓ 😀 ünïcödé",
    "日本語",
    "%",
    "_",
    "breast " * 30,
]


def test_search_survives_odd_queries(client, site):
    for query in ODD_QUERIES:
        response = client.get("/search/", {"q": query})
        assert response.status_code == 200, query
        assert "<script>" not in response.content.decode(), query


def test_search_odd_queries_match_nothing_they_should_not(client, site):
    for query in ("%", "_", "' OR 1=1 --"):
        html = client.get("/search/", {"q": query}).content.decode()
        assert "Breast filler" not in html, query


def test_search_rejects_a_null_character_with_a_message(client, site):
    response = client.get("/search/", {"q": "breast\x00"})
    assert response.status_code == 400  # as anywhere (jhop.middleware)
    assert "Bad request" in response.content.decode()


def test_search_rejects_an_overlong_query_with_a_message(client, site):
    response = client.get("/search/", {"q": "b" * 5000})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()


UNKNOWN_ADDRESSES = [
    "/articles/%C3%A9t%C3%A9/",
    "/articles/%F0%9F%98%80/",
    "/articles/nope/",
    "/articles/nope/cite.ris",
    "/issues/%C3%A9t%C3%A9/",
    "/topics/%C3%A9t%C3%A9/",
    "/sections/nope/",
    "/authors/nope/",
    "/topics/nope/rss/",
    "/sections/nope/atom/",
    "/preview/not-a-token/",
    "/sitemap-nope.xml",
    "/sitemap-articles.xml?p=abc",
    "/sitemap-articles.xml?p=99",
]


def test_unknown_or_malformed_addresses_404(client, site):
    for url in UNKNOWN_ADDRESSES:
        assert client.get(url).status_code == 404, url


def test_unknown_citation_format_404s(client, site):
    url = site["article"].get_absolute_url()
    assert client.get(f"{url}cite.exe").status_code == 404
    assert client.get(f"{url}cite.ris").status_code == 200


def test_pages_without_pagination_ignore_stray_parameters(client, site):
    for query in ["page=abc", "page=999", "year=abc", "q=%F0%9F%98%80", "q=%ff"]:
        for url in ("/", "/topics/", site["issue"].get_absolute_url()):
            assert client.get(f"{url}?{query}").status_code == 200, (url, query)


def test_the_issue_archive_is_paginated(client, site):
    from datetime import date

    from tests.factories import make_issue

    for i in range(60):
        make_issue(volume=1, number=i + 1, cover_date=date(2001, 1, 1), slug=f"old-{i}")
    first, second = client.get("/issues/"), client.get("/issues/?page=2")
    assert "June 2022" in first.text and 'rel="next"' in first.text
    assert "June 2022" not in second.text and "January 2001" in second.text
    assert client.get("/issues/?page=3").status_code == 404


@pytest.mark.parametrize(
    "url",
    ["/", "/issues/", "/topics/", "/search/", "/search/?q=breast", "/feeds/rss/", "/feeds/atom/"],
)
def test_an_empty_journal_still_renders(client, url):
    """A fresh install, before any journal, issue or article exists."""
    assert client.get(url).status_code == 200


def test_sitemap_of_an_empty_journal(client):
    assert client.get("/sitemap.xml").status_code == 200
    assert client.get("/sitemap-pages.xml").status_code == 200


def test_a_bare_article_has_no_empty_issue_line(client):
    """No issue, section, topics or authors: a web-only note."""
    article = make_article(title="Bare note")
    html = client.get(article.get_absolute_url()).content.decode()
    assert "Bare note" in html
    assert '<p class="issue-line"></p>' not in html
