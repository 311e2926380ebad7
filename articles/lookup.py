"""Fill a reference from its DOI (Crossref REST API) or PMID (NCBI E-utilities).

Off unless REFERENCE_LOOKUP_CROSSREF_URL / REFERENCE_LOOKUP_PUBMED_URL are set: the
admin works the same offline, and nothing leaves the server unless an editor asks.
The citation is written in AMA style, as the journal prints references.
"""

import json
import re
from urllib.error import URLError
from urllib.parse import quote, urlencode
from urllib.request import Request, urlopen

from django.conf import settings

from articles.references import ParsedReference, normalize_doi, normalize_pmid

TIMEOUT = 6


class MetadataLookupError(Exception):
    """The service is off, unreachable, or does not know the identifier (message says which)."""


def is_enabled() -> bool:
    return bool(settings.REFERENCE_LOOKUP_CROSSREF_URL or settings.REFERENCE_LOOKUP_PUBMED_URL)


def _get_json(url: str) -> dict:
    if not url.startswith(("https://", "http://")):
        raise MetadataLookupError("The metadata service URL must start with https://.")
    headers = {"Accept": "application/json", "User-Agent": "JHOP admin"}
    request = Request(url, headers=headers)  # noqa: S310 (scheme checked above)
    try:
        with urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 (scheme checked above)
            return json.load(response)
    except URLError as error:
        code = getattr(error, "code", None)
        if code == 404:
            raise MetadataLookupError("Not found.") from error
        message = "The metadata service did not answer; try again later."
        raise MetadataLookupError(message) from error
    except (ValueError, TimeoutError) as error:
        raise MetadataLookupError("The metadata service sent something unreadable.") from error


def _initials(given: str) -> str:
    return "".join(part[0] for part in re.split(r"[\s.\-]+", given) if part)


def _ama_authors(names: list[str]) -> str:
    # AMA: all authors up to six; more than six, the first three and "et al".
    if len(names) > 6:
        names = [*names[:3], "et al"]
    return ", ".join(names)


def _ama(authors: list[str], title: str, journal: str, year, volume, issue, pages) -> str:
    parts = [p for p in (_ama_authors(authors), title.strip().rstrip("."), journal) if p]
    text = ". ".join(parts) + "."
    if year:
        text += f" {year}"
        if volume:
            text += f";{volume}"
            if issue:
                text += f"({issue})"
        if pages:
            text += f":{pages}"
        text += "."
    return text


def from_crossref(doi: str) -> ParsedReference:
    base = settings.REFERENCE_LOOKUP_CROSSREF_URL
    if not base:
        raise MetadataLookupError("DOI look-up is not set up (REFERENCE_LOOKUP_CROSSREF_URL).")
    doi = normalize_doi(doi)
    work = _get_json(f"{base.rstrip('/')}/works/{quote(doi, safe='/')}").get("message", {})
    authors = [
        f"{a['family']} {_initials(a.get('given', ''))}".strip()
        for a in work.get("author", [])
        if a.get("family")
    ]
    journal = (work.get("short-container-title") or work.get("container-title") or [""])[0]
    year = ((work.get("issued") or {}).get("date-parts") or [[None]])[0][0]
    citation = _ama(
        authors,
        (work.get("title") or [""])[0],
        journal,
        year,
        work.get("volume"),
        work.get("issue"),
        work.get("page"),
    )
    return ParsedReference(citation=citation, doi=normalize_doi(work.get("DOI", doi)))


def from_pubmed(pmid: str) -> ParsedReference:
    base = settings.REFERENCE_LOOKUP_PUBMED_URL
    if not base:
        raise MetadataLookupError("PMID look-up is not set up (REFERENCE_LOOKUP_PUBMED_URL).")
    pmid = normalize_pmid(pmid)
    query = urlencode({"db": "pubmed", "id": pmid, "retmode": "json"})
    result = _get_json(f"{base.rstrip('/')}/esummary.fcgi?{query}").get("result", {})
    record = result.get(pmid)
    if not record or "error" in record:
        raise MetadataLookupError(f"PubMed does not know PMID {pmid}.")
    authors = [a["name"] for a in record.get("authors", []) if a.get("authtype") == "Author"]
    year = (record.get("pubdate") or "").split(" ")[0]
    doi = next((i["value"] for i in record.get("articleids", []) if i["idtype"] == "doi"), "")
    citation = _ama(
        authors,
        record.get("title", ""),
        record.get("source", ""),
        year,
        record.get("volume"),
        record.get("issue"),
        record.get("pages"),
    )
    return ParsedReference(citation=citation, doi=normalize_doi(doi) if doi else "", pmid=pmid)


def lookup(*, doi: str = "", pmid: str = "") -> ParsedReference:
    """The reference for a DOI (preferred) or a PMID, from the configured service."""
    if doi and settings.REFERENCE_LOOKUP_CROSSREF_URL:
        found = from_crossref(doi)
        if pmid:
            found.pmid = normalize_pmid(pmid)
        return found
    if pmid:
        found = from_pubmed(pmid)
        if doi:
            found.doi = normalize_doi(doi)
        return found
    if doi:
        return from_crossref(doi)
    raise MetadataLookupError("Enter a DOI or a PMID to look up.")
