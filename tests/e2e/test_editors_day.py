"""The editor's day, done when: an Editors-group user enters an issue and an article and
publishes it, with no trap on the way.

Steps a person takes (each fill, click, choice, drag or file pick counts one):

- sign in: open the login page, type the user name, the password, submit (4)
- the issue: open "Add issue" (the journal is preselected), type the volume and the
  number, pick the cover month, type the year, set the status to Published, "Save and
  continue editing" (the slug is made from the label) (7)
- open "Add an article to this issue" from the issue page: the issue is preselected (1)
- the article: type the title (the slug fills itself in), pick the section (click, type,
  choose: 3), click into the body and type it with its citations (2), pick the first
  author (3), "Add another author" (1), pick the second author (3), drag the second
  author above the first (1), paste the three-entry reference list (1), choose the lead
  image (1), set the status to Published (1), save (1) (18)
- the form comes back: the alt text is missing. The image is kept; type the alt text
  and save again (2)

32 steps, against about 80 before (June 2026 walkthrough in issue 12): the journal, the
slugs and the issue were typed or searched for, the cover date typed in full, each
reference typed field by field with its DOI twice, positions typed as numbers, and the
image chosen again after the error.
"""

from io import BytesIO

from django.contrib.auth.models import Group, User
from PIL import Image

from articles.models import Article, Issue
from tests.e2e.test_editor_publishes import choose_autocomplete
from tests.factories import make_author, make_journal, make_section

REFERENCES = """\
1. Modi S, Jacot W, Yamashita T, et al. Trastuzumab deruxtecan in previously treated
HER2-low advanced breast cancer. N Engl J Med. 2022;387(1):9-20. doi:10.1056/NEJMoa2203690.
2. Bardia A, Hurvitz SA, Tolaney SM, et al. Sacituzumab govitecan in metastatic
triple-negative breast cancer. N Engl J Med. 2021;384(16):1529-1541.
doi: 10.1056/NEJMoa2028485. PMID: 33882206
3. Tarantino P, Hamilton E, Tolaney SM, et al. HER2-low breast cancer: pathological and
clinical landscape. J Clin Oncol. 2020;38(17):1951-1962. https://doi.org/10.1200/JCO.19.02488
"""


def test_an_editor_enters_an_issue_and_an_article_and_publishes_it(
    live_server, page, browser, tmp_path, screenshot
):
    editor = User.objects.create_user("editor", password="editor-pass-123", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))
    make_journal()
    make_section("Original Article")
    make_author(given_name="Donyika", family_name="Joseph", credentials="PharmD, BCOP")
    make_author(given_name="Meghan", family_name="Karuturi", credentials="MD, MSc")
    image = tmp_path / "her2-figure.png"
    buffer = BytesIO()
    Image.new("RGB", (800, 500), (30, 90, 160)).save(buffer, format="PNG")
    image.write_bytes(buffer.getvalue())
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on(
        "console",
        lambda m: m.type == "error" and "favicon" not in m.text and problems.append(m.text),
    )

    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", "editor-pass-123")
    page.click("input[type=submit]")

    page.goto(live_server.url + "/admin/articles/issue/add/")
    page.fill("#id_volume", "14")
    page.fill("#id_number", "2")
    page.select_option("#id_cover_date_0", label="April")
    page.fill("#id_cover_date_1", "2024")
    page.select_option("#id_status", "published")
    page.click("input[name=_continue]")
    page.locator(".messagelist .success").first.wait_for()
    issue = Issue.objects.get()
    assert issue.slug == "jhop-april-2024-vol-14-no-2"
    assert issue.journal.is_primary

    page.get_by_role("link", name="Add an article to this issue").click()

    page.fill("#id_title", "Antibody–Drug Conjugates in HER2-Low Breast Cancer")
    choose_autocomplete(page, "id_section", "Original Article")
    page.locator("[contenteditable=true].ProseMirror").click()
    page.keyboard.type("Trastuzumab deruxtecan[1] and sacituzumab govitecan[2] changed care.[3]")
    choose_autocomplete(page, "id_authorships-0-author", "Joseph")
    page.locator(".add-row a", has_text="Add another Author").click()
    choose_autocomplete(page, "id_authorships-1-author", "Karuturi")
    page.drag_and_drop("#authorships-1 .reorder-handle", "#authorships-0 td.original")
    page.fill("#id_reference_list", REFERENCES)
    page.set_input_files("#id_lead_image", str(image))
    page.select_option("#id_status", "published")
    page.click("input[name=_save]")

    page.locator(".errornote").wait_for()
    assert "Describe the image" in page.locator(".field-lead_image_alt").inner_text()
    assert "Kept from your last try" in page.locator(".field-lead_image").inner_text()
    screenshot("editors-day-error-keeps-the-image")
    page.fill("#id_lead_image_alt", "Bar chart of response rates by HER2 status")
    page.click("input[name=_save]")
    page.locator(".messagelist .success").first.wait_for()
    assert problems == []

    article = Article.objects.get()
    assert article.slug == "antibody-drug-conjugates-in-her2-low-breast-cancer"
    assert article.issue == issue and article.is_public
    assert [a.family_name for a in article.ordered_authors] == ["Karuturi", "Joseph"]

    reader = browser.new_context(viewport={"width": 1280, "height": 900})
    reader_page = reader.new_page()
    reader_page.goto(live_server.url + article.get_absolute_url())
    assert reader_page.locator(".article-header .byline").inner_text().startswith("Meghan Karuturi")
    references = reader_page.locator("section.references li")
    assert references.count() == 3
    text = reader_page.locator("section.references").inner_text()
    for doi in ("10.1056/NEJMoa2203690", "10.1056/NEJMoa2028485", "10.1200/JCO.19.02488"):
        assert text.count(doi) == 1, doi
    assert reader_page.locator("#ref-2 a[href='https://pubmed.ncbi.nlm.nih.gov/33882206/']")
    assert reader_page.locator("figure.lead-image img").get_attribute("alt").startswith("Bar")
    dates = reader_page.locator(".article-header .dates").inner_text()
    assert "Updated" not in dates and "Corrected" not in dates
    screenshot("editors-day-reader-view", target=reader_page)
    reader.close()
