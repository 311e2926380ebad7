"""Slugs from titles and names, as readers expect them in URLs."""

import re

from django.utils.text import slugify as django_slugify

# Dashes and slashes separate words ("Antibody–Drug Conjugates", "CDK4/6"): Django's
# slugify would delete them and run the words together.
WORD_BREAKS = re.compile(r"[\u2010-\u2015\u2212/]")


def slugify(value: str) -> str:
    """ "Antibody–Drug Conjugates" -> "antibody-drug-conjugates"."""
    return django_slugify(WORD_BREAKS.sub(" ", str(value)))


def unique_slug(
    model, value: str, *, exclude_pk=None, max_length: int = 50, also_taken: set | None = None
) -> str:
    """slugify(value), with -2, -3… added if another row of model (or also_taken) has it."""
    base = slugify(value)[:max_length].strip("-") or "untitled"
    taken = set(
        model._default_manager.filter(slug__startswith=base)
        .exclude(pk=exclude_pk)
        .values_list("slug", flat=True)
    ) | (also_taken or set())
    slug, n = base, 1
    while slug in taken:
        n += 1
        suffix = f"-{n}"
        slug = base[: max_length - len(suffix)].rstrip("-") + suffix
    return slug
