"""sitemap.xml: a sitemaps.org-valid index of valid sitemaps listing only public pages."""

from pathlib import Path

import pytest
from django.contrib.sites.models import Site
from django.utils import timezone
from lxml import etree

from articles.models import Article
from tests.articles.site_data import build_site

pytestmark = pytest.mark.django_db

SCHEMAS = Path(__file__).parent / "schemas"
NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


@pytest.fixture(scope="module")
def sitemap_schema():
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "sitemap.xsd")))


@pytest.fixture(scope="module")
def index_schema():
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "siteindex.xsd")))


def fetch(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"].startswith("application/xml")
    return etree.fromstring(response.content)


def test_index_and_every_sitemap_validate(client, sitemap_schema, index_schema):
    build_site(n=3)
    index = fetch(client, "/sitemap.xml")
    index_schema.assertValid(index)
    locations = index.xpath("//sm:sitemap/sm:loc/text()", namespaces=NS)
    assert {loc.rsplit("/", 1)[1] for loc in locations} == {
        f"sitemap-{name}.xml"
        for name in ("pages", "articles", "issues", "topics", "sections", "authors", "newsletter")
    }
    for location in locations:
        sitemap = fetch(client, location.replace("http://testserver", ""))
        sitemap_schema.assertValid(sitemap)
        assert sitemap.xpath("//sm:url", namespaces=NS), location


def test_articles_sitemap_lists_public_articles_with_lastmod(client):
    site = build_site()
    sitemap = fetch(client, "/sitemap-articles.xml")
    urls = dict(
        zip(
            sitemap.xpath("//sm:url/sm:loc/text()", namespaces=NS),
            sitemap.xpath("//sm:url/sm:lastmod/text()", namespaces=NS),
            strict=True,
        )
    )
    article_url = f"http://testserver{site['article'].get_absolute_url()}"
    assert article_url in urls
    # The date readers' time zone gives it (lastmod is written in local time).
    changed = max(site["article"].updated_at, site["article"].published_at)
    assert urls[article_url].startswith(str(timezone.localtime(changed).date()))
    assert len(urls) == Article.objects.published().count()


def test_a_scheduled_article_is_dated_when_it_went_live_not_when_last_saved(client):
    from datetime import timedelta

    site = build_site()
    article = site["article"]
    went_live = timezone.now() - timedelta(minutes=5)
    Article.objects.filter(pk=article.pk).update(
        published_at=went_live, updated_at=went_live - timedelta(days=3)
    )
    sitemap = fetch(client, "/sitemap-articles.xml")
    url = f"http://testserver{article.get_absolute_url()}"
    (lastmod,) = sitemap.xpath(f'//sm:url[sm:loc="{url}"]/sm:lastmod/text()', namespaces=NS)
    assert lastmod.startswith(str(timezone.localtime(went_live).date()))


def test_index_carries_lastmod_of_each_sitemap(client):
    build_site()
    index = fetch(client, "/sitemap.xml")
    lastmods = index.xpath("//sm:sitemap[contains(sm:loc, 'articles')]/sm:lastmod", namespaces=NS)
    assert lastmods


def test_large_sitemaps_are_split_into_pages(client, sitemap_schema, index_schema, monkeypatch):
    from articles.reader.sitemaps import ArticleSitemap

    monkeypatch.setattr(ArticleSitemap, "limit", 2)
    build_site(n=3)
    index = fetch(client, "/sitemap.xml")
    index_schema.assertValid(index)
    pages = [
        loc
        for loc in index.xpath("//sm:sitemap/sm:loc/text()", namespaces=NS)
        if "sitemap-articles" in loc
    ]
    assert len(pages) == 2
    sitemap_schema.assertValid(fetch(client, "/sitemap-articles.xml?p=2"))


def test_robots_txt_names_the_sitemap(client, db):
    assert "Sitemap: http://testserver/sitemap.xml" in client.get("/robots.txt").content.decode()


def test_migrations_name_the_site_after_site_url(settings):
    """Feeds and sitemaps must not say "example.com"; a second site still gets a fresh id."""
    from importlib import import_module

    from django.apps import apps
    from django.db import connection

    migration = import_module("articles.migrations.0005_site_domain_from_site_url")

    class Editor:
        def __init__(self):
            self.connection = connection

        def execute(self, sql):
            with connection.cursor() as cursor:
                cursor.execute(sql)

    settings.SITE_URL = "http://127.0.0.1:8000"
    Site.objects.filter(pk=settings.SITE_ID).update(domain="example.com")
    migration.name_site(apps, Editor())
    assert Site.objects.get(pk=settings.SITE_ID).domain == "127.0.0.1:8000"
    Site.objects.all().delete()
    migration.name_site(apps, Editor())
    assert Site.objects.get(pk=settings.SITE_ID).domain == "127.0.0.1:8000"
    assert Site.objects.create(domain="mirror.example", name="Mirror").pk != settings.SITE_ID


def urls_and_dates(client, url) -> dict[str, str]:
    sitemap = fetch(client, url)
    return dict(
        zip(
            sitemap.xpath("//sm:url/sm:loc/text()", namespaces=NS),
            sitemap.xpath("//sm:url/sm:lastmod/text()", namespaces=NS),
            strict=True,
        )
    )


def test_listing_pages_are_listed_while_they_have_live_articles_and_dated_by_them(
    client, admin_user
):
    from datetime import timedelta

    from articles.services import unpublish
    from tests.factories import make_article, make_author, make_section, make_topic

    topic, author, section = make_topic("Infections"), make_author(), make_section("Reviews")
    long_ago = timezone.now() - timedelta(days=30)
    article = make_article(topics=[topic], authors=[author], section=section, published_at=long_ago)
    make_article(topics=[topic], published_at=long_ago - timedelta(days=1))
    Article.objects.update(updated_at=long_ago)
    from articles.derived.counts import recount

    recount()  # the dates as they now stand (the update above went around the ORM)
    for kind, obj in (("topics", topic), ("authors", author), ("sections", section)):
        dates = urls_and_dates(client, f"/sitemap-{kind}.xml")
        assert dates[f"http://testserver{obj.get_absolute_url()}"].startswith(
            str(timezone.localtime(long_ago).date())
        ), kind

    unpublish(objects=Article.objects.filter(pk=article.pk), user=admin_user)
    today = str(timezone.localtime().date())
    # The topic lost an article today (its page changed); the author and section have none.
    assert urls_and_dates(client, "/sitemap-topics.xml")[
        f"http://testserver{topic.get_absolute_url()}"
    ].startswith(today)
    assert author.get_absolute_url() not in client.get("/sitemap-authors.xml").text
    assert section.get_absolute_url() not in client.get("/sitemap-sections.xml").text


def test_an_author_of_a_scheduled_article_is_listed_once_it_is_due(client):
    from datetime import timedelta

    from tests.factories import make_article, make_author

    build_site()
    author = make_author(slug="soon")
    article = make_article(authors=[author], published_at=timezone.now() + timedelta(hours=1))
    assert "/authors/soon/" not in client.get("/sitemap-authors.xml").text
    assert client.get(author.get_absolute_url()).status_code == 404
    Article.objects.filter(pk=article.pk).update(published_at=timezone.now())  # time passes
    from django.core.cache import cache

    cache.clear()
    assert "/authors/soon/" in client.get("/sitemap-authors.xml").text
    assert client.get(author.get_absolute_url()).status_code == 200


def test_every_sitemap_file_is_split_at_the_limit(client, index_schema, monkeypatch):
    from articles.reader import sitemaps

    for cls in (sitemaps.AuthorSitemap, sitemaps.TopicSitemap):
        monkeypatch.setattr(cls, "limit", 2)
    build_site(n=3)
    index = fetch(client, "/sitemap.xml")
    locations = index.xpath("//sm:sitemap/sm:loc/text()", namespaces=NS)
    for kind in ("authors", "topics"):
        pages = [loc for loc in locations if f"sitemap-{kind}" in loc]
        assert len(pages) >= 2, kind
        for page in pages:
            assert (
                len(
                    fetch(client, page.replace("http://testserver", "")).xpath(
                        "//sm:url", namespaces=NS
                    )
                )
                <= 2
            )
