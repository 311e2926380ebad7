"""Load test: gunicorn serving a large archive on 127.0.0.1, hit by a bounded client.

Starts gunicorn (production-like: DEBUG off, WhiteNoise) on a free loopback port, then
sends at most --requests requests for at most --seconds over --concurrency connections,
cycling through the public page types. Prints requests/s, latency percentiles, error
count, and the resident memory of the gunicorn workers. Stops everything it started.
"""

import argparse
import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from _setup import ROOT, configure, fill_archive


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    total = 0
    for child in [pid, *children(pid)]:
        try:
            for line in Path(f"/proc/{child}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            pass
    return total / 1024


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    configure("load.sqlite3")
    fill_archive(args.articles)
    from articles.models import Article, Author, Issue, Topic

    paths = [
        "/",
        "/issues/",
        Issue.objects.published().first().get_absolute_url(),
        Topic.objects.first().get_absolute_url(),
        Author.objects.first().get_absolute_url(),
        "/search/?q=breast",
        "/feeds/rss/",
        "/healthz",
    ]
    paths += [a.get_absolute_url() for a in Article.objects.published()[:50]]

    port = free_port()
    env = {
        **os.environ,
        "DJANGO_ENV": "production",
        "SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "jhop.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        latencies: list[float] = []
        errors = 0
        lock = threading.Lock()
        sent = 0
        stop_at = time.time() + args.seconds

        def worker(offset: int) -> None:
            nonlocal sent, errors
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            i = offset
            while time.time() < stop_at:
                with lock:
                    if sent >= args.requests:
                        return
                    sent += 1
                path = paths[i % len(paths)]
                i += 1
                t = time.perf_counter()
                try:
                    conn.request("GET", path, headers={"X-Forwarded-Proto": "https"})
                    response = conn.getresponse()
                    response.read()
                    ok = response.status == 200
                except (OSError, http.client.HTTPException):
                    ok = False
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                with lock:
                    latencies.append((time.perf_counter() - t) * 1000)
                    errors += not ok

        started = time.time()
        threads = [threading.Thread(target=worker, args=(k,)) for k in range(args.concurrency)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.time() - started
        q = statistics.quantiles(latencies, n=100)
        print(
            f"{len(latencies)} requests in {elapsed:.1f}s over {args.concurrency} connections, "
            f"{args.workers} gunicorn workers, {len(paths)} URLs, {args.articles} articles"
        )
        print(
            f"throughput {len(latencies) / elapsed:.0f} req/s; latency p50 {q[49]:.1f}ms "
            f"p95 {q[94]:.1f}ms p99 {q[98]:.1f}ms; non-200 {errors}"
        )
        print(f"gunicorn resident memory (master + workers): {rss_mb(server.pid):.0f} MB")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
