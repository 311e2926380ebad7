"""The site's address comes from SITE_URL as configured now, not from the django_site row
migration 0005 wrote once: after SITE_URL changes (staging to production), everything
that prints an absolute address names the new host."""

import pytest
from django.contrib.sites.models import Site
from django.test import override_settings
from lxml import etree

from articles.models import Article
from tests.articles.site_data import build_site

pytestmark = pytest.mark.django_db

NEW = "https://journal.example.org"
ALLOWED = ["testserver"]


@pytest.fixture
def site():
    Site.objects.update_or_create(pk=1, defaults={"domain": "127.0.0.1:8000", "name": "JHOP"})
    Site.objects.clear_cache()
    return build_site()


def addresses(client, url) -> list[str]:
    """Every absolute http(s) address in the document at url."""
    response = client.get(url)
    assert response.status_code == 200, url
    text = response.content.decode()
    found = []
    for scheme in ("http://", "https://"):
        start = 0
        while (start := text.find(scheme, start)) != -1:
            end = min(i for i in (text.find(c, start) for c in "\"'< \n") if i != -1)
            found.append(text[start:end])
            start = end
    return found


def of_the_site(urls: list[str]) -> list[str]:
    return [u for u in urls if "testserver" in u or "127.0.0.1" in u or "journal.example" in u]


def test_feeds_and_sitemaps_follow_site_url(client, site):
    article = site["article"]
    urls = ["/feeds/rss/", "/feeds/atom/", "/sitemap.xml", "/sitemap-articles.xml"]
    for url in urls:  # cached under the old address first
        assert of_the_site(addresses(client, url)), url
    with override_settings(SITE_URL=NEW):
        for url in urls:
            ours = of_the_site(addresses(client, url))
            assert ours and all(u.startswith(f"{NEW}/") for u in ours), (url, ours)
        rss = etree.fromstring(client.get("/feeds/rss/").content)
        links = [item.findtext("link") for item in rss.iter("item")]
        assert f"{NEW}{article.get_absolute_url()}" in links
        assert f"Sitemap: {NEW}/sitemap.xml" in client.get("/robots.txt").text
    assert Site.objects.get().domain == "127.0.0.1:8000"  # not what anything reads


@override_settings(SITE_URL=NEW)
def test_scholarly_records_and_page_metadata_follow_site_url(client, site):
    article = site["article"]
    page = of_the_site(addresses(client, article.get_absolute_url()))
    assert page and all(u.startswith(f"{NEW}/") for u in page), page
    text = client.get(article.get_absolute_url()).text
    assert f'<link rel="canonical" href="{NEW}{article.get_absolute_url()}">' in text
    assert f'"url": "{NEW}{article.get_absolute_url()}"' in text  # JSON-LD
    jats = of_the_site(addresses(client, f"{article.get_absolute_url()}jats.xml"))
    assert jats and all(u.startswith(f"{NEW}/") for u in jats), jats
    identify = client.get("/oai?verb=Identify").content
    assert f"<baseURL>{NEW}/oai</baseURL>".encode() in identify
    assert Article.objects.published().exists()
