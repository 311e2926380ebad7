"""An article as JATS 1.3 (Journal Publishing, MathML 3): front, body and references.

The body is converted from the stored, sanitized HTML (the allow-list in
articles/sanitizer.py): paragraphs, headings as nested <sec>s, lists, quotes, tables,
bold/italic/underline/strike/sub/sup, links, and the in-text citations [1], [1,2],
[3-5] as <xref ref-type="bibr"> to the references. What JATS cannot carry (a horizontal
rule, a line break inside a paragraph) is listed in the result's problems, never
dropped without a word.
"""

import re
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.utils import timezone
from lxml import etree
from lxml import html as lxml_html

from articles import citations
from articles.derived import records
from articles.images import rendition
from articles.models import Article
from articles.sanitizer import sanitize_html
from articles.scholarly.doi import journal_of
from articles.scholarly.licence import licence_of

CONTENT_TYPE = "application/jats+xml; charset=utf-8"
XLINK_NS = "http://www.w3.org/1999/xlink"
MML_NS = "http://www.w3.org/1998/Math/MathML"
ALI_NS = "http://www.niso.org/schemas/ali/1.0/"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

INLINE = {"strong": "bold", "em": "italic", "u": "underline", "s": "strike", "sub": "sub"}
HEADINGS = {"h2": 1, "h3": 2, "h4": 3}
BLOCKS = {"p", "ul", "ol", "blockquote", "table", "hr", *HEADINGS}
LEAD_IMAGE_WIDTH = 1200  # the widest rendition the article page offers
# An AMA author list: "Lloyd MR, Spring LM, Bardia A, et al." (names are surname + initials).
AMA_NAME = r"[A-Z][\w'’-]*(?: [A-Za-z][\w'’-]*)* [A-Z]{1,4}"
AMA_AUTHORS = re.compile(rf"^({AMA_NAME}(?:, {AMA_NAME})*)(, et al)?\.\s")


@dataclass
class JatsDocument:
    tree: etree._ElementTree
    # What the body held that JATS cannot carry, in words an editor understands.
    problems: list[str] = field(default_factory=list)

    def to_bytes(self) -> bytes:
        return etree.tostring(self.tree, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _sub(parent, tag: str, text: str | None = None, **attrs):
    element = etree.SubElement(parent, tag, **attrs)
    if text is not None:
        element.text = text
    return element


def _append_text(parent, text: str) -> None:
    if not text:
        return
    if len(parent):
        parent[-1].tail = (parent[-1].tail or "") + text
    else:
        parent.text = (parent.text or "") + text


def ref_id(number: int) -> str:
    return citations.ref_anchor(number)


class _BodyConverter:
    def __init__(self, references: set[int]):
        self.references = references
        self.problems: list[str] = []
        self._reported: set[str] = set()
        self._tables = 0

    def report(self, message: str) -> None:
        if message not in self._reported:
            self._reported.add(message)
            self.problems.append(message)

    # Inline content -------------------------------------------------------
    def text(self, parent, text: str | None, *, cite: bool = True) -> None:
        if not text:
            return
        if not cite:
            _append_text(parent, text)
            return
        position = 0
        for match in citations.CITATION_RE.finditer(text):
            _append_text(parent, text[position : match.start()])
            self.citation(parent, match.group(1))
            position = match.end()
        _append_text(parent, text[position:])

    def citation(self, parent, group: str) -> None:
        sup = _sub(parent, "sup")
        for number in citations.parse_group(group):
            if number not in self.references:
                self.report(f"The body cites [{number}] but there is no reference {number}.")
        for index, part in enumerate(citations._parts(group)):
            if index:
                _append_text(sup, ",")
            first, last = part[0], part[-1]
            _sub(sup, "xref", str(first), **{"ref-type": "bibr", "rid": ref_id(first)})
            if len(part) > 1:
                _append_text(sup, "–")
                _sub(sup, "xref", str(last), **{"ref-type": "bibr", "rid": ref_id(last)})

    def inline(self, parent, source, *, cite: bool = True) -> None:
        """source's text and children, converted into parent."""
        self.text(parent, source.text, cite=cite)
        for child in source:
            self.inline_element(parent, child, cite=cite)
            self.text(parent, child.tail, cite=cite)

    def inline_element(self, parent, element, *, cite: bool = True) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag in INLINE or tag == "sup":
            self.inline(_sub(parent, INLINE.get(tag, tag)), element, cite=cite)
        elif tag == "a":
            href = element.get("href", "")
            if href:
                link = _sub(parent, "ext-link", **{"ext-link-type": "uri"})
                link.set(f"{{{XLINK_NS}}}href", href)
                self.inline(link, element, cite=False)
                if not len(link) and _is_bare_url(link.text, href):
                    link.text = link_text(href)
            else:
                self.inline(parent, element, cite=False)
        elif tag == "br":
            self.report("A line break inside a paragraph is not kept in JATS (it becomes a space).")
            _append_text(parent, " ")
        else:
            if tag:
                self.report(f"The body's <{tag}> element has no JATS equivalent: its text is kept.")
            self.inline(parent, element, cite=cite)

    # Block content --------------------------------------------------------
    def blocks(self, container, nodes) -> None:
        """Convert a run of HTML nodes (elements, or text as str) into container's blocks.

        Inline material between blocks is gathered into paragraphs.
        """
        paragraph = None
        for node in nodes:
            if isinstance(node, str):
                if node.strip():
                    paragraph = paragraph if paragraph is not None else _sub(container, "p")
                    self.text(paragraph, node)
                continue
            if node.tag in BLOCKS:
                paragraph = None
                self.block(container, node)
            else:
                paragraph = paragraph if paragraph is not None else _sub(container, "p")
                self.inline_element(paragraph, node)
            if node.tail and node.tail.strip():
                paragraph = paragraph if paragraph is not None else _sub(container, "p")
                self.text(paragraph, node.tail)

    def block(self, container, element) -> None:
        tag = element.tag
        if tag == "p":
            paragraph = _sub(container, "p")
            self.inline(paragraph, element)
        elif tag in ("ul", "ol"):
            kind = "order" if tag == "ol" else "bullet"
            if tag == "ol" and element.get("start", "1") != "1":
                self.report("A numbered list that does not start at 1 starts at 1 in JATS.")
            target = _sub(container, "list", **{"list-type": kind})
            for item in element:
                if item.tag != "li":
                    continue
                list_item = _sub(target, "list-item")
                self.blocks(list_item, _children(item))
                if not len(list_item):
                    _sub(list_item, "p")
        elif tag == "blockquote":
            quote = _sub(container, "disp-quote")
            self.blocks(quote, _children(element))
            if not len(quote):
                _sub(quote, "p")
        elif tag == "table":
            self.table(container, element)
        elif tag == "hr":
            self.report("A horizontal rule in the body is not kept in JATS.")
        elif tag in HEADINGS:
            # Headings are handled by body(); one inside a list or quote stays a paragraph.
            self.report("A heading inside a list, quote or table is kept as a bold paragraph.")
            self.inline(_sub(_sub(container, "p"), "bold"), element)

    def table(self, container, element) -> None:
        self._tables += 1
        wrap = _sub(container, "table-wrap", id=f"table-{self._tables}")
        table = _sub(wrap, "table")
        for part in element:
            if part.tag in ("thead", "tbody"):
                group = _sub(table, part.tag)
                rows = [r for r in part if r.tag == "tr"]
            elif part.tag == "tr":
                group = table.find("tbody")
                if group is None:
                    group = _sub(table, "tbody")
                rows = [part]
            else:
                continue
            for row in rows:
                tr = _sub(group, "tr")
                for cell in row:
                    if cell.tag not in ("th", "td"):
                        continue
                    attrs = {k: cell.get(k) for k in ("colspan", "rowspan") if cell.get(k)}
                    target = _sub(tr, cell.tag, **attrs)
                    self.cell(target, cell)

    def cell(self, target, cell) -> None:
        # A cell holds text; the editor's table cells wrap it in <p>s.
        paragraphs = [c for c in cell if c.tag == "p"]
        if not paragraphs:
            self.inline(target, cell)
            return
        self.text(target, cell.text)
        for index, child in enumerate(cell):
            if child.tag == "p":
                if index:
                    _sub(target, "break")
                self.inline(target, child)
            else:
                self.inline_element(target, child)
            self.text(target, child.tail)

    def body(self, body, html: str) -> None:
        """Headings open nested <sec>s: h2 a section, h3 a subsection, h4 below that."""
        stack: list[tuple[int, etree._Element]] = []
        pending: list = []

        def flush():
            target = stack[-1][1] if stack else body
            self.blocks(target, pending)
            pending.clear()

        for node in _children(_fragment(html)):
            if not isinstance(node, str) and node.tag in HEADINGS:
                flush()
                level = HEADINGS[node.tag]
                while stack and stack[-1][0] >= level:
                    stack.pop()
                parent = stack[-1][1] if stack else body
                section = _sub(parent, "sec")
                title = _sub(section, "title")
                self.inline(title, node)
                stack.append((level, section))
                if node.tail and node.tail.strip():
                    pending.append(node.tail)
            else:
                pending.append(node)  # blocks() reads its tail
        flush()
        # A section holds at least its title; JATS wants content after it.
        for section in body.iter("sec"):
            if len(section) == 1:
                _sub(section, "p")


def _is_bare_url(text: str | None, href: str) -> bool:
    text = (text or "").strip()
    return not text or text == href or re.match(r"^(https?|s?ftp)://", text) is not None


def link_text(href: str) -> str:
    """Words for a link whose text would be its bare address (JATS4R wants a description):
    the site's name, as readers say it (fda.gov)."""
    parts = urlsplit(href)
    host = parts.hostname or ""
    if host.startswith("www."):
        host = host[4:]
    return host or parts.path or href


def _fragment(html: str):
    return lxml_html.fragment_fromstring(html or "", create_parent="div")


def _children(element) -> list:
    """element's content as a list of child elements and text strings (tails excluded)."""
    nodes: list = []
    if element.text and element.text.strip():
        nodes.append(element.text)
    nodes.extend(child for child in element if isinstance(child.tag, str))
    return nodes


def article_type(article: Article) -> str:
    if article.section_id is None:
        return "research-article"
    if not article.section.is_scholarly:
        return "news"
    name = article.section.name.lower()
    if "case" in name:
        return "case-report"
    if "review" in name or "literature" in name:
        return "review-article"
    return "research-article"


def _date(parent, when, *, fmt: str, day: bool = True) -> None:
    date = _sub(parent, "pub-date", **{"publication-format": fmt, "date-type": "pub"})
    if day:
        _sub(date, "day", f"{when.day:02d}")
    _sub(date, "month", f"{when.month:02d}")
    _sub(date, "year", str(when.year))


def _journal_meta(front, journal) -> None:
    meta = _sub(front, "journal-meta")
    _sub(meta, "journal-id", journal.short_name, **{"journal-id-type": "publisher-id"})
    if journal.abbreviation:
        _sub(meta, "journal-id", journal.abbreviation, **{"journal-id-type": "nlm-ta"})
    titles = _sub(meta, "journal-title-group")
    _sub(titles, "journal-title", journal.name)
    if journal.abbreviation:
        _sub(titles, "abbrev-journal-title", journal.abbreviation, **{"abbrev-type": "nlm-ta"})
    if journal.issn_print:
        _sub(meta, "issn", journal.issn_print, **{"publication-format": "print"})
    if journal.issn_online:
        _sub(meta, "issn", journal.issn_online, **{"publication-format": "electronic"})
    if journal.publisher:
        _sub(_sub(meta, "publisher"), "publisher-name", journal.publisher)


def _permissions(meta, article: Article, journal) -> None:
    licence = licence_of(article, journal)
    if licence is None:
        return
    permissions = _sub(meta, "permissions")
    if licence.statement:
        _sub(permissions, "copyright-statement", licence.statement)
    if licence.year:
        _sub(permissions, "copyright-year", str(licence.year))
    if licence.holder:
        _sub(permissions, "copyright-holder", licence.holder)
    element = _sub(permissions, "license")
    element.set(f"{{{XLINK_NS}}}href", licence.url)
    _sub(element, f"{{{ALI_NS}}}license_ref", licence.url)
    _sub(element, "license-p", licence.name or licence.url)


def _article_meta(front, article: Article, *, url: str, journal) -> None:
    meta = _sub(front, "article-meta")
    if article.doi:
        _sub(meta, "article-id", article.doi, **{"pub-id-type": "doi"})
    topics = list(article.topics.all())
    if article.section_id or topics:
        categories = _sub(meta, "article-categories")
        if article.section_id:
            heading = _sub(categories, "subj-group", **{"subj-group-type": "heading"})
            _sub(heading, "subject", article.section.name)
        if topics:
            group = _sub(categories, "subj-group", **{"subj-group-type": "topic"})
            for topic in topics:
                _sub(group, "subject", topic.name)
    _sub(_sub(meta, "title-group"), "article-title", article.title)
    authors = article.ordered_authors
    affiliations: dict[str, str] = {}
    if authors:
        group = _sub(meta, "contrib-group")
        for author in authors:
            contrib = _sub(group, "contrib", **{"contrib-type": "author"})
            if author.orcid:
                _sub(
                    contrib,
                    "contrib-id",
                    f"https://orcid.org/{author.orcid}",
                    **{"contrib-id-type": "orcid"},
                )
            name = _sub(contrib, "name")
            _sub(name, "surname", author.family_name)
            if author.given_name:
                _sub(name, "given-names", author.given_name)
            if author.credentials:
                _sub(contrib, "degrees", author.credentials)
            if author.affiliation:
                aff = affiliations.setdefault(author.affiliation, f"aff{len(affiliations) + 1}")
                _sub(contrib, "xref", **{"ref-type": "aff", "rid": aff})
    for text, aff in affiliations.items():
        _sub(meta, "aff", text, id=aff)
    if article.published_at:
        _date(meta, timezone.localtime(article.published_at), fmt="electronic")
    if article.issue_id:
        _date(meta, article.issue.cover_date, fmt="print", day=False)
        if article.issue.volume:
            _sub(meta, "volume", str(article.issue.volume))
        if article.issue.number:
            _sub(meta, "issue", str(article.issue.number))
    if article.first_page:
        _sub(meta, "fpage", article.first_page)
        if article.last_page:
            _sub(meta, "lpage", article.last_page)
    elif article.elocation_id:
        _sub(meta, "elocation-id", article.elocation_id)
    if changed := records.record_date(article):
        # The record's own date (articles.derived.records): when anything it shows changed.
        changed = timezone.localtime(changed)
        event = _sub(_sub(meta, "pub-history"), "event", **{"event-type": "updated"})
        date = _sub(
            event, "date", **{"date-type": "updated", "iso-8601-date": changed.date().isoformat()}
        )
        _sub(date, "day", f"{changed.day:02d}")
        _sub(date, "month", f"{changed.month:02d}")
        _sub(date, "year", str(changed.year))
    _permissions(meta, article, journal)
    self_uri = _sub(
        meta, "self-uri", "Full text on the journal's website", **{"content-type": "html"}
    )
    self_uri.set(f"{{{XLINK_NS}}}href", url)
    if article.standfirst.strip():
        _sub(_sub(meta, "abstract"), "p", " ".join(article.standfirst.split()))
    keywords = [k.strip() for k in article.keywords.split(",") if k.strip()]
    if keywords:
        group = _sub(meta, "kwd-group", **{"kwd-group-type": "author"})
        for keyword in keywords:
            _sub(group, "kwd", keyword)


def publication_type(reference) -> str:
    """What a reference cites, for JATS's publication-type: references carry no type, so
    one with a PMID or a DOI is taken for a journal article, one with only a web address
    for a web page, and any other for a journal article (most of what the journal cites)."""
    if reference.pmid or reference.doi:
        return "journal"
    if reference.url:
        return "webpage"
    return "journal"


def _citation_text(citation, text: str) -> None:
    """The citation as printed, its AMA author list marked as a person-group (the text
    stays the same)."""
    match = AMA_AUTHORS.match(text)
    if match is None:
        citation.text = text
        return
    group = _sub(citation, "person-group", **{"person-group-type": "author"})
    for index, name in enumerate(match.group(1).split(", ")):
        if index:
            _append_text(group, ", ")
        _sub(group, "string-name", name)
    if match.group(2):
        _append_text(group, match.group(2))
    _append_text(citation, text[match.end(1) + len(match.group(2) or "") :])


def _lead_image(root, article: Article) -> None:
    """The lead image as a floating figure: its caption, its alt text, the rendition the page
    shows."""
    image = rendition(article.lead_image, LEAD_IMAGE_WIDTH) if article.lead_image else None
    if image is None:
        return
    fig = _sub(_sub(root, "floats-group"), "fig", id="lead-image", position="float")
    if article.lead_image_caption.strip():
        _sub(_sub(fig, "caption"), "p", " ".join(article.lead_image_caption.split()))
    graphic = _sub(fig, "graphic")
    graphic.set(f"{{{XLINK_NS}}}href", urljoin(settings.SITE_URL + "/", image.url))
    _sub(graphic, "alt-text", " ".join(article.lead_image_alt.split()) or "null")


def _back(root, references) -> None:
    if not references:
        return
    ref_list = _sub(_sub(root, "back"), "ref-list")
    _sub(ref_list, "title", "References")
    for reference in references:
        ref = _sub(ref_list, "ref", id=ref_id(reference.position))
        _sub(ref, "label", str(reference.position))
        citation = _sub(ref, "mixed-citation", **{"publication-type": publication_type(reference)})
        _citation_text(citation, " ".join(reference.citation.split()))
        if reference.doi:
            _append_text(citation, " ")
            _sub(citation, "pub-id", reference.doi, **{"pub-id-type": "doi"})
        if reference.pmid:
            _append_text(citation, " ")
            _sub(citation, "pub-id", reference.pmid, **{"pub-id-type": "pmid"})
        if reference.url:
            _append_text(citation, " ")
            link = _sub(citation, "ext-link", link_text(reference.url), **{"ext-link-type": "uri"})
            link.set(f"{{{XLINK_NS}}}href", reference.url)


def article_jats(article: Article, *, url: str | None = None, **journal) -> JatsDocument:
    """The article as a JATS 1.3 <article>, and what its body held that JATS cannot carry.

    journal: primary=Journal.objects.primary() when converting many articles.
    """
    url = url or settings.SITE_URL + article.get_absolute_url()
    journal = journal_of(article, **journal)
    root = etree.Element(
        "article",
        nsmap={"xlink": XLINK_NS, "mml": MML_NS, "ali": ALI_NS},
        **{"article-type": article_type(article), "dtd-version": "1.3"},
    )
    root.set(XML_LANG, "en")
    front = _sub(root, "front")
    if journal is not None:
        _journal_meta(front, journal)
    else:
        # No journal entered yet: the site's own name stands in (journal-meta is required).
        meta = _sub(front, "journal-meta")
        _sub(meta, "journal-id", settings.SITE_SHORT_NAME, **{"journal-id-type": "publisher-id"})
        _sub(_sub(meta, "journal-title-group"), "journal-title", settings.SITE_NAME)
    _article_meta(front, article, url=url, journal=journal)
    references = list(article.references.all())
    converter = _BodyConverter({r.position for r in references})
    body_html = sanitize_html(article.body)
    if body_html:
        converter.body(_sub(root, "body"), body_html)
    _back(root, references)
    _lead_image(root, article)
    return JatsDocument(root.getroottree(), converter.problems)


def in_namespace(element, namespace: str, *, id_prefix: str = ""):
    """A copy of a JATS element with its no-namespace elements moved into namespace.

    OAI-PMH admits no element without a namespace inside <metadata>. Several articles
    share one OAI-PMH response, where an id must be unique: id_prefix makes them so.
    """
    copy = etree.fromstring(etree.tostring(element))
    for node in copy.iter():
        if not isinstance(node.tag, str):
            continue
        if not node.tag.startswith("{"):
            node.tag = f"{{{namespace}}}{node.tag}"
        if id_prefix and node.get("id"):
            node.set("id", id_prefix + node.get("id"))
        if id_prefix and node.get("rid"):
            node.set("rid", " ".join(id_prefix + rid for rid in node.get("rid").split()))
    nsmap = {None: namespace, **{k: v for k, v in copy.nsmap.items() if k}}
    moved = etree.Element(copy.tag, nsmap=nsmap, attrib=dict(copy.attrib))
    moved.text = copy.text
    moved.extend(list(copy))
    return moved
