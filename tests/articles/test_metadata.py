"""Metadata readers' tools use: Google Scholar tags, JSON-LD, OpenGraph, Twitter, canonical."""

import json
import re

import pytest
from django.core.files.base import ContentFile
from django.test import override_settings
from lxml import html as lxml_html

from tests.articles.site_data import SEED_TITLE, build_site

pytestmark = pytest.mark.django_db


@pytest.fixture
def site():
    return build_site(n=2)


def head(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return lxml_html.fromstring(response.content)


def metas(doc, name) -> list[str]:
    return doc.xpath(f'//head/meta[@name="{name}"]/@content')


def prop(doc, name) -> list[str]:
    return doc.xpath(f'//head/meta[@property="{name}"]/@content')


def json_ld(doc) -> dict:
    (block,) = doc.xpath('//script[@type="application/ld+json"]/text()')
    return json.loads(block)


def test_scholar_tags_on_a_scholarly_article(client, site):
    doc = head(client, site["article"].get_absolute_url())
    assert metas(doc, "citation_title") == [SEED_TITLE]
    assert metas(doc, "citation_author") == ["Robert J. Ignoffo", "Donyika Joseph"]
    assert metas(doc, "citation_publication_date") == ["2022/06/16"]
    assert metas(doc, "citation_journal_title") == ["Journal of Hematology Oncology Pharmacy"]
    assert metas(doc, "citation_volume") == ["12"]
    assert metas(doc, "citation_issue") == ["3"]
    assert metas(doc, "citation_firstpage") == ["101"]
    assert metas(doc, "citation_lastpage") == ["108"]
    assert metas(doc, "citation_doi") == ["10.12345/jhop.2022.0001"]
    assert metas(doc, "citation_issn") == ["2164-1153", "2164-1161"]
    assert metas(doc, "citation_pdf_url") == []


def test_scholar_tags_escape_their_values(client, site):
    author = site["authors"][1]
    author.affiliation = 'Dana-Farber "DFCI" <Boston> & Co'
    author.save()
    html = client.get(site["article"].get_absolute_url()).content.decode()
    assert (
        '<meta name="citation_author_institution" '
        'content="Dana-Farber &quot;DFCI&quot; &lt;Boston&gt; &amp; Co">'
    ) in html
    doc = head(client, site["article"].get_absolute_url())
    assert metas(doc, "citation_author_institution") == ['Dana-Farber "DFCI" <Boston> & Co']


def test_author_institution_follows_its_author(client, site):
    author = site["authors"][1]
    author.affiliation = "Moffitt Cancer Center"
    author.save()
    doc = head(client, site["article"].get_absolute_url())
    names = [m.get("name") for m in doc.xpath('//head/meta[starts-with(@name, "citation_author")]')]
    assert names == ["citation_author", "citation_author", "citation_author_institution"]
    assert metas(doc, "citation_author_institution") == ["Moffitt Cancer Center"]


def test_citation_author_never_carries_degrees(client, site):
    doc = head(client, site["article"].get_absolute_url())
    for author in metas(doc, "citation_author"):
        assert "PharmD" not in author and "," not in author


def test_citation_pdf_url_only_for_a_pdf_on_this_host(client, site):
    article = site["article"]
    article.pdf.save("article.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
    doc = head(client, article.get_absolute_url())
    (pdf_url,) = metas(doc, "citation_pdf_url")
    assert pdf_url.startswith("http://testserver/media/pdf/") and pdf_url.endswith(".pdf")
    assert doc.xpath('//p[@class="dates"]/a[@type="application/pdf"]/@href')


def test_no_citation_pdf_url_for_a_pdf_on_another_host(client, site, settings):
    """Scholar ignores a PDF on another host; media on a CDN keeps only the readers' link."""
    settings.MEDIA_URL = "https://media.example.org/"
    article = site["article"]
    article.pdf.save("article.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
    doc = head(client, article.get_absolute_url())
    assert metas(doc, "citation_pdf_url") == []
    (link,) = doc.xpath('//p[@class="dates"]/a[@type="application/pdf"]/@href')
    assert link.startswith("https://media.example.org/")


def test_scholar_dates_are_year_month_day_with_slashes(client, site):
    doc = head(client, site["article"].get_absolute_url())
    for date in metas(doc, "citation_publication_date"):
        assert re.fullmatch(r"\d{4}/\d{2}/\d{2}", date), date


def test_scholarly_article_json_ld(client, site):
    data = json_ld(head(client, site["article"].get_absolute_url()))
    assert data["@type"] == "ScholarlyArticle"
    assert data["name"] == SEED_TITLE
    assert SEED_TITLE.startswith(data["headline"].rstrip("…")) and len(data["headline"]) <= 110
    assert [a["name"] for a in data["author"]] == ["Robert J. Ignoffo", "Donyika Joseph"]
    assert data["datePublished"].startswith("2022-06-16")
    assert data["isPartOf"]["@type"] == "PublicationIssue"
    assert data["isPartOf"]["issueNumber"] == "3"
    assert data["isPartOf"]["isPartOf"]["volumeNumber"] == "12"
    assert data["isPartOf"]["isPartOf"]["isPartOf"]["issn"] == ["2164-1153", "2164-1161"]
    assert data["pageStart"] == "101" and data["pageEnd"] == "108"
    assert data["publisher"]["name"] == "Amplity Health"
    assert data["sameAs"] == "https://doi.org/10.12345/jhop.2022.0001"
    assert [c["name"] for c in data["citation"]] == [
        r.citation for r in site["article"].references.all()
    ]


def test_a_scheduled_article_was_not_modified_before_it_went_live(client, site):
    from datetime import timedelta

    from django.utils import timezone

    from articles.models import Article

    article = site["article"]
    went_live = timezone.now() - timedelta(minutes=5)
    Article.objects.filter(pk=article.pk).update(
        published_at=went_live,
        updated_at=went_live - timedelta(days=3),
        record_modified_at=went_live - timedelta(days=3),
    )
    doc = head(client, article.get_absolute_url())
    data = json_ld(doc)
    assert data["dateModified"] == data["datePublished"]
    (modified,) = prop(doc, "article:modified_time")
    assert modified == prop(doc, "article:published_time")[0]


def test_citable_news_item_gets_news_article_and_the_scholar_tags(client, site):
    news = site["news"]
    news.doi = "10.12345/jhop.2022.news"
    news.save()
    doc = head(client, news.get_absolute_url())
    assert json_ld(doc)["@type"] == "NewsArticle"
    assert json_ld(doc)["articleSection"] == "FDA Oncology Update"
    assert metas(doc, "citation_title") == [news.title]
    assert metas(doc, "citation_doi") == ["10.12345/jhop.2022.news"]
    assert metas(doc, "citation_journal_title") == ["Journal of Hematology Oncology Pharmacy"]


def test_an_article_type_that_is_not_citable_gets_no_scholar_tags(client, site):
    site["news_section"].is_citable = False
    site["news_section"].save()
    doc = head(client, site["news"].get_absolute_url())
    assert not doc.xpath('//head/meta[starts-with(@name, "citation_")]')
    assert metas(doc, "DC.title") == [site["news"].title]


def test_one_citation_reference_per_reference(client, site):
    article = site["article"]
    references = list(article.references.order_by("position"))
    assert len(references) == 2
    doc = head(client, article.get_absolute_url())
    cited = metas(doc, "citation_reference")
    assert len(cited) == 2
    assert cited[0].startswith(" ".join(references[0].citation.split()))


def test_dublin_core_tags(client, site):
    article = site["article"]
    doc = head(client, article.get_absolute_url())
    assert doc.xpath('//head/link[@rel="schema.DC"]/@href') == ["https://purl.org/dc/elements/1.1/"]
    assert metas(doc, "DC.title") == [SEED_TITLE]
    assert metas(doc, "DC.creator") == ["Ignoffo, Robert J.", "Joseph, Donyika"]
    assert metas(doc, "DC.date") == ["2022-06-16"]
    doi, page = metas(doc, "DC.identifier")
    assert doi == "https://doi.org/10.12345/jhop.2022.0001"
    assert page.startswith("http") and page.endswith(article.get_absolute_url())
    assert metas(doc, "DC.rights") == [
        "© 2022 Amplity Health. All rights reserved.",
        "https://creativecommons.org/licenses/by-nc-nd/4.0/",
    ]
    assert metas(doc, "DC.publisher") == ["Amplity Health"]


def test_json_ld_names_the_licence_and_the_copyright_holder(client, site):
    data = json_ld(head(client, site["article"].get_absolute_url()))
    assert data["license"] == "https://creativecommons.org/licenses/by-nc-nd/4.0/"
    assert data["copyrightHolder"] == {"@type": "Organization", "name": "Amplity Health"}
    assert data["copyrightYear"] == 2022


def test_an_article_licence_overrides_the_journal_one(client, site):
    article = site["article"]
    article.licence_url = "https://creativecommons.org/licenses/by/4.0/"
    article.copyright_holder = "The authors"
    article.save()
    doc = head(client, article.get_absolute_url())
    assert json_ld(doc)["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert metas(doc, "DC.rights") == [
        "© 2022 The authors. All rights reserved.",
        "https://creativecommons.org/licenses/by/4.0/",
    ]


def test_json_ld_cannot_break_out_of_its_script(client, site):
    article = site["article"]
    article.title = "</script><script>alert(1)</script>"
    article.save()
    content = client.get(article.get_absolute_url()).content.decode()
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', content, re.S)
    assert "<" not in block.group(1)
    assert json.loads(block.group(1))["name"] == article.title


def all_pages(site):
    return [
        "/",
        "/issues/",
        site["issue"].get_absolute_url(),
        site["article"].get_absolute_url(),
        site["news"].get_absolute_url(),
        "/topics/",
        site["topic"].get_absolute_url(),
        site["section"].get_absolute_url(),
        site["author"].get_absolute_url(),
        "/search/",
        "/search/?q=breast",
        site["topic"].get_absolute_url() + "?page=1",
        "/subscribe/",
        "/subscribe/thanks/",
        "/subscribe/manage/",
    ]


def test_every_page_has_description_canonical_opengraph_and_twitter(client, site):
    for url in all_pages(site):
        doc = head(client, url)
        assert metas(doc, "description") and metas(doc, "description")[0].strip(), url
        (canonical,) = doc.xpath('//head/link[@rel="canonical"]/@href')
        assert canonical == f"http://testserver{url.split('?')[0]}", url
        for name in ("og:title", "og:description", "og:url", "og:type", "og:site_name"):
            assert prop(doc, name), f"{name} missing on {url}"
        for name in ("twitter:card", "twitter:title", "twitter:description"):
            assert metas(doc, name), f"{name} missing on {url}"


def test_lead_image_is_shared_with_its_alt_text(client, site):
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (1200, 630), (10, 20, 30)).save(buffer, format="PNG")
    article = site["article"]
    article.lead_image.save("lead.png", ContentFile(buffer.getvalue()), save=False)
    article.lead_image_alt = "Bar chart of response rates"
    article.save()
    doc = head(client, article.get_absolute_url())
    (image,) = prop(doc, "og:image")
    assert image.startswith("http://testserver/media/")
    assert metas(doc, "twitter:image") == [image]
    assert metas(doc, "twitter:card") == ["summary_large_image"]
    assert prop(doc, "og:image:alt") == ["Bar chart of response rates"]
    assert metas(doc, "twitter:image:alt") == ["Bar chart of response rates"]
    assert json_ld(doc)["image"] == image


@override_settings(DEBUG=False)
def test_not_found_page_is_described_and_not_indexed(client, site):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    doc = lxml_html.fromstring(response.content)
    assert metas(doc, "description") and metas(doc, "description")[0].strip()
    assert metas(doc, "robots") == ["noindex"]
    assert prop(doc, "og:title") and metas(doc, "twitter:card")


def test_article_opengraph_is_an_article_with_times(client, site):
    doc = head(client, site["article"].get_absolute_url())
    assert prop(doc, "og:type") == ["article"]
    assert prop(doc, "og:title") == [SEED_TITLE]
    assert prop(doc, "article:published_time")[0].startswith("2022-06-16")
    assert "Breast Cancer" in prop(doc, "article:tag")
    assert metas(doc, "description") == [
        "CDK4/6 inhibitors changed the treatment of HR-positive breast cancer."
    ]


def test_seo_description_wins_over_standfirst(client, site):
    article = site["article"]
    article.seo_description = "How tumours escape CDK4/6 inhibitors."
    article.save()
    doc = head(client, article.get_absolute_url())
    assert metas(doc, "description") == ["How tumours escape CDK4/6 inhibitors."]


def test_home_describes_the_journal_with_a_search_action(client, site):
    data = json_ld(head(client, "/"))
    assert data["@type"] == "Periodical"
    assert data["issn"] == ["2164-1153", "2164-1161"]
    assert data["potentialAction"]["target"] == "http://testserver/search/?q={search_term_string}"


def test_issue_page_is_a_publication_issue(client, site):
    data = json_ld(head(client, site["issue"].get_absolute_url()))
    assert data["@type"] == "PublicationIssue"
    assert data["name"] == "JHOP - June 2022 Vol 12, No 3"
    assert data["issueNumber"] == "3"
    assert data["isPartOf"]["volumeNumber"] == "12"


def test_ama_lists_six_authors_then_three_and_et_al():
    from articles.reader.metadata import ama_citation
    from tests.factories import make_article, make_author

    six = [make_author(given_name="Robert J.", family_name=f"Name{i}") for i in range(6)]
    article = make_article(title="Six authors", authors=six)
    assert ama_citation(article, journal=None).startswith(
        "Name0 RJ, Name1 RJ, Name2 RJ, Name3 RJ, Name4 RJ, Name5 RJ. Six authors."
    )
    article.authorships.create(author=make_author(family_name="Seventh"), position=7)
    article = type(article).objects.for_listing().get(pk=article.pk)
    assert ama_citation(article, journal=None).startswith(
        "Name0 RJ, Name1 RJ, Name2 RJ, et al. Six authors."
    )


def test_bibtex_escapes_special_characters(client, site):
    article = site["article"]
    article.title = "Costs & outcomes: 50% of {patients}"
    article.save()
    bib = client.get(f"{article.get_absolute_url()}cite.bib").content.decode()
    assert r"title = {Costs \& outcomes: 50\% of \{patients\}}" in bib


def test_ris_lists_every_author_in_order(client, site):
    ris = client.get(f"{site['article'].get_absolute_url()}cite.ris").content.decode()
    authors = [line for line in ris.splitlines() if line.startswith("AU  - ")]
    assert authors == ["AU  - Ignoffo, Robert J.", "AU  - Joseph, Donyika"]
    assert "VL  - 12" in ris and "IS  - 3" in ris and "SP  - 101" in ris and "EP  - 108" in ris
    assert ris.rstrip().endswith("ER  -")


def test_ris_keeps_one_line_per_tag_whatever_the_text(client, site):
    article = site["article"]
    article.title = "First line.\r\nER  - \nTY  - JOUR"
    article.save()
    ris = client.get(f"{article.get_absolute_url()}cite.ris").content.decode()
    lines = ris.split("\r\n")
    assert [line for line in lines if line.startswith("TY  - ")] == ["TY  - JOUR"]
    assert [line for line in lines if line.startswith("ER  -")] == ["ER  - "]
    assert "TI  - First line. ER - TY - JOUR" in lines


def test_citations_use_the_journal_title_abbreviation(client, site):
    from articles.reader.metadata import ama_citation

    article = site["article"]
    journal = article.issue.journal
    assert journal.abbreviation == "J Hematol Oncol Pharm"
    article = type(article).objects.for_listing().get(pk=article.pk)
    assert " J Hematol Oncol Pharm. 2022;12(3)" in ama_citation(article, journal=None)
    ris = client.get(f"{article.get_absolute_url()}cite.ris").content.decode()
    assert "JO  - J Hematol Oncol Pharm" in ris
    assert f"T2  - {journal.name}" in ris
    html = client.get(article.get_absolute_url()).content.decode()
    assert '<meta name="citation_journal_abbrev" content="J Hematol Oncol Pharm">' in html
