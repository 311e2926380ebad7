"""Reference lists as editors paste them: split into entries, identifiers taken out.

One rule, applied wherever a reference is entered (the admin, the pasted list, the demo):
the DOI and the PMID live in their own fields, normalized, and the printed citation does
not repeat them. The page prints the citation, then its DOI and PubMed links, once.
"""

import re
from dataclasses import dataclass
from urllib.parse import unquote

DOI_LABEL = r"(?:https?://(?:dx\.)?doi\.org/|doi\s*:\s*|doi\s+(?=10\.))"
# A DOI runs to the next space; it may end a sentence (the full stop is not part of it).
DOI_IN_TEXT = re.compile(rf"(?:{DOI_LABEL})?(?P<doi>10\.\d{{4,9}}/\S+)", re.IGNORECASE)
PMID_IN_TEXT = re.compile(r"\bPMID\s*:?\s*(?P<pmid>[1-9]\d{0,8})\b", re.IGNORECASE)
NUMBERED = re.compile(r"^\s*(?:\[(?P<a>\d{1,3})\]|(?P<b>\d{1,3})[.)])\s+(?P<rest>\S.*)$")
TRAILING = ".,;:"


def normalize_doi(value: str) -> str:
    """A DOI as stored: no https://doi.org/ or doi: prefix, no trailing punctuation.

    "https://doi.org/10.1056/NEJMoa2115022." -> "10.1056/NEJMoa2115022". Brackets that
    belong to the DOI, as in 10.1016/S0140-6736(21)00001-1, are kept.
    """
    value = unquote(value.strip().lstrip("([<"))
    value = re.sub(rf"^{DOI_LABEL}", "", value, flags=re.IGNORECASE).strip()
    closing = {")": "(", "]": "[", ">": "<"}
    while value:
        last = value[-1]
        unbalanced = last in closing and value.count(closing[last]) < value.count(last)
        if last not in TRAILING and not unbalanced:
            break
        value = value[:-1]
    return value


def normalize_pmid(value: str) -> str:
    """ "PMID: 34724978" -> "34724978"; anything else is left for the validator to judge."""
    match = re.fullmatch(r"\s*(?:PMID\s*:?\s*)?(\d+)\s*\.?\s*", value, flags=re.IGNORECASE)
    return match.group(1) if match else value.strip()


@dataclass
class ParsedReference:
    citation: str
    doi: str = ""
    pmid: str = ""
    position: int | None = None


def _tidy(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    # What removing "doi:…" and "PMID: …" leaves behind: " ." and ". ." and a trailing ";".
    text = re.sub(r"\s+([.;,])", r"\1", text)
    text = re.sub(r"([.;,])(?:\s*[.;,])+", r"\1", text)
    text = text.rstrip(" ;,:")
    if text and text[-1] not in ".?!":
        text += "."
    return text


def split_identifiers(citation: str) -> ParsedReference:
    """Take the DOI and PMID out of a citation: the citation as printed, and both ids."""
    doi = pmid = ""
    if match := DOI_IN_TEXT.search(citation):
        doi = normalize_doi(match.group("doi"))
        citation = citation[: match.start()] + citation[match.end() :]
    if match := PMID_IN_TEXT.search(citation):
        pmid = match.group("pmid")
        citation = citation[: match.start()] + citation[match.end() :]
    if doi or pmid:
        citation = _tidy(citation)
    return ParsedReference(citation=citation, doi=doi, pmid=pmid)


def parse_reference_list(text: str) -> list[ParsedReference]:
    """One reference per entry of a pasted list, numbered as printed when it is numbered.

    Numbered lists ("1. …", "1) …", "[1] …") may wrap: a line that does not start with a
    number continues the entry above. A list without numbers (Word's automatic numbering
    is lost on paste) has one entry per non-empty line; those have no position.
    """
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n")]
    numbered = any(NUMBERED.match(line) for line in lines)
    entries: list[tuple[int | None, list[str]]] = []
    for line in lines:
        if not line:
            continue
        match = NUMBERED.match(line) if numbered else None
        if match:
            entries.append((int(match.group("a") or match.group("b")), [match.group("rest")]))
        elif numbered and entries:
            entries[-1][1].append(line)
        else:
            entries.append((None, [line]))
    parsed = []
    for position, parts in entries:
        reference = split_identifiers(" ".join(parts))
        reference.citation = _tidy(reference.citation)
        reference.position = position
        parsed.append(reference)
    return parsed
