"""The editor's forms pass axe-core, apart from stock Django admin markup listed here."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import Group, User

from articles.models import Article, Issue
from tests.e2e.reader_helpers import load_demo

# Markup Django's admin renders itself, left out of the check (axe's findings there):
STOCK_DJANGO = [
    # autocomplete (select2): the combobox <span> has no accessible name
    [".select2-container"],
    # tabular inlines: the first column heading (and "Delete?" where rows cannot be
    # deleted) is empty
    ["fieldset.module > table > thead th.original"],
    ["fieldset.module > table > thead th:last-child"],
    # tabular inlines: the "Delete?" checkbox of each row has no label
    ["td.delete"],
    # breadcrumbs and inline "View on site" links: told apart by colour only
    [".breadcrumbs"],
    ["td.original p a"],
]

PAGES = [
    "/admin/",
    "/admin/articles/article/add/",
    "/admin/articles/issue/add/",
    "/admin/articles/author/add/",
]


@pytest.fixture
def editor(live_server, transactional_db, page):
    load_demo()
    user = User.objects.create_user("editor", password="editor-pass-123", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", "editor-pass-123")
    page.click("input[type=submit]")
    return live_server


def test_editor_forms_have_no_axe_violations(editor, page):
    article = Article.objects.filter(references__isnull=False).first()
    issue = Issue.objects.first()
    urls = [
        *PAGES,
        f"/admin/articles/article/{article.pk}/change/",
        f"/admin/articles/issue/{issue.pk}/change/",
    ]
    found = {}
    for url in urls:
        page.goto(editor.url + url)
        page.wait_for_load_state("networkidle")
        results = Axe().run(page, context={"exclude": STOCK_DJANGO})
        found[url] = [
            f"{v['id']}: {', '.join(n['target'][0] for n in v['nodes'][:5])}"
            for v in results.response["violations"]
        ]
    assert found == {url: [] for url in urls}


def test_a_long_title_does_not_run_under_the_object_tools(editor, page):
    article = Article.objects.first()
    Article.objects.filter(pk=article.pk).update(title="A very long title " * 12)
    page.set_viewport_size({"width": 1024, "height": 800})
    page.goto(editor.url + f"/admin/articles/article/{article.pk}/change/")
    title = page.locator("#content h2").first.bounding_box()
    tools = page.locator(".object-tools").bounding_box()
    overlaps = not (
        tools["y"] >= title["y"] + title["height"]
        or title["y"] >= tools["y"] + tools["height"]
        or tools["x"] >= title["x"] + title["width"]
        or title["x"] >= tools["x"] + tools["width"]
    )
    assert not overlaps


def test_the_body_editor_starts_at_a_useful_height(editor, page):
    page.goto(editor.url + "/admin/articles/article/add/")
    box = page.locator("[contenteditable=true].ProseMirror").bounding_box()
    assert box["height"] >= 300
