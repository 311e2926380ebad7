"""The reader's query as the search reads it: websearch_to_tsquery's syntax (words,
"phrases", -exclusions, or), plus author names written as a bibliography writes them."""

import re
from dataclasses import dataclass

from django.db.models import QuerySet

from articles.models import Authorship

MAX_TERMS = 12
WORD_RE = re.compile(r"\w+", re.UNICODE)
# websearch_to_tsquery's tokens: "a phrase", -exclusion, or a word.
TOKEN_RE = re.compile(r'(-?)"([^"]*)"?|(-?)([^\s"]+)')
# An initial: "J", "J.", or two capitals ("JA", as Vancouver style writes them).
INITIAL_RE = re.compile(r"^(?:[^\W\d_]\.?|[^\W\d_]\.[^\W\d_]\.?|[A-Z]{2})$")
NAME_RE = re.compile(r"^[^\W\d_][^\W\d_'-]*[^\W\d_]$")
NOT_INITIALS = {"OR", "AND", "NOT"}


@dataclass(frozen=True)
class AuthorName:
    """ "Smith J" or "J Smith": an author whose family name is `family` and whose given
    name starts with `initial`."""

    family: str
    initial: str

    def article_ids(self) -> QuerySet:
        """The ids of the articles credited to an author of this family name and initial."""
        return Authorship.objects.filter(
            author__family_name__iexact=self.family,
            author__given_name__istartswith=self.initial,
        ).values("article_id")


@dataclass(frozen=True)
class ParsedQuery:
    """text: the query as the reader wrote it (whitespace collapsed), for
    websearch_to_tsquery; authors: the names written with initials ("Smith J", "J Smith"),
    and reduced: the query without those initials (the family names kept). An article
    matches if it matches text, or if it matches reduced and is by every author named."""

    text: str
    reduced: str = ""
    authors: tuple[AuthorName, ...] = ()

    @property
    def words(self) -> list[str]:
        return terms_of(self.text)

    @property
    def ranked_by(self) -> str:
        """The query the ranking scores (every match matches it: it is the looser one)."""
        return self.reduced if self.authors else self.text

    def __bool__(self) -> bool:
        return bool(self.words)


def terms_of(query: str) -> list[str]:
    """The words of a query; punctuation-only or empty queries have none."""
    return WORD_RE.findall(query or "")[:MAX_TERMS]


def _is_initial(token: str) -> bool:
    return bool(INITIAL_RE.match(token)) and token.upper() not in NOT_INITIALS


def _is_name(token: str) -> bool:
    return bool(NAME_RE.match(token)) and token.upper() not in NOT_INITIALS


def _author_names(tokens: list[str]) -> tuple[list[str], list[AuthorName]]:
    """Plain tokens with each initial next to a name taken out, and the names it made: the
    initial after a name ("Smith J"), or else before one ("J Smith")."""
    kept, authors, i = [], [], 0
    while i < len(tokens):
        token = tokens[i]
        after = tokens[i + 1] if i + 1 < len(tokens) else None
        if _is_name(token) and after is not None and _is_initial(after) and len(token) > 1:
            authors.append(AuthorName(token, after[0]))
            kept.append(token)
            i += 2
        elif _is_initial(token) and after is not None and _is_name(after):
            authors.append(AuthorName(after, token[0]))
            kept.append(after)
            i += 2
        else:
            kept.append(token)
            i += 1
    return kept, authors


def parse(query: str) -> ParsedQuery:
    """The query's plain words (outside quotes, not excluded) are read for author names,
    unless the query has an "or" (so that taking the initials out only loosens it)."""
    text = " ".join((query or "").split())
    tokens = [m for m in TOKEN_RE.finditer(text)]
    if any(not m.group(3) and (m.group(4) or "").lower() == "or" for m in tokens):
        return ParsedQuery(text=text)
    pieces, run = [], []
    authors: list[AuthorName] = []

    def flush():
        kept, names = _author_names(run)
        pieces.extend(kept)
        authors.extend(names)
        run.clear()

    for match in tokens:
        if match.group(4) is not None and not match.group(3):
            run.append(match.group(4))
        else:
            flush()
            pieces.append(match.group(0))
    flush()
    if not authors:
        return ParsedQuery(text=text)
    return ParsedQuery(text=text, reduced=" ".join(pieces), authors=tuple(authors[:MAX_TERMS]))


def groups_of(query: str) -> list[list[tuple[bool, str]]]:
    """The query as groups ANDed together, each a list of (excluded, text) alternatives
    ORed: `a "b c" or d -e` is [[a], ["b c", d], [-e]]."""
    groups, join = [], False
    for match in TOKEN_RE.finditer(query or ""):
        if match.group(2) is not None:
            excluded, text = bool(match.group(1)), " ".join(WORD_RE.findall(match.group(2)))
        else:
            excluded, text = bool(match.group(3)), " ".join(WORD_RE.findall(match.group(4)))
            if not excluded and text.lower() == "or" and groups:
                join = True
                continue
        if not text:
            continue
        if join:
            groups[-1].append((excluded, text))
        else:
            groups.append([(excluded, text)])
        join = False
    return groups[:MAX_TERMS]


PLAIN_RE = re.compile(r"^[\w\s]*$", re.UNICODE)


def exclusions_only(query: str) -> list[list[str]] | None:
    """For a query of exclusions only (`-a -"b c"`, `-a or -b`), of plain words and
    phrases (no hyphen or apostrophe, which websearch_to_tsquery reads its own way), its
    groups as lists of the words or phrases a match must not hold all of: `-a -"b c"` is
    [["a"], ["b c"]], `-a or -b` [["a", "b"]]. Else None."""
    for match in TOKEN_RE.finditer(query or ""):
        word = match.group(4)
        if word is not None and not match.group(3) and word.lower() == "or":
            continue
        excluded = match.group(1) if word is None else match.group(3)
        if not excluded or not PLAIN_RE.match(match.group(2) if word is None else word):
            return None
    groups = groups_of(query)
    if not groups or not all(excluded for group in groups for excluded, _ in group):
        return None
    return [[text for _, text in group] for group in groups]
