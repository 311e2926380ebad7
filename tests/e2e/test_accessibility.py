"""Every page type passes axe-core with zero violations, at phone and desktop widths."""

import pytest

from tests.e2e.reader_helpers import ARTICLE_URL, DESKTOP, PHONE, axe_violations, load_demo

NEWS_SLUG = "enhertu-regular-fda-approval-unresectable-or-metastatic-breast-cancer"
PAGES = {
    "home": "/",
    "issues": "/issues/",
    "issue": "/issues/2022-06-vol-12-no-3/",
    "article": ARTICLE_URL,
    "news-article": f"/articles/{NEWS_SLUG}/",
    "topics": "/topics/",
    "topic": "/topics/breast-cancer/",
    "section": "/sections/fda-oncology-update/",
    "author": "/authors/robert-j-ignoffo/",
    "search": "/search/?q=breast+cancer",
    "search-empty": "/search/?q=%25%25",
    "search-no-results": "/search/?q=xylophonequartz",
    "subscribe": "/subscribe/",
    "subscribe-thanks": "/subscribe/thanks/",
    "manage-request": "/subscribe/manage/",
    "not-found": "/no-such-page/",
}


@pytest.fixture
def demo(live_server, transactional_db):
    load_demo()
    return live_server


@pytest.mark.parametrize("name", list(PAGES))
def test_page_has_no_axe_violations(demo, page, screenshot, name):
    """Nor a console error: a CSP violation, a failed script or a missing asset shows there."""
    failures = {}
    console = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: console.append(str(error)))
    for width_name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        console.clear()
        response = page.goto(demo.url + PAGES[name])
        page.wait_for_load_state("networkidle")
        assert response.status in (200, 404), name
        failures[width_name] = axe_violations(page)
        if response.status == 404:  # the page itself, reported by the browser
            console[:] = [m for m in console if "status of 404" not in m]
        failures[width_name] += [f"console: {message}" for message in console]
        overflow = page.evaluate("document.documentElement.scrollWidth") - viewport["width"]
        if overflow > 0:
            failures[width_name].append(f"page is {overflow}px wider than the screen")
        screenshot(f"{name}-{width_name}")
    assert failures == {"desktop": [], "phone": []}


def test_keyboard_user_can_skip_to_content_and_see_focus(demo, page):
    page.goto(demo.url + ARTICLE_URL)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"


def test_article_is_readable_without_javascript(browser, demo):
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    page.goto(demo.url + ARTICLE_URL)
    assert page.locator("h1").inner_text().startswith("Resistance Mechanisms")
    assert page.locator("#ref-1").is_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    context.close()


def test_long_reference_links_wrap_on_a_phone(demo, page, screenshot):
    """A DOI or URL has no spaces; on a 360px screen it must wrap, not run off the edge."""
    from articles.models import Article

    article = Article.objects.get(slug=ARTICLE_URL.strip("/").rsplit("/", 1)[1])
    article.references.filter(position=1).update(
        doi="10.1200/JCO.2021.39.15_suppl.TPS1000000000000000000000",
        url="https://www.example.org/a/very/long/path/without/any/spaces/at/all/index.html",
    )
    from django.core.cache import cache

    cache.clear()
    page.set_viewport_size(PHONE)
    page.goto(demo.url + ARTICLE_URL)
    edges = page.eval_on_selector_all(
        ".references a", "links => links.map(a => a.getBoundingClientRect().right)"
    )
    assert edges and max(edges) <= PHONE["width"], edges
    screenshot("article-long-references-phone", target=page.locator("section.references"))


def test_print_stylesheet_hides_navigation_and_keeps_references(demo, page, screenshot):
    page.goto(demo.url + ARTICLE_URL)
    page.emulate_media(media="print")
    assert not page.locator(".site-nav").is_visible()
    assert not page.locator(".subscribe-box").is_visible()
    assert page.locator("#ref-2").is_visible()
    after = page.evaluate("getComputedStyle(document.querySelector('.print-only')).display")
    assert after == "block"
    screenshot("article-print")


def test_draft_preview_for_staff_has_no_axe_violations(demo, page, screenshot):
    from django.contrib.auth.models import User

    User.objects.create_superuser("editor", "editor@example.org", "editor-pass-123")
    page.goto(demo.url + "/admin/login/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", "editor-pass-123")
    page.click("input[type=submit]")
    response = page.goto(demo.url + "/articles/demo-draft-not-yet-published/")
    assert response.status == 200
    assert "Draft preview." in page.locator(".preview-banner").inner_text()
    assert axe_violations(page) == []
    screenshot("draft-preview-desktop")
