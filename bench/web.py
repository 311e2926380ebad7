"""HTTP benchmark: gunicorn in production mode on PostgreSQL and Redis, page by page.

    .venv/bin/python bench/web.py --articles 2000        # builds (or reuses) jhop_bench_2000
    .venv/bin/python bench/web.py --articles 100000 --seconds 10
    .venv/bin/python bench/web.py --articles 2000 --nginx  # nginx before two app servers too
    .venv/bin/python bench/web.py --articles 100000 --database jhop_copy_100k  # an archive
                                                                              # already built

Builds the archive once into its own PostgreSQL database (jhop_bench_<articles>) and
reuses it on later runs (--rebuild to start again). --database measures an archive
already built elsewhere instead (a copy: `createdb -T jhop_100k jhop_copy_100k`): it is
migrated, never built, dropped or rebuilt, and must hold at least --articles articles;
the "unrelated edit" saves one of its articles. Starts gunicorn (2 sync workers,
DJANGO_ENV=production, CACHE_URL=Redis) on 127.0.0.1, and for each page type runs wrk
(4 connections, --seconds each; 127.0.0.1 only) and prints: requests/s, × the static CSS
file's rate in the same run, app CPU ms per request (utime+stime of the gunicorn
workers, from /proc/<pid>/stat), database CPU ms per request (the same for the
PostgreSQL backends serving those workers, found in pg_stat_activity by
application_name), and the page's SQL query count (one uncached render in-process).

Uncached pages are measured with the page cache off (CACHE_SECONDS=0); "article
(cached)" with it on. "After an unrelated edit": another published article is saved
(every cached page goes stale), then the article page is fetched once: its cost is a
cold render. With --nginx, nginx (deploy/nginx/jhop-proxy.conf) balances two gunicorn
instances, and the article and static file are measured through it, with nginx's cache
statuses (HIT, REVALIDATED, ...). Everything started is stopped by PID at the end.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

# This file is named http.py: keep its folder behind the standard library's "http" package.
BENCH = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH]
sys.path.append(str(BENCH))
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

from tests import servers  # noqa: E402

APP_NAME = "jhop-bench-app"
TICKS = os.sysconf("SC_CLK_TCK")
WRK = shutil.which("wrk")


def cpu_ms(pids) -> float:
    total = 0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except (FileNotFoundError, ProcessLookupError):
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total * 1000 / TICKS


def backend_pids(db_name: str) -> list[int]:
    from django.db import connections

    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND application_name = %s",
            [db_name, APP_NAME],
        )
        return [row[0] for row in cursor.fetchall()]


def run_wrk(url: str, seconds: float, connections: int) -> tuple[float, int]:
    assert url.startswith("http://127.0.0.1:"), url
    if WRK:
        out = subprocess.run(
            [WRK, "-t2", f"-c{connections}", f"-d{max(1, round(seconds))}s", url],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 30,
        ).stdout
        total = int(re.search(r"(\d+) requests in", out).group(1))
        rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        if errors:
            print(f"  ! {errors.group(1)} non-2xx answers for {url}", file=sys.stderr)
        return rate, total
    return python_load(url, seconds, connections)


def python_load(url: str, seconds: float, connections: int) -> tuple[float, int]:
    """A bounded fallback when wrk is missing: keep-alive connections, at most 200k requests."""
    import http.client
    import threading
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    count = [0] * connections
    stop = time.monotonic() + seconds

    def worker(i):
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        while time.monotonic() < stop and count[i] < 200_000 // connections:
            conn.request("GET", path)
            conn.getresponse().read()
            count[i] += 1
        conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(count) / (time.monotonic() - start), sum(count)


def measure(url, *, seconds, connections, app_pids, db_name, weight=False) -> dict:
    if not weight:
        run_wrk(url, 1, connections)  # warm up (connections to PostgreSQL, caches)
    pg = backend_pids(db_name)
    app0, db0 = cpu_ms(app_pids), cpu_ms(pg)
    rate, total = run_wrk(url, seconds, connections)
    pg_after = backend_pids(db_name)
    app1, db1 = cpu_ms(app_pids), cpu_ms(pg_after)
    return {
        "rate": rate,
        "total": total,
        "seconds": total / rate if rate else seconds,
        "app": (app1 - app0) / max(total, 1),
        "db": max(db1 - db0, 0) / max(total, 1),
    }


def alternating(urls, *, seconds, connections, app_pids, db_name, rounds=4) -> list[dict]:
    """Measure the URLs in turn, a slice each, several rounds: on a shared machine the load
    drifts, and two figures compared with each other should see the same drift."""
    slices = [
        measure(
            url,
            seconds=max(1, seconds / rounds),
            connections=connections,
            app_pids=app_pids,
            db_name=db_name,
            weight=True,
        )
        for _ in range(rounds)
        for url in urls
    ]
    results = []
    for i in range(len(urls)):
        mine = slices[i :: len(urls)]
        total = sum(m["total"] for m in mine)
        results.append(
            {
                "rate": total / sum(m["seconds"] for m in mine),
                "app": sum(m["app"] * m["total"] for m in mine) / total,
                "db": sum(m["db"] * m["total"] for m in mine) / total,
            }
        )
    return results


def query_count(path: str) -> int:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    client = Client(HTTP_HOST="127.0.0.1")
    with override_settings(CACHE_MIDDLEWARE_SECONDS=0):
        client.get(path)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return len(queries)


def database_names() -> list[str]:
    return subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", "SELECT datname FROM pg_database"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()


def ensure_database(name: str, articles: int, rebuild: bool) -> None:
    assert re.fullmatch(r"[a-z0-9_]+", name), name
    exists = name in database_names()
    if exists and rebuild:
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
        exists = False
    if not exists:
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)


def build(articles: int, *, existing: bool = False) -> None:
    """Migrate the database and fill it with the archive unless it holds one already;
    existing: never fill it (an archive built elsewhere)."""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    from articles.models import Article

    have = Article.objects.count()
    if have >= articles:
        print(f"Reusing the database: {have} articles.")
        return
    if existing:
        raise SystemExit(f"The database holds {have} articles, fewer than --articles {articles}.")
    if have:
        raise SystemExit(f"The database holds {have} articles, not {articles}: use --rebuild.")
    from _setup import fill_archive

    started = time.monotonic()
    fill_archive(articles)
    print(f"Built {articles} articles in {time.monotonic() - started:.0f} s.")


def page_urls() -> dict[str, str]:
    from django.templatetags.static import static

    from articles.models import Article, Author, Issue, Section, Topic

    article = Article.objects.published().newest_first()[10]
    author = Author.objects.filter(authorships__article=article).first()
    topic = Topic.objects.filter(articles=article).first()
    return {
        "static CSS": static("css/site.css"),
        "article": article.get_absolute_url(),
        "home": "/",
        "issue": Issue.objects.published().first().get_absolute_url(),
        "topic": topic.get_absolute_url(),
        "section": Section.objects.filter(articles=article).first().get_absolute_url(),
        "author": author.get_absolute_url(),
        "search": "/search/?q=breast+cancer",
        "archive": "/issues/",
        "sitemap index": "/sitemap.xml",
    }


def table(*cells) -> None:
    print("| " + " | ".join(str(c) for c in cells) + " |", flush=True)


def row(name, m, static_rate, queries="") -> None:
    times = m["rate"] / static_rate if static_rate else 0
    table(name, f"{m['rate']:,.1f}", f"{times:.3f}", f"{m['app']:.1f}", f"{m['db']:.1f}", queries)


def after_unrelated_edit(base: str, path: str, *, app_pids, db_name, rounds=10) -> dict:
    """A cold render right after an edit that does not touch the page."""
    import urllib.request

    from articles.models import Article

    shown = path.rstrip("/").rsplit("/", 1)[-1]
    unrelated = Article.objects.published().exclude(slug=shown).order_by("pk").first()
    cold_ms, cold_app, cold_db, hit_ms = [], [], [], []
    statuses: Counter = Counter()
    for _ in range(rounds):
        unrelated.save()  # another article corrected: with cache tags, this page stays warm
        pg = backend_pids(db_name)
        app0, db0 = cpu_ms(app_pids), cpu_ms(pg)
        start = time.perf_counter()
        with urllib.request.urlopen(base + path, timeout=30) as response:
            response.read()
            statuses[response.headers.get("X-Cache")] += 1
        cold_ms.append((time.perf_counter() - start) * 1000)
        cold_app.append(cpu_ms(app_pids) - app0)
        cold_db.append(cpu_ms(backend_pids(db_name)) - db0)
        start = time.perf_counter()
        urllib.request.urlopen(base + path, timeout=30).read()
        hit_ms.append((time.perf_counter() - start) * 1000)
    mean = lambda xs: sum(xs) / len(xs)  # noqa: E731
    return {
        "cold": mean(cold_ms),
        "app": mean(cold_app),
        "db": mean(cold_db),
        "hit": mean(hit_ms),
        "statuses": dict(statuses),
    }


def distinct_pages(count: int) -> list[str]:
    """count distinct public pages: the lists first (home, archive, topics, feeds, sitemap,
    every topic and section, the newest issues: at most a quarter of count), then authors'
    pages and article pages (at least half: a large archive has more issues than that)."""
    from articles.models import Article, Author, Issue, Section, Topic

    pages = ["/", "/issues/", "/topics/", "/feeds/rss/", "/feeds/atom/", "/sitemap.xml"]
    for model in (Topic, Section):
        pages += [o.get_absolute_url() for o in model.objects.order_by("pk")]
    issues = Issue.objects.published().order_by("-pk")[: max(count // 4 - len(pages), 0)]
    pages += [issue.get_absolute_url() for issue in issues]
    articles = list(Article.objects.published().order_by("?")[:count])
    authors = Author.objects.filter(authorships__article__in=articles[: count // 4]).distinct()
    pages += [a.get_absolute_url() for a in authors.order_by("pk")[: count // 8]]
    pages += [a.get_absolute_url() for a in articles]
    return list(dict.fromkeys(pages))[:count]


def fetch_all(base: str, paths: list[str], *, connections: int) -> Counter:
    """GET every path once (connections at a time); how many answers said HIT, MISS, or
    gave another status."""
    import http.client
    import threading
    from urllib.parse import urlsplit

    parts = urlsplit(base)
    found: Counter = Counter()
    lock = threading.Lock()
    queue = list(paths)

    def worker():
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        while True:
            with lock:
                if not queue:
                    break
                path = queue.pop()
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            status = response.getheader("X-Cache") if response.status == 200 else response.status
            with lock:
                found[status] += 1
                if status == "MISS":
                    found.setdefault("missed", []).append(path)
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return found


def correct_a_reference(article_pk: int, n: int) -> None:
    """What an editor does: fix one reference of one article (through the ORM: the same
    signals as the admin)."""
    from articles.models import Reference

    reference = Reference.objects.filter(article_id=article_pk).order_by("position").first()
    reference.citation = reference.citation.rstrip(" .") + f" (corrected {n})."
    reference.save()


def zipf_replay(base, paths, *, seconds, connections, edit_every, articles, app_pids) -> dict:
    """Zipf-distributed reads of paths (the first the most read) for seconds, with a
    reference corrected every edit_every seconds; bounded at 500,000 requests."""
    import http.client
    import random
    import threading
    from itertools import accumulate
    from urllib.parse import urlsplit

    parts = urlsplit(base)
    weights = list(accumulate(1 / rank for rank in range(1, len(paths) + 1)))
    found: Counter = Counter()
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def worker(i):
        rng = random.Random(i)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        seen: Counter = Counter()
        while time.monotonic() < stop and sum(seen.values()) < 500_000 // connections:
            (path,) = rng.choices(paths, cum_weights=weights)
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            seen[response.getheader("X-Cache") if response.status == 200 else "error"] += 1
        conn.close()
        with lock:
            found.update(seen)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    app0 = cpu_ms(app_pids)
    for t in threads:
        t.start()
    edits, rng = 0, random.Random(7)
    while time.monotonic() + edit_every <= stop:
        time.sleep(edit_every)
        edits += 1
        correct_a_reference(rng.choice(articles), edits)
    for t in threads:
        t.join()
    total = sum(found.values())
    return {
        "hits": found["HIT"],
        "total": total,
        "errors": found["error"],
        "edits": edits,
        "app": (cpu_ms(app_pids) - app0) / max(total, 1),
    }


def tag_invalidation(args, env: dict, redis_url: str) -> None:
    """Cache tags against the global version: pages cooled by one edit, and the hit ratio
    of a minute of Zipf-distributed reads with an edit every ten seconds."""
    import random

    import redis
    from django.conf import settings

    from articles.models import Article, Reference

    paths = distinct_pages(args.pages)
    by_path = {a.get_absolute_url(): a.pk for a in Article.objects.published().only("slug")}
    articles = [by_path[p] for p in paths if p in by_path]
    # The edits correct a reference: of the warmed articles, those that have one (a news
    # item may have none).
    cited = set(
        Reference.objects.filter(article_id__in=articles).values_list("article_id", flat=True)
    )
    articles = [pk for pk in articles if pk in cited]
    rng = random.Random(11)
    edited = rng.choice(articles)
    shows = [p for p in paths if p not in by_path or by_path[p] != edited]
    print(
        f"\n{Article.objects.count():,} articles · {len(paths):,} distinct pages warmed · "
        f"gunicorn {args.workers} sync workers · {args.connections} client connections · "
        f"load average {os.getloadavg()[0]:.1f}\n"
    )
    print(
        "| invalidation | pages cold after one reference corrected | replay hit ratio "
        "| requests | edits | app CPU ms/req |"
    )
    print("|---|---|---|---|---|---|")
    taken: set[int] = set()
    for label, tags_on in (("cache tags", True), ("global version (before)", False)):
        settings.PAGE_CACHE_TAGS = tags_on  # the writer (this process) decides what to bump
        redis.Redis.from_url(redis_url).flushdb()
        app = servers.Gunicorn(
            port=servers.free_port(taken),
            env={**env, "PAGE_CACHE_TAGS": str(tags_on).lower()},
            workers=args.workers,
        )
        try:
            pids = app.worker_pids()
            fetch_all(app.url, paths, connections=args.connections)  # warm
            warm = fetch_all(app.url, paths, connections=args.connections)
            correct_a_reference(edited, 0)
            time.sleep(0.05)  # the announcement's way to the workers
            after = fetch_all(app.url, paths, connections=args.connections)
            cooled = after["MISS"]
            named = sorted(set(after.get("missed", [])) & set(shows))[:5]
            replay = zipf_replay(
                app.url,
                paths,
                seconds=args.replay_seconds,
                connections=args.connections,
                edit_every=10,
                articles=articles,
                app_pids=pids,
            )
        finally:
            app.stop()
        table(
            label,
            f"{cooled:,} of {warm['HIT']:,} warm",
            f"{replay['hits'] / max(replay['total'], 1):.4f}",
            f"{replay['total']:,}",
            replay["edits"],
            f"{replay['app']:.2f}",
        )
        if tags_on:
            print(f"  (article {edited} edited; some other pages that went cold: {named})")
    print(f"\nLoad average at the end: {os.getloadavg()[0]:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=8, help="wrk time per page")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rebuild", action="store_true", help="drop and rebuild the database")
    parser.add_argument(
        "--ports",
        default=f"{servers.PORTS.start}-{servers.PORTS.stop - 1}",
        help="loopback ports the servers may take, FIRST-LAST (default %(default)s)",
    )
    parser.add_argument(
        "--database",
        help="measure this existing PostgreSQL database (an archive built elsewhere) "
        "instead of jhop_bench_<articles>",
    )
    parser.add_argument("--nginx", action="store_true", help="also measure through nginx")
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/2")
    )
    parser.add_argument(
        "--tag-invalidation",
        action="store_true",
        help="only compare cache tags with the global version: pages cooled by one edit, "
        "and the hit ratio of Zipf reads with an edit every 10 s",
    )
    parser.add_argument("--pages", type=int, default=2000, help="distinct pages to warm")
    parser.add_argument("--replay-seconds", type=float, default=60)
    args = parser.parse_args()

    try:
        first, last = (int(n) for n in args.ports.split("-"))
    except ValueError:
        parser.error("--ports: FIRST-LAST, e.g. 18300-18399")
    if not 1024 <= first <= last <= 65535:
        parser.error("--ports: FIRST-LAST, between 1024 and 65535")
    servers.PORTS = range(first, last + 1)
    if args.database:
        if args.rebuild:
            parser.error("--rebuild drops the database: not with --database")
        if not re.fullmatch(r"[a-z0-9_]+", args.database):
            parser.error("--database: a PostgreSQL database name (a-z, 0-9, _)")
        if args.database not in database_names():
            parser.error(f"--database: there is no database {args.database}")
        db_name = args.database
    else:
        db_name = f"jhop_bench_{args.articles}"
        ensure_database(db_name, args.articles, args.rebuild)
    database_url = f"postgres://postgres@127.0.0.1:5432/{db_name}?application_name={APP_NAME}"
    env = servers.production_env(
        database_url=database_url, cache_url=args.redis_url, CONN_MAX_AGE="600"
    )
    os.environ.update({**env, "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{db_name}"})
    build(args.articles, existing=bool(args.database))
    servers.collect_static(env)
    import redis

    redis.Redis.from_url(args.redis_url).flushdb()
    if args.tag_invalidation:
        tag_invalidation(args, env, args.redis_url)
        return
    urls = page_urls()
    queries = {name: query_count(path) for name, path in urls.items() if name != "static CSS"}

    from articles.models import Article

    print(
        f"\n{Article.objects.count():,} articles ({db_name}) · gunicorn {args.workers} sync "
        f"workers · wrk {args.connections} connections × {args.seconds:g} s · PostgreSQL + "
        f"Redis · load average {os.getloadavg()[0]:.1f}\n"
    )
    print("| page | req/s | × static | app CPU ms/req | DB CPU ms/req | queries |")
    print("|---|---|---|---|---|---|")

    def load(url: str, pids: list[int]) -> dict:
        return measure(
            url, seconds=args.seconds, connections=args.connections, app_pids=pids, db_name=db_name
        )

    taken: set[int] = set()
    app = servers.Gunicorn(
        port=servers.free_port(taken), env={**env, "CACHE_SECONDS": "0"}, workers=args.workers
    )
    try:
        pids = app.worker_pids()
        static = load(app.url + urls["static CSS"], pids)
        row("static CSS (same server)", static, static["rate"], 0)
        for name, path in urls.items():
            if name == "static CSS":
                continue
            m = load(app.url + path, pids)
            row(name, m, static["rate"], queries[name])
    finally:
        app.stop()

    cached = servers.Gunicorn(port=servers.free_port(taken), env=env, workers=args.workers)
    second = None
    proxy = None
    try:
        pids = cached.worker_pids()
        static, m = alternating(
            [cached.url + urls["static CSS"], cached.url + urls["article"]],
            seconds=args.seconds,
            connections=args.connections,
            app_pids=pids,
            db_name=db_name,
        )
        row("article, page cache on (Redis)", m, static["rate"], 0)
        row("static CSS in that run", static, static["rate"], 0)
        edit = after_unrelated_edit(cached.url, urls["article"], app_pids=pids, db_name=db_name)
        print(
            f"\nArticle right after an unrelated edit ({edit['statuses']}): {edit['cold']:.1f} "
            f"ms wall, {edit['app']:.1f} ms app CPU, {edit['db']:.1f} ms DB CPU; "
            f"the next request (cache hit): {edit['hit']:.1f} ms wall."
        )
        if args.nginx:
            second = servers.Gunicorn(port=servers.free_port(taken), env=env, workers=args.workers)
            proxy = servers.Nginx(
                port=servers.free_port(taken), upstreams=[cached.port, second.port]
            )
            all_pids = pids + second.worker_pids()
            print()
            table(
                "through nginx (2 app servers)", "req/s", "× static", "app CPU ms", "DB CPU ms", ""
            )
            table("---", "---", "---", "---", "---", "---")
            before = len(proxy.log())
            s = load(proxy.url + urls["static CSS"], all_pids)
            row("static CSS", s, s["rate"])
            mid = len(proxy.log())
            a = load(proxy.url + urls["article"], all_pids)
            row("article", a, s["rate"])
            log = proxy.log()
            for label, lines in (("static CSS", log[before:mid]), ("article", log[mid:])):
                statuses = Counter(line[4] for line in lines)
                total = sum(statuses.values())
                # UPDATING: served from nginx while one request revalidates with the app.
                served = sum(statuses[k] for k in ("HIT", "REVALIDATED", "UPDATING", "STALE"))
                print(
                    f"nginx cache, {label}: {served / total:.1%} served from nginx's cache "
                    f"({', '.join(f'{k} {v}' for k, v in statuses.most_common())})"
                )
            print(
                f"gunicorn alone in the same run: article {m['rate']:,.1f} req/s, "
                f"static {static['rate']:,.1f} req/s"
            )
    finally:
        for server in (proxy, second, cached):
            if server is not None:
                server.stop()
    print(f"\nLoad average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
