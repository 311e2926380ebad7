"""Issue labels where editors pick an issue, and list actions in the admin log."""

from datetime import date, timedelta

import lxml.html
import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, CrossrefDeposit, Issue, PreviewLink
from tests.articles.admin_helpers import form_values
from tests.factories import make_article, make_author, make_issue, make_journal

pytestmark = pytest.mark.django_db

FULL = "JHOP - December 2026 Vol 16, No 8: Biosimilars"


@pytest.fixture
def titled():
    # A titled issue: its printed label ("December 2026 Biosimilars") drops Vol and No.
    return make_issue(volume=16, number=8, cover_date=date(2026, 12, 1), title="Biosimilars")


def test_the_issue_autocomplete_says_volume_and_number(admin_client, titled):
    params = {"term": "biosim", "app_label": "articles", "model_name": "article"}
    response = admin_client.get(reverse("admin:autocomplete"), params | {"field_name": "issue"})
    assert [r["text"] for r in response.json()["results"]] == [FULL]


def test_the_article_form_and_list_filter_say_volume_and_number(admin_client, titled):
    article = make_article(issue=titled)
    form = admin_client.get(reverse("admin:articles_article_change", args=[article.pk])).text
    [selected] = lxml.html.fromstring(form).xpath("//select[@name='issue']/option[@selected]")
    assert selected.text_content() == FULL
    changelist = admin_client.get(reverse("admin:articles_article_changelist")).text
    assert f"{FULL}</a>" in changelist


def test_the_article_issue_line_says_month_volume_and_number(client):
    issue = make_issue(volume=16, number=8, cover_date=date(2026, 12, 1))
    article = make_article(issue=issue)
    doc = lxml.html.fromstring(client.get(article.get_absolute_url()).text)
    [line] = doc.find_class("issue-line")
    assert " ".join(line.text_content().split()).startswith("JHOP - December 2026 Vol 16, No 8")


def run(client, model: str, action: str, pks: list[int], **extra):
    data = {"action": action, "_selected_action": pks, **extra}
    return client.post(reverse(f"admin:articles_{model}_changelist"), data, follow=True)


def entries() -> list[tuple[str, str]]:
    return [(e.object_id, e.get_change_message()) for e in LogEntry.objects.order_by("pk")]


@pytest.mark.parametrize("model", ["article", "issue"])
def test_publish_schedule_unpublish_and_share_each_write_one_log_entry(admin_client, model):
    make_journal()  # its ISSN is required by the JATS the publish gate checks
    later = timezone.now() + timedelta(days=2)
    if model == "article":
        now, scheduled = (
            make_article(status="draft"),
            make_article(status="draft", published_at=later),
        )
    else:
        now = make_issue(status=Issue.Status.DRAFT, published_at=None)
        scheduled = make_issue(status=Issue.Status.DRAFT, published_at=later)
    pks = [now.pk, scheduled.pk]

    for action, expected in [
        ("publish", {"Published from the list", "Scheduled from the list: goes live on"}),
        ("unpublish", {"Unpublished (back to draft) from the list"}),
        ("share_draft", {"Shared a draft from the list: a link until"}),
    ]:
        before = LogEntry.objects.count()
        run(admin_client, model, action, pks)
        new = entries()[before:]
        assert sorted(int(pk) for pk, _ in new) == sorted(pks), action
        assert {m for _, m in new for e in expected if m.startswith(e)} == {m for _, m in new}
        assert {e for e in expected if any(m.startswith(e) for _, m in new)} == expected

    changes = admin_client.get(reverse("admin:index")).text.split("Recent changes")[1]
    assert "Shared a draft from the list" in changes


def test_revoke_merge_and_dois_write_one_log_entry_each(admin_client, settings):
    settings.CROSSREF_DEPOSIT_URL = "http://127.0.0.1:9/servlet/deposit"  # nothing listens
    link = PreviewLink.objects.create(article=make_article(status="draft"))
    run(admin_client, "previewlink", "revoke", [link.pk])
    run(admin_client, "previewlink", "revoke", [link.pk])  # already revoked: nothing done
    assert entries() == [(str(link.pk), "Revoked from the list")]

    keep, duplicate = make_author(family_name="Ignoffo"), make_author(family_name="Ignoffo")
    make_article(authors=[keep])
    run(admin_client, "author", "merge", [keep.pk, duplicate.pk], keep=keep.pk, apply="1")
    assert entries()[-1] == (
        str(keep.pk),
        f"Merged from the list: {duplicate.display_name} (#{duplicate.pk})",
    )

    issue = make_issue(journal=make_journal(doi_prefix="10.32013"))
    make_article(issue=issue, doi="10.32013/jhop.9")
    run(admin_client, "issue", "register_dois", [issue.pk])
    assert entries()[-1] == (str(issue.pk), "DOI registration sent to Crossref from the list")
    assert LogEntry.objects.count() == 3
    assert CrossrefDeposit.objects.filter(issue=issue).count() == 1


def test_publishing_in_the_form_writes_one_log_entry(admin_client):
    make_journal()
    article = make_article(status=Article.Status.DRAFT)
    url = reverse("admin:articles_article_change", args=[article.pk])
    page = admin_client.get(url)
    data = form_values(page.text, "article_form") | {"status": ["published"]}
    data.pop("_saveasnew", None)
    admin_client.post(url, data)
    article.refresh_from_db()
    assert article.status == Article.Status.PUBLISHED
    assert len(entries()) == 1


def test_asking_crossref_for_results_logs_each_deposit_asked(admin_client, monkeypatch):
    from articles.scholarly import registration

    monkeypatch.setattr(registration, "check_result", lambda *, deposit: "succeeded")
    issue = make_issue()
    submitted = CrossrefDeposit.objects.create(
        issue=issue, batch_id="b-1", state=CrossrefDeposit.State.SUBMITTED, document="<x/>"
    )
    queued = CrossrefDeposit.objects.create(issue=issue, batch_id="b-2", document="<x/>")

    run(admin_client, "crossrefdeposit", "check_results", [submitted.pk, queued.pk])

    assert entries() == [(str(submitted.pk), "Result asked of Crossref from the list: succeeded")]
