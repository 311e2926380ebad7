import json

from django import template
from django.utils import timezone
from django.utils.dates import MONTHS
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import mark_safe

from articles.derived.pagecache import card_tags, shows
from articles.paths import site_url

register = template.Library()

_JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.simple_tag(takes_context=True)
def absolute_uri(context, path=None):
    """The absolute URL of path on SITE_URL (default: the current page without its query
    string)."""
    request = context.get("request")
    if path is None:
        if not request:  # no request (an error page rendered without one)
            return ""
        path = request.path
    return site_url(path)


@register.filter
def json_ld(data):
    """A schema.org JSON-LD block; <, > and & are escaped so the data cannot end the script."""
    payload = json.dumps(data, ensure_ascii=False, default=str).translate(_JSON_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(payload))


@register.filter
def meta_tags(pairs):
    """<meta name content> elements of (name, content) pairs, e.g. the Google Scholar tags
    (some thirty an article: a template loop over them cost more than the rest of <head>)."""
    return mark_safe(
        "".join(
            f'<meta name="{escape(name)}" content="{escape(content)}">\n  '
            for name, content in pairs
        )
    )


@register.simple_tag
def default_description(site_name):
    return (
        f"{site_name}: peer-reviewed articles, FDA oncology updates and clinical news "
        "for hematology/oncology pharmacists."
    )


def _time_tag(value) -> str:
    """<time> of a moment, in the site's time zone: what date_format() prints for
    "Y-m-d\\TH:i:sO" and "F j, Y", without its format parsing (twice per list item)."""
    if not value:
        return ""
    when = timezone.localtime(value)
    return (
        f'<time datetime="{when.strftime("%Y-%m-%dT%H:%M:%S%z")}">'
        f"{MONTHS[when.month]} {when.day}, {when.year}</time>"
    )


@register.simple_tag
def article_item(article, level=2, in_issue=False, snippet="", mark=""):
    """An article as a list shows it: title, byline, issue, date and categories (or the
    pages, in its issue's contents), a search snippet, and a state an editor proofing an
    issue sees ("Draft", "Scheduled for …"). The byline and topic names are
    the ones stored on the article (articles.derived.cards): Article.objects.for_cards() reads
    everything this shows in one query.

    Built in Python, not by an included template: pages list up to twenty of these, and
    the template engine made them the larger part of a page's cost. Every value is
    escaped here (escape(), as format_html() would).
    """
    shows(*card_tags(article))
    title = escape(article.title)
    parts = [
        f'<article class="item">\n  <h{level} class="item-title">'
        f'<a href="{escape(article.get_absolute_url())}">{title}</a></h{level}>\n'
    ]
    if mark:
        parts.append(f'  <p class="item-meta"><strong class="badge">{escape(mark)}</strong></p>\n')
    if article.byline:
        parts.append(f'  <p class="byline">{escape(article.byline)}</p>\n')
    time_tag = _time_tag(article.published_at)
    if in_issue:
        pages = ""
        if article.first_page:
            pages = f" · Page {escape(article.first_page)}"
            if article.last_page and article.last_page != article.first_page:
                pages += f"–{escape(article.last_page)}"
        parts.append(f'  <p class="item-meta">Published {time_tag}{pages}</p>\n')
    else:
        issue = article.issue
        where = f"{escape(issue.label)} published" if issue is not None else "Published"
        categories = ", ".join(
            name
            for name in (article.section.name if article.section_id else "", article.topics_line)
            if name
        )
        within = f" in {escape(categories)}" if categories else ""
        parts.append(f'  <p class="item-meta">{where} on {time_tag}{within}</p>\n')
    if snippet:
        parts.append(f'  <p class="snippet">{conditional_escape(snippet)}</p>\n')
    parts.append("</article>")
    return mark_safe("".join(parts))


@register.simple_tag
def reference_items(references):
    """The reference list's items: number, back link to the first citation, the citation
    and its DOI, PubMed and full-text links.

    Built in Python, as article_item is: an article lists dozens of references, and the
    template engine's lookups (some fifteen per reference) were a fifth of the page's cost.
    Every value is escaped here.
    """
    parts = []
    for reference in references:
        position = escape(reference.position)
        parts.append(f'<li id="{escape(reference.anchor_id)}" value="{position}">\n')
        if backlink := reference.backlink_id:
            parts.append(
                f'  <a class="backlink" href="#{escape(backlink)}" '
                f'aria-label="Back to citation {position} in the text">↑</a>\n'
            )
        parts.append(f"  {escape(reference.citation)}\n")
        links = []
        if reference.doi:
            links.append(f'<a href="{escape(reference.doi_url)}">doi:{escape(reference.doi)}</a>')
        if reference.pmid:
            links.append(
                f'<a href="{escape(reference.pubmed_url)}">PubMed<span class="visually-hidden">'
                f" record {escape(reference.pmid)}</span></a>"
            )
        if reference.url:
            links.append(
                f'<a href="{escape(reference.url)}">Full text<span class="visually-hidden">'
                f" of reference {position}</span></a>"
            )
        if links:
            parts.append(f'  <span class="ref-links">{" ".join(links)}</span>\n')
        parts.append("</li>\n")
    return mark_safe("".join(parts))


@register.simple_tag
def topic_nav(topics):
    """The home page's "Browse by topic" list, with each topic's count of live articles.

    Built in Python, as article_item is: forty topics through an included template cost
    a fifth of the home page.
    """
    if not topics:
        return ""
    items = "".join(
        f'<li><a href="{escape(topic.get_absolute_url())}">{escape(topic.name)}</a> '
        f'<span class="count">({topic.num_articles})</span></li>'
        for topic in topics
    )
    return mark_safe(
        '<nav class="topic-nav" aria-labelledby="topic-nav-heading">\n'
        '  <h2 id="topic-nav-heading">Browse by topic</h2>\n'
        f"  <ul>\n    {items}\n  </ul>\n</nav>\n"
    )
