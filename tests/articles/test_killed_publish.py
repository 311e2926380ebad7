"""A publish or save cut short (gunicorn's worker timeout) leaves nothing half-written.

On timeout gunicorn aborts the worker: SystemExit is raised wherever the request is, and
if the worker still runs it is killed, which closes its database connection. Either way
the request's transaction must roll back whole, so an editor who sends the form again
starts from what was there before.
"""

import pytest
from django.urls import reverse
from reversion.models import Version

from articles.models import Article
from articles.scholarly import gate
from tests.articles.admin_helpers import article_post
from tests.factories import make_article, make_journal

pytestmark = pytest.mark.django_db


def kill_at_the_gate(monkeypatch, *, check: int) -> list[int]:
    """Abort the worker once the gate has recorded its check-th article."""
    real = gate.record
    calls = []

    def record(article, result):
        real(article, result)
        calls.append(article.pk)
        if len(calls) == check:
            raise SystemExit(1)

    monkeypatch.setattr(gate, "record", record)
    return calls


def test_a_new_published_article_killed_mid_save_is_not_saved(admin_client, monkeypatch):
    killed_at_the_gate = kill_at_the_gate(monkeypatch, check=1)
    make_journal(doi_prefix="10.32013")
    data = article_post(status="published", doi="")
    data["published_at_0"], data["published_at_1"] = "2022-06-01", "10:00:00"
    before = Article.objects.count()

    with pytest.raises(SystemExit):
        admin_client.post(reverse("admin:articles_article_add"), data)

    assert killed_at_the_gate, "the save did not reach the gate"
    assert Article.objects.count() == before
    assert not Article.objects.filter(slug="a-new-article").exists()
    assert not Version.objects.filter(object_repr="A New Article").exists()


def test_articles_killed_mid_publish_all_stay_drafts(admin_client, monkeypatch):
    killed_at_the_gate = kill_at_the_gate(monkeypatch, check=2)
    make_journal(doi_prefix="10.32013")
    drafts = [make_article(status=Article.Status.DRAFT, published_at=None) for _ in range(2)]

    with pytest.raises(SystemExit):
        admin_client.post(
            reverse("admin:articles_article_changelist"),
            {"action": "publish", "_selected_action": [a.pk for a in drafts]},
        )

    assert len(killed_at_the_gate) == 2  # the first article was published, then the kill
    for article in drafts:
        article.refresh_from_db()
        assert article.status == Article.Status.DRAFT
        assert article.published_at is None and article.doi == ""
