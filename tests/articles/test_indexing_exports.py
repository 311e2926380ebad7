"""PubMed and DOAJ exports of an issue: valid against the vendored official DTD and XSD,
from `manage.py pubmed_xml` / `doaj_xml` and from the issue admin, behind the publish gate."""

import io

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import CommandError, call_command
from django.urls import reverse
from lxml import etree

from articles import services
from articles.models import Article, Author, Issue, Reference
from articles.scholarly import indexing, schemas
from tests.articles.test_crossref import _issue_with_article
from tests.factories import make_article, make_issue, make_journal

pytestmark = pytest.mark.django_db


@pytest.fixture
def issue(settings):
    """The Crossref tests' issue (two authors, two references), plus what indexes read."""
    settings.SITE_URL = "https://www.jhoponline.example"  # DOAJ takes only real host names
    issue, article = _issue_with_article()
    first, second = article.ordered_authors
    Author.objects.filter(pk=first.pk).update(affiliation="Oncology Pharmacy, Example Hospital")
    Author.objects.filter(pk=second.pk).update(given_name="")
    Article.objects.filter(pk=article.pk).update(keywords="nivolumab, immunotherapy")
    Reference.objects.filter(article=article, position=1).update(pmid="34724978")
    make_article(issue=issue, title="A web note")
    make_article(issue=issue, status=Article.Status.DRAFT, title="A draft, not exported")
    return issue


def _run(command: str, issue_id) -> tuple[bytes, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(command, "--issue", str(issue_id), stdout=out, stderr=err)
    return out.getvalue().encode(), err.getvalue()


def test_pubmed_export_is_valid_against_nlm_dtd(issue):
    out, err = _run("pubmed_xml", issue.pk)
    assert "Valid PubMed XML" in err
    assert b'<!DOCTYPE ArticleSet PUBLIC "-//NLM//DTD PubMed 3.0//EN"' in out
    document = etree.fromstring(out)
    dtd = etree.DTD(str(schemas.VENDORED / "pubmed" / "PubMed.dtd"))
    assert dtd.validate(document), dtd.error_log
    articles = document.findall("Article")
    assert [a.findtext("ArticleTitle") for a in articles] == [
        "Nivolumab & <ipilimumab>: a review",
        "A web note",
    ]
    first = articles[0]
    assert first.findtext("Journal/JournalTitle") == "J Hematol Oncol Pharm"
    assert first.findtext("Journal/Issn") == "2164-1161"
    assert (first.findtext("Journal/Volume"), first.findtext("Journal/Issue")) == ("12", "3")
    assert first.findtext("Journal/PubDate/Year") == "2022"
    assert (first.findtext("FirstPage"), first.findtext("LastPage")) == ("101", "108")
    assert first.find("ELocationID").attrib == {"EIdType": "doi"}
    assert first.findtext("ArticleIdList/ArticleId[@IdType='doi']") == "10.32013/jhop.2022.1"
    authors = first.findall("AuthorList/Author")
    assert [a.findtext("LastName") for a in authors] == ["Barbor", "Ignoffo"]
    assert authors[0].findtext("Identifier[@Source='ORCID']") == (
        "https://orcid.org/0000-0002-1825-0097"
    )
    assert authors[1].find("FirstName").get("EmptyYN") == "Y"
    assert first.findtext("Abstract") == "An abstract with <angle> & ampersand."
    references = first.findall("ReferenceList/Reference")
    assert references[0].findtext("ArticleIdList/ArticleId[@IdType='pubmed']") == "34724978"
    assert references[1].findtext("Citation") == "Roe B. Another. 2019."


def test_doaj_export_is_valid_against_doaj_xsd(issue):
    out, err = _run("doaj_xml", issue.pk)
    assert "Valid DOAJ XML" in err
    document = etree.fromstring(out)
    assert schemas.validate("doaj", document, root=schemas.VENDORED) == []
    records = document.findall("record")
    assert len(records) == 2
    first = records[0]
    assert first.findtext("language") == "eng"
    assert (first.findtext("issn"), first.findtext("eissn")) == ("2164-1153", "2164-1161")
    assert first.findtext("doi") == "10.32013/jhop.2022.1"
    assert first.findtext("fullTextUrl").startswith("https://www.jhoponline.example/")
    assert first.findtext("authors/author/orcid_id") == "https://orcid.org/0000-0002-1825-0097"
    assert first.findtext("affiliationsList/affiliationName") == (
        "Oncology Pharmacy, Example Hospital"
    )
    assert [k.text for k in first.findall("keywords/keyword")] == ["nivolumab", "immunotherapy"]


def test_the_vendored_files_really_enforce(issue):
    pubmed = indexing.PUBMED.build(issue)
    issn = pubmed.find("Article/Journal/Issn")
    issn.getparent().remove(issn)
    assert any("Journal" in e for e in indexing.validate_pubmed(pubmed))
    doaj = indexing.DOAJ.build(issue)
    doaj.find("record/language").text = "xxx"
    assert any("language" in e for e in indexing.validate_doaj(doaj))


@pytest.mark.parametrize("command", ["pubmed_xml", "doaj_xml"])
def test_the_publish_gate_refuses_with_a_non_zero_exit(issue, command):
    with pytest.raises(CommandError, match="There is no issue with id 0"):
        _run(command, 0)
    services.unpublish(objects=Issue.objects.filter(pk=issue.pk), user=None)  # withdrawn
    with pytest.raises(CommandError, match="is not published"):
        _run(command, issue.pk)
    draft = make_issue(journal=issue.journal, status=Issue.Status.DRAFT)
    with pytest.raises(CommandError, match="is not published"):
        _run(command, draft.pk)
    empty = make_issue(journal=issue.journal)
    with pytest.raises(CommandError, match="has no published article"):
        _run(command, empty.pk)
    no_issn = make_issue(journal=make_journal(slug="other", issn_print="", issn_online=""))
    make_article(issue=no_issn)
    with pytest.raises(CommandError, match="has no ISSN"):
        _run(command, no_issn.pk)


def _action(client, action, *issues):
    return client.post(
        reverse("admin:articles_issue_changelist"),
        {"action": action, "_selected_action": [i.pk for i in issues]},
        follow=True,
    )


def test_the_issue_admin_downloads_each_export(admin_client, issue):
    response = _action(admin_client, "download_pubmed", issue)
    assert response["Content-Disposition"] == f'attachment; filename="pubmed-{issue.slug}.xml"'
    assert indexing.validate_pubmed(etree.fromstring(response.content)) == []
    response = _action(admin_client, "download_doaj", issue)
    assert response["Content-Disposition"] == f'attachment; filename="doaj-{issue.slug}.xml"'
    assert indexing.validate_doaj(etree.fromstring(response.content)) == []

    two = _action(admin_client, "download_pubmed", issue, make_issue(journal=issue.journal))
    assert "Select one issue: PubMed takes one file per issue." in two.content.decode()
    services.unpublish(objects=Issue.objects.filter(pk=issue.pk), user=None)
    refused = _action(admin_client, "download_doaj", issue)
    assert refused["Content-Type"].startswith("text/html")
    assert "is not published: only what readers can see" in refused.content.decode()


def test_only_staff_who_may_change_issues_get_the_exports(client, issue):
    user = User.objects.create_user("reader", password="x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_issue"))
    client.force_login(user)
    changelist = client.get(reverse("admin:articles_issue_changelist")).content.decode()
    assert "download_pubmed" not in changelist
    response = _action(client, "download_pubmed", issue)
    assert "Content-Disposition" not in response
