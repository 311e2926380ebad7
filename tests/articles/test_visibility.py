"""One definition of what readers see: the Python and the SQL answers agree, state by state."""

from datetime import timedelta

import pytest
from django.utils import timezone

from articles.models import Article, Issue
from articles.models.publishing import Visibility
from tests.factories import make_article, make_issue

pytestmark = pytest.mark.django_db

DRAFT, PUBLISHED = Issue.Status.DRAFT, Issue.Status.PUBLISHED


def _issues() -> dict[str, tuple[Issue, Visibility]]:
    now = timezone.now()
    return {
        "draft": (make_issue(status=DRAFT), Visibility.DRAFT),
        "draft with a past time": (
            make_issue(status=DRAFT, published_at=now - timedelta(days=1)),
            Visibility.DRAFT,
        ),
        "published with no time": (make_issue(published_at=None), Visibility.DRAFT),
        "scheduled": (make_issue(published_at=now + timedelta(days=1)), Visibility.SCHEDULED),
        "live": (make_issue(), Visibility.LIVE),
    }


def test_issue_visibility_in_python_and_sql_agree():
    cases = _issues()
    annotated = {i.pk: i.visibility for i in Issue.objects.with_visibility()}
    published = set(Issue.objects.published().values_list("pk", flat=True))
    scheduled = set(Issue.objects.scheduled().values_list("pk", flat=True))
    for name, (issue, expected) in cases.items():
        issue.refresh_from_db()
        assert issue.visibility == expected, name
        assert annotated[issue.pk] == expected, name
        assert (issue.pk in published) == (expected == Visibility.LIVE), name
        assert (issue.pk in scheduled) == (expected == Visibility.SCHEDULED), name
        assert issue.is_public == (expected == Visibility.LIVE), name


def test_article_visibility_in_python_and_sql_agree_for_every_state():
    now = timezone.now()
    issues = {name: issue for name, (issue, _) in _issues().items()}
    cases: dict[str, tuple[Article, Visibility]] = {
        "draft, web-only": (make_article(status=DRAFT), Visibility.DRAFT),
        "draft in a live issue": (
            make_article(status=DRAFT, issue=issues["live"]),
            Visibility.DRAFT,
        ),
        "published with no time": (make_article(published_at=None), Visibility.DRAFT),
        "scheduled, web-only": (
            make_article(published_at=now + timedelta(hours=1)),
            Visibility.SCHEDULED,
        ),
        # Its own time comes first: it is not "waiting" while its own time is ahead.
        "scheduled in a draft issue": (
            make_article(published_at=now + timedelta(hours=1), issue=issues["draft"]),
            Visibility.SCHEDULED,
        ),
        "live, web-only": (make_article(), Visibility.LIVE),
        "live in a live issue": (make_article(issue=issues["live"]), Visibility.LIVE),
    }
    for name in ("draft", "draft with a past time", "published with no time", "scheduled"):
        cases[f"due in a {name} issue"] = (make_article(issue=issues[name]), Visibility.WAITING)

    annotated = {a.pk: a.visibility for a in Article.objects.with_visibility()}
    published = set(Article.objects.published().values_list("pk", flat=True))
    scheduled = set(Article.objects.scheduled().values_list("pk", flat=True))
    assert len(annotated) == len(cases)  # the annotation keeps web-only articles
    for name, (article, expected) in cases.items():
        article = Article.objects.get(pk=article.pk)
        assert article.visibility == expected, name
        assert annotated[article.pk] == expected, name
        assert (article.pk in published) == (expected == Visibility.LIVE), name
        assert (article.pk in scheduled) == (expected == Visibility.SCHEDULED), name
        assert article.is_public == (expected == Visibility.LIVE), name


def test_a_scheduled_issue_takes_its_articles_live_at_its_time(monkeypatch):
    at = timezone.now() + timedelta(hours=2)
    article = make_article(issue=make_issue(published_at=at))
    assert Article.objects.with_visibility().get().visibility == Visibility.WAITING
    assert Issue.objects.next_go_live() == at
    monkeypatch.setattr(timezone, "now", lambda: at + timedelta(seconds=1))
    assert Article.objects.with_visibility().get().visibility == Visibility.LIVE
    assert list(Article.objects.published()) == [article]
    assert Issue.objects.next_go_live() is None


def test_with_visibility_can_be_filtered_on():
    make_article(status=DRAFT)
    live = make_article()
    assert list(Article.objects.with_visibility().filter(visibility=Visibility.LIVE)) == [live]
