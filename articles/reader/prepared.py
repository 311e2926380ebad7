"""Prepared statements for the reader pages, on PostgreSQL.

A reader page (home, article, issue, topic, section, author, feeds) runs the same few
queries on every view, with other values. PostgreSQL parses and plans a query afresh each
time it is sent, and for these pages the planning was most of the database's CPU: 1.5 to 2
ms of the 2.5 to 3 ms the article and home pages cost at 100,000 articles. With server-side
binding (settings: the values travel apart from the SQL, so the text of a query is the
same on every view), psycopg can prepare a statement once it has run `threshold` times on a
connection, and PostgreSQL then reuses its plan (bench/README.md has the figures).

Only views wrapped in ``plan_once`` prepare their statements: their queries have a fixed
shape and a plan that suits any of their values. Search and the admin's lists are planned
for their values each time (psycopg's prepare_threshold None, Django's default on every
other request): a plan kept for any search word chose the wrong index for common words
and cost 100 to 200 ms of database CPU a query, against 9.

DATABASE_PREPARE_THRESHOLD=0 turns preparing off, e.g. behind PgBouncer in transaction
mode without max_prepared_statements; DATABASE_SERVER_SIDE_BINDING=false goes back to
psycopg's client-side binding (which cannot prepare).
"""

from contextlib import contextmanager
from functools import wraps

from django.conf import settings
from django.db import connection


def _can_prepare() -> bool:
    return (
        settings.DATABASE_PREPARE_THRESHOLD > 0
        and connection.vendor == "postgresql"
        and connection.settings_dict.get("OPTIONS", {}).get("server_side_binding") is True
    )


@contextmanager
def prepared_statements():
    """Within: the connection prepares what it runs DATABASE_PREPARE_THRESHOLD times."""
    if not _can_prepare():
        yield
        return
    connection.ensure_connection()
    driver = connection.connection
    driver.prepare_threshold = settings.DATABASE_PREPARE_THRESHOLD
    try:
        yield
    finally:
        driver.prepare_threshold = None  # planned for their values: everything else


def plan_once(view):
    """Run view, and render its template, with prepared statements (see the module)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        with prepared_statements():
            response = view(request, *args, **kwargs)
            if getattr(response, "is_rendered", True) is False:
                response.render()  # the template's queries too
        return response

    return wrapped
