"""Publishing from the admin: publish/unpublish, DOI deposits, shared drafts, view on site."""

from datetime import timedelta

import lxml.html
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from reversion.models import Version

from articles.models import (
    Article,
    CrossrefDeposit,
    Issue,
    PreviewLink,
)
from tests.articles.admin_helpers import article_post, form_values, staff_editor
from tests.factories import (
    make_article,
    make_author,
    make_issue,
    make_journal,
)

pytestmark = pytest.mark.django_db


def test_publish_and_unpublish_actions(admin_client):
    make_journal()  # its ISSN is required by the JATS the publish gate checks
    draft = make_article(status=Article.Status.DRAFT, published_at=None)
    scheduled_at = timezone.now() + timedelta(days=3)
    scheduled = make_article(status=Article.Status.DRAFT, published_at=scheduled_at)
    url = reverse("admin:articles_article_changelist")

    admin_client.post(url, {"action": "publish", "_selected_action": [draft.pk, scheduled.pk]})

    draft.refresh_from_db()
    scheduled.refresh_from_db()
    assert draft.status == scheduled.status == Article.Status.PUBLISHED
    assert draft.is_public
    assert scheduled.published_at == scheduled_at and not scheduled.is_public
    assert Version.objects.get_for_object(draft).first().revision.comment == "Published"

    admin_client.post(url, {"action": "unpublish", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.status == Article.Status.DRAFT
    assert draft not in Article.objects.published()


def test_issue_publish_action_puts_its_articles_online(admin_client):
    issue = make_issue(status=Issue.Status.DRAFT, published_at=None)
    article = make_article(issue=issue)
    assert article not in Article.objects.published()
    admin_client.post(
        reverse("admin:articles_issue_changelist"),
        {"action": "publish", "_selected_action": [issue.pk]},
    )
    assert article in Article.objects.published()


def test_list_actions_are_in_the_admin_log(admin_client):
    from django.contrib.admin.models import LogEntry

    make_journal()
    issue = make_issue(status=Issue.Status.DRAFT, published_at=None)
    later = timezone.now() + timedelta(days=2)
    scheduled = make_article(status=Article.Status.DRAFT, published_at=later)
    admin_client.post(
        reverse("admin:articles_issue_changelist"),
        {"action": "publish", "_selected_action": [issue.pk]},
    )
    admin_client.post(
        reverse("admin:articles_article_changelist"),
        {"action": "publish", "_selected_action": [scheduled.pk]},
    )
    admin_client.post(
        reverse("admin:articles_issue_changelist"),
        {"action": "unpublish", "_selected_action": [issue.pk]},
    )
    entries = [(e.object_id, e.get_change_message()) for e in LogEntry.objects.order_by("pk")]
    assert entries[0] == (str(issue.pk), "Published from the list")
    assert entries[1][0] == str(scheduled.pk)
    assert entries[1][1].startswith("Scheduled from the list: goes live on")
    assert entries[2] == (str(issue.pk), "Unpublished (back to draft) from the list")
    dashboard = admin_client.get(reverse("admin:index"))
    assert "Unpublished (back to draft) from the list" in dashboard.text


def test_share_draft_action_creates_a_preview_link(admin_client, admin_user):
    draft = make_article(status=Article.Status.DRAFT)
    response = admin_client.post(
        reverse("admin:articles_article_changelist"),
        {"action": "share_draft", "_selected_action": [draft.pk]},
        follow=True,
    )
    link = PreviewLink.objects.get(article=draft)
    assert link.created_by == admin_user
    assert link.is_active
    assert link.get_absolute_url() in response.text


def test_preview_links_revoke_action(admin_client):
    link = PreviewLink.objects.create(article=make_article(status="draft"))
    admin_client.post(
        reverse("admin:articles_previewlink_changelist"),
        {"action": "revoke", "_selected_action": [link.pk]},
    )
    link.refresh_from_db()
    assert link.revoked_at is not None and not link.is_active


def test_view_on_site_shows_staff_a_draft_and_anonymous_a_404(client):
    draft = make_article(status=Article.Status.DRAFT, title="Secret draft")
    assert client.get(draft.get_absolute_url()).status_code == 404

    staff_editor(client)
    change = client.get(reverse("admin:articles_article_change", args=[draft.pk])).text
    [view_on_site] = lxml.html.fromstring(change).xpath('//a[@class="viewsitelink"]/@href')
    assert view_on_site == draft.get_absolute_url()
    response = client.get(view_on_site)
    assert response.status_code == 200
    assert "Secret draft" in response.text

    client.logout()
    assert client.get(draft.get_absolute_url()).status_code == 404


def test_share_and_revoke_a_draft_from_the_article_page(admin_client, admin_user, client):
    assert (
        admin_client.post(reverse("admin:articles_article_add"), article_post()).status_code == 302
    )
    article = Article.objects.get(slug="a-new-article")
    change = reverse("admin:articles_article_change", args=[article.pk])
    data = form_values(admin_client.get(change).text, "article_form")
    expires = timezone.localtime() + timedelta(days=3)
    data.update(
        {
            "preview_links-TOTAL_FORMS": ["1"],
            "preview_links-0-note": ["Dr Patel, for proofing"],
            "preview_links-0-expires_at_0": [expires.strftime("%Y-%m-%d")],
            "preview_links-0-expires_at_1": [expires.strftime("%H:%M:%S")],
        }
    )
    assert admin_client.post(change, data).status_code == 302
    link = PreviewLink.objects.get(article=article)
    assert (link.note, link.created_by) == ("Dr Patel, for proofing", admin_user)
    assert client.get(link.get_absolute_url()).status_code == 200

    page = admin_client.get(change).text
    # In full, ready to paste into an email to someone without a login.
    assert f'href="{settings.SITE_URL}{link.get_absolute_url()}"' in page
    listing = admin_client.get(reverse("admin:articles_previewlink_changelist")).text
    assert f"{settings.SITE_URL}{link.get_absolute_url()}" in listing
    data = form_values(page, "article_form")
    data["preview_links-0-revoke"] = ["on"]
    assert admin_client.post(change, data).status_code == 302
    link.refresh_from_db()
    assert link.revoked_at is not None
    assert client.get(link.get_absolute_url()).status_code == 404


def test_publish_action_refuses_an_article_citing_a_missing_reference(admin_client):
    make_journal()  # its ISSN is required by the JATS the publish gate checks
    broken = make_article(
        status=Article.Status.DRAFT,
        title="Broken",
        body="<p>See [1] and [2].</p>",
        references=["Only one."],
    )
    fine = make_article(status=Article.Status.DRAFT, title="Fine")
    response = admin_client.post(
        reverse("admin:articles_article_changelist"),
        {"action": "publish", "_selected_action": [broken.pk, fine.pk]},
        follow=True,
    )
    broken.refresh_from_db()
    fine.refresh_from_db()
    assert broken.status == Article.Status.DRAFT
    assert fine.status == Article.Status.PUBLISHED
    text = response.text
    assert "1 article(s) published: readers see them now." in text
    assert "Not published: Broken: The body cites [2] but there is no reference" in text


def test_publish_action_refuses_an_article_with_an_invalid_field(admin_client):
    bad = make_article(status=Article.Status.DRAFT, title="Bad DOI", doi="doi:10.1/x")
    response = admin_client.post(
        reverse("admin:articles_article_changelist"),
        {"action": "publish", "_selected_action": [bad.pk]},
        follow=True,
    )
    bad.refresh_from_db()
    assert bad.status == Article.Status.DRAFT
    assert "Not published: Bad DOI: Enter a DOI such as" in response.text


def test_publish_action_tells_the_editor_what_readers_will_not_see_yet(admin_client):
    at = timezone.now() + timedelta(days=3)
    scheduled = make_article(status=Article.Status.DRAFT, published_at=at, title="Next week")
    waiting = make_article(
        status=Article.Status.DRAFT,
        title="In a draft issue",
        issue=make_issue(status=Issue.Status.DRAFT, volume=13, number=1),
    )
    already = make_article(published_at=at, title="Already scheduled")
    live = make_article(status=Article.Status.DRAFT, title="Live now")

    response = admin_client.post(
        reverse("admin:articles_article_changelist"),
        {"action": "publish", "_selected_action": [scheduled.pk, waiting.pk, already.pk, live.pk]},
        follow=True,
    )

    messages = [str(m) for m in response.context["messages"]]
    local = timezone.localtime(at).strftime("%b %-d, %Y %H:%M")
    assert "1 article(s) published: readers see them now." in messages
    assert f"“Next week” is scheduled for {local}: it goes live then by itself." in messages
    assert f"“Already scheduled” is scheduled for {local}: it goes live then by itself." in messages
    assert (
        "“In a draft issue” is published, but readers will see it only once its issue "
        "“JHOP - June 2022 Vol 13, No 1” is." in messages
    )
    assert not any("Live now" in m for m in messages)
    assert set(Article.objects.published()) == {live}
    assert Article.objects.get(pk=already.pk).published_at == at


def test_view_on_site_is_offered_only_where_the_page_exists(admin_client):
    def view_on_site(url):
        links = lxml.html.fromstring(admin_client.get(url).text).find_class("viewsitelink")
        return links[0].get("href") if links else None

    draft_issue = make_issue(status=Issue.Status.DRAFT)
    public_issue = make_issue()
    unpublished_author, published_author = make_author(), make_author()
    make_article(status=Article.Status.DRAFT, authors=[unpublished_author])
    make_article(issue=public_issue, authors=[published_author])

    # A draft issue's page is its preview for staff (readers get a 404).
    draft_link = view_on_site(reverse("admin:articles_issue_change", args=[draft_issue.pk]))
    assert admin_client.get(draft_link).status_code == 200
    assert (
        view_on_site(reverse("admin:articles_author_change", args=[unpublished_author.pk])) is None
    )
    for obj, name in [(public_issue, "issue"), (published_author, "author")]:
        link = view_on_site(reverse(f"admin:articles_{name}_change", args=[obj.pk]))
        assert link == obj.get_absolute_url()
        assert admin_client.get(link).status_code == 200


def test_issue_publish_action_says_when_a_scheduled_issue_goes_live(admin_client):
    at = timezone.now() + timedelta(days=5)
    issue = make_issue(status=Issue.Status.DRAFT, published_at=at, volume=12, number=4)
    response = admin_client.post(
        reverse("admin:articles_issue_changelist"),
        {"action": "publish", "_selected_action": [issue.pk]},
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    local = timezone.localtime(at).strftime("%b %-d, %Y %H:%M")
    # Only scheduled: nothing says "published" as if readers could see it.
    assert messages == [
        f"“JHOP - June 2022 Vol 12, No 4” is scheduled for {local}: it goes live then by itself.",
    ]
    issue.refresh_from_db()
    assert issue.status == Issue.Status.PUBLISHED and not issue.is_public


def test_export_column_filter_and_deposits_on_the_admin_pages(admin_client, content):
    article = content["article"]
    Article.objects.filter(pk=article.pk).update(
        export_problems="Crossref: Reference 3 has a DOI that is not well formed (10.1/x).",
        export_checked_at=timezone.now(),
    )
    changelist = reverse("admin:articles_article_changelist")
    page = admin_client.get(changelist).content.decode()
    assert "1 problem" in page
    listed = admin_client.get(changelist, {"export": "problems"}).context["cl"].result_list
    assert list(listed) == [article]
    assert not admin_client.get(changelist, {"export": "valid"}).context["cl"].result_list
    change = admin_client.get(reverse("admin:articles_article_change", args=[article.pk]))
    assert "Reference 3 has a DOI that is not well formed" in change.content.decode()
    issue_page = admin_client.get(
        reverse("admin:articles_issue_change", args=[content["issue"].pk])
    ).content.decode()
    assert "jhop-issue-1-1" in issue_page
    assert "Queued" in issue_page


def test_register_dois_action_queues_a_deposit(
    admin_client, settings, django_capture_on_commit_callbacks
):
    settings.CROSSREF_DEPOSIT_URL = "http://127.0.0.1:9/servlet/deposit"  # nothing listens
    journal = make_journal(doi_prefix="10.32013")
    issue = make_issue(journal=journal)
    make_article(issue=issue, doi="10.32013/jhop.9")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:articles_issue_changelist"),
            {"action": "register_dois", "_selected_action": [issue.pk]},
            follow=True,
        )
    assert "1 deposit(s) sent to Crossref" in response.content.decode()
    deposit = CrossrefDeposit.objects.get(issue=issue)
    assert deposit.state == CrossrefDeposit.State.QUEUED  # the task ran: no one answered
    assert deposit.message.startswith("Attempt 1: Crossref did not answer")
    assert deposit.next_attempt_at is not None  # sent again later


def test_register_dois_action_explains_a_refusal(admin_client):
    article = make_article(doi="")
    response = admin_client.post(
        reverse("admin:articles_article_changelist"),
        {"action": "register_dois", "_selected_action": [article.pk]},
        follow=True,
    )
    assert "is not published with a DOI yet" in response.content.decode()
    assert not CrossrefDeposit.objects.exists()


def test_saving_a_published_article_gives_its_doi_and_checks_it(admin_client):
    make_journal(doi_prefix="10.32013")
    data = article_post(status="published", doi="")
    data["published_at_0"], data["published_at_1"] = "2022-06-01", "10:00:00"
    response = admin_client.post(reverse("admin:articles_article_add"), data)
    assert response.status_code == 302
    article = Article.objects.get(slug="a-new-article")
    assert article.doi == f"10.32013/jhop.2022.{article.pk}"
    assert article.first_published_at is not None
    assert article.export_checked_at is not None
    assert article.export_problems == ""
