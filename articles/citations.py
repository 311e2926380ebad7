"""In-text citations: editors type [1], [1,2], [3-5] or [1, 3-5] in the body.

Only text is read: brackets inside a tag's attributes or inside a link are left alone.
On the site each citation becomes a superscript link to its reference (#ref-N); the
first citation of reference N gets the anchor cite-N-1 the reference links back to.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from django.utils.safestring import SafeString, mark_safe

CITATION_RE = re.compile(r"\[(\d{1,3}(?:\s*[-–,]\s*\d{1,3})*)\]")
# A tag, including quoted attribute values that may contain ">".
_TAG_RE = re.compile(r"""(<(?:[^>"']|"[^"]*"|'[^']*')*>)""")
_SKIPPED = {"a", "code", "pre"}
MAX_RANGE = 50


def ref_anchor(number: int) -> str:
    return f"ref-{number}"


def cite_anchor(number: int, occurrence: int = 1) -> str:
    return f"cite-{number}-{occurrence}"


def _parts(group: str) -> list[list[int]]:
    """ "1, 3-5" -> [[1], [3, 4, 5]]: single numbers and expanded ranges, as written."""
    parts = []
    for part in re.split(r"\s*,\s*", group.strip()):
        bounds = [int(b) for b in re.split(r"\s*[-–]\s*", part)]
        if len(bounds) == 2 and 0 < bounds[1] - bounds[0] <= MAX_RANGE:
            parts.append(list(range(bounds[0], bounds[1] + 1)))
        else:
            parts.extend([b] for b in bounds)
    return parts


def parse_group(group: str) -> list[int]:
    """The numbers one citation stands for: "1, 3-5" -> [1, 3, 4, 5]."""
    numbers: list[int] = []
    for part in _parts(group):
        numbers.extend(n for n in part if n not in numbers)
    return numbers


def _text_segments(html: str):
    """Yield (chunk, is_citable_text) over html, in order."""
    skip_depth = 0
    for chunk in _TAG_RE.split(html):
        if not chunk:
            continue
        if chunk.startswith("<") and _TAG_RE.fullmatch(chunk):
            name = re.match(r"</?\s*([a-zA-Z0-9]+)", chunk)
            tag = name.group(1).lower() if name else ""
            if tag in _SKIPPED:
                skip_depth += -1 if chunk.startswith("</") else 1
                skip_depth = max(skip_depth, 0)
            yield chunk, False
        else:
            yield chunk, skip_depth == 0


@lru_cache(maxsize=512)
def cited_numbers(html: str) -> frozenset[int]:
    """Every reference number the text of html cites."""
    found: set[int] = set()
    for chunk, citable in _text_segments(html or ""):
        if citable:
            for match in CITATION_RE.finditer(chunk):
                found.update(parse_group(match.group(1)))
    return frozenset(found)


_LINK = '<a href="#{}" id="{}" aria-label="Reference {}">{}</a>'


def _link(number: int, anchor: str) -> str:
    # Numbers and anchors made of digits: nothing to escape (format_html cost 0.5 ms of a
    # 1 ms body, which check_derived renders 100,000 times).
    return _LINK.format(ref_anchor(number), anchor, number, number)


def _render_group(group: str, counts: dict[int, int]) -> str:
    rendered = []
    for part in _parts(group):
        anchors = []
        for n in part:
            counts[n] = counts.get(n, 0) + 1
            anchors.append(cite_anchor(n, counts[n]))
        first, last = part[0], part[-1]
        html = _link(first, anchors[0])
        if len(part) > 1:
            # Numbers inside a range keep a target for their reference's back-link.
            for anchor in anchors[1:-1]:
                html += f'<span id="{anchor}"></span>'
            html += "–" + _link(last, anchors[-1])
        rendered.append(html)
    return '<sup class="cite">' + ",".join(rendered) + "</sup>"


@lru_cache(maxsize=256)
def link_citations(html: str) -> SafeString:
    """html (already sanitized) with each citation replaced by superscript reference links."""
    counts: dict[int, int] = {}
    out = []
    for chunk, citable in _text_segments(html or ""):
        if not citable:
            out.append(chunk)
            continue
        out.append(CITATION_RE.sub(lambda m: _render_group(m.group(1), counts), chunk))
    return mark_safe("".join(out))


# What a superscript citation holds: "1", "2,3", "1-3", "1–3", "[1]".
_SUP_GROUP_RE = re.compile(r"\s*\[?\s*(\d{1,3}(?:\s*[-–,]\s*\d{1,3})*)\s*\]?\s*")
# The text a citation follows: punctuation ("disease.¹"), or a word of three letters or
# more that is not a unit after a slash or a number ("mg/m²", "10⁹", "x²", "cm²"); and
# no letter or digit right after it.
_CITABLE_AFTER_RE = re.compile(r"(?:[.,;:!?)\]”’\"'%]|(?<![/\d\w])[^\W\d_]{3,})\s?$")
_BLOCK_TAG_RE = re.compile(r"</?(?:p|li|h\d|td|th|br|blockquote|tr|table|ul|ol)\b", re.I)


@dataclass(frozen=True)
class Superscript:
    """A superscript in the body that reads as a citation: its numbers, the text before."""

    group: str
    numbers: tuple[int, ...]
    after: str


def _superscript_citations(html: str):
    """Yield (start, end, Superscript) for each <sup>…</sup> of html that reads as a citation."""
    tail, position, skip_depth, chunks = "", 0, 0, _TAG_RE.split(html)
    for index, chunk in enumerate(chunks):
        start, position = position, position + len(chunk)
        if not (chunk.startswith("<") and _TAG_RE.fullmatch(chunk)):
            tail = (tail + chunk)[-40:]
            continue
        name = re.match(r"</?\s*([a-zA-Z0-9]+)", chunk)
        tag = name.group(1).lower() if name else ""
        if tag in _SKIPPED:
            skip_depth = max(skip_depth + (-1 if chunk.startswith("</") else 1), 0)
        if _BLOCK_TAG_RE.match(chunk):
            tail = ""
        if chunk != "<sup>" or skip_depth or index + 2 >= len(chunks):
            continue
        inner, closing = chunks[index + 1], chunks[index + 2]
        following = chunks[index + 3] if index + 3 < len(chunks) else ""
        group = _SUP_GROUP_RE.fullmatch(inner)
        glued = following[:1].isalnum()  # "NCT<sup>2</sup>b": part of a word
        if closing == "</sup>" and group and not glued and _CITABLE_AFTER_RE.search(tail):
            end = start + len(chunk) + len(inner) + len(closing)
            after = " ".join(tail.split()[-3:])
            found = Superscript(group.group(1), tuple(parse_group(group.group(1))), after)
            yield start, end, found


def superscript_citations(html: str) -> list[Superscript]:
    """The superscripts of html that read as citations (Word's and Google Docs' "¹,²")."""
    return [found for _, _, found in _superscript_citations(html or "")]


def convert_superscripts(html: str, reference_numbers: Iterable[int]) -> str:
    """html with each superscript citation whose numbers all have a reference written as
    a bracketed citation ("disease.<sup>1-3</sup>" -> "disease.[1-3]").

    A superscript citing a number with no reference stays as it is (the editor is warned,
    see citation_warnings): it may be a number that is not a citation at all.
    """
    numbers = set(reference_numbers)
    out, done = [], 0
    for start, end, found in _superscript_citations(html or ""):
        if set(found.numbers) <= numbers:
            out.extend([html[done:start], f"[{found.group}]"])
            done = end
    return "".join(out) + (html or "")[done:]


def citation_warnings(html: str, reference_numbers: Iterable[int]) -> list[str]:
    """What looks wrong between a body (sanitized) and its references' numbers: a
    superscript citation with no reference, a reference the body never cites."""
    numbers = set(reference_numbers)
    found = [
        f"The superscript {s.group} after “{s.after}” looks like a citation, but there is no "
        f"reference {', '.join(str(n) for n in s.numbers if n not in numbers)}: it is left "
        "as a plain superscript."
        for s in superscript_citations(html)
        if not set(s.numbers) <= numbers
    ]
    if uncited := sorted(numbers - cited_numbers(html or "")):
        found.append(
            "The body never cites reference " + ", ".join(map(str, uncited)) + ": cite it as "
            "[n] or a superscript number, or delete the reference."
        )
    return found
