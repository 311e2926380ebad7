"""A reader's journey: home, current issue, an article, a citation and back, a related item,
its topic, then a search; at desktop and phone widths."""

import re

import pytest

from tests.e2e.reader_helpers import ARTICLE_URL, DESKTOP, PHONE, load_demo


@pytest.fixture
def demo(live_server, transactional_db):
    load_demo()
    return live_server


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_reader_journey(demo, page, screenshot, viewport):
    size = "phone" if viewport is PHONE else "desktop"
    problems: list[str] = []
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => console.error("
        "'CSP', e.violatedDirective, e.sourceFile))"
    )
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.set_viewport_size(viewport)
    page.goto(demo.url + "/")
    assert "Journal of Hematology Oncology Pharmacy" in page.title()

    page.get_by_role("link", name="Full table of contents").click()
    assert page.locator("h1").inner_text() == "JHOP - August 2022 Vol 12, No 4"
    screenshot(f"journey-issue-{size}")

    page.get_by_role("link", name="Pharmacist Management of Bispecific Antibody Toxicities").click()
    assert page.locator("h1").inner_text().startswith("Pharmacist Management")
    byline = page.locator(".article-header .byline").inner_text()
    assert "Jordan A. Rivera, PharmD, BCOP" in byline

    citation = page.locator("sup.cite a").filter(has_text="3").first
    citation.click()
    assert page.url.endswith("#ref-3")
    assert page.locator("#ref-3").is_visible()
    assert page.evaluate("document.querySelector(':target').id") == "ref-3"
    screenshot(f"journey-article-{size}")
    page.locator("#ref-3 .backlink").click()
    assert page.url.endswith("#cite-3-1")
    assert page.evaluate("document.querySelector(':target').id") == "cite-3-1"

    related = page.locator(".related .item-title a").first
    related_title = related.inner_text()
    related.click()
    assert page.locator("h1").inner_text() == related_title

    topic_link = page.locator(".issue-line a[href^='/topics/']").first
    topic_name = topic_link.inner_text()
    topic_link.click()
    assert page.locator("h1").inner_text() == topic_name
    assert page.locator(".item").count() >= 1
    screenshot(f"journey-topic-{size}")

    page.fill("#site-search-q", "retinoblastoma")
    page.locator(".site-search button").click()
    assert "result" in page.locator("#results-heading").inner_text()
    first = page.locator(".results .item-title a").first
    assert first.inner_text().startswith("Resistance Mechanisms to CDK4/6 Blockade")
    assert page.locator(".results mark").first.inner_text().lower() == "retinoblastoma"
    screenshot(f"journey-search-{size}")
    assert problems == []


def test_cite_downloads_work_in_the_browser(demo, page):
    page.goto(demo.url + "/articles/demo-pharmacist-management-of-bispecific-antibody-toxicities/")
    with page.expect_download() as download_info:
        # Not just "RIS": a related item's title ("High-Risk …") contains those letters too.
        page.get_by_role("link", name=re.compile(r"^RIS\b")).click()
    download = download_info.value
    assert download.suggested_filename.endswith(".ris")
    assert "TY  - JOUR" in open(download.path(), encoding="utf-8").read()  # noqa: SIM115


def test_subscribe_box_on_a_cached_article_page_still_posts(demo, browser):
    first = browser.new_context()
    first.new_page().goto(demo.url + ARTICLE_URL)
    first.close()
    reader = browser.new_context()
    page = reader.new_page()
    page.goto(demo.url + ARTICLE_URL)
    box = page.locator(".article-subscribe form")
    box.locator("input[type=email]").fill("reader@example.org")
    box.locator("input[name=first_name]").fill("Ada")
    box.locator("input[name=last_name]").fill("Reader")
    box.locator("select[name=profession]").select_option(index=1)
    box.locator("input[type=checkbox]").first.check()
    with page.expect_navigation():
        box.locator("button[type=submit]").click()
    assert "CSRF" not in page.content()
    assert page.url.startswith(demo.url + "/subscribe/")
    reader.close()
