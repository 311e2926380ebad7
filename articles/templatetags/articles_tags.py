import json

from django import template
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
