from articles.models import Journal


def test_home_page_loads_in_the_browser_with_the_journal_name(live_server, page, screenshot):
    Journal.objects.create(
        name="Journal of Hematology Oncology Pharmacy",
        short_name="JHOP",
        slug="jhop",
        copyright_line="© Amplity Health. All rights reserved.",
        is_primary=True,
    )
    response = page.goto(live_server.url + "/")
    assert response.status == 200
    assert "Journal of Hematology Oncology Pharmacy" in page.title()
    assert (
        page.locator("footer")
        .inner_text()
        .strip()
        .endswith("© Amplity Health. All rights reserved.")
    )
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    screenshot("home-desktop")
