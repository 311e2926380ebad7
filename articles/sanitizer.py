"""The allow-list every article body passes through before it is stored or shown.

Office and Google Docs markup is first rewritten by articles.paste (styled spans become
em/strong/sup, Word's list paragraphs become lists).

The list matches what the admin's rich text editor can produce (see EDITOR_EXTENSIONS):
anything else (scripts, event handlers, inline styles, javascript: URLs, iframes,
unknown tags) is removed, keeping the text inside it.
"""

from functools import lru_cache

import nh3

from articles.paste import LOOKS_PASTED, normalize_pasted_html

EDITOR_EXTENSIONS = {
    "Bold": True,
    "Italic": True,
    "Underline": True,
    "Strike": True,
    "Subscript": True,
    "Superscript": True,
    "Heading": {"levels": [2, 3, 4]},
    "BulletList": True,
    "OrderedList": True,
    "ListItem": True,
    "Blockquote": True,
    "HorizontalRule": True,
    "HardBreak": True,
    "Link": {"enableTarget": False, "protocols": ["http", "https", "mailto"]},
    "Table": True,
    "TableRow": True,
    "TableHeader": True,
    "TableCell": True,
    "History": True,
    "HTML": True,
}

ALLOWED_TAGS = {
    "p",
    "br",
    "h2",
    "h3",
    "h4",
    "strong",
    "em",
    "u",
    "s",
    "sub",
    "sup",
    "a",
    "ul",
    "ol",
    "li",
    "blockquote",
    "hr",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "ol": {"start", "type"},
    "th": {"colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
}
URL_SCHEMES = {"http", "https", "mailto"}

_cleaner = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    clean_content_tags={"script", "style", "iframe", "noscript", "template", "textarea"},
    # "*": no attribute on every tag (nh3 would otherwise keep lang and title anywhere).
    attributes={**ALLOWED_ATTRIBUTES, "*": set()},
    url_schemes=URL_SCHEMES,
    link_rel="noopener noreferrer",
    strip_comments=True,
)


@lru_cache(maxsize=256)
def sanitize_html(html: str) -> str:
    """The allow-listed subset of html; an editor's empty paragraph becomes ""."""
    if not html:
        return ""
    if LOOKS_PASTED.search(html):
        # Pasted from Word or Google Docs: keep what its styles mean before dropping them.
        html = normalize_pasted_html(html)
    cleaned = _cleaner.clean(html).strip()
    return "" if cleaned in {"<p></p>", "<p><br></p>"} else cleaned
