from django import template

from articles.images import rendition as make_rendition

register = template.Library()


@register.simple_tag
def rendition(image, width):
    """{% rendition article.lead_image 800 as img %}: img.url, img.width, img.height, or None."""
    return make_rendition(image, width)


@register.simple_tag
def rendition_srcset(image, *widths):
    """{% rendition_srcset article.lead_image 400 800 1200 %}: "url 400w, url 800w, …".

    Widths wider than the original collapse into the original, listed once.
    """
    candidates = {}
    for width in widths:
        found = make_rendition(image, width)
        if found is not None:
            candidates.setdefault(found.url, found.width)
    return ", ".join(f"{url} {width}w" for url, width in candidates.items())
