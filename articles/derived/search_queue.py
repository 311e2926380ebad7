"""Search rows queued for rewriting (PostgreSQL): a rename of an author or a topic named
in more than jhop.search_now_max articles (200 unless set) queues their rows in
articles_search_pending instead of rewriting them in the renaming statement (migration
0039: each rewrite puts every lexeme of the document into the RUM index again, about
23 ms an article on realistic text). Until drained, those rows hold the old name.

drain() rewrites them in batches, each in its own transaction under the hub's locks (the
authors', topics' and sections' rows first, in the hub's order): a rename of one of the
batch's names either committed before the lock, and the batch reads the new name, or
waits for the batch and queues its rows again. The hub enqueues drain_search_queue after
a rename that queued rows commits; the worker's periodic job drains what SQL around Django
queued, and check_derived --repair drains before it checks.
"""

from django.db import connection, transaction
from django_tasks import task

from articles.derived import locks, pagecache

BATCH = 100


def queued() -> int:
    """How many search rows wait to be rewritten."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM articles_search_pending")
        return cursor.fetchone()[0]


def any_queued() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM articles_search_pending)")
        return cursor.fetchone()[0]


def drain(*, batch: int = BATCH) -> int:
    """Rewrite every queued search row; how many were rewritten."""
    if connection.vendor != "postgresql":
        return 0
    done = 0
    while True:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT article_id FROM articles_search_pending ORDER BY article_id LIMIT %s",
                    [batch],
                )
                ids = [pk for (pk,) in cursor.fetchall()]
            if not ids:
                return done
            locks.lock_for(ids)
            with connection.cursor() as cursor:
                cursor.execute(
                    "DELETE FROM articles_search_pending WHERE article_id = ANY(%s) "
                    "RETURNING article_id",
                    [ids],
                )
                ids = [pk for (pk,) in cursor.fetchall()]  # a concurrent drain took the rest
            locks.refresh_search(ids)
            if ids:  # search pages cached since the rename still miss the new name
                pagecache.invalidate(["list:search"])
        done += len(ids)


def after_rename() -> None:
    """Called after a name's save: drain after commit if the rename queued rows."""
    if connection.vendor == "postgresql" and any_queued():
        transaction.on_commit(drain_search_queue.enqueue, robust=True)


@task()
def drain_search_queue() -> int:
    """Rewrite the search rows a large rename queued."""
    return drain()
