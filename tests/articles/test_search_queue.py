"""A rename of an author or a topic named in many articles queues their search rows
(migration 0039, articles.derived.search_queue) instead of rewriting them all inside the
renaming request; the worker rewrites them after the commit, under the hub's locks."""

import threading
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections

from articles.derived import pagecache, search_queue, verify
from articles.models import Article, Author, Topic
from tests.factories import make_article, make_author, make_topic

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the search table is PostgreSQL's"
    ),
]


def now_max(n: int) -> None:
    """Rewrite at most n rows in the renaming statement, for the rest of the test."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('jhop.search_now_max', %s, true)", [str(n)])


def found(word: str) -> int:
    return Article.objects.filter(search_entry__document=word).count()


@pytest.fixture
def author():
    author = make_author(given_name="Ada", family_name="Osei")
    for n in range(3):
        make_article(title=f"Dose {n}", authors=[author])
    return author


def test_a_rename_within_the_limit_rewrites_the_rows_at_once(author):
    now_max(3)
    author.family_name = "Mensah"
    author.save()
    assert search_queue.queued() == 0
    assert found("mensah") == 3


def test_a_larger_rename_queues_the_rows_and_the_task_rewrites_them_after_commit(
    author, django_capture_on_commit_callbacks
):
    now_max(2)
    with django_capture_on_commit_callbacks(execute=True):  # runs them at the block's end
        author.family_name = "Mensah"
        author.save()
        assert search_queue.queued() == 3
        assert found("mensah") == 0 and found("osei") == 3  # the old name, until drained
        assert verify.drifts() == []  # queued rows are work to finish, not drift
    # The commit: drain_search_queue ran (on the immediate backend here).
    assert search_queue.queued() == 0
    assert found("mensah") == 3 and found("osei") == 0
    assert verify.drifts() == []


def test_a_topic_rename_by_sql_is_drained_by_check_derived_repair():
    topic = make_topic("Anemia")
    articles = [make_article(title=f"Iron {n}", topics=[topic]) for n in range(3)]
    now_max(1)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE articles_topic SET name = 'Thalassemia' WHERE id = %s", [topic.pk])
    assert search_queue.queued() == 3
    out = StringIO()
    with pytest.raises(CommandError):  # the topic lines are stale: SQL around Django
        call_command("check_derived", stdout=out)
    assert "3 search rows queued for rewriting after a rename" in out.getvalue()
    assert "articles_search of row" not in out.getvalue()
    call_command("check_derived", "--repair", stdout=StringIO())
    assert search_queue.queued() == 0
    assert found("thalassemia") == len(articles)
    assert Topic.objects.get().name == "Thalassemia"
    assert verify.drifts() == []


def test_the_drain_rewrites_the_rows_it_queued_in_batches(author, monkeypatch):
    now_max(0)
    Author.objects.filter(pk=author.pk).update(family_name="Mensah")  # the bulk path
    assert search_queue.queued() == 3
    cooled = []
    monkeypatch.setattr(pagecache, "invalidate", lambda tags: cooled.append(set(tags)))
    assert search_queue.drain(batch=2) == 3
    assert found("mensah") == 3
    assert verify.drifts() == []
    # Search pages cached between the rename and the drain went cold, once a batch.
    assert cooled == [{"list:search"}, {"list:search"}]


@pytest.mark.django_db(transaction=True)
def test_a_rename_during_a_drain_is_not_lost():
    """A rename in flight holds the queued rows (its upsert updates them) and its author's
    row (which the drain locks, in the hub's order, before it reads names): the drain
    waits for it and reads the new name. Without both, the drain would read the name
    before the rename and take the rows off the queue: the old name for good."""
    author = make_author(given_name="Ada", family_name="Osei")
    for n in range(3):
        make_article(title=f"Dose {n}", authors=[author])
    with connection.cursor() as cursor:
        cursor.execute("SET jhop.search_now_max = 0")
    other = connections.create_connection("default")
    try:
        other.connect()
        with connection.cursor() as cursor:  # queued, and no task to drain it (SQL)
            cursor.execute(
                "UPDATE articles_author SET family_name = 'Mensah' WHERE id = %s", [author.pk]
            )
        assert search_queue.queued() == 3
        # The second rename holds the author's row while the drain starts.
        other.set_autocommit(False)
        with other.cursor() as cursor:
            cursor.execute("SET jhop.search_now_max = 0")
            cursor.execute(
                "UPDATE articles_author SET family_name = 'Boateng' WHERE id = %s", [author.pk]
            )
        drained = []
        runner = threading.Thread(target=lambda: drained.append(_drain_in_thread()))
        runner.start()
        runner.join(timeout=1)
        assert runner.is_alive()  # waiting for the rename's lock
        other.commit()
        runner.join(timeout=30)
        assert not runner.is_alive()
        search_queue.drain()  # what the rename queued again, if the drain took it first
        assert found("boateng") == 3 and found("mensah") == 0
        assert verify.drifts(only=["search"]) == []
    finally:
        other.close()
        with connection.cursor() as cursor:
            cursor.execute("RESET jhop.search_now_max")


def _drain_in_thread() -> int:
    try:
        return search_queue.drain()
    finally:
        connection.close()
