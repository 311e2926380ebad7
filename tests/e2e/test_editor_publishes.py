"""An editor logs into the admin, writes an article with two authors and two references,
publishes it, and a reader sees it on the site."""

from django.contrib.auth.models import User

from tests.factories import make_author, make_issue, make_section, make_topic


def choose_autocomplete(page, select_id: str, text: str):
    """Pick text in one of the admin's autocomplete (select2) widgets, as a person would."""
    page.locator(f"#{select_id} + .select2 .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill(text)
    page.locator(".select2-results__option", has_text=text).first.click()


def test_editor_writes_and_publishes_and_a_reader_sees_it(live_server, page, browser, screenshot):
    User.objects.create_superuser("editor", "editor@example.org", "editor-pass-123")
    make_issue(volume=12, number=3, slug="june-2022", cover_date="2022-06-01")
    make_section("Original Article")
    make_topic("Breast Cancer")
    make_author(given_name="Donyika", family_name="Joseph", credentials="PharmD, BCOP")
    make_author(given_name="Meghan", family_name="Karuturi", credentials="MD, MSc")

    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", "editor-pass-123")
    page.click("input[type=submit]")
    page.goto(live_server.url + "/admin/articles/article/add/")

    page.fill("#id_title", "Adverse Events in Breast Cancer and HIV")
    choose_autocomplete(page, "id_issue", "June 2022")
    choose_autocomplete(page, "id_section", "Original Article")
    page.fill("#id_standfirst", "Concomitant antiretroviral therapy and chemotherapy.")
    editor = page.locator("[contenteditable=true].ProseMirror")
    editor.click()
    page.keyboard.type("Antiretrovirals interact with chemotherapy.[1] Outcomes were good.[2]")

    choose_autocomplete(page, "id_authorships-0-author", "Joseph")
    page.fill("#id_authorships-0-position", "1")
    page.locator(".add-row a", has_text="Add another Author").click()
    choose_autocomplete(page, "id_authorships-1-author", "Karuturi")
    page.fill("#id_authorships-1-position", "2")
    choose_autocomplete(page, "id_article_topics-0-topic", "Breast Cancer")

    page.fill("#id_references-0-position", "1")
    page.fill("#id_references-0-citation", "Joseph D, et al. HIV and cancer. J Oncol. 2021;1:1.")
    page.fill("#id_references-0-doi", "10.1000/demo.1")
    page.locator(".add-row a", has_text="Add another Reference").click()
    page.fill("#id_references-1-position", "2")
    page.fill("#id_references-1-citation", "Karuturi M. Outcomes. Cancer. 2020;2:2.")
    page.fill("#id_references-1-pmid", "33477469")

    page.select_option("#id_status", "published")
    page.fill("#id_published_at_0", "2022-05-02")
    page.fill("#id_published_at_1", "09:00:00")
    screenshot("editor-article-form")
    page.click("input[name=_save]")
    page.locator(".messagelist .success").wait_for()

    reader = browser.new_context(viewport={"width": 1280, "height": 900})
    reader_page = reader.new_page()
    reader_page.goto(live_server.url + "/")
    reader_page.get_by_role("link", name="Adverse Events in Breast Cancer and HIV").first.click()
    assert reader_page.locator("h1").inner_text() == "Adverse Events in Breast Cancer and HIV"
    byline = reader_page.locator(".article-header .byline").inner_text()
    assert byline == "Donyika Joseph, PharmD, BCOP, Meghan Karuturi, MD, MSc"
    line = reader_page.locator(".issue-line").inner_text()
    assert line == "JHOP - June 2022 Vol 12, No 3 - Original Article, Breast Cancer"
    assert reader_page.locator("#ref-1 a[href='https://doi.org/10.1000/demo.1']").is_visible()
    assert reader_page.locator(
        "#ref-2 a[href='https://pubmed.ncbi.nlm.nih.gov/33477469/']"
    ).is_visible()
    reader_page.locator("sup.cite a").nth(1).click()
    assert reader_page.url.endswith("#ref-2")
    assert reader_page.locator("meta[name=citation_author]").evaluate_all(
        "els => els.map(e => e.content)"
    ) == ["Donyika Joseph", "Meghan Karuturi"]
    screenshot("editor-published-article-reader-view", target=reader_page)
    reader.close()
