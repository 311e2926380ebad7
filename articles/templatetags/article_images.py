from django import template

from articles.images import rendition as make_rendition

register = template.Library()


@register.simple_tag
def rendition(image, width):
    """{% rendition article.lead_image 800 as img %}: img.url, img.width, img.height, or None."""
    return make_rendition(image, width)
