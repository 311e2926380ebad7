"""What publishing costs at archive size: the admin's "Unpublish" and "Publish" actions on
one article, in-process, over an archive already in DATABASE_URL (it writes: use a copy).

Prints, per action: queries, app CPU ms (this process) and DB CPU ms (the PostgreSQL
backend serving it, from /proc) per request, and the median wall time. Each round
withdraws the article and publishes it again, so the archive ends as it began; a first
round, not counted, loads what a process loads once (the Crossref and JATS schemas the
publish gate validates against take seconds).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jhop_copy_100k \\
        .venv/bin/python bench/publish.py --rounds 5
"""

import argparse
import os
import statistics
import time

from _setup import configure
from pages import backend_cpu_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if "DATABASE_URL" not in os.environ:
        raise SystemExit("Set DATABASE_URL to a copy of an archive (this benchmark writes).")
    os.environ["CACHE_SECONDS"] = "0"
    configure("unused.sqlite3")
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from articles.models import Article

    settings.ALLOWED_HOSTS = ["*"]
    article = Article.objects.published().newest_first()[10]
    print(
        f"archive: {Article.objects.count()} articles on {connection.vendor}; "
        f"“{article}”: {article.topics.count()} topics, {article.authors.count()} authors"
    )
    user, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    staff = Client()
    staff.force_login(user)
    url = reverse("admin:articles_article_changelist")
    connection.close()
    connection.settings_dict["CONN_MAX_AGE"] = None
    connection.ensure_connection()
    backend = None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = cursor.fetchone()[0]
    figures = {"unpublish": [], "publish": []}
    for action in ("unpublish", "publish"):
        staff.post(url, {"action": action, "_selected_action": [article.pk]})
    for _ in range(args.rounds):
        for action in ("unpublish", "publish"):
            cpu0, db0 = time.process_time(), backend_cpu_seconds(backend)
            start = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                response = staff.post(url, {"action": action, "_selected_action": [article.pk]})
            wall = (time.perf_counter() - start) * 1000
            assert response.status_code == 302, response.status_code
            figures[action].append(
                (
                    len(queries),
                    (time.process_time() - cpu0) * 1000,
                    (backend_cpu_seconds(backend) - db0) * 1000,
                    wall,
                )
            )
    article.refresh_from_db()
    assert article.is_public, "the article should be live again"
    print(f"{'action':<12}{'queries':>9}{'app CPU ms':>12}{'DB CPU ms':>11}{'wall p50 ms':>13}")
    for action, rows in figures.items():
        queries, app, db, wall = zip(*rows, strict=True)
        print(
            f"{action:<12}{max(queries):>9}{statistics.mean(app):>12.1f}"
            f"{statistics.mean(db):>11.1f}{statistics.median(wall):>13.1f}"
        )


if __name__ == "__main__":
    main()
