"""Nothing typed is lost: leaving warns, the form autosaves, and the editor restores."""

from articles.models import Article, Autosave
from tests.e2e.test_admin_editor import editor_page  # noqa: F401 (a fixture)
from tests.factories import make_article


def test_leaving_warns_autosave_keeps_the_changes_and_restore_brings_them_back(
    live_server,
    editor_page,  # noqa: F811
    settings,
):
    settings.AUTOSAVE_SECONDS = 1  # 30 s in production
    page, problems = editor_page
    article = make_article(title="Live title", body="<p>Live body.</p>")
    change = f"{live_server.url}/admin/articles/article/{article.pk}/change/"
    dialogs: list[str] = []

    def answer(dialog):
        dialogs.append(dialog.type)
        # The first warning is answered "stay"; the reload later on "leave".
        dialog.dismiss() if len(dialogs) == 1 else dialog.accept()

    page.on("dialog", answer)
    page.goto(change)
    editor = page.locator("[contenteditable=true].ProseMirror")
    editor.wait_for()
    page.fill("#id_title", "Typed title")
    editor.click()
    page.keyboard.press("End")
    page.keyboard.type(" Typed in the browser.")

    page.get_by_text("Unsaved changes kept at").wait_for()
    kept = Autosave.objects.get()
    assert kept.data["title"] == ["Typed title"]
    assert "Typed in the browser." in kept.data["body"][0]
    article.refresh_from_db()
    assert (article.title, article.status) == ("Live title", Article.Status.PUBLISHED)
    assert "Typed" not in article.body_html

    page.click("#site-name a")  # leaving: the browser asks first; the editor stays
    assert dialogs == ["beforeunload"]
    assert page.url == change

    page.reload()
    page.get_by_text("You have unsaved changes from").wait_for()
    page.click("text=restore")
    page.get_by_text("Restored your unsaved changes").wait_for()
    assert page.input_value("#id_title") == "Typed title"
    assert "Typed in the browser." in editor.inner_text()

    before = len(dialogs)
    page.click("input[name=_save]")  # submitting is not leaving: no warning
    page.get_by_text("was changed successfully").wait_for()
    assert len(dialogs) == before
    article.refresh_from_db()
    assert article.title == "Typed title" and "Typed in the browser." in article.body_html
    assert not Autosave.objects.exists()
    assert problems == []
