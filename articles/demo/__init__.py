"""Demo content for `manage.py load_demo`: the seed article page and a little more."""

from articles.demo.content import MAIN_SLUG
from articles.demo.loader import load_demo, name_site

__all__ = ["MAIN_SLUG", "load_demo", "name_site"]
