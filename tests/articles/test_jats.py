"""JATS 1.3 at /articles/<slug>/jats.xml, valid against the official schema."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from lxml import etree

from articles.models import Article, Reference
from articles.scholarly import jats
from tests.articles.jats4r import jats4r_findings
from tests.articles.scholarly import assert_valid
from tests.factories import (
    make_article,
    make_author,
    make_issue,
    make_journal,
    make_section,
    make_topic,
)

pytestmark = pytest.mark.django_db

RICH_BODY = (
    "<p>Intro with <strong>bold <em>both</em></strong>, H<sub>2</sub>O, x<sup>2</sup>, "
    '<u>u</u> and a <a href="https://example.org">link</a>.[1,2]</p>'
    "<h2>Methods</h2><p>We did [1-3] things.</p><h3>Sub</h3>"
    "<ul><li>one</li><li><p>two</p><ul><li>nested</li></ul></li></ul>"
    "<h2>Results</h2><blockquote><p>quote</p></blockquote>"
    '<table><thead><tr><th colspan="2">Head</th></tr></thead>'
    "<tbody><tr><td>a</td><td>c [2]</td></tr></tbody></table>"
)


def _article(**kw):
    journal = make_journal(doi_prefix="10.32013")
    author = make_author(
        given_name="Meg",
        family_name="Barbor",
        credentials="MPH",
        orcid="0000-0002-1825-0097",
        affiliation="Example Hospital",
    )
    article = make_article(
        issue=make_issue(journal=journal, volume=12, number=3),
        section=make_section("Original Article"),
        topics=[make_topic("Breast Cancer")],
        authors=[author],
        references=["One. 2020.", "Two. 2021.", "Three. 2022."],
        doi="10.32013/jhop.2022.5",
        first_page="10",
        last_page="12",
        standfirst="The abstract.",
        keywords="cdk4/6, resistance",
        body=RICH_BODY,
        **kw,
    )
    Reference.objects.filter(article=article, position=1).update(doi="10.1000/abc", pmid="34724978")
    return article


def _get(client, article):
    return client.get(reverse("articles:article-jats", kwargs={"slug": article.slug}))


def test_jats_validates_and_carries_front_body_and_back(client):
    article = _article()
    response = _get(client, article)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/jats+xml")
    assert_valid("jats", response.content)
    doc = etree.fromstring(response.content)
    meta = doc.find("front/article-meta")
    assert meta.findtext("article-id[@pub-id-type='doi']") == "10.32013/jhop.2022.5"
    assert meta.findtext("title-group/article-title") == article.title
    contrib = meta.find("contrib-group/contrib")
    assert contrib.findtext("name/surname") == "Barbor"
    assert contrib.findtext("degrees") == "MPH"
    assert contrib.findtext("contrib-id") == "https://orcid.org/0000-0002-1825-0097"
    assert meta.findtext("aff") == "Example Hospital"
    assert meta.findtext("volume") == "12"
    assert meta.findtext("issue") == "3"
    assert (meta.findtext("fpage"), meta.findtext("lpage")) == ("10", "12")
    assert meta.findtext("abstract/p") == "The abstract."
    assert [k.text for k in meta.findall("kwd-group/kwd")] == ["cdk4/6", "resistance"]
    subjects = {
        g.get("subj-group-type"): [s.text for s in g.findall("subject")]
        for g in meta.findall("article-categories/subj-group")
    }
    assert subjects == {"heading": ["Original Article"], "topic": ["Breast Cancer"]}
    journal_meta = doc.find("front/journal-meta")
    assert {i.get("publication-format") for i in journal_meta.findall("issn")} == {
        "print",
        "electronic",
    }
    body = doc.find("body")
    assert [s.findtext("title") for s in body.findall("sec")] == ["Methods", "Results"]
    assert body.find("sec/sec/title").text == "Sub"
    assert body.find("p/bold/italic").text == "both"
    assert body.find("sec/sec/list[@list-type='bullet']/list-item/list") is not None
    assert body.find(".//disp-quote/p").text == "quote"
    assert body.find(".//table-wrap/table/thead/tr/th").get("colspan") == "2"
    rids = [x.get("rid") for x in body.iter("xref")]
    assert rids == ["ref-1", "ref-2", "ref-1", "ref-3", "ref-2"]
    refs = doc.findall("back/ref-list/ref")
    assert [r.get("id") for r in refs] == ["ref-1", "ref-2", "ref-3"]
    ids = {p.get("pub-id-type"): p.text for p in refs[0].iter("pub-id")}
    assert ids == {"doi": "10.1000/abc", "pmid": "34724978"}


def test_what_jats_cannot_carry_is_reported():
    article = _article()
    article.body = "<p>a<br>b</p><hr><p>see [7]</p>"
    document = jats.article_jats(article)
    assert document.problems == [
        "A line break inside a paragraph is not kept in JATS (it becomes a space).",
        "A horizontal rule in the body is not kept in JATS.",
        "The body cites [7] but there is no reference 7.",
    ]
    assert len(document.tree.find("body").findall("p")) == 2


def test_text_is_never_duplicated_or_lost():
    article = _article()
    article.body = "loose text<p>para</p>tail text<h2>H</h2>after heading<p>x</p>"
    body = jats.article_jats(article).tree.find("body")
    text = " ".join(" ".join(body.itertext()).split())
    assert text == "loose text para tail text H after heading x"


def test_news_item_and_web_only_article_validate():
    make_journal(doi_prefix="10.32013")
    article = make_article(section=make_section("FDA Oncology Update", content_kind="news"))
    document = jats.article_jats(article)
    assert document.tree.getroot().get("article-type") == "news"
    assert_valid("jats", etree.tostring(document.tree))


@pytest.mark.parametrize(
    "state",
    [
        {"status": Article.Status.DRAFT},
        {"published_at": timezone.now() + timedelta(days=1)},
    ],
)
def test_only_published_articles_have_jats(client, state):
    article = make_article(**state)
    assert _get(client, article).status_code == 404


def test_article_page_links_its_jats(client):
    article = _article()
    page = client.get(article.get_absolute_url()).content.decode()
    href = f"/articles/{article.slug}/jats.xml"
    assert f'<link rel="alternate" type="application/jats+xml" href="{href}"' in page


def test_jats_query_count_does_not_grow_with_references(client, django_assert_max_num_queries):
    article = _article()
    for n in range(4, 30):
        Reference.objects.create(article=article, position=n, citation=f"Ref {n}.")
    with django_assert_max_num_queries(8):
        assert _get(client, article).status_code == 200


def test_permissions_carry_the_journal_licence_and_copyright(client):
    article = _article()
    response = _get(client, article)
    assert_valid("jats", response.content)
    doc = etree.fromstring(response.content)
    permissions = doc.find("front/article-meta/permissions")
    year = str(timezone.localtime(article.published_at).year)
    assert permissions.findtext("copyright-statement") == (
        f"© {year} Amplity Health. All rights reserved."
    )
    assert permissions.findtext("copyright-year") == year
    assert permissions.findtext("copyright-holder") == "Amplity Health"
    licence = permissions.find("license")
    url = "https://creativecommons.org/licenses/by-nc-nd/4.0/"
    assert licence.get(f"{{{jats.XLINK_NS}}}href") == url
    assert licence.findtext(f"{{{jats.ALI_NS}}}license_ref") == url
    assert "NonCommercial" in licence.findtext("license-p")
    self_uri = doc.find("front/article-meta/self-uri")
    assert self_uri.get(f"{{{jats.XLINK_NS}}}href").endswith(article.get_absolute_url())
    assert self_uri.text == "Full text on the journal's website"


def test_elocation_id_only_when_the_journal_assigns_one():
    article = _article()
    Article.objects.filter(pk=article.pk).update(first_page="", last_page="")
    article.refresh_from_db()
    meta = jats.article_jats(article).tree.getroot().find("front/article-meta")
    assert meta.find("elocation-id") is None
    assert meta.find("fpage") is None
    article.elocation_id = "e12"
    document = jats.article_jats(article)
    assert_valid("jats", document.to_bytes())
    assert document.tree.getroot().findtext("front/article-meta/elocation-id") == "e12"


def test_jats4r_flags_an_article_without_licence_and_passes_it_with_one():
    article = _article()
    findings = jats4r_findings(jats.article_jats(article).to_bytes())
    # Its references ("One. 2020.") name no authors: JATS4R only warns about those.
    assert [f.role for f in findings] == ["warning"] * 3
    article.issue.journal.licence_url = ""
    article.issue.journal.save()
    findings = jats4r_findings(jats.article_jats(article).to_bytes())
    assert any(f.role == "error" and "permissions" in f.message for f in findings), findings


def test_references_carry_a_type_and_their_authors():
    article = _article()
    Reference.objects.filter(article=article, position=2).update(
        citation="Lloyd MR, Spring LM, Bardia A, et al. Mechanisms. Clin Cancer Res. 2021.",
        url="https://www.fda.gov/drugs/approval",
    )
    doc = jats.article_jats(article).tree.getroot()
    second = doc.find("back/ref-list/ref[2]/mixed-citation")
    assert second.get("publication-type") == "webpage"
    assert [n.text for n in second.iterfind("person-group/string-name")] == [
        "Lloyd MR",
        "Spring LM",
        "Bardia A",
    ]
    # The text is the citation as printed, whatever the markup.
    assert "".join(second.itertext()).startswith(
        "Lloyd MR, Spring LM, Bardia A, et al. Mechanisms. Clin Cancer Res. 2021."
    )
    link = second.find("ext-link")
    assert (link.text, link.get(f"{{{jats.XLINK_NS}}}href")) == (
        "fda.gov",
        "https://www.fda.gov/drugs/approval",
    )
    assert doc.find("back/ref-list/ref[1]/mixed-citation").get("publication-type") == "journal"
    assert doc.find("body//table-wrap").get("id") == "table-1"
