"""RSS and Atom feeds of the latest articles, per topic and per section."""

from email.utils import parsedate_to_datetime

import pytest
from django.utils.dateparse import parse_datetime
from lxml import etree

from tests.articles.site_data import SEED_TITLE, build_site
from tests.factories import make_article

pytestmark = pytest.mark.django_db
ATOM = {"a": "http://www.w3.org/2005/Atom"}


@pytest.fixture
def site():
    return build_site(n=2)


def parse(client, url, content_type):
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"].startswith(content_type)
    return etree.fromstring(response.content)


def test_latest_rss(client, site):
    rss = parse(client, "/feeds/rss/", "application/rss+xml")
    titles = rss.xpath("//item/title/text()")
    assert SEED_TITLE in titles
    item = rss.xpath(f'//item[title="{SEED_TITLE}"]')[0]
    assert item.findtext("link") == f"http://testserver{site['article'].get_absolute_url()}"
    assert item.findtext("description").startswith("CDK4/6 inhibitors changed")
    assert item.xpath("category/text()")[:2] == ["Original Article", "Breast Cancer"]
    assert "Wed, 15 Jun 2022" in item.findtext("pubDate") or "Thu, 16 Jun 2022" in item.findtext(
        "pubDate"
    )


def test_latest_atom_has_authors_with_credentials(client, site):
    atom = parse(client, "/feeds/atom/", "application/atom+xml")
    entry = atom.xpath(f'//a:entry[a:title="{SEED_TITLE}"]', namespaces=ATOM)[0]
    author = entry.xpath("a:author/a:name/text()", namespaces=ATOM)[0]
    assert author.startswith("Robert J. Ignoffo, PharmD, BCOP")
    assert entry.xpath("a:updated/text()", namespaces=ATOM)


def test_topic_and_section_feeds_hold_only_their_articles(client, site):
    make_article(title="Elsewhere")
    for url, kind in (
        ("/topics/breast-cancer/rss/", "application/rss+xml"),
        ("/sections/fda-oncology-update/atom/", "application/atom+xml"),
    ):
        feed = parse(client, url, kind)
        titles = feed.xpath("//item/title/text() | //a:entry/a:title/text()", namespaces=ATOM)
        assert titles and "Elsewhere" not in titles, url
    section_feed = parse(client, "/sections/fda-oncology-update/atom/", "application/atom+xml")
    assert SEED_TITLE not in section_feed.xpath("//a:entry/a:title/text()", namespaces=ATOM)
    assert "FDA Oncology Update" in section_feed.findtext("a:title", namespaces=ATOM)


def test_feed_for_unknown_topic_is_404(client, site):
    assert client.get("/topics/nope/rss/").status_code == 404


def test_feed_is_limited_to_the_latest_twenty(client, site):
    for i in range(25):
        make_article(title=f"Filler {i}")
    assert len(parse(client, "/feeds/rss/", "application/rss+xml").xpath("//item")) == 20


FEEDS = [
    ("/feeds/rss/", "application/rss+xml"),
    ("/feeds/atom/", "application/atom+xml"),
    ("/topics/breast-cancer/rss/", "application/rss+xml"),
    ("/topics/breast-cancer/atom/", "application/atom+xml"),
    ("/sections/fda-oncology-update/rss/", "application/rss+xml"),
    ("/sections/fda-oncology-update/atom/", "application/atom+xml"),
]


@pytest.mark.parametrize("url,content_type", FEEDS)
def test_feeds_use_absolute_urls_and_valid_dates(client, site, url, content_type):
    feed = parse(client, url, content_type)
    links = feed.xpath(
        "//link/text() | //guid/text() | //a:link/@href | //a:id/text()", namespaces=ATOM
    )
    assert links and all(link.startswith("http://testserver/") for link in links), links
    rss_dates = feed.xpath("//pubDate/text() | //lastBuildDate/text()")
    atom_dates = feed.xpath("//a:updated/text() | //a:published/text()", namespaces=ATOM)
    assert rss_dates or atom_dates
    for date in rss_dates:
        assert parsedate_to_datetime(date).tzinfo is not None, date
    for date in atom_dates:
        assert parse_datetime(date).tzinfo is not None, date


def test_atom_feed_names_an_author_for_entries_without_one(client, site):
    """RFC 4287: the feed needs an author unless every entry has one (news items do not)."""
    make_article(title="Unsigned news", section=site["news_section"])
    atom = parse(client, "/sections/fda-oncology-update/atom/", "application/atom+xml")
    (entry,) = atom.xpath('//a:entry[a:title="Unsigned news"]', namespaces=ATOM)
    assert not entry.xpath("a:author", namespaces=ATOM)
    feed_authors = atom.xpath("/a:feed/a:author/a:name/text()", namespaces=ATOM)
    assert feed_authors == ["Journal of Hematology Oncology Pharmacy"]


def test_atom_entry_is_not_updated_before_it_was_published(client, site):
    from datetime import timedelta

    from django.utils import timezone

    from articles.models import Article

    went_live = timezone.now() - timedelta(minutes=5)
    Article.objects.filter(pk=site["article"].pk).update(
        published_at=went_live,
        updated_at=went_live - timedelta(days=3),
        record_modified_at=went_live - timedelta(days=3),
    )
    atom = parse(client, "/feeds/atom/", "application/atom+xml")
    (entry,) = atom.xpath(f'//a:entry[a:title="{SEED_TITLE}"]', namespaces=ATOM)
    published = entry.findtext("a:published", namespaces=ATOM)
    assert entry.findtext("a:updated", namespaces=ATOM) == published
