"""The editor's forms pass axe-core, apart from stock Django admin markup listed here."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import Group, User

from articles.models import Article, Issue
from tests.e2e.reader_helpers import load_demo

# Markup Django's admin renders itself, left out of the check (axe's findings there):
STOCK_DJANGO = [
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


# axe's default rules, plus WCAG 2.2 AA's target size (24 px), which axe leaves off.
WCAG_22_AA = {"rules": {"target-size": {"enabled": True}}}


@pytest.fixture
def editor(live_server, transactional_db, page, settings):
    """Signed in as an editor who also manages subscriptions (to see every screen of ours)."""
    settings.STAFF_2FA = "optional"
    load_demo()
    user = User.objects.create_user("editor", password="editor-pass-123", is_staff=True)
    user.groups.add(*Group.objects.filter(name__in=["Editors", "Subscription managers"]))
    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", "editor-pass-123")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")
    return live_server


def violations(page) -> list[str]:
    page.wait_for_load_state("networkidle")
    results = Axe().run(page, context={"exclude": STOCK_DJANGO}, options=WCAG_22_AA)
    return [
        f"{v['id']}: {', '.join(n['target'][0] for n in v['nodes'][:5])}"
        for v in results.response["violations"]
    ]


def test_our_admin_screens_have_no_axe_violations_and_rows_reorder_by_keyboard(
    editor, page, screenshot
):
    from subscriptions.models import Edition, MailingList

    article = Article.objects.filter(references__isnull=False, authorships__isnull=False).first()
    issue = Issue.objects.first()
    edition = Edition.objects.create(
        mailing_list=MailingList.objects.get(slug="jhop-e-newsletter"),
        subject="This week in JHOP",
        slug="this-week",
    )
    edition.items.create(article=article, position=1)
    urls = [
        "/admin/",  # the dashboard
        "/admin/articles/article/add/",
        f"/admin/articles/article/{article.pk}/change/",  # reference paste, reorderable rows
        "/admin/articles/issue/add/",
        f"/admin/articles/issue/{issue.pk}/change/",
        "/admin/articles/author/add/",
        "/admin/subscriptions/edition/add/",
        f"/admin/subscriptions/edition/{edition.pk}/change/",
        "/admin/subscriptions/mailinglist/growth/",
    ]
    found = {}
    for url in urls:
        page.goto(editor.url + url)
        found[url] = violations(page)
        screenshot("admin" + url.replace("/", "-").rstrip("-"))
    assert found == {url: [] for url in urls}

    # Reordering: the inline's "Reorder" button takes focus to the first row's handle, an
    # arrow key moves the row, and the move is announced.
    page.goto(editor.url + f"/admin/articles/article/{article.pk}/change/")
    # The name Django prints above each tabular row is not drawn over the row's boxes.
    for name in page.locator("fieldset.reorderable td.original p").all():
        assert not name.is_visible()
    authors = page.locator("fieldset.reorderable").first
    authors.get_by_role("button", name="Reorder").click()
    assert page.evaluate("document.activeElement.classList.contains('reorder-handle')")
    page.keyboard.press("ArrowDown")
    status = authors.locator(".reorder-status")
    assert status.get_attribute("aria-live") == "polite"
    assert "moved to 2 of" in status.inner_text()
    assert violations(page) == []


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
