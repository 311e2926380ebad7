"""The article editor works in a real browser under the site's Content-Security-Policy."""

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from articles.models import Article, Issue, PreviewLink
from tests.factories import make_author, make_issue


@pytest.fixture
def editor_page(live_server, page):
    User.objects.create_superuser("editor", "editor@example.org", "editor-pass-123")
    problems: list[str] = []
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => console.error("
        "'CSP', e.violatedDirective, e.sourceFile, e.lineNumber, e.columnNumber, e.sample))"
    )
    page.on(
        "console",
        lambda m: (
            m.type == "error"
            and not m.location["url"].endswith("/favicon.ico")
            and problems.append(f"{m.text} {m.location}")
        ),
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("response", lambda r: r.status >= 400 and problems.append(f"{r.status} {r.url}"))
    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", "editor-pass-123")
    page.click("input[type=submit]")
    return page, problems


def test_rich_text_editor_loads_without_csp_violations(live_server, editor_page, screenshot):
    page, problems = editor_page
    issue = make_issue()
    make_author(given_name="Meg", family_name="Barbor", credentials="MPH")
    page.goto(live_server.url + "/admin/articles/article/add/")
    editor = page.locator("[contenteditable=true].ProseMirror")
    editor.wait_for()
    assert problems == []

    page.fill("#id_title", "Written in the Browser")
    editor.click()
    page.keyboard.type("Typed in the editor, citing [1].")
    page.keyboard.press("Control+b")
    page.keyboard.type(" Bold.")
    page.select_option("#id_status", "published")
    page.fill("#id_published_at_0", "2022-06-16")
    page.fill("#id_published_at_1", "10:00:00")
    page.locator("#id_issue").evaluate(
        "(el, pk) => { el.append(new Option('issue', pk, true, true)); }", str(issue.pk)
    )
    page.fill("#id_references-0-position", "1")
    page.fill("#id_references-0-citation", "Roberto M, et al. Cancers (Basel). 2021;13:332.")
    screenshot("admin-article-editor")
    page.click("input[name=_save]")
    page.locator(".messagelist .success").wait_for()

    article = Article.objects.get(slug="written-in-the-browser")
    assert article.body == "<p>Typed in the editor, citing [1].<strong> Bold.</strong></p>"
    assert article.references.get().position == 1
    assert problems == []


def test_journal_admin_pages_have_no_csp_violations(live_server, editor_page):
    page, problems = editor_page
    call_command("load_demo", stdout=StringIO())
    article = Article.objects.filter(references__isnull=False).first()
    PreviewLink.objects.create(article=article)
    urls = ["/admin/"]
    for name in ["article", "issue", "author", "journal", "section", "topic", "previewlink"]:
        urls += [f"/admin/articles/{name}/", f"/admin/articles/{name}/add/"]
    urls += [
        f"/admin/articles/article/{article.pk}/change/",
        f"/admin/articles/article/{article.pk}/history/",
        f"/admin/articles/issue/{Issue.objects.first().pk}/change/",
    ]
    for url in urls:
        response = page.goto(live_server.url + url)
        assert response.status == 200, url
        page.wait_for_load_state("networkidle")
        assert problems == [], url


def test_the_body_editor_is_named_after_its_label(live_server, editor_page):
    """axe's aria-input-field-name: a screen reader announces "Body", not an unnamed box."""
    from axe_playwright_python.sync_playwright import Axe

    page, problems = editor_page
    page.goto(live_server.url + "/admin/articles/article/add/")
    editor = page.get_by_role("textbox", name="Body")
    editor.wait_for()
    assert editor.get_attribute("contenteditable") == "true"
    results = Axe().run(
        page,
        context={"include": [[".prose-editor"]]},
        options={"runOnly": ["aria-input-field-name"]},
    )
    assert [n["target"] for v in results.response["violations"] for n in v["nodes"]] == []
    assert problems == []
