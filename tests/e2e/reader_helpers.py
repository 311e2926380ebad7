"""Shared pieces of the reader browser tests: demo content and an axe-core check."""

from importlib import import_module

from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command

from articles.demo import MAIN_SLUG

PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}
ARTICLE_URL = f"/articles/{MAIN_SLUG}/"


def load_demo():
    """The demo journal, and the default mailing lists that a transactional test's flush
    removed (the subscribe box shows only when lists exist)."""
    from django.apps import apps

    defaults = import_module("subscriptions.migrations.0002_default_lists_and_consent_text")
    defaults.create_defaults(apps, None)
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115


def axe_violations(page) -> list[str]:
    """Every axe-core violation on the page (WCAG 2.x A/AA and best practices), as text."""
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(n["target"][0] if n["target"] else "?" for n in v["nodes"][:5])
        for v in results.response["violations"]
    ]
