"""What machines read about an article: Google Scholar tags, schema.org JSON-LD, citations.

Scholar (Highwire Press) tags follow Google Scholar's inclusion guidelines: one
citation_author per author with the name only (credentials are not part of a name), one
citation_reference per reference. Every article of a citable type (one that gets a DOI,
Section.is_citable) carries them, news items too; an article of another type carries none.
News items get NewsArticle JSON-LD. Every article page carries Dublin Core (DC.*) tags.
"""

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.text import Truncator

from articles.derived import records
from articles.models import Article, Author, Issue
from articles.paths import site_url
from articles.scholarly.licence import licence_of

AMA_MAX_AUTHORS = 6
AMA_LISTED_WHEN_MORE = 3


@dataclass(frozen=True)
class PageMeta:
    """Head metadata every page carries: description, canonical URL, OpenGraph, Twitter."""

    title: str
    description: str
    canonical: str
    og_type: str = "website"
    image: str = ""
    image_alt: str = ""
    noindex: bool = False


def page_meta(
    request,
    subject=None,
    *,
    title: str = "",
    description: str = "",
    page=None,
    noindex: bool = False,
) -> PageMeta:
    """The one way a page's head metadata is made.

    A page about one thing (an article, issue, author, topic or section) describes it and
    is canonical at its URL; any other page gives a title and description. Page 2 on of a
    list is canonical with its page number. A draft is never indexed.
    """
    og_type, image, image_alt = "website", None, ""
    if isinstance(subject, Article):
        title, description, og_type = subject.title, article_description(subject), "article"
        image, image_alt = subject.lead_image, subject.lead_image_alt
        noindex = noindex or not subject.is_public
    elif isinstance(subject, Issue):
        title = subject.label
        description = describe(subject.description) or f"Table of contents of {title}."
        image, image_alt = subject.cover_image, subject.cover_image_alt
    elif isinstance(subject, Author):
        title, og_type = subject.display_name, "profile"
        description = describe(subject.bio) or f"Articles by {title} in the journal."
        image, image_alt = subject.photo, subject.photo_alt
    elif subject is not None:  # a topic or a section
        title = str(subject)
        description = describe(subject.description) or f"Articles in {title}."
    canonical = site_url(subject.get_absolute_url() if subject is not None else request.path)
    if page is not None and page.number > 1:
        canonical += f"?page={page.number}"
    return PageMeta(
        title=title,
        description=description,
        canonical=canonical,
        og_type=og_type,
        image=image.url if image else "",
        image_alt=image_alt,
        noindex=noindex,
    )


def describe(*texts: str, words: int = 40) -> str:
    for text in texts:
        plain = " ".join(strip_tags(text or "").split())
        if plain:
            return Truncator(plain).words(words)
    return ""


def article_description(article: Article) -> str:
    return describe(article.seo_description, article.standfirst, article.body)


def modified_at(article: Article):
    """When its record last changed (articles.derived.records): any change of what it
    shows (its authors, topics, section, issue, journal, references), or its going live
    if later."""
    return records.record_date(article)


def _journal(article: Article):
    return article.issue.journal if article.issue_id else None


def _issns(journal) -> list[str]:
    return [i for i in (journal.issn_print, journal.issn_online) if i] if journal else []


def scholar_tags(article: Article, *, absolute_url, journal) -> list[tuple[str, str]]:
    """(name, content) pairs for Google Scholar; empty for an article no one cites."""
    if not article.is_citable:
        return []
    journal = _journal(article) or journal
    tags = [("citation_title", article.title)]
    for author in article.ordered_authors:
        tags.append(("citation_author", author.name))
        if author.affiliation:
            tags.append(("citation_author_institution", author.affiliation))
        if author.orcid:
            tags.append(("citation_author_orcid", f"https://orcid.org/{author.orcid}"))
    if article.published_at:
        tags.append(("citation_publication_date", article.published_at.strftime("%Y/%m/%d")))
    if journal:
        tags.append(("citation_journal_title", journal.name))
        if journal.abbreviation:
            tags.append(("citation_journal_abbrev", journal.abbreviation))
        if journal.publisher:
            tags.append(("citation_publisher", journal.publisher))
        tags += [("citation_issn", issn) for issn in _issns(journal)]
    if article.issue_id:
        if article.issue.volume:
            tags.append(("citation_volume", str(article.issue.volume)))
        if article.issue.number:
            tags.append(("citation_issue", str(article.issue.number)))
    if article.first_page:
        tags.append(("citation_firstpage", article.first_page))
    if article.last_page:
        tags.append(("citation_lastpage", article.last_page))
    if article.doi:
        tags.append(("citation_doi", article.doi))
    tags += [("citation_keywords", k.strip()) for k in article.keywords.split(",") if k.strip()]
    tags.append(("citation_abstract_html_url", absolute_url(article.get_absolute_url())))
    if article.pdf:
        pdf_url = absolute_url(article.pdf.url)
        if urlsplit(pdf_url).netloc == urlsplit(absolute_url("/")).netloc:
            tags.append(("citation_pdf_url", pdf_url))
    tags += [("citation_reference", _reference_text(ref)) for ref in article.references.all()]
    return tags


def _reference_text(reference) -> str:
    text = " ".join(reference.citation.split())
    if reference.doi and reference.doi.lower() not in text.lower():
        text += f" doi:{reference.doi}"
    return text


def dublin_core_tags(article: Article, *, absolute_url, journal) -> list[tuple[str, str]]:
    """(name, content) pairs for the page's Dublin Core meta tags (DC-HTML)."""
    journal = _journal(article) or journal
    tags = [("DC.title", article.title)]
    tags += [
        ("DC.creator", f"{a.family_name}, {a.given_name}".strip(", "))
        for a in article.ordered_authors
    ]
    if article.published_at:
        tags.append(("DC.date", timezone.localtime(article.published_at).date().isoformat()))
    if article.doi:
        tags.append(("DC.identifier", f"https://doi.org/{article.doi}"))
    tags.append(("DC.identifier", absolute_url(article.get_absolute_url())))
    if licence := licence_of(article, journal):
        if licence.statement:
            tags.append(("DC.rights", licence.statement))
        tags.append(("DC.rights", licence.url))
    if journal and journal.publisher:
        tags.append(("DC.publisher", journal.publisher))
    tags += [("DC.type", "Text"), ("DC.language", "en")]
    return tags


def json_ld(article: Article, *, absolute_url, journal, image_url: str = "") -> dict:
    """schema.org ScholarlyArticle, or NewsArticle for news items."""
    journal = _journal(article) or journal
    url = absolute_url(article.get_absolute_url())
    data = {
        "@context": "https://schema.org",
        "@type": "ScholarlyArticle" if article.is_scholarly else "NewsArticle",
        "headline": Truncator(article.title).chars(110),
        "name": article.title,
        "url": url,
        "mainEntityOfPage": url,
        "description": article_description(article),
        "datePublished": article.published_at.isoformat() if article.published_at else None,
        "dateModified": modified_at(article).isoformat() if modified_at(article) else None,
        "author": [
            {
                "@type": "Person",
                "name": author.name,
                "givenName": author.given_name,
                "familyName": author.family_name,
                "url": absolute_url(author.get_absolute_url()),
                **({"affiliation": author.affiliation} if author.affiliation else {}),
                **({"sameAs": f"https://orcid.org/{author.orcid}"} if author.orcid else {}),
            }
            for author in article.ordered_authors
        ],
        "keywords": [t.name for t in article.topics.all()],
    }
    if article.section_id:
        data["articleSection"] = article.section.name
    if journal and journal.publisher:
        data["publisher"] = {"@type": "Organization", "name": journal.publisher}
    if image_url:
        data["image"] = image_url
    if licence := licence_of(article, journal):
        data["license"] = licence.url
        if licence.holder:
            data["copyrightHolder"] = {"@type": "Organization", "name": licence.holder}
        if licence.year:
            data["copyrightYear"] = licence.year
    if article.doi:
        data["identifier"] = {"@type": "PropertyValue", "propertyID": "DOI", "value": article.doi}
        data["sameAs"] = f"https://doi.org/{article.doi}"
    if article.is_scholarly:
        if article.first_page:
            data["pageStart"] = article.first_page
        if article.last_page:
            data["pageEnd"] = article.last_page
        data["citation"] = [
            {
                "@type": "CreativeWork",
                "name": ref.citation,
                **({"sameAs": ref.doi_url} if ref.doi else {}),
            }
            for ref in article.references.all()
        ]
        if journal:
            periodical = {"@type": "Periodical", "name": journal.name}
            if _issns(journal):
                periodical["issn"] = _issns(journal)
            part = periodical
            if article.issue_id and article.issue.volume:
                part = {
                    "@type": "PublicationVolume",
                    "volumeNumber": str(article.issue.volume),
                    "isPartOf": part,
                }
            if article.issue_id and article.issue.number:
                part = {
                    "@type": "PublicationIssue",
                    "issueNumber": str(article.issue.number),
                    "datePublished": article.issue.cover_date.isoformat(),
                    "isPartOf": part,
                }
            data["isPartOf"] = part
    return {k: v for k, v in data.items() if v not in (None, "", [])}


def periodical_json_ld(journal, *, absolute_url, search_url: str) -> dict:
    """The journal as a schema.org Periodical, with the site's search as a SearchAction."""
    data = {
        "@context": "https://schema.org",
        "@type": "Periodical",
        "name": journal.name,
        "alternateName": journal.short_name,
        "url": absolute_url("/"),
        "issn": _issns(journal),
        "potentialAction": {
            "@type": "SearchAction",
            "target": absolute_url(search_url) + "?q={search_term_string}",
            "query-input": "required name=search_term_string",
        },
    }
    if journal.publisher:
        data["publisher"] = {"@type": "Organization", "name": journal.publisher}
    return {k: v for k, v in data.items() if v not in (None, "", [])}


def issue_json_ld(issue, *, absolute_url) -> dict:
    """An issue as a schema.org PublicationIssue within its volume and periodical."""
    journal = issue.journal
    part = {"@type": "Periodical", "name": journal.name}
    if _issns(journal):
        part["issn"] = _issns(journal)
    if issue.volume:
        part = {"@type": "PublicationVolume", "volumeNumber": str(issue.volume), "isPartOf": part}
    data = {
        "@context": "https://schema.org",
        "@type": "PublicationIssue",
        "name": issue.label,
        "url": absolute_url(issue.get_absolute_url()),
        "datePublished": issue.cover_date.isoformat(),
        "isPartOf": part,
    }
    if issue.number:
        data["issueNumber"] = str(issue.number)
    return data


def _initials(given_name: str) -> str:
    return "".join(part[0].upper() for part in re.split(r"[\s.\-]+", given_name) if part)


def ama_author(author) -> str:
    return f"{author.family_name} {_initials(author.given_name)}".strip()


def ama_citation(article: Article, *, journal) -> str:
    """The article cited in AMA style (11th edition), as plain text."""
    journal = _journal(article) or journal
    authors = article.ordered_authors
    if len(authors) > AMA_MAX_AUTHORS:
        names = ", ".join(ama_author(a) for a in authors[:AMA_LISTED_WHEN_MORE]) + ", et al"
    else:
        names = ", ".join(ama_author(a) for a in authors)
    parts = [f"{names}." if names else "", f"{article.title.rstrip('.')}."]
    if journal:
        parts.append(f"{journal.abbreviation or journal.name}.")
    year = article.published_at.year if article.published_at else ""
    where = str(year)
    if article.issue_id:
        year = article.issue.cover_date.year
        where = str(year)
        if article.issue.volume:
            where += f";{article.issue.volume}"
            if article.issue.number:
                where += f"({article.issue.number})"
    if article.first_page:
        where += f":{article.first_page}"
        if article.last_page and article.last_page != article.first_page:
            where += f"-{article.last_page}"
    parts.append(f"{where}.")
    if article.doi:
        parts.append(f"doi:{article.doi}")
    return " ".join(p for p in parts if p)


def ris(article: Article, *, journal, url: str) -> str:
    """The article as an RIS record (reference managers: EndNote, Zotero, Mendeley)."""
    journal = _journal(article) or journal
    lines = [("TY", "JOUR"), ("TI", article.title)]
    lines += [("AU", f"{a.family_name}, {a.given_name}") for a in article.ordered_authors]
    if journal:
        lines.append(("T2", journal.name))
        if journal.abbreviation:
            lines.append(("JO", journal.abbreviation))
        lines += [("SN", issn) for issn in _issns(journal)]
        if journal.publisher:
            lines.append(("PB", journal.publisher))
    if article.published_at:
        lines.append(("PY", str(article.published_at.year)))
        lines.append(("DA", article.published_at.strftime("%Y/%m/%d")))
    if article.issue_id:
        if article.issue.volume:
            lines.append(("VL", str(article.issue.volume)))
        if article.issue.number:
            lines.append(("IS", str(article.issue.number)))
    if article.first_page:
        lines.append(("SP", article.first_page))
    if article.last_page:
        lines.append(("EP", article.last_page))
    if article.doi:
        lines.append(("DO", article.doi))
    abstract = describe(article.standfirst, words=400)
    if abstract:
        lines.append(("AB", abstract))
    lines += [("KW", t.name) for t in article.topics.all()]
    lines += [("UR", url), ("ER", "")]
    # One line per tag: a line break inside a value would start a bogus record.
    return "".join(f"{tag}  - {' '.join(value.split())}\r\n" for tag, value in lines)


def _bibtex_escape(value: str) -> str:
    value = value.replace("\\", r"\textbackslash{}")
    for char in "{}&%$#_":
        value = value.replace(char, "\\" + char)
    return value


def bibtex(article: Article, *, journal, url: str) -> str:
    """The article as a BibTeX @article entry."""
    journal = _journal(article) or journal
    authors = article.ordered_authors
    first = authors[0].family_name if authors else "jhop"
    year = article.published_at.year if article.published_at else ""
    key = re.sub(r"[^A-Za-z0-9]", "", first) + str(year) + f"_{article.pk}"
    fields = [
        ("title", article.title),
        ("author", " and ".join(f"{a.family_name}, {a.given_name}" for a in authors)),
        ("journal", journal.name if journal else ""),
        ("year", str(year)),
        ("volume", str(article.issue.volume or "") if article.issue_id else ""),
        ("number", str(article.issue.number or "") if article.issue_id else ""),
        (
            "pages",
            "--".join(p for p in (article.first_page, article.last_page) if p),
        ),
        ("doi", article.doi),
        ("issn", journal.issn_print or journal.issn_online if journal else ""),
        ("publisher", journal.publisher if journal else ""),
        ("url", url),
    ]
    body = ",\n".join(f"  {name} = {{{_bibtex_escape(v)}}}" for name, v in fields if v)
    return f"@article{{{key},\n{body}\n}}\n"
