"""check_derived over an archive already built: wall time, CPU seconds and load average.

    createdb -h 127.0.0.1 -U postgres jhop_bench_100k
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jhop_bench_100k \\
        .venv/bin/python bench/archive.py --articles 100000
    .venv/bin/python bench/derived.py --database jhop_bench_100k          # the command
    .venv/bin/python bench/derived.py --database jhop_bench_100k --full   # and --full
    .venv/bin/python bench/derived.py --database jhop_bench_100k --each   # and each check
    .venv/bin/python bench/derived.py --database jhop_bench_100k --raw-sql

Runs `manage.py check_derived` as an operator does (the first time, when no check has
left notes yet; then as the daily run does, with notes; with --full, then as the weekly
run does, every row) (production settings: DJANGO_ENV,
DEBUG off) and prints its wall time, the CPU seconds of its process (all threads) and of
the PostgreSQL backends serving it (sampled from /proc/<pid>/stat every 0.1 s, found in
pg_stat_activity by application_name), and the load average before and after: on a
machine shared with other work, wall time grows with the load and CPU seconds much less.
--each times every check alone first (the search check runs on its key-range connections
beside the others in the command). --raw-sql then writes around Django with SQL (an
author and a topic renamed, an article withdrawn, a count and a search row spoilt), and
prints what check_derived found, what --repair repaired, and a last check (no drift).
The database is changed by --raw-sql only, and left consistent.
"""

import argparse
import io
import os
import re
import sys
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

from tests import servers  # noqa: E402

APP_NAME = "jhop-bench-derived"
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def own_cpu() -> float:
    times = os.times()
    return times.user + times.system


class Backends:
    """CPU seconds of the PostgreSQL backends serving this process, sampled while they
    live (the search check's connections close when it ends)."""

    def __init__(self, database_url: str):
        import psycopg

        self.conn = psycopg.connect(
            re.sub(r"^postgres://", "postgresql://", database_url), autocommit=True
        )
        self.seen: dict[int, float] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.sample, daemon=True)

    def pids(self) -> list[int]:
        rows = self.conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s", [APP_NAME]
        )
        return [pid for (pid,) in rows]

    def sample(self) -> None:
        while not self.stop.wait(0.1):
            for pid in self.pids():
                used = cpu_seconds(pid)
                if used is not None:
                    self.seen[pid] = max(used, self.seen.get(pid, 0))

    def __enter__(self):
        self.start = {pid: cpu_seconds(pid) or 0 for pid in self.pids()}
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        self.used = sum(used - self.start.get(pid, 0) for pid, used in self.seen.items())


def measured(label: str, run, database_url: str) -> None:
    load = os.getloadavg()[0]
    wall, cpu = time.perf_counter(), own_cpu()
    with Backends(database_url) as db:
        result = run()
    wall, cpu = time.perf_counter() - wall, own_cpu() - cpu
    print(
        f"| {label} | {wall:.1f} | {cpu:.1f} | {db.used:.1f} | {load:.1f} → "
        f"{os.getloadavg()[0]:.1f} | {result} |",
        flush=True,
    )


def check_command(*args: str):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    def run() -> str:
        out = io.StringIO()
        try:
            call_command("check_derived", *args, stdout=out)
            result = out.getvalue().strip().splitlines()[-1]
        except CommandError as found:
            result = str(found).split(";")[0]
        recomputed = [
            line.split(" articles recomputed")[0]
            for line in out.getvalue().splitlines()
            if " articles recomputed" in line
        ]
        return result + (f" (recomputed: {'; '.join(recomputed)})" if recomputed else "")

    return run


def one_check(name: str):
    from articles.derived import verify

    return lambda: f"{len(verify.drifts(only=[name]))} drifted"


def raw_sql() -> str:
    """Writes around Django: what an operator might do in psql."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE articles_author SET family_name = family_name || ' (SQL)' "
            "WHERE id = (SELECT author_id FROM articles_authorship ORDER BY id LIMIT 1)"
        )
        cursor.execute(
            "UPDATE articles_topic SET name = name || ' (SQL)' "
            "WHERE id = (SELECT MIN(topic_id) FROM articles_article_topics)"
        )
        cursor.execute(
            "UPDATE articles_article SET status = 'draft' WHERE id = "
            "(SELECT MAX(id) FROM articles_article WHERE status = 'published')"
        )
        cursor.execute(
            "UPDATE articles_section SET published_count = published_count + 5 "
            "WHERE id = (SELECT MIN(id) FROM articles_section)"
        )
        cursor.execute(
            "DELETE FROM articles_search WHERE article_id = (SELECT MIN(id) FROM articles_article)"
        )
    return "5 SQL writes"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--database", required=True, help="a PostgreSQL archive already built")
    parser.add_argument("--each", action="store_true", help="time each check alone first")
    parser.add_argument(
        "--full", action="store_true", help="then the weekly run that ignores the notes"
    )
    parser.add_argument(
        "--raw-sql", action="store_true", help="then drift by SQL, check, repair, check"
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/2")
    )
    args = parser.parse_args()
    if not re.fullmatch(r"[a-z0-9_]+", args.database):
        parser.error("--database: a PostgreSQL database name (a-z, 0-9, _)")
    database_url = f"postgres://postgres@127.0.0.1:5432/{args.database}"
    os.environ.update(
        servers.production_env(
            database_url=f"{database_url}?application_name={APP_NAME}",
            cache_url=args.redis_url,
        )
    )
    import django

    django.setup()
    from django.core.management import call_command

    from articles.derived import verify
    from articles.models import Article, VerifiedCopy

    call_command("migrate", verbosity=0, interactive=False)
    print(
        f"\n{Article.objects.count():,} articles ({args.database}) · DJANGO_ENV=production · "
        f"{os.cpu_count()} cores\n"
    )
    print("| run | wall s | process CPU s | PostgreSQL CPU s | load average | found |")
    print("|---|---|---|---|---|---|")
    if args.each:
        for name in verify.CHECKS:
            measured(f"`--only {name}`", one_check(name), database_url)
    if not VerifiedCopy.objects.exists():
        measured("`check_derived`, the first (no notes yet)", check_command(), database_url)
    measured("`check_derived` (daily: notes)", check_command(), database_url)
    if args.full:
        measured("`check_derived --full` (weekly)", check_command("--full"), database_url)
    if args.raw_sql:
        measured("SQL around Django", raw_sql, database_url)
        measured("`check_derived`", check_command(), database_url)
        measured("`check_derived --repair`", check_command("--repair"), database_url)
        measured("`check_derived`", check_command(), database_url)


if __name__ == "__main__":
    main()
