"""The Crossref deposit: `manage.py crossref_xml`, valid against the official 5.3.1 schema."""

import io
from datetime import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone
from lxml import etree

from articles.models import Article, Reference
from articles.scholarly import crossref, registration
from tests.articles.scholarly import assert_valid
from tests.factories import make_article, make_author, make_issue, make_journal

pytestmark = pytest.mark.django_db
NS = {"c": crossref.CROSSREF_NS}


def _issue_with_article():
    journal = make_journal(doi_prefix="10.32013")
    issue = make_issue(journal=journal, volume=12, number=3)
    first = make_author(given_name="Meg", family_name="Barbor", orcid="0000-0002-1825-0097")
    second = make_author(given_name="Robert J.", family_name="Ignoffo")
    article = make_article(
        issue=issue,
        authors=[first, second],
        references=["Smith A. A study. J Onc. 2020;1:1-2.", "Roe B. Another. 2019."],
        doi="10.32013/jhop.2022.1",
        first_page="101",
        last_page="108",
        standfirst="An abstract with <angle> & ampersand.",
        title="Nivolumab & <ipilimumab>: a review",
    )
    Reference.objects.filter(article=article, position=1).update(doi="10.1000/xyz123")
    return issue, article


def _run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("crossref_xml", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_issue_deposit_validates_and_carries_the_metadata():
    issue, article = _issue_with_article()
    out, err = _run("--issue", str(issue.pk))
    assert "Valid" in err
    assert_valid("crossref", out.encode())
    doc = etree.fromstring(out.encode())
    assert doc.findtext("c:head/c:registrant", namespaces=NS) == "Amplity Health"
    assert doc.findtext("c:head/c:doi_batch_id", namespaces=NS).startswith(
        f"jhop-issue-{issue.pk}-"
    )
    meta = doc.find("c:body/c:journal/c:journal_metadata", NS)
    assert meta.findtext("c:full_title", namespaces=NS) == "Journal of Hematology Oncology Pharmacy"
    assert meta.findtext("c:abbrev_title", namespaces=NS) == "J Hematol Oncol Pharm"
    issns = {i.get("media_type"): i.text for i in meta.findall("c:issn", NS)}
    assert issns == {"print": "2164-1153", "electronic": "2164-1161"}
    journal_issue = doc.find("c:body/c:journal/c:journal_issue", NS)
    assert journal_issue.findtext("c:journal_volume/c:volume", namespaces=NS) == "12"
    assert journal_issue.findtext("c:issue", namespaces=NS) == "3"
    item = doc.find(".//c:journal_article", NS)
    assert item.findtext("c:titles/c:title", namespaces=NS) == "Nivolumab & <ipilimumab>: a review"
    people = item.findall("c:contributors/c:person_name", NS)
    assert [(p.get("sequence"), p.findtext("c:surname", namespaces=NS)) for p in people] == [
        ("first", "Barbor"),
        ("additional", "Ignoffo"),
    ]
    assert people[0].findtext("c:ORCID", namespaces=NS) == "https://orcid.org/0000-0002-1825-0097"
    assert people[1].find("c:ORCID", NS) is None
    assert {d.get("media_type") for d in item.findall("c:publication_date", NS)} == {
        "online",
        "print",
    }
    assert item.findtext("c:pages/c:first_page", namespaces=NS) == "101"
    assert item.findtext("c:pages/c:last_page", namespaces=NS) == "108"
    assert item.findtext("c:doi_data/c:doi", namespaces=NS) == "10.32013/jhop.2022.1"
    assert item.findtext("c:doi_data/c:resource", namespaces=NS).endswith(
        article.get_absolute_url()
    )
    citations = item.findall("c:citation_list/c:citation", NS)
    assert [c.get("key") for c in citations] == ["ref1", "ref2"]
    assert citations[0].findtext("c:doi", namespaces=NS) == "10.1000/xyz123"
    assert citations[0].find("c:unstructured_citation", NS) is None
    assert citations[1].findtext("c:unstructured_citation", namespaces=NS) == (
        "Roe B. Another. 2019."
    )


def test_article_deposit_validates():
    _issue, article = _issue_with_article()
    out, _err = _run("--article", str(article.pk))
    assert_valid("crossref", out.encode())
    assert len(etree.fromstring(out.encode()).findall(".//c:journal_article", NS)) == 1


def _stamp(*args) -> int:
    return int(
        etree.fromstring(_run(*args)[0].encode()).findtext("c:head/c:timestamp", namespaces=NS)
    )


def test_the_timestamp_is_when_the_record_last_changed():
    """The same record prints the same version number; an author's new affiliation, which
    the deposit shows, makes it larger, in the issue's deposit and in the article's."""
    issue, article = _issue_with_article()
    before = _stamp("--issue", str(issue.pk))
    article.refresh_from_db()
    assert before == int(crossref.timestamp(article.record_modified_at))
    assert _stamp("--issue", str(issue.pk)) == before == _stamp("--article", str(article.pk))

    author = article.authorships.first().author
    author.affiliation = "Moffitt Cancer Center, Tampa, FL"
    author.save()
    after = _stamp("--issue", str(issue.pk))
    assert after > before
    assert _stamp("--article", str(article.pk)) == after


def test_drafts_and_articles_without_doi_are_left_out_of_an_issue():
    issue, _article = _issue_with_article()
    make_article(issue=issue, status="draft", doi="10.32013/draft")
    out, _err = _run("--issue", str(issue.pk))
    assert "10.32013/draft" not in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--issue", "999"], "There is no issue with id 999."),
        (["--article", "999"], "There is no article with id 999."),
    ],
)
def test_unknown_ids_are_clear_errors(args, message):
    with pytest.raises(CommandError, match=message):
        _run(*args)


def test_an_article_without_doi_is_a_clear_error():
    article = make_article()
    with pytest.raises(CommandError, match="has no DOI yet"):
        _run("--article", str(article.pk))


def test_journal_without_prefix_is_a_clear_error():
    issue = make_issue(journal=make_journal(doi_prefix=""))
    with pytest.raises(CommandError, match="has no DOI prefix"):
        _run("--issue", str(issue.pk))


def test_a_withdrawn_article_is_refused_with_a_non_zero_exit():
    _, article = _issue_with_article()
    out, _ = _run("--article", str(article.pk))
    assert "doi_batch" in out  # live: printed
    article.status = article.Status.DRAFT
    article.save()
    with pytest.raises(CommandError, match="was withdrawn"):
        _run("--article", str(article.pk))


def test_issue_doi_and_crossmark_are_deposited_and_valid(settings):
    settings.SITE_URL = "https://www.jhoponline.example"
    issue, article = _issue_with_article()
    journal = issue.journal
    journal.issue_doi_pattern = "{journal}.{year}.v{volume}i{issue}.{id}"
    journal.crossmark_policy_doi = "10.32013/jhop.crossmark-policy"
    journal.save()
    corrected = timezone.make_aware(datetime(2022, 7, 4, 12, 0))
    Article.objects.filter(pk=article.pk).update(corrected_at=corrected)

    out, err = _run("--issue", str(issue.pk))

    assert "Valid" in err
    assert_valid("crossref", out.encode())
    doc = etree.fromstring(out.encode())
    journal_issue = doc.find("c:body/c:journal/c:journal_issue", NS)
    assert journal_issue.findtext("c:doi_data/c:doi", namespaces=NS) == (
        f"10.32013/jhop.2022.v12i3.{issue.pk}"
    )
    assert journal_issue.findtext("c:doi_data/c:resource", namespaces=NS).endswith(
        issue.get_absolute_url()
    )
    mark = doc.find(".//c:journal_article/c:crossmark", NS)
    assert mark.findtext("c:crossmark_policy", namespaces=NS) == "10.32013/jhop.crossmark-policy"
    assert mark.findtext("c:crossmark_domains/c:crossmark_domain/c:domain", namespaces=NS) == (
        "www.jhoponline.example"
    )
    update = mark.find("c:updates/c:update", NS)
    assert (update.text, update.get("type"), update.get("date")) == (
        "10.32013/jhop.2022.1",
        "correction",
        "2022-07-04",
    )


def test_without_a_pattern_or_policy_there_is_no_issue_doi_nor_crossmark():
    issue, _article = _issue_with_article()
    doc = etree.fromstring(_run("--issue", str(issue.pk))[0].encode())
    assert doc.find(".//c:journal_issue/c:doi_data", NS) is None
    assert doc.find(".//c:crossmark", NS) is None


def test_an_issue_keeps_the_doi_it_was_registered_with(django_capture_on_commit_callbacks):
    issue, _article = _issue_with_article()
    journal = issue.journal
    journal.issue_doi_pattern = "{journal}.v{volume}i{issue}.{id}"
    journal.crossmark_policy_doi = "10.32013/jhop.crossmark-policy"
    journal.save()
    registration.request_registration(issue=issue, user=None)
    issue.refresh_from_db()
    assert issue.doi == f"10.32013/jhop.v12i3.{issue.pk}"
    journal.issue_doi_pattern = "{journal}.issue.{slug}"
    journal.save()
    issue.volume = 13
    issue.save()
    out = _run("--issue", str(issue.pk))[0].encode()
    assert_valid("crossref", out)  # Crossmark without a domain: the site is on "testserver"
    doc = etree.fromstring(out)
    assert doc.findtext(".//c:journal_issue/c:doi_data/c:doi", namespaces=NS) == issue.doi
    assert doc.find(".//c:crossmark/c:crossmark_domains", NS) is None


def test_a_bad_issue_doi_pattern_or_policy_doi_is_refused_in_editor_words():
    journal = make_journal(doi_prefix="10.32013")
    journal.issue_doi_pattern = "{journal}.{volume}"
    journal.crossmark_policy_doi = "https://doi.org/10.32013/policy"
    with pytest.raises(ValidationError) as refused:
        journal.full_clean()
    assert "Include {id} or {slug}" in str(refused.value.message_dict["issue_doi_pattern"])
    assert "without" in str(refused.value.message_dict["crossmark_policy_doi"])


def test_the_article_page_links_the_crossmark_policy_when_the_journal_has_one(client):
    issue, article = _issue_with_article()
    page = client.get(article.get_absolute_url()).content.decode()
    assert "Crossmark" not in page
    issue.journal.crossmark_policy_doi = "10.32013/jhop.crossmark-policy"
    issue.journal.save()
    page = client.get(article.get_absolute_url()).content.decode()
    assert (
        '<a class="crossmark" href="https://doi.org/10.32013/jhop.crossmark-policy">'
        "Crossmark: check for updates"
    ) in page


def test_the_deposit_carries_the_licence_as_access_indicators():
    _issue, article = _issue_with_article()
    article.licence_url = "https://creativecommons.org/licenses/by/4.0/"
    article.save()
    out, _err = _run("--article", str(article.pk))
    assert_valid("crossref", out.encode())
    doc = etree.fromstring(out.encode())
    ai = {"ai": crossref.AI_NS, **NS}
    item = doc.find(".//c:journal_article", NS)
    program = item.find("ai:program", ai)
    assert program.get("name") == "AccessIndicators"
    (licence,) = program.findall("ai:license_ref", ai)
    assert licence.text == "https://creativecommons.org/licenses/by/4.0/"
    assert licence.get("applies_to") == "vor"
    assert licence.get("start_date") == timezone.localtime(article.published_at).date().isoformat()
    # The schema's order: after the pages, before the DOI data.
    names = [etree.QName(e).localname for e in item]
    assert names.index("pages") < names.index("program") < names.index("doi_data")


def test_an_article_without_abstract_is_deposited_with_its_summary():
    _issue, article = _issue_with_article()
    article.standfirst = ""
    article.seo_description = "What the FDA approved, in one line."
    article.save()
    out, _err = _run("--article", str(article.pk))
    assert_valid("crossref", out.encode())
    abstract = etree.fromstring(out.encode()).find(
        f".//{{{crossref.JATS1_NS}}}abstract/{{{crossref.JATS1_NS}}}p"
    )
    assert abstract.text == "What the FDA approved, in one line."


def test_with_a_crossmark_block_the_access_indicators_go_in_its_custom_metadata():
    # The schema allows either Crossmark or the programs beside it, not both.
    _issue, article = _issue_with_article()
    item = etree.Element(f"{{{crossref.CROSSREF_NS}}}journal_article")
    crossmark = etree.SubElement(item, f"{{{crossref.CROSSREF_NS}}}crossmark")
    etree.SubElement(crossmark, f"{{{crossref.CROSSREF_NS}}}crossmark_policy").text = "10.32013/p"
    crossref._access_indicators(item, article, article.issue.journal)
    ai = {"ai": crossref.AI_NS, **NS}
    assert item.find("ai:program", ai) is None
    licence = crossmark.find("c:custom_metadata/ai:program/ai:license_ref", ai)
    assert licence.text == "https://creativecommons.org/licenses/by-nc-nd/4.0/"
