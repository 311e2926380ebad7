"""What an editor sees first on the admin index: the state of the journal's content."""

from dataclasses import dataclass

from django.contrib.admin.models import LogEntry
from django.db.models import Prefetch

from articles import citations, review
from articles.models import Article, CrossrefDeposit, Issue, Reference

LIST_LENGTH = 8
# Checks run on the most recently changed articles: older ones were checked when saved.
CHECKED = 50


@dataclass
class Problem:
    article: Article
    messages: list[str]


def problems_of(article: Article) -> list[str]:
    """What is wrong with an article that a reader would notice (empty: nothing)."""
    found = []
    numbers = {r.position for r in article.references.all()}
    if missing := sorted(citations.cited_numbers(article.body) - numbers):
        found.append("cites " + ", ".join(f"[{n}]" for n in missing) + " with no reference")
    found.extend(citations.citation_warnings(article.body, numbers))
    if article.lead_image and not article.lead_image_alt.strip():
        found.append("lead image without alt text")
    return found


def editors_dashboard(*, user=None) -> dict:
    """Drafts, scheduled items, recently published, failing checks, Crossref deposits that
    need an editor, recent changes; with the review step on, what waits for user's review
    and what was sent back to user.

    A fixed number of queries, whatever the number of articles.
    """
    reviewing = review.is_on() and user is not None
    articles = Article.objects.select_related("issue__journal").with_visibility()
    recent = articles.order_by("-updated_at", "-pk").prefetch_related(
        Prefetch("references", queryset=Reference.objects.only("article_id", "position"))
    )[:CHECKED]
    problems = [Problem(a, m) for a in recent if (m := problems_of(a))]
    return {
        "drafts": list(
            articles.filter(status=Article.Status.DRAFT).order_by("-updated_at", "-pk")[
                :LIST_LENGTH
            ]
        ),
        "scheduled": list(articles.scheduled().order_by("published_at", "pk")[:LIST_LENGTH]),
        "scheduled_issues": list(
            Issue.objects.select_related("journal")
            .scheduled()
            .order_by("published_at")[:LIST_LENGTH]
        ),
        "published": list(articles.published().newest_first()[:LIST_LENGTH]),
        "problems": problems[:LIST_LENGTH],
        "deposits": list(
            CrossrefDeposit.objects.needing_editor()
            .select_related("issue__journal", "article")
            .order_by("-updated_at", "-pk")[:LIST_LENGTH]
        ),
        "reviewing": reviewing,
        "waiting": list(review.waiting_for(user)[:LIST_LENGTH]) if reviewing else [],
        "sent_back": list(review.sent_back_to(user)[:LIST_LENGTH]) if reviewing else [],
        "changes": list(
            LogEntry.objects.select_related("user", "content_type").order_by("-action_time")[
                :LIST_LENGTH
            ]
        ),
    }
