import json

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()

_JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.simple_tag(takes_context=True)
def absolute_uri(context, path=None):
    """The absolute URL of path (default: the current page without its query string)."""
    request = context.get("request")
    if not request:  # no request (an error page rendered without one)
        return path or ""
    return request.build_absolute_uri(path if path is not None else request.path)


@register.filter
def json_ld(data):
    """A schema.org JSON-LD block; <, > and & are escaped so the data cannot end the script."""
    payload = json.dumps(data, ensure_ascii=False, default=str).translate(_JSON_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(payload))


@register.simple_tag
def default_description(site_name):
    return (
        f"{site_name}: peer-reviewed articles, FDA oncology updates and clinical news "
        "for hematology/oncology pharmacists."
    )


@register.simple_tag
def article_item(article, level=2, in_issue=False, snippet=""):
    """An article as a list shows it: title, byline, issue, date and categories (or the
    pages, in its issue's contents), and a search snippet. The byline and topic names are
    the ones stored on the article (articles.cards): Article.objects.for_cards() reads
    everything this shows in one query.

    Built in Python, not by an included template: pages list up to twenty of these, and
    the template engine made them the larger part of a page's cost.
    """
    when = article.published_at and timezone.localtime(article.published_at)
    time_tag = (
        format_html(
            '<time datetime="{}">{}</time>',
            date_format(when, r"Y-m-d\TH:i:sO"),
            date_format(when, "F j, Y"),
        )
        if when
        else ""
    )
    parts = [
        format_html(
            '<article class="item">\n  <h{} class="item-title"><a href="{}">{}</a></h{}>\n',
            level,
            article.get_absolute_url(),
            article.title,
            level,
        )
    ]
    if article.byline:
        parts.append(format_html('  <p class="byline">{}</p>\n', article.byline))
    if in_issue:
        pages = ""
        if article.first_page:
            pages = f" · Page {article.first_page}"
            if article.last_page and article.last_page != article.first_page:
                pages += f"–{article.last_page}"
        parts.append(format_html('  <p class="item-meta">Published {}{}</p>\n', time_tag, pages))
    else:
        where = format_html("{} published", article.issue.label) if article.issue else "Published"
        categories = ", ".join(
            name
            for name in (article.section.name if article.section_id else "", article.topics_line)
            if name
        )
        within = format_html(" in {}", categories) if categories else ""
        parts.append(
            format_html('  <p class="item-meta">{} on {}{}</p>\n', where, time_tag, within)
        )
    if snippet:
        parts.append(format_html('  <p class="snippet">{}</p>\n', snippet))
    parts.append("</article>")
    return mark_safe("".join(parts))
