"""Done when: with the demo content, every Crossref deposit, every JATS article and a full
OAI-PMH harvest in both formats (by a harvester library, against the live server) validate."""

import io

import pytest
from django.core.management import call_command
from lxml import etree
from oaipmh_scythe import HTTPConfig, Scythe
from oaipmh_scythe.iterator import OAIResponseIterator

from articles.demo.loader import load_demo
from articles.images import rendition
from articles.models import Article, Issue
from articles.scholarly import jats, oai
from tests.articles.jats4r import jats4r_findings
from tests.articles.scholarly import assert_valid


@pytest.fixture
def demo(transactional_db):
    load_demo()
    return list(Article.objects.published().order_by("pk"))


def test_every_demo_issue_deposit_and_article_jats_validate(demo, client):
    issues = Issue.objects.filter(articles__in=Article.objects.published()).distinct()
    assert issues.count() >= 5
    for issue in issues:
        out = io.StringIO()
        call_command("crossref_xml", "--issue", str(issue.pk), stdout=out, stderr=io.StringIO())
        assert_valid("crossref", out.getvalue().encode())
    for article in demo:
        response = client.get(f"/articles/{article.slug}/jats.xml")
        assert response.status_code == 200, article.slug
        assert_valid("jats", response.content)


@pytest.mark.parametrize("prefix", ["oai_dc", "jats"])
def test_a_harvester_gets_every_published_article_exactly_once(
    demo, live_server, monkeypatch, prefix
):
    monkeypatch.setattr(oai, "PAGE_SIZE", 4)  # several pages, so resumption is exercised
    expected = sorted(oai.identifier_of(a.pk) for a in demo)
    endpoint = f"{live_server.url}/oai"
    with Scythe(endpoint, http_config=HTTPConfig(timeout=30)) as harvester:
        identify = harvester.identify()
        assert identify.baseURL.endswith("/oai")
        records = list(harvester.list_records(metadata_prefix=prefix))
        assert sorted(r.header.identifier for r in records) == expected
        assert all(not r.deleted for r in records)
    config = HTTPConfig(timeout=30, http_method="POST")
    with Scythe(endpoint, http_config=config, iterator=OAIResponseIterator) as raw:
        pages = list(raw.list_records(metadata_prefix=prefix))
        assert len(pages) == -(-len(expected) // 4)
        for page in pages:
            assert_valid("oai", etree.fromstring(page.raw.encode()))


def test_jats4r_reports_nothing_on_any_demo_article(demo, client):
    """JATS4R's own rules, errors and warnings alike, on every demo article's JATS."""
    figures = 0
    for article in demo:
        content = client.get(f"/articles/{article.slug}/jats.xml").content
        assert_valid("jats", content)
        assert [str(f) for f in jats4r_findings(content)] == [], article.slug
        doc = etree.fromstring(content)
        assert doc.find("front/article-meta/permissions/license") is not None, article.slug
        for fig in doc.iterfind("floats-group/fig"):
            figures += 1
            href = fig.find("graphic").get("{http://www.w3.org/1999/xlink}href")
            shown = rendition(article.lead_image, jats.LEAD_IMAGE_WIDTH).url
            assert href.startswith("http") and href.endswith(shown)
            assert fig.findtext("graphic/alt-text") == article.lead_image_alt
            assert fig.findtext("caption/p") == article.lead_image_caption
    assert figures == sum(1 for a in demo if a.lead_image) > 0
