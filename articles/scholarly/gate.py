"""The publish gate: an article or issue goes live only with valid Crossref and JATS records.

Schema errors are turned into sentences an editor can act on, naming the article and
the part at fault ("Reference 3 has a DOI that is not well formed"), not libxml2's.
"""

import re
from dataclasses import dataclass, field

from django.utils import timezone
from lxml import etree

from articles.models import Article, Issue
from articles.scholarly import crossref, jats, schemas
from articles.scholarly.doi import journal_of
from articles.scholarly.licence import licence_of

# What an element is, for an editor.
NOUNS = {
    "doi": "a DOI",
    "pub-id": "an identifier",
    "article-id": "an identifier",
    "ORCID": "an ORCID iD",
    "contrib-id": "an ORCID iD",
    "surname": "a family name",
    "given_name": "a given name",
    "given-names": "a given name",
    "issn": "an ISSN",
    "first_page": "a first page",
    "last_page": "a last page",
    "fpage": "a first page",
    "lpage": "a last page",
    "title": "a title",
    "article-title": "a title",
    "full_title": "a journal title",
    "abbrev_title": "an abbreviated journal title",
    "resource": "a web address",
    "unstructured_citation": "a citation text",
    "mixed-citation": "a citation text",
    "institution_name": "an affiliation",
    "aff": "an affiliation",
    "degrees": "credentials",
    "volume": "a volume",
    "issue": "an issue number",
    "depositor_name": "a depositor name",
    "email_address": "a depositor email address",
    "registrant": "a publisher name",
    "year": "a year",
}
MUST_HAVE = ["issn", "doi_data", "doi", "surname", "titles", "article-title", "publication_date"]
NOUNS["doi_data"] = "a DOI"
NOUNS["titles"] = "a title"
NOUNS["publication_date"] = "a publication date"
NOT_WELL_FORMED = re.compile(r"not a valid value|not accepted by the pattern|length|facet")


@dataclass
class ExportCheck:
    """The outcome of checking one article or issue."""

    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # JATS cannot carry something: not fatal

    @property
    def ok(self) -> bool:
        return not self.errors


def _local(tag) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _where(element, article_titles: dict[str, str]) -> str:
    """Which part of which article an element belongs to, in words."""
    parts = []
    for node in [element, *element.iterancestors()]:
        name = _local(node.tag)
        if name == "citation" and (key := node.get("key", "")).startswith("ref"):
            parts.append(f"Reference {key[3:]}")
        elif name == "ref" and (ref := node.get("id", "")).startswith("ref-"):
            parts.append(f"Reference {ref[4:]}")
        elif name in ("person_name", "contrib"):
            siblings = [s for s in node.itersiblings(preceding=True) if _local(s.tag) == name]
            parts.append(f"Author {len(siblings) + 1}")
        elif name == "journal_metadata" or name == "journal-meta":
            parts.append("The journal's record")
        elif name == "journal_issue":
            parts.append("The issue")
        elif name == "head":
            parts.append("The deposit settings")
        elif name == "journal_article":
            doi = node.findtext(f"{{{crossref.CROSSREF_NS}}}doi_data/{{{crossref.CROSSREF_NS}}}doi")
            title = article_titles.get(doi or "")
            if title:
                parts.append(f"“{title}”")
    if not parts:
        return "The article"
    # Outermost first: "“Title”: Reference 3".
    return ": ".join(reversed(parts))


def _describe(error: schemas.SchemaError, document, article_titles: dict[str, str]) -> str:
    element = next((e for e in document.iter() if e.sourceline == error.line), None)
    if element is None:
        return f"The record does not validate: {error.message}"
    name = _local(element.tag)
    where = _where(element, article_titles)
    if limit := re.search(r"maximum length of '(\d+)'", error.message):
        noun = NOUNS.get(name, f"a {name}")
        return f"{where} has {noun} longer than {limit.group(1)} characters."
    if NOT_WELL_FORMED.search(error.message):
        value = (element.text or "").strip()
        noun = NOUNS.get(name, f"a {name}")
        shown = f" ({value})" if value else ""
        return f"{where} has {noun} that is not well formed{shown}."
    if "Missing child element" in error.message or "not expected" in error.message:
        wanted_part = error.message.split("Expected is")[-1]
        expected = [n.split("}")[-1] for n in re.findall(r"[{}\w:/.-]+", wanted_part)]
        expected = [n for n in expected if n not in ("one", "of")]
        # libxml2 lists every element that may come next; name the one that must.
        must = [n for n in MUST_HAVE if n in expected] or expected or ["something"]
        wanted = NOUNS.get(must[0], must[0])
        return f"{where} is missing {wanted}."
    return f"{where}: {error.message}"


def _translated(kind: str, tree, article_titles: dict[str, str]) -> list[str]:
    # Reparse the serialized document so that each element has a line number to match.
    document = etree.fromstring(
        etree.tostring(tree, pretty_print=True), etree.XMLParser(remove_blank_text=False)
    )
    return [_describe(e, document, article_titles) for e in schemas.validate(kind, document)]


def check_article(article: Article, *, with_crossref: bool = True) -> ExportCheck:
    """Build the article's JATS (and, when it has a DOI, its Crossref deposit) and validate."""
    result = ExportCheck()
    titles: dict[str, str] = {}  # the caller names the article
    if article.is_scholarly and licence_of(article, journal_of(article)) is None:
        result.errors.append(
            "A research article needs a licence: enter the licence URL and name on the "
            "journal (Journals), or on the article (Print and metadata)."
        )
    document = jats.article_jats(article)
    result.notes = document.problems
    result.errors += [f"JATS: {m}" for m in _translated("jats", document.tree, titles)]
    if with_crossref and article.doi:
        journal = journal_of(article)
        if journal is None:
            result.errors.append("Crossref: there is no journal to register the DOI under.")
        else:
            deposit = crossref.deposit_articles(
                [article], journal=journal, batch_id=crossref.batch_id("check", article.pk or 0)
            )
            result.errors += [f"Crossref: {m}" for m in _translated("crossref", deposit, titles)]
    return result


def check_issue(issue: Issue) -> dict[Article, ExportCheck]:
    """Check the issue's deposit and each of its articles' JATS; only failures are returned."""
    articles = list(crossref.issue_articles(issue))
    failures: dict[Article, ExportCheck] = {}
    for article in crossref.with_deposit_data(
        issue.articles.filter(status=Article.Status.PUBLISHED)
    ):
        result = check_article(article, with_crossref=False)
        if not result.ok:
            failures[article] = result
    if articles and issue.journal.doi_prefix:
        titles = {a.doi: a.title for a in articles}
        deposit = crossref.issue_deposit(issue)
        by_title = {a.title: a for a in articles}
        for message in _translated("crossref", deposit, titles):
            match = re.match(r"“(.+?)”", message)
            article = by_title.get(match.group(1)) if match else articles[0]
            failures.setdefault(article, ExportCheck()).errors.append(f"Crossref: {message}")
    return failures


def record(article: Article, result: ExportCheck) -> None:
    """Store the outcome on the article, for the changelist's export column."""
    article.export_problems = "\n".join(result.errors)
    article.export_checked_at = timezone.now()
    Article.objects.filter(pk=article.pk).update(
        export_problems=article.export_problems, export_checked_at=article.export_checked_at
    )
