"""Shared pieces of the reader browser tests: demo content and an axe-core check."""

from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command

from articles.demo import MAIN_SLUG

PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}
ARTICLE_URL = f"/articles/{MAIN_SLUG}/"


def load_demo():
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115


def axe_violations(page) -> list[str]:
    """Every axe-core violation on the page (WCAG 2.x A/AA and best practices), as text."""
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(n["target"][0] if n["target"] else "?" for n in v["nodes"][:5])
        for v in results.response["violations"]
    ]
