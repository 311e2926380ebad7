"""Crossref deposit documents (schema 5.3.1): an issue's articles, or one article.

Built with lxml element by element, so the text of a title or a reference can never
break the markup; validated by the publish gate and before every deposit.
"""

from datetime import UTC, datetime
from email.utils import parseaddr
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from lxml import etree

from articles.models import Article, CrossrefDeposit, Issue, Journal
from articles.reader.metadata import article_description
from articles.scholarly.doi import issue_doi, journal_of
from articles.scholarly.licence import licence_of

CROSSREF_NS = "http://www.crossref.org/schema/5.3.1"
JATS1_NS = "http://www.ncbi.nlm.nih.gov/JATS1"
AI_NS = "http://www.crossref.org/AccessIndicators.xsd"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = f"{CROSSREF_NS} https://www.crossref.org/schemas/crossref5.3.1.xsd"


def _el(parent, tag: str, text: str | None = None, **attrs):
    element = etree.SubElement(parent, f"{{{CROSSREF_NS}}}{tag}", **attrs)
    if text is not None:
        element.text = text
    return element


def _date(parent, when, *, media_type: str, day: bool = True) -> None:
    date = _el(parent, "publication_date", media_type=media_type)
    _el(date, "month", f"{when.month:02d}")
    if day:
        _el(date, "day", f"{when.day:02d}")
    _el(date, "year", str(when.year))


def timestamp(now: datetime | None = None) -> str:
    """A time as Crossref's version numbers are written: yyyymmddhhmmss plus milliseconds,
    so two in the same second still differ (17 digits: within the 64-bit integer Crossref
    keeps it in)."""
    now = timezone.localtime(now or timezone.now(), UTC)
    return now.strftime("%Y%m%d%H%M%S") + f"{now.microsecond // 1000:03d}"


def last_deposit_timestamp() -> str | None:
    """The version number of the latest deposit recorded (its batch id ends with it)."""
    batch = CrossrefDeposit.objects.order_by("-created_at", "-pk").values_list(
        "batch_id", flat=True
    )[:1]
    stamp = next(iter(batch), "").rsplit("-", 1)[-1]
    return stamp if stamp.isdigit() and len(stamp) == 17 else None


def record_timestamp(articles: list[Article], *, after: str | None = None) -> str:
    """Crossref's version number for a deposit of these articles: when their records last
    changed (Article.record_modified_at: an author's affiliation, the issue, a reference,
    ...), so that the same content is deposited with the same number and a correction with
    a larger one; and always larger than `after`, the last deposit's, since Crossref keeps
    a DOI's metadata only from a deposit numbered above the one it holds."""
    dates = [a.record_modified_at for a in articles if a.record_modified_at]
    stamp = timestamp(max(dates)) if dates else timestamp()
    if after is not None and int(stamp) <= int(after):
        stamp = str(int(after) + 1)
    return stamp


def depositor() -> tuple[str, str]:
    name, email = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return (
        settings.CROSSREF_DEPOSITOR_NAME or name or "JHOP",
        settings.CROSSREF_DEPOSITOR_EMAIL or email,
    )


def resource_url(article: Article) -> str:
    return settings.SITE_URL + article.get_absolute_url()


def _journal_metadata(parent, journal: Journal) -> None:
    meta = _el(parent, "journal_metadata", language="en")
    _el(meta, "full_title", journal.name)
    if journal.abbreviation:
        _el(meta, "abbrev_title", journal.abbreviation)
    if journal.issn_print:
        _el(meta, "issn", journal.issn_print, media_type="print")
    if journal.issn_online:
        _el(meta, "issn", journal.issn_online, media_type="electronic")


def _journal_issue(parent, issue: Issue) -> None:
    element = _el(parent, "journal_issue")
    _date(element, issue.cover_date, media_type="print", day=False)
    if issue.published_at:
        _date(element, timezone.localtime(issue.published_at), media_type="online")
    if issue.volume:
        _el(_el(element, "journal_volume"), "volume", str(issue.volume))
    if issue.number:
        _el(element, "issue", str(issue.number))
    elif issue.is_special:
        _el(element, "special_numbering", issue.get_kind_display()[:15])
    if doi := issue_doi(issue):
        doi_data = _el(element, "doi_data")
        _el(doi_data, "doi", doi)
        _el(doi_data, "resource", settings.SITE_URL + issue.get_absolute_url())


def _contributors(parent, article: Article) -> None:
    authors = article.ordered_authors
    if not authors:
        return
    contributors = _el(parent, "contributors")
    for index, author in enumerate(authors):
        person = _el(
            contributors,
            "person_name",
            sequence="first" if index == 0 else "additional",
            contributor_role="author",
        )
        if author.given_name:
            _el(person, "given_name", author.given_name)
        _el(person, "surname", author.family_name)
        if author.affiliation:
            affiliations = _el(person, "affiliations")
            _el(_el(affiliations, "institution"), "institution_name", author.affiliation)
        if author.orcid:
            _el(person, "ORCID", f"https://orcid.org/{author.orcid}")


def _crossmark(parent, article: Article, journal: Journal) -> None:
    """Crossmark: the journal's update policy, where updates are published, and the
    article's recorded correction (made in place, so the update names the article's own
    DOI, as Crossref asks of publishers without separate correction notices)."""
    if not journal.crossmark_policy_doi:
        return
    mark = _el(parent, "crossmark")
    _el(mark, "crossmark_policy", journal.crossmark_policy_doi)
    host = urlsplit(settings.SITE_URL).hostname or ""
    if "." in host:  # Crossref takes a domain name (not a bare host such as localhost)
        _el(_el(_el(mark, "crossmark_domains"), "crossmark_domain"), "domain", host)
    _el(mark, "crossmark_domain_exclusive", "false")
    if article.corrected_at:
        corrected = timezone.localtime(article.corrected_at).date()
        _el(
            _el(mark, "updates"),
            "update",
            article.doi,
            type="correction",
            date=corrected.isoformat(),
        )


def _access_indicators(element, article: Article, journal: Journal) -> None:
    """The licence as Crossref's access indicators, for the version of record.

    Where the article has a Crossmark block, the schema wants them in its custom
    metadata; otherwise they follow the pages.
    """
    licence = licence_of(article, journal)
    if licence is None:
        return
    crossmark = element.find(f"{{{CROSSREF_NS}}}crossmark")
    if crossmark is not None:
        parent = crossmark.find(f"{{{CROSSREF_NS}}}custom_metadata")
        if parent is None:
            parent = _el(crossmark, "custom_metadata")
    else:
        parent = element
    program = etree.SubElement(parent, f"{{{AI_NS}}}program", name="AccessIndicators")
    attrs = {"applies_to": "vor"}
    if licence.start_date:
        attrs["start_date"] = licence.start_date
    etree.SubElement(program, f"{{{AI_NS}}}license_ref", **attrs).text = licence.url


def _journal_article(parent, article: Article, journal: Journal) -> None:
    element = _el(parent, "journal_article", publication_type="full_text", language="en")
    _el(_el(element, "titles"), "title", article.title)
    _contributors(element, article)
    # A citable article's record always says what it is about: its abstract, else its summary.
    summary = " ".join(article.standfirst.split()) or article_description(article)
    if summary:
        abstract = etree.SubElement(element, f"{{{JATS1_NS}}}abstract")
        etree.SubElement(abstract, f"{{{JATS1_NS}}}p").text = summary
    if article.published_at:
        _date(element, timezone.localtime(article.published_at), media_type="online")
    if article.issue_id:
        _date(element, article.issue.cover_date, media_type="print", day=False)
    if article.first_page:
        pages = _el(element, "pages")
        _el(pages, "first_page", article.first_page)
        if article.last_page:
            _el(pages, "last_page", article.last_page)
    _crossmark(element, article, journal)
    _access_indicators(element, article, journal)
    doi_data = _el(element, "doi_data")
    _el(doi_data, "doi", article.doi)
    _el(doi_data, "resource", resource_url(article))
    references = list(article.references.all())
    if references:
        citations = _el(element, "citation_list")
        for reference in references:
            citation = _el(citations, "citation", key=f"ref{reference.position}")
            if reference.doi:
                _el(citation, "doi", reference.doi)
            else:
                _el(citation, "unstructured_citation", " ".join(reference.citation.split()))


def deposit_articles(
    articles: list[Article], *, journal: Journal, batch_id: str, stamp: str | None = None
) -> etree._ElementTree:
    """A deposit of articles of one journal, grouped by issue (web-only articles alone),
    numbered `stamp` (by default when their records last changed)."""
    root = etree.Element(
        f"{{{CROSSREF_NS}}}doi_batch",
        nsmap={None: CROSSREF_NS, "jats": JATS1_NS, "ai": AI_NS, "xsi": XSI_NS},
        version="5.3.1",
    )
    root.set(f"{{{XSI_NS}}}schemaLocation", SCHEMA_LOCATION)
    head = _el(root, "head")
    _el(head, "doi_batch_id", batch_id)
    _el(head, "timestamp", stamp or record_timestamp(articles))
    name, email = depositor()
    who = _el(head, "depositor")
    _el(who, "depositor_name", name)
    _el(who, "email_address", email)
    _el(head, "registrant", journal.publisher or journal.name)
    body = _el(root, "body")
    groups: dict[int | None, list[Article]] = {}
    for article in articles:
        groups.setdefault(article.issue_id, []).append(article)
    for issue_id, members in groups.items():
        container = _el(body, "journal")
        _journal_metadata(container, journal)
        if issue_id is not None:
            _journal_issue(container, members[0].issue)
        for article in members:
            _journal_article(container, article, journal)
    return root.getroottree()


def with_deposit_data(articles):
    """Articles with everything a deposit reads, in a fixed number of queries."""
    return articles.for_listing().prefetch_related("references")


def issue_articles(issue: Issue):
    """The articles of an issue a deposit registers: those published (or due) with a DOI."""
    return with_deposit_data(
        issue.articles.filter(status=Article.Status.PUBLISHED).exclude(doi="")
    ).in_contents_order()


def batch_id(kind: str, pk: int, stamp: str | None = None) -> str:
    return f"jhop-{kind}-{pk}-{stamp or timestamp()}"


def _numbered_deposit(kind: str, pk: int, articles: list[Article], journal: Journal):
    """A deposit numbered after the last one recorded, its batch id ending with its number."""
    stamp = record_timestamp(articles, after=last_deposit_timestamp())
    return deposit_articles(
        articles, journal=journal, batch_id=batch_id(kind, pk, stamp), stamp=stamp
    )


def issue_deposit(issue: Issue) -> etree._ElementTree:
    return _numbered_deposit("issue", issue.pk, list(issue_articles(issue)), issue.journal)


def article_deposit(article: Article) -> etree._ElementTree:
    journal = journal_of(article)
    if journal is None:
        raise ValueError("There is no journal to deposit this article under.")
    return _numbered_deposit("article", article.pk, [article], journal)


def to_bytes(document) -> bytes:
    return etree.tostring(document, xml_declaration=True, encoding="UTF-8", pretty_print=True)
