"""Editorial review: editors submit, managing editors approve (and publish) or send back."""

import pytest
import reversion
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, User
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from reversion.models import Version

from articles import review, services
from articles.models import Article, ReviewComment, ReviewState
from tests.articles.admin_helpers import article_post, form_values
from tests.articles.test_views_html import check
from tests.factories import make_article, make_issue

pytestmark = pytest.mark.django_db


@pytest.fixture
def review_on(settings):
    settings.EDITORIAL_REVIEW = True


def staff(username: str, group: str) -> User:
    user = User.objects.create_user(
        username, email=f"{username}@jhop.example", password="pw-12345678", is_staff=True
    )
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def editor():
    return staff("editor", "Editors")


@pytest.fixture
def managing():
    return staff("managing", "Managing editors")


def logged(article) -> list[str]:
    return list(
        LogEntry.objects.filter(object_id=str(article.pk))
        .order_by("pk")
        .values_list("change_message", flat=True)
    )


def test_managing_editors_may_approve_and_editors_may_not(editor, managing):
    assert managing.has_perm("articles.approve_article")
    assert managing.has_perm("articles.change_article")
    assert not editor.has_perm("articles.approve_article")
    assert editor.has_perm("articles.change_article")


def test_submit_then_approve_emails_the_next_person_and_logs_each_step(
    review_on, editor, managing, django_capture_on_commit_callbacks
):
    article = make_article(status="draft")
    with django_capture_on_commit_callbacks(execute=True):
        review.submit(article=article, user=editor, comment="Ready, I think.")
        # Not sent inside the request: a task, queued once the transaction commits.
        assert mail.outbox == []
    assert article.review.state == ReviewState.IN_REVIEW
    assert [m.to for m in mail.outbox] == [["managing@jhop.example"]]
    assert mail.outbox[0].subject == f"For review: {article.title}"
    assert "Ready, I think." in mail.outbox[0].body
    assert reverse("admin:articles_article_change", args=[article.pk]) in mail.outbox[0].body

    with django_capture_on_commit_callbacks(execute=True):
        review.approve(article=article, user=managing)
    article.review.refresh_from_db()
    assert article.review.state == ReviewState.APPROVED
    assert article.review.decided_by == managing
    assert mail.outbox[1].to == ["editor@jhop.example"]
    assert mail.outbox[1].subject == f"Approved: {article.title}"
    assert logged(article) == ["Submitted for review: Ready, I think.", "Approved"]
    article.refresh_from_db()
    assert article.status == Article.Status.DRAFT  # approval alone publishes nothing


def test_changes_requested_goes_back_to_the_editor_who_may_submit_again(
    review_on, editor, managing, django_capture_on_commit_callbacks
):
    article = make_article(status="draft")
    review.submit(article=article, user=editor)
    with pytest.raises(ValidationError, match="Say what to change"):
        review.request_changes(article=article, user=managing, comment="  ")
    with django_capture_on_commit_callbacks(execute=True):
        review.request_changes(article=article, user=managing, comment="Cite the trial.")
    article.review.refresh_from_db()
    assert article.review.state == ReviewState.CHANGES_REQUESTED
    assert mail.outbox[-1].to == ["editor@jhop.example"]
    assert "Cite the trial." in mail.outbox[-1].body
    assert [r.article for r in review.sent_back_to(editor)] == [article]
    assert list(review.waiting_for(managing)) == []

    review.submit(article=article, user=editor)
    assert [r.article for r in review.waiting_for(managing)] == [article]
    assert logged(article)[-2:] == ["Changes requested: Cite the trial.", "Submitted for review"]


def test_an_editor_cannot_approve_nor_send_back(review_on, editor, managing):
    article = make_article(status="draft")
    review.submit(article=article, user=managing)
    with pytest.raises(PermissionDenied):
        review.approve(article=article, user=editor)
    with pytest.raises(PermissionDenied):
        review.request_changes(article=article, user=editor, comment="No.")
    article.review.refresh_from_db()
    assert article.review.state == ReviewState.IN_REVIEW


def test_nobody_approves_their_own_submission(review_on, managing):
    article = make_article(status="draft")
    review.submit(article=article, user=managing)
    with pytest.raises(ValidationError, match="Another managing editor"):
        review.approve(article=article, user=managing)


def test_transitions_out_of_order_are_refused_and_change_nothing(review_on, editor, managing):
    article = make_article(status="draft")
    with pytest.raises(ValidationError, match="Only an article in review"):
        review.approve(article=article, user=managing)
    review.submit(article=article, user=editor)
    with pytest.raises(ValidationError, match="already in review"):
        review.submit(article=article, user=editor)
    published = make_article(title="Live one")
    with pytest.raises(ValidationError, match="already published"):
        review.submit(article=published, user=editor)
    assert logged(article) == ["Submitted for review"]


def test_with_review_off_there_is_no_review(editor):
    article = make_article(status="draft")
    with pytest.raises(ValidationError, match="review step is off"):
        review.submit(article=article, user=editor)
    assert review.may_publish(editor)


def test_with_review_on_only_a_managing_editor_publishes(review_on, editor, managing):
    article = make_article(status="draft", issue=make_issue())
    articles = Article.objects.filter(pk=article.pk)
    refused = services.publish(objects=articles, user=editor)
    assert refused.changed == 0 and "needs a managing editor" in refused.refused[0]
    article.refresh_from_db()
    assert article.status == Article.Status.DRAFT
    assert services.publish(objects=articles, user=managing).changed == 1
    article.refresh_from_db()
    assert article.is_public


def test_an_editor_cannot_publish_through_the_form_or_the_list(review_on, client, editor):
    client.force_login(editor)
    add = client.post(reverse("admin:articles_article_add"), article_post(status="published"))
    assert add.status_code == 302
    article = Article.objects.get(slug="a-new-article")
    assert article.status == Article.Status.DRAFT
    changelist = reverse("admin:articles_article_changelist")
    client.post(changelist, {"action": "publish", "_selected_action": [article.pk]})
    article.refresh_from_db()
    assert article.status == Article.Status.DRAFT
    page = client.get(changelist).text
    assert 'value="publish"' not in page


def test_through_the_admin_an_editor_submits_and_a_managing_editor_publishes(
    review_on, client, editor, managing, django_capture_on_commit_callbacks
):
    client.force_login(editor)
    data = article_post(_review="submit", review_comment="Please check the doses.")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:articles_article_add"), data)
    article = Article.objects.get(slug="a-new-article")
    change = reverse("admin:articles_article_change", args=[article.pk])
    assert response.status_code == 302 and response["Location"] == change + "#review"
    assert article.review.state == ReviewState.IN_REVIEW
    assert mail.outbox[-1].to == ["managing@jhop.example"]
    page = client.get(change).text
    assert "Please check the doses." in page and 'value="approve"' not in page
    assert check(page) == []
    dashboard = client.get(reverse("admin:index")).text
    assert "Nothing waits for your review." in dashboard and check(dashboard) == []

    client.force_login(managing)
    dashboard = client.get(reverse("admin:index")).text
    assert "Waiting for my review" in dashboard and f"{change}#review" in dashboard
    page = client.get(change).text
    assert 'value="approve"' in page and check(page) == []
    data = form_values(page, "article_form")
    data.update(_review="publish", review_comment="Good to go.")
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(change, data).status_code == 302
    article.refresh_from_db()
    assert article.is_public and article.review.state == ReviewState.APPROVED
    assert "Published (review: approved)" in client.get(change).text
    assert mail.outbox[-1].to == ["editor@jhop.example"]
    assert "Good to go." in mail.outbox[-1].body
    assert "Approved: Good to go." in logged(article)
    assert "Published on approval" in logged(article)


def test_comments_show_in_the_form_escaped_and_a_bad_action_changes_nothing(
    review_on, client, editor
):
    article = make_article(status="draft")
    change = reverse("admin:articles_article_change", args=[article.pk])
    client.force_login(editor)
    data = form_values(client.get(change).text, "article_form")
    data.update(_review="comment", review_comment="<script>alert(1)</script> dose?")
    assert client.post(change, data).status_code == 302
    page = client.get(change).text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; dose?" in page
    assert ReviewComment.objects.get().author == editor

    data.update(_review="approve", review_comment="")
    assert client.post(change, {**data, "title": "Changed"}).status_code == 403
    data.update(_review="fly")
    assert client.post(change, {**data, "title": "Changed"}).status_code == 400
    data.update(_review="comment", review_comment="x" * (review.COMMENT_LIMIT + 1))
    response = client.post(change, {**data, "title": "Changed"})
    assert response.status_code == 400 and b"at most 5000 characters" in response.content
    article.refresh_from_db()
    assert article.title != "Changed" and ReviewComment.objects.count() == 1
    assert not hasattr(article, "review") or article.review.state == ReviewState.DRAFT


def test_an_editor_cannot_publish_by_restoring_a_published_version(review_on, client, editor):
    article = make_article(issue=make_issue())
    with reversion.create_revision():
        article.save()
    Article.objects.filter(pk=article.pk).update(status=Article.Status.DRAFT)
    version = Version.objects.get_for_object(article).get()
    url = reverse("admin:articles_article_revision", args=[article.pk, version.pk])
    client.force_login(editor)
    response = client.get(url, follow=True)
    assert "restoring it would publish the article" in response.text
    client.post(url, {})
    article.refresh_from_db()
    assert article.status == Article.Status.DRAFT


def test_the_review_lists_cost_the_same_queries_however_many_wait(
    review_on, client, editor, managing
):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            page = client.get(reverse("admin:index")).text
        assert "Waiting for my review" in page and "Sent back to me" in page
        return len(queries)

    client.force_login(managing)
    review.submit(article=make_article(status="draft"), user=editor)
    count()  # a session's first admin request also looks up the second factor
    few = count()
    for n in range(6):
        review.submit(article=make_article(title=f"More {n}", status="draft"), user=editor)
        sent_back = make_article(title=f"Back {n}", status="draft")
        review.submit(article=sent_back, user=managing)
        review.request_changes(
            article=sent_back, user=staff(f"m{n}", "Managing editors"), comment="x"
        )
    assert count() == few
