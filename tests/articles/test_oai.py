"""OAI-PMH 2.0 at /oai: every response valid against OAI-PMH.xsd (+ oai_dc, + JATS)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from lxml import etree

from articles import services
from articles.models import Article
from articles.scholarly import oai
from tests.articles.scholarly import assert_valid
from tests.factories import make_article, make_issue, make_journal, make_section, make_topic

pytestmark = pytest.mark.django_db
NS = {"o": oai.OAI_NS, "dc": oai.DC_NS, "j": oai.JATS_NS}


def _oai(client, method="get", **params):
    response = getattr(client, method)("/oai", params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    assert_valid("oai", response.content)
    return etree.fromstring(response.content)


def _error(doc) -> str:
    error = doc.find("o:error", NS)
    return error.get("code") if error is not None else ""


def _ids(doc) -> list[str]:
    return [e.text for e in doc.iterfind(".//o:header/o:identifier", NS)]


@pytest.fixture
def site():
    journal = make_journal(doi_prefix="10.32013")
    issue = make_issue(journal=journal, slug="june-2022")
    section = make_section("Original Article")
    topic = make_topic("Breast Cancer")
    live = make_article(
        issue=issue,
        section=section,
        topics=[topic],
        references=["One."],
        doi="10.32013/jhop.2022.1",
        standfirst="Abstract.",
    )
    web_only = make_article()
    hidden = [
        make_article(status=Article.Status.DRAFT),
        make_article(published_at=timezone.now() + timedelta(days=2)),
        make_article(issue=make_issue(journal=journal, status="draft", slug="next")),
    ]
    return {"live": live, "web_only": web_only, "hidden": hidden}


@pytest.mark.parametrize(
    "params",
    [
        {"verb": "Identify"},
        {"verb": "ListMetadataFormats"},
        {"verb": "ListSets"},
        {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"},
        {"verb": "ListRecords", "metadataPrefix": "oai_dc"},
        {"verb": "ListRecords", "metadataPrefix": "jats"},
        {"verb": "ListRecords", "metadataPrefix": "jats", "set": "topic:breast-cancer"},
    ],
)
def test_verbs_answer_valid_documents(client, site, params):
    doc = _oai(client, **params)
    assert _error(doc) == ""
    assert doc.find("o:request", NS).get("verb") == params["verb"]


def test_identify_declares_granularity_and_deleted_records(client, site):
    doc = _oai(client, verb="Identify")
    assert doc.findtext("o:Identify/o:granularity", namespaces=NS) == "YYYY-MM-DDThh:mm:ssZ"
    assert doc.findtext("o:Identify/o:deletedRecord", namespaces=NS) == "transient"
    assert doc.findtext("o:Identify/o:baseURL", namespaces=NS) == "http://testserver/oai"


def test_only_published_articles_are_records(client, site):
    doc = _oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    assert sorted(_ids(doc)) == sorted(
        oai.identifier_of(a.pk) for a in (site["live"], site["web_only"])
    )


def test_get_record_in_both_formats(client, site):
    identifier = oai.identifier_of(site["live"].pk)
    dc = _oai(client, verb="GetRecord", metadataPrefix="oai_dc", identifier=identifier)
    assert dc.findtext(".//dc:title", namespaces=NS) == site["live"].title
    identifiers = [e.text for e in dc.iterfind(".//dc:identifier", NS)]
    assert "https://doi.org/10.32013/jhop.2022.1" in identifiers
    specs = [e.text for e in dc.iterfind(".//o:header/o:setSpec", NS)]
    assert specs == ["section:original-article", "topic:breast-cancer", "issue:june-2022"]
    jats_doc = _oai(client, verb="GetRecord", metadataPrefix="jats", identifier=identifier)
    article = jats_doc.find(".//o:metadata/j:article", NS)
    assert article.findtext("j:front/j:article-meta/j:article-id", namespaces=NS) == (
        "10.32013/jhop.2022.1"
    )


def test_post_is_answered_like_get(client, site):
    doc = _oai(client, method="post", verb="ListIdentifiers", metadataPrefix="oai_dc")
    assert len(_ids(doc)) == 2


def test_sets_list_sections_topics_and_issues(client, site):
    doc = _oai(client, verb="ListSets")
    specs = [e.text for e in doc.iterfind(".//o:setSpec", NS)]
    assert {"section", "topic", "issue", "section:original-article", "topic:breast-cancer"} <= set(
        specs
    )
    assert "issue:june-2022" in specs
    assert "issue:next" not in specs  # an unpublished issue is not a set
    by_section = _oai(
        client, verb="ListIdentifiers", metadataPrefix="oai_dc", set="section:original-article"
    )
    assert _ids(by_section) == [oai.identifier_of(site["live"].pk)]


def test_withdrawn_article_is_a_deleted_record(client, site):
    article = site["live"]
    Article.objects.filter(pk=article.pk).update(first_published_at=article.published_at)
    services.unpublish(objects=Article.objects.filter(pk=article.pk), user=None)
    doc = _oai(client, verb="ListRecords", metadataPrefix="oai_dc")
    deleted = doc.find(".//o:record/o:header[@status='deleted']", NS)
    assert deleted.findtext("o:identifier", namespaces=NS) == oai.identifier_of(article.pk)
    assert deleted.getparent().find("o:metadata", NS) is None
    one = _oai(
        client, verb="GetRecord", metadataPrefix="jats", identifier=oai.identifier_of(article.pk)
    )
    assert one.find(".//o:header", NS).get("status") == "deleted"


def test_from_and_until_at_day_and_second_granularity(client, site):
    now = timezone.now()
    old = make_article(published_at=now - timedelta(days=400))
    Article.objects.filter(pk=old.pk).update(
        updated_at=now - timedelta(days=400), record_modified_at=now - timedelta(days=400)
    )
    day = (now - timedelta(days=400)).date().isoformat()
    by_day = _oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc", until=day)
    assert _ids(by_day) == [oai.identifier_of(old.pk)]
    since = (now - timedelta(days=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    recent = _oai(client, **{"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "from": since})
    assert oai.identifier_of(old.pk) not in _ids(recent)
    assert len(_ids(recent)) == 2


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, "badVerb"),
        ({"verb": "Harvest"}, "badVerb"),
        ({"verb": ["Identify", "Identify"]}, "badVerb"),
        ({"verb": "Identify", "set": "x"}, "badArgument"),
        ({"verb": "ListRecords"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": ["oai_dc", "jats"]}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2022-13-45"}, "badArgument"),
        (
            {
                "verb": "ListRecords",
                "metadataPrefix": "oai_dc",
                "from": "2022-01-01",
                "until": "2022-02-01T00:00:00Z",
            },
            "badArgument",
        ),
        (
            {
                "verb": "ListRecords",
                "metadataPrefix": "oai_dc",
                "from": "2022-02-01",
                "until": "2022-01-01",
            },
            "badArgument",
        ),
        ({"verb": "ListRecords", "resumptionToken": "x", "metadataPrefix": "x"}, "badArgument"),
        ({"verb": "GetRecord", "metadataPrefix": "oai_dc"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": ""}, "badArgument"),
        ({"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": ""}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "marc21"}, "cannotDisseminateFormat"),
        (
            {"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": "oai:elsewhere:1"},
            "idDoesNotExist",
        ),
        ({"verb": "ListMetadataFormats", "identifier": "oai:x:article/1"}, "idDoesNotExist"),
        (
            {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2999-01-01"},
            "noRecordsMatch",
        ),
        (
            {"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "topic:none"},
            "noRecordsMatch",
        ),
        ({"verb": "ListRecords", "resumptionToken": "forged"}, "badResumptionToken"),
    ],
)
def test_every_error_code(client, site, params, code):
    doc = _oai(client, **params)
    assert _error(doc) == code
    if code in ("badVerb", "badArgument"):
        assert doc.find("o:request", NS).attrib == {}


def test_a_draft_is_not_a_record(client, site):
    draft = site["hidden"][0]
    doc = _oai(
        client, verb="GetRecord", metadataPrefix="oai_dc", identifier=oai.identifier_of(draft.pk)
    )
    assert _error(doc) == "idDoesNotExist"


def _harvest(client, **params):
    """Follow resumption tokens; returns (identifiers, pages)."""
    identifiers, pages = [], []
    doc = _oai(client, **params)
    while True:
        pages.append(doc)
        identifiers += _ids(doc)
        token = doc.find(".//o:resumptionToken", NS)
        if token is None or not token.text:
            return identifiers, pages
        doc = _oai(client, verb=params["verb"], resumptionToken=token.text)


def test_paging_with_cursor_and_complete_list_size(client, site, monkeypatch):
    monkeypatch.setattr(oai, "PAGE_SIZE", 2)
    for _ in range(3):
        make_article()
    identifiers, pages = _harvest(client, verb="ListRecords", metadataPrefix="oai_dc")
    assert len(identifiers) == len(set(identifiers)) == 5
    tokens = [p.find(".//o:resumptionToken", NS) for p in pages]
    assert [t.get("cursor") for t in tokens] == ["0", "2", "4"]
    assert {t.get("completeListSize") for t in tokens} == {"5"}
    assert tokens[-1].text is None  # the last page carries an empty token


def test_a_harvest_stays_the_same_list_while_editors_publish(client, site, monkeypatch):
    monkeypatch.setattr(oai, "PAGE_SIZE", 2)
    before = [make_article() for _ in range(3)]
    first = _oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    started = first.findtext("o:responseDate", namespaces=NS)
    # Meanwhile: a new article, and an already-delivered one edited.
    newcomer = make_article(published_at=timezone.now() + timedelta(seconds=1))
    delivered = Article.objects.get(pk=int(_ids(first)[0].rsplit("/", 1)[1]))
    delivered.title = "Edited"
    delivered.save()
    identifiers = _ids(first)
    token = first.find(".//o:resumptionToken", NS).text
    while token:
        page = _oai(client, verb="ListIdentifiers", resumptionToken=token)
        identifiers += _ids(page)
        token = page.findtext(".//o:resumptionToken", namespaces=NS)
    expected = {oai.identifier_of(a.pk) for a in [site["live"], site["web_only"], *before]}
    assert len(identifiers) == len(set(identifiers))
    assert set(identifiers) - {oai.identifier_of(delivered.pk)} <= expected
    assert oai.identifier_of(newcomer.pk) not in identifiers
    # The next incremental harvest picks up what changed.
    Article.objects.filter(pk=newcomer.pk).update(published_at=timezone.now())
    later, _pages = _harvest(
        client, **{"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "from": started}
    )
    assert {oai.identifier_of(newcomer.pk), oai.identifier_of(delivered.pk)} <= set(later)


def test_list_records_query_count_is_fixed(client, site, django_assert_max_num_queries):
    for _ in range(20):
        make_article(topics=[make_topic()], references=["A.", "B."])
    with django_assert_max_num_queries(12):
        doc = _oai(client, verb="ListRecords", metadataPrefix="jats")
    assert len(_ids(doc)) == 22


def _headers(doc) -> dict[str, tuple[str | None, str]]:
    """identifier -> (status, datestamp) of every header listed."""
    return {
        h.findtext("o:identifier", namespaces=NS): (
            h.get("status"),
            h.findtext("o:datestamp", namespaces=NS),
        )
        for h in doc.iterfind(".//o:header", NS)
    }


def test_article_of_an_issue_taken_back_to_draft_is_a_deleted_record(client, site):
    article, issue = site["live"], site["live"].issue
    Article.objects.filter(pk=article.pk).update(
        first_published_at=article.published_at, updated_at=timezone.now() - timedelta(days=20)
    )
    before = (timezone.now() - timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    services.unpublish(objects=type(issue).objects.filter(pk=issue.pk), user=None)
    ident = oai.identifier_of(article.pk)
    # An incremental harvest since just before the issue was withdrawn learns of it,
    # though the article row itself was not touched.
    since = _oai(client, **{"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "from": before})
    assert _headers(since)[ident][0] == "deleted"
    records = _oai(client, verb="ListRecords", metadataPrefix="oai_dc")
    assert (
        records.find(".//o:header[@status='deleted']", NS).getparent().find("o:metadata", NS)
        is None
    )
    one = _oai(client, verb="GetRecord", metadataPrefix="oai_dc", identifier=ident)
    assert one.find(".//o:header", NS).get("status") == "deleted"
    # Published again: a live record once more, dated by its issue's new publication.
    services.publish(objects=type(issue).objects.filter(pk=issue.pk), user=None)
    again = _headers(_oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc"))
    assert again[ident][0] is None


def test_article_moved_to_a_later_time_is_deleted_until_then(client, site):
    article = site["live"]
    Article.objects.filter(pk=article.pk).update(
        first_published_at=article.published_at,
        published_at=timezone.now() + timedelta(days=3),
    )
    listed = _headers(_oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc"))
    status, stamp = listed[oai.identifier_of(article.pk)]
    assert status == "deleted"
    assert stamp <= timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ")  # never a future date


def test_article_of_an_issue_never_published_is_not_reported(client, site):
    never = site["hidden"][2]  # published, in an issue that is a draft with no time
    type(never.issue).objects.filter(pk=never.issue_id).update(published_at=None)
    Article.objects.filter(pk=never.pk).update(first_published_at=never.published_at)
    listed = _headers(_oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc"))
    assert oai.identifier_of(never.pk) not in listed


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(
    "params",
    [
        {"verb": "ListRecords", "metadataPrefix": ""},
        {"verb": "ListIdentifiers", "metadataPrefix": ""},
        {"verb": "GetRecord", "metadataPrefix": "", "identifier": "oai:x:1"},
    ],
)
def test_an_empty_metadata_prefix_is_a_bad_argument(client, site, method, params):
    doc = _oai(client, method=method, **params)  # valid against OAI-PMH.xsd
    assert _error(doc) == "badArgument"
    assert "'metadataPrefix' is empty" in doc.findtext("o:error", namespaces=NS)
    assert dict(doc.find("o:request", NS).attrib) == {}  # nothing echoed, as the schema needs


def test_dublin_core_records_carry_the_licence(client, site):
    identifier = oai.identifier_of(site["live"].pk)
    dc = _oai(client, verb="GetRecord", metadataPrefix="oai_dc", identifier=identifier)
    rights = [e.text for e in dc.iterfind(".//dc:rights", NS)]
    year = timezone.localtime(site["live"].published_at).year
    assert rights == [
        f"© {year} Amplity Health. All rights reserved.",
        "https://creativecommons.org/licenses/by-nc-nd/4.0/",
    ]


def test_the_jats_format_declares_the_schema_of_its_namespace(client, site):
    doc = _oai(client, verb="ListMetadataFormats")
    (jats_format,) = [
        f
        for f in doc.iterfind(".//o:metadataFormat", NS)
        if f.findtext("o:metadataPrefix", namespaces=NS) == "jats"
    ]
    assert jats_format.findtext("o:metadataNamespace", namespaces=NS) == (
        "https://jats.nlm.nih.gov/ns/archiving/1.3/"
    )
    assert "/archiving/1.3/" in jats_format.findtext("o:schema", namespaces=NS)
