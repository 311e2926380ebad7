"""Exports for indexing services, one file per issue: PubMed/MEDLINE and DOAJ article XML.

PubMed takes the ArticleSet of NLM's PubMed DTD (version 3.0); DOAJ takes a <records>
document valid against its doajArticles.xsd. Both are checked against the official files
vendored in schemas/ (pubmed/, doaj/) before anyone gets them, and both refuse what the
Crossref deposit refuses: an issue that is not published, or has no published article.
"""

import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from lxml import etree

from articles.models import Article, Issue, Journal
from articles.scholarly import schemas

PUBMED_DOCTYPE = (
    '<!DOCTYPE ArticleSet PUBLIC "-//NLM//DTD PubMed 3.0//EN" '
    '"https://dtd.nlm.nih.gov/ncbi/pubmed/in/PubMed.dtd">'
)
LANGUAGE = "eng"  # ISO 639-2/B: the journal publishes in English


@dataclass(frozen=True)
class Export:
    """One indexing format: its name, how to build it, and how to check it."""

    name: str
    filename: str

    def build(self, issue: Issue) -> etree._ElementTree:
        articles = exported_articles(issue)
        return BUILDERS[self.name](issue, articles)

    def render(self, issue: Issue) -> bytes:
        """The issue's file, valid, or a ValidationError in editor words."""
        check_exportable(issue)
        document = self.build(issue)
        errors = VALIDATORS[self.name](document)
        if errors:
            raise ValidationError(
                f"“{issue}”: the {self.name} file would not be valid: " + "; ".join(errors[:5])
            )
        return to_bytes(self.name, document)

    def download_name(self, issue: Issue) -> str:
        return self.filename.format(slug=issue.slug)


def exported_articles(issue: Issue) -> list[Article]:
    """An issue's published articles, in contents order, with what an export reads."""
    return list(
        Article.objects.published()
        .filter(issue=issue)
        .select_related("issue__journal", "section")
        .prefetch_related("authorships__author", "references")
        .in_contents_order()
    )


def check_exportable(issue: Issue) -> None:
    """The publish gate's rules for an issue's records: published, with published articles,
    and a journal an index can file them under (an ISSN)."""
    if not Issue.objects.published().filter(pk=issue.pk).exists():
        raise ValidationError(
            f"“{issue}” is not published: only what readers can see is sent to indexes."
        )
    if not Article.objects.published().filter(issue=issue).exists():
        raise ValidationError(f"“{issue}” has no published article.")
    journal = issue.journal
    if not (journal.issn_online or journal.issn_print):
        raise ValidationError(f"“{journal}” has no ISSN: indexes file articles by ISSN.")


def _sub(parent, tag: str, text: str | None = None, **attrs):
    element = etree.SubElement(parent, tag, **attrs)
    if text is not None:
        element.text = text
    return element


def _plain(text: str) -> str:
    return " ".join(text.split())


def article_url(article: Article) -> str:
    return settings.SITE_URL + article.get_absolute_url()


def copyright_of(journal: Journal) -> str:
    """The copyright statement an export carries (the journal's copyright line)."""
    return _plain(journal.copyright_line)


# PubMed ---------------------------------------------------------------------


def _pubmed_date(parent, when, *, status: str, day: bool = True) -> None:
    date = _sub(parent, "PubDate", PubStatus=status)
    _sub(date, "Year", str(when.year))
    _sub(date, "Month", f"{when.month:02d}")
    if day:
        _sub(date, "Day", f"{when.day:02d}")


def _pubmed_article(parent, article: Article, issue: Issue) -> None:
    journal = issue.journal
    element = _sub(parent, "Article")
    head = _sub(element, "Journal")
    _sub(head, "PublisherName", journal.publisher or journal.name)
    _sub(head, "JournalTitle", journal.abbreviation or journal.name)
    _sub(head, "Issn", journal.issn_online or journal.issn_print)
    if issue.volume:
        _sub(head, "Volume", str(issue.volume))
    if issue.number:
        _sub(head, "Issue", str(issue.number))
    _pubmed_date(head, issue.cover_date, status="ppublish", day=False)
    _sub(element, "ArticleTitle", _plain(article.title))
    if article.first_page:
        _sub(element, "FirstPage", article.first_page)
        if article.last_page:
            _sub(element, "LastPage", article.last_page)
    if article.doi:
        _sub(element, "ELocationID", article.doi, EIdType="doi")
    _sub(element, "Language", "EN")
    authors = _sub(element, "AuthorList")
    for author in article.ordered_authors:
        person = _sub(authors, "Author")
        if author.given_name:
            _sub(person, "FirstName", author.given_name)
        else:
            _sub(person, "FirstName", EmptyYN="Y")
        _sub(person, "LastName", author.family_name)
        if author.affiliation:
            _sub(person, "Affiliation", _plain(author.affiliation))
        if author.orcid:
            _sub(person, "Identifier", f"https://orcid.org/{author.orcid}", Source="ORCID")
    _sub(element, "PublicationType", "Journal Article")
    ids = _sub(element, "ArticleIdList")
    _sub(ids, "ArticleId", str(article.pk), IdType="pii")
    if article.doi:
        _sub(ids, "ArticleId", article.doi, IdType="doi")
    history = _sub(element, "History")
    _pubmed_date(history, timezone.localtime(article.published_at), status="epublish")
    if article.standfirst.strip():
        _sub(element, "Abstract", _plain(article.standfirst))
    if statement := copyright_of(journal):
        _sub(element, "CopyrightInformation", statement)
    references = list(article.references.all())
    if references:
        listed = _sub(element, "ReferenceList")
        for reference in references:
            item = _sub(listed, "Reference")
            _sub(item, "Citation", _plain(reference.citation))
            if reference.doi or reference.pmid:
                ids = _sub(item, "ArticleIdList")
                if reference.doi:
                    _sub(ids, "ArticleId", reference.doi, IdType="doi")
                if reference.pmid:
                    _sub(ids, "ArticleId", reference.pmid, IdType="pubmed")


def pubmed_document(issue: Issue, articles: list[Article]) -> etree._ElementTree:
    root = etree.Element("ArticleSet")
    for article in articles:
        _pubmed_article(root, article, issue)
    return root.getroottree()


def validate_pubmed(document) -> list[str]:
    dtd = schemas.pubmed_dtd()
    if dtd.validate(document):
        return []
    return [f"line {e.line}: {e.message}" for e in dtd.error_log]


# DOAJ -----------------------------------------------------------------------


def _doaj_record(parent, article: Article, issue: Issue) -> None:
    journal = issue.journal
    record = _sub(parent, "record")
    _sub(record, "language", LANGUAGE)
    if journal.publisher:
        _sub(record, "publisher", journal.publisher)
    _sub(record, "journalTitle", journal.name)
    if journal.issn_print:
        _sub(record, "issn", journal.issn_print)
    if journal.issn_online:
        _sub(record, "eissn", journal.issn_online)
    _sub(record, "publicationDate", timezone.localtime(article.published_at).date().isoformat())
    if issue.volume:
        _sub(record, "volume", str(issue.volume))
    if issue.number:
        _sub(record, "issue", str(issue.number))
    if article.first_page:
        _sub(record, "startPage", article.first_page)
        if article.last_page:
            _sub(record, "endPage", article.last_page)
    if article.doi:
        _sub(record, "doi", article.doi)
    _sub(record, "publisherRecordId", str(article.pk))
    _sub(record, "documentType", "article")
    _sub(record, "title", _plain(article.title), language=LANGUAGE)
    authors = article.ordered_authors
    affiliations: dict[str, str] = {}
    if authors:
        listed = _sub(record, "authors")
        for author in authors:
            person = _sub(listed, "author")
            _sub(person, "name", _plain(f"{author.given_name} {author.family_name}"))
            if author.affiliation:
                key = affiliations.setdefault(_plain(author.affiliation), str(len(affiliations)))
                _sub(person, "affiliationId", key)
            if author.orcid:
                _sub(person, "orcid_id", f"https://orcid.org/{author.orcid}")
    if affiliations:
        listed = _sub(record, "affiliationsList")
        for name, key in affiliations.items():
            _sub(listed, "affiliationName", name, affiliationId=key)
    if article.standfirst.strip():
        _sub(record, "abstract", _plain(article.standfirst), language=LANGUAGE)
    _sub(record, "fullTextUrl", article_url(article), format="html")
    keywords = [k for k in (_plain(k) for k in re.split(r"[,;]", article.keywords)) if k]
    if keywords:
        listed = _sub(record, "keywords", language=LANGUAGE)
        for keyword in keywords:
            _sub(listed, "keyword", keyword)


def doaj_document(issue: Issue, articles: list[Article]) -> etree._ElementTree:
    root = etree.Element("records")
    for article in articles:
        _doaj_record(root, article, issue)
    return root.getroottree()


def validate_doaj(document) -> list[str]:
    return [str(e) for e in schemas.validate("doaj", document)]


BUILDERS = {"PubMed": pubmed_document, "DOAJ": doaj_document}
VALIDATORS = {"PubMed": validate_pubmed, "DOAJ": validate_doaj}
PUBMED = Export("PubMed", "pubmed-{slug}.xml")
DOAJ = Export("DOAJ", "doaj-{slug}.xml")
EXPORTS = {"pubmed": PUBMED, "doaj": DOAJ}


def to_bytes(name: str, document) -> bytes:
    return etree.tostring(
        document,
        xml_declaration=True,
        encoding="UTF-8",
        pretty_print=True,
        doctype=PUBMED_DOCTYPE if name == "PubMed" else None,
    )
