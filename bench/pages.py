"""CPU and SQL queries of every public page type (and the large admin changelists),
uncached, over a large archive.

Renders each page in-process with the production settings (DJANGO_ENV=production,
DEBUG off, the hashed static files, Redis as the cache when --redis-url is given, requests
over HTTPS as the proxy forwards them) and the page cache off (CACHE_SECONDS=0), and
prints, per page: queries per request; app CPU ms per request (this process's user+system
time); on PostgreSQL, database CPU ms per request (user+system time of the backend
serving this process, from /proc; the kernel counts it in ticks of 10 ms, so use a
--repeat of 100 or more); their sum; and the median wall time.

    .venv/bin/python bench/pages.py --articles 2000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jhop_pages_100k \\
        .venv/bin/python bench/pages.py --articles 100000 --reuse --pages article home "issue TOC"
"""

import argparse
import cProfile
import os
import pstats
import statistics
import time
from pathlib import Path
from urllib.parse import unquote_plus

from _setup import configure, fill_archive

from tests import servers

TICKS = os.sysconf("SC_CLK_TCK")


def backend_cpu_seconds(pid: int | None) -> float:
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def configure_production(redis_url: str):
    """The production settings, as far as one process can have them: what an app host's
    environment holds (tests.servers.production_env), HTTPS kept on, the page cache off."""
    database_url = os.environ.get("DATABASE_URL", "")
    env = servers.production_env(
        database_url=database_url or "sqlite:///unused",
        cache_url=redis_url or "locmemcache://bench-pages",
        ALLOWED_HOSTS="testserver",
        SECURE_SSL_REDIRECT="true",
        TRUSTED_PROXY_COUNT="0",
        CACHE_SECONDS="0",  # measure renders, not the page cache
    )
    if not database_url:
        del env["DATABASE_URL"]  # configure() makes a throwaway SQLite file
    os.environ.update(env)
    if redis_url:
        import redis

        redis.Redis.from_url(redis_url).flushdb()
    configure("pages.sqlite3")
    servers.collect_static(env)


def load_average() -> str:
    """The machine's load (others' work included), as /proc reads it."""
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument(
        "--reuse", action="store_true", help="use the archive already in DATABASE_URL"
    )
    parser.add_argument(
        "--pages", nargs="+", metavar="NAME", help="measure only these pages (default: all)"
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", ""),
        help="the cache (default: the local-memory cache; production uses Redis)",
    )
    parser.add_argument(
        "--only",
        metavar="WORD",
        help="measure only the pages whose name contains WORD (e.g. search)",
    )
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="also profile the repeated requests (cProfile) and print the top functions; "
        "FILE keeps the stats (python -m pstats FILE)",
    )
    args = parser.parse_args()

    configure_production(args.redis_url)
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from articles.models import Article, Author, Issue, Section, Topic

    assert settings.PRODUCTION and not settings.DEBUG
    have = Article.objects.count()
    if not (args.reuse and have >= args.articles):
        if have:
            raise SystemExit(f"The database holds {have} articles: use --reuse or an empty one.")
        t0 = time.perf_counter()
        fill_archive(args.articles)
        print(f"archive built in {time.perf_counter() - t0:.1f}s")
    print(f"archive: {Article.objects.count()} articles on {connection.vendor}")
    print(f"load average before (1, 5, 15 min): {load_average()}")

    article = Article.objects.published().newest_first()[10]
    last_page = -(-Article.objects.published().count() // 5000)
    topic = Topic.objects.filter(articles=article).first()
    section = Section.objects.filter(articles=article).first()
    author = Author.objects.filter(authorships__article=article).first()
    # A year in the middle of the archive: its articles are neither the newest nor the oldest.
    oldest = Article.objects.published().order_by("published_at").first()
    year = (oldest.published_at.year + article.published_at.year) // 2
    pages = {
        # What any request costs here (middleware, no template): a yardstick for the rest.
        "robots.txt": "/robots.txt",
        "home": reverse("home"),
        "article": article.get_absolute_url(),
        "issue TOC": Issue.objects.published().first().get_absolute_url(),
        "topic": topic.get_absolute_url(),
        "topic, last page": topic.get_absolute_url() + "?page=last",
        "section": section.get_absolute_url(),
        "author": author.get_absolute_url(),
        "issue archive": reverse("articles:issue-list"),
        "topics index": reverse("articles:topic-list"),
        "search common": reverse("articles:search") + "?q=cancer",
        "search phrase": reverse("articles:search") + '?q="breast+cancer"',
        "search rare": reverse("articles:search") + "?q=zanubrutinib",
        "search author": reverse("articles:search") + f"?q={author.family_name}",
        "search, page 40": reverse("articles:search") + "?q=cancer&page=40",
        "search common, by date": reverse("articles:search") + "?q=cancer&sort=date",
        "search author initial": reverse("articles:search")
        + f"?q={author.family_name}+{author.given_name[:1]}",
        # Phrases, exclusions, or, filters: every form the search page accepts.
        "search phrase reversed": reverse("articles:search") + '?q="cancer+breast"',
        "search phrase never": reverse("articles:search") + '?q="evidence+summary"',
        "search phrase rare words": reverse("articles:search") + '?q="zanubrutinib+lymphoma"',
        "search phrase, page 40": reverse("articles:search") + '?q="breast+cancer"&page=40',
        "search exclusion only": reverse("articles:search") + "?q=-cancer",
        "search word -word": reverse("articles:search") + "?q=cancer+-breast",
        "search or": reverse("articles:search") + "?q=zanubrutinib+or+lymphoma",
        "search word -common": reverse("articles:search") + "?q=lymphoma+-cancer",
        "search topic only": reverse("articles:search") + f"?topic={topic.slug}",
        "search topic only, page 40": reverse("articles:search") + f"?topic={topic.slug}&page=40",
        "search section only": reverse("articles:search") + f"?section={section.slug}",
        "search year only": reverse("articles:search") + f"?year={year}",
        "search all filters": reverse("articles:search")
        + f"?topic={topic.slug}&section={section.slug}&year={year}",
        "search common+topic": reverse("articles:search") + f"?q=cancer&topic={topic.slug}",
        "search common+section": reverse("articles:search") + f"?q=cancer&section={section.slug}",
        "search common+year": reverse("articles:search") + f"?q=cancer&year={year}",
        "search mid word+topic": reverse("articles:search") + f"?q=stem&topic={topic.slug}",
        "search rare+topic": reverse("articles:search") + f"?q=zanubrutinib&topic={topic.slug}",
        "search phrase+topic": reverse("articles:search")
        + f'?q="cancer+breast"&topic={topic.slug}',
        "RSS feed": reverse("articles:feed-latest-rss"),
        "sitemap index": reverse("sitemap"),
        "sitemap articles": reverse("sitemap-section", args=["articles"]) + f"?p={last_page}",
        "sitemap authors": reverse("sitemap-section", args=["authors"]),
    }
    from django.contrib.auth import get_user_model

    admin_user, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    staff = Client()
    staff.force_login(admin_user)
    # Production asks staff for a second factor (jhop/twofactor.py): the session passed it.
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device, _ = TOTPDevice.objects.get_or_create(
        user=admin_user, name="bench", defaults={"confirmed": True}
    )
    session = staff.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    from subscriptions.models import MailingList

    newsletter = MailingList.objects.order_by("pk").first()
    articles_admin = reverse("admin:articles_article_changelist")
    subscribers_admin = reverse("admin:subscriptions_subscriber_changelist")
    pages.update(
        {
            "admin articles": articles_admin,
            "admin art. search": f"{articles_admin}?q=lymphoma",
            "admin art. common": f"{articles_admin}?q=cancer",
            "admin art. author": f"{articles_admin}?q={author.family_name}",
            "admin art. topic": f"{articles_admin}?topic={topic.pk}",
            "admin article form": reverse("admin:articles_article_change", args=[article.pk]),
            "admin authors": reverse("admin:articles_author_changelist"),
            "admin subscribers": subscribers_admin,
            "admin subs. search": f"{subscribers_admin}?q=smith",
            "admin subs. list": f"{subscribers_admin}?subscription={newsletter.pk}:active",
        }
    )
    if args.pages:
        wanted = set(args.pages)
        if unknown := wanted - set(pages):
            raise SystemExit(
                f"Unknown pages: {', '.join(sorted(unknown))}. Known: {', '.join(pages)}"
            )
        pages = {name: url for name, url in pages.items() if name in wanted}
    if args.only:
        pages = {name: url for name, url in pages.items() if args.only in name}
    reader = Client()
    # One database session for the whole run, so its backend's CPU time can be read.
    connection.close()
    connection.settings_dict["CONN_MAX_AGE"] = None
    connection.ensure_connection()
    backend = None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = cursor.fetchone()[0]
    print(
        f"{'page':<28}{'status':>7}{'queries':>9}{'app CPU ms':>12}{'DB CPU ms':>11}"
        f"{'app+DB ms':>11}{'wall p50 ms':>13}"
    )
    for name, url in pages.items():
        client = staff if name.startswith("admin") else reader
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url, secure=True)  # as the proxy forwards it
        n_queries = len(ctx.captured_queries)
        walls = []
        profiler = cProfile.Profile() if args.profile else None
        cpu0, db0 = time.process_time(), backend_cpu_seconds(backend)
        for _ in range(args.repeat):
            t = time.perf_counter()
            if profiler:
                profiler.enable()
            client.get(url, secure=True)
            if profiler:
                profiler.disable()
            walls.append((time.perf_counter() - t) * 1000)
        app_ms = (time.process_time() - cpu0) * 1000 / args.repeat
        db_ms = (backend_cpu_seconds(backend) - db0) * 1000 / args.repeat
        if profiler:
            profiler.dump_stats(args.profile)
            pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        db = f"{db_ms:>11.1f}" if backend else f"{'-':>11}"
        print(
            f"{name:<28}{response.status_code:>7}{n_queries:>9}{app_ms:>12.1f}{db}"
            f"{app_ms + db_ms:>11.1f}{statistics.median(walls):>13.1f}",
            flush=True,
        )
    print(f"load average after (1, 5, 15 min): {load_average()}")
    print("\nwhat each page asked:")
    for name, url in pages.items():
        print(f"  {name:<28}{unquote_plus(url)}")


if __name__ == "__main__":
    main()
