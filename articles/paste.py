"""HTML pasted from Word or Google Docs, rewritten into the tags the sanitizer keeps.

Office HTML says much with styles the sanitizer must drop: Google Docs marks italics and
superscripts with <span style="font-style:italic">, wraps everything in a <b> that is
not bold, and Word writes list items as paragraphs with "mso-list" and a typed bullet.
This pass turns that meaning into tags (em, strong, sup, sub, u, ul/ol/li, h2-h4) so that
sanitize_html can drop every style and class while keeping headings, lists, italics,
superscripts and tables.
"""

import re
from html import escape
from html.parser import HTMLParser

LOOKS_PASTED = re.compile(r"<(?:b|i|h1|h5|h6)[\s>]|\sstyle=|mso-", re.IGNORECASE)
BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "div", "ul", "ol", "blockquote"}
HEADINGS = {"h1": "h2", "h5": "h4", "h6": "h4"}
VOID = {"br", "hr", "img", "col", "meta", "link", "input"}


def _styles(attrs: dict) -> dict[str, str]:
    found = {}
    for declaration in (attrs.get("style") or "").split(";"):
        name, _, value = declaration.partition(":")
        if value:
            found[name.strip().lower()] = value.strip().lower()
    return found


def _marks(tag: str, styles: dict[str, str]) -> list[str]:
    """The tags a styled element means: <span style="font-style:italic"> is <em>."""
    marks = []
    weight = styles.get("font-weight", "")
    bold_tag = tag == "strong" or (tag == "b" and weight not in {"normal", "400"})
    if bold_tag or weight in {"bold", "bolder", "600", "700", "800", "900"}:
        marks.append("strong")
    if tag in {"i", "em"} or styles.get("font-style") == "italic":
        marks.append("em")
    if tag == "u" or "underline" in styles.get("text-decoration", ""):
        marks.append("u")
    if tag == "sup" or styles.get("vertical-align") == "super":
        marks.append("sup")
    if tag == "sub" or styles.get("vertical-align") == "sub":
        marks.append("sub")
    return marks


class _Rewriter(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.stack: list[tuple[str, list[str]]] = []  # (source tag, tags emitted for it)
        self.skip = 0  # inside Word's typed list bullet (mso-list:Ignore)
        self.list_at: int | None = None  # index in out of an open Word list's <ul>/<ol>
        self.list_id = ""  # Word's list id ("l0"): a new id starts a new list

    def _close_word_list(self):
        if self.list_at is not None:
            self.out.append("</" + self.out[self.list_at][1:3] + ">")
            self.list_at = None
        self.list_id = ""

    def handle_starttag(self, tag, attr_list):
        attrs = dict(attr_list)
        styles = _styles(attrs)
        if self.skip:
            if tag not in VOID:
                self.skip += 1
            return
        if tag == "span" and "ignore" in styles.get("mso-list", ""):
            self.skip = 1
            return
        if tag in BLOCKS:
            if tag == "p" and "mso-list" in styles:
                list_id = styles["mso-list"].split()[0]
                if list_id != self.list_id:
                    self._close_word_list()
                    self.list_id = list_id
                if self.list_at is None:
                    self.list_at = len(self.out)
                    self.out.append("<ul>")
                self.stack.append((tag, ["li"]))
                self.out.append("<li>")
                return
            self._close_word_list()
        if tag in VOID:
            self.out.append(f"<{tag}{self._attrs(tag, attrs)}>")
            return
        if tag in {"b", "i", "em", "strong", "u", "sup", "sub", "span", "font"}:
            emitted = _marks(tag, styles)
        else:
            emitted = [HEADINGS.get(tag, tag)]
            self.out.append(f"<{emitted[0]}{self._attrs(tag, attrs)}>")
            self.stack.append((tag, emitted))
            return
        self.stack.append((tag, emitted))
        self.out.extend(f"<{t}>" for t in emitted)

    @staticmethod
    def _attrs(tag: str, attrs: dict) -> str:
        # Only what the sanitizer may keep; it drops the rest anyway.
        kept = {
            "a": ("href", "title"),
            "td": ("colspan", "rowspan"),
            "th": ("colspan", "rowspan"),
            "ol": ("start", "type"),
        }.get(tag, ())
        return "".join(f' {name}="{escape(attrs[name] or "")}"' for name in kept if name in attrs)

    def handle_endtag(self, tag):
        if self.skip:
            self.skip -= 1
            return
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                for _, emitted in reversed(self.stack[index:]):
                    self.out.extend(f"</{t}>" for t in reversed(emitted))
                del self.stack[index:]
                return

    def handle_data(self, data):
        if self.skip:
            if self.list_at is not None and re.search(r"\d|[a-z]\.|[ivx]+\.", data.strip()):
                self.out[self.list_at] = "<ol>"
            return
        self.out.append(escape(data, quote=False))

    def close(self):
        super().close()
        for _, emitted in reversed(self.stack):
            self.out.extend(f"</{t}>" for t in reversed(emitted))
        self.stack = []
        self._close_word_list()


def normalize_pasted_html(html: str) -> str:
    """Office and Google Docs markup as plain semantic tags (styles still present)."""
    rewriter = _Rewriter()
    rewriter.feed(html)
    rewriter.close()
    return "".join(rewriter.out)
