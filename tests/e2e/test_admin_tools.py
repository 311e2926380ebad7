"""Reordering with the keyboard, and "Look up" for a reference, in a real browser."""

import threading
from http.server import ThreadingHTTPServer

import pytest
from django.contrib.auth.models import Group, User

from articles.models import Article
from tests.articles.test_lookup import FakeMetadata
from tests.factories import make_article, make_author, make_issue, make_section


@pytest.fixture
def editor_page(live_server, page):
    user = User.objects.create_user("editor", password="editor-pass-123", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", "editor-pass-123")
    page.click("input[type=submit]")
    return page


def test_authors_are_reordered_with_the_arrow_keys(live_server, editor_page):
    page = editor_page
    first = make_author(given_name="Ann", family_name="First")
    second = make_author(given_name="Bea", family_name="Second")
    article = make_article(authors=[first, second], body="<p>Text.</p>")

    page.goto(live_server.url + f"/admin/articles/article/{article.pk}/change/")
    page.focus("#authorships-1 .reorder-handle")
    page.keyboard.press("ArrowUp")
    status = page.locator("#authorships-group .reorder-status")
    assert "moved to 1 of 2" in status.inner_text()
    assert page.input_value("#authorships-1 input[name$='-position']") == "1"
    # Focus stays on the handle, so the editor can keep moving the row.
    assert page.evaluate("document.activeElement.classList.contains('reorder-handle')")
    page.click("input[name=_save]")
    page.locator(".messagelist .success").first.wait_for()

    assert [a.family_name for a in Article.objects.get().ordered_authors] == ["Second", "First"]


def test_an_issue_table_of_contents_is_dragged_into_order(live_server, editor_page):
    page = editor_page
    issue = make_issue()
    section = make_section("Original Article")
    make_article(issue=issue, section=section, title="Was first", position=1)
    make_article(issue=issue, section=section, title="Goes first", position=2)

    page.goto(live_server.url + f"/admin/articles/issue/{issue.pk}/change/")
    page.drag_and_drop("#articles-1 .reorder-handle", "#articles-0 td.original")
    page.click("input[name=_save]")
    page.locator(".messagelist .success").first.wait_for()

    titles = list(issue.articles.in_contents_order().values_list("title", flat=True))
    assert titles == ["Goes first", "Was first"]


def test_look_up_fills_a_reference_from_its_doi(live_server, editor_page, settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeMetadata)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.REFERENCE_LOOKUP_CROSSREF_URL = f"http://127.0.0.1:{server.server_address[1]}"
    page = editor_page
    try:
        page.goto(live_server.url + "/admin/articles/article/add/")
        page.fill("#id_references-0-doi", "https://doi.org/10.3390/cancers13020332")
        page.get_by_role("button", name="Look up this reference from its DOI or PMID").click()
        page.locator(".reference-lookup-status", has_text="Filled in").wait_for()
        citation = page.input_value("#id_references-0-citation")
        assert citation.startswith("Roberto M, Astone A, Botticelli A, et al.")
        assert page.input_value("#id_references-0-doi") == "10.3390/cancers13020332"

        page.fill("#id_references-0-doi", "10.9999/unknown")
        page.get_by_role("button", name="Look up this reference from its DOI or PMID").click()
        page.locator(".reference-lookup-status", has_text="Not found.").wait_for()
    finally:
        server.shutdown()
        server.server_close()
