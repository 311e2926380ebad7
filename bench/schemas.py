"""What loading the XML schemas costs, and what an editor's publish waits for because of it.

Prints:
  * each schema's compile time, MathML-free (what the site's documents use) and full;
  * the publish gate's check of each published article once the schemas are loaded;
  * `manage.py crossref_xml --issue N` in a fresh process (wall time);
  * with --publish: the first "Publish" (admin action, over HTTP) served by a freshly
    started gunicorn with deploy/gunicorn.conf.py and one worker.

It reads the demo content (`make run` first, or `manage.py load_demo`) from DATABASE_URL,
default db.sqlite3; --publish turns one demo article back to draft, publishes it, and adds
an administrator `bench-admin`.

    .venv/bin/python bench/schemas.py --publish
"""

import argparse
import os
import re
import secrets
import statistics
import subprocess
import sys
import time
import urllib.parse
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def compile_times() -> None:
    from articles.scholarly import schemas

    root = schemas.schema_dir().resolve()
    for kind in schemas.KINDS:
        row = []
        for mathml in (False, True):
            start = time.perf_counter()
            schemas._compile(kind, root, mathml)
            row.append(time.perf_counter() - start)
        print(f"  {kind:8}  MathML-free {row[0]:6.2f} s   full MathML {row[1]:6.2f} s")


def gate_times() -> None:
    from articles.models import Article
    from articles.scholarly import gate, schemas

    schemas.warm()
    times = []
    for article in Article.objects.published():
        start = time.perf_counter()
        gate.check_article(article)
        times.append((time.perf_counter() - start) * 1000)
    if times:
        print(
            f"  publish gate, {len(times)} articles: median {statistics.median(times):.0f} ms,"
            f" max {max(times):.0f} ms"
        )


def crossref_xml() -> None:
    from articles.models import Issue
    from articles.scholarly import crossref

    issue = next((i for i in Issue.objects.all() if crossref.issue_articles(i).exists()), None)
    if issue is None:
        print("  crossref_xml: no issue with a published DOI (load the demo content)")
        return
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "manage.py", "crossref_xml", "--issue", str(issue.pk)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    print(f"  crossref_xml --issue {issue.pk}, fresh process: {time.perf_counter() - start:.2f} s")


class Browser:
    def __init__(self, port: int):
        self.port, self.cookies = port, {}

    def request(self, method: str, path: str, data: dict | None = None):
        connection = HTTPConnection("127.0.0.1", self.port, timeout=300)
        headers = {"Host": f"127.0.0.1:{self.port}"}
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"http://127.0.0.1:{self.port}"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, value = header.split(";")[0].split("=", 1)
            self.cookies[name] = value
        return response.status, text


def first_publish(port: int) -> None:
    from django.contrib.auth.models import User

    from articles.models import Article

    article = Article.objects.published().filter(issue__isnull=False).order_by("pk").first()
    Article.objects.filter(pk=article.pk).update(status=Article.Status.DRAFT)
    password = secrets.token_urlsafe(12)
    user, _ = User.objects.get_or_create(username="bench-admin")
    user.is_staff = user.is_superuser = True
    user.set_password(password)
    user.save()

    env = {**os.environ, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "1"}
    started = time.perf_counter()
    gunicorn = subprocess.Popen(
        [
            *(str(Path(sys.executable).parent / "gunicorn"), "-c", "deploy/gunicorn.conf.py"),
            *("--log-level", "warning", "--access-logfile", "/dev/null", "jhop.wsgi:application"),
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        browser = Browser(port)
        while True:
            try:
                browser.request("GET", "/healthz")
                break
            except OSError:
                time.sleep(0.1)
        print(f"  gunicorn answering {time.perf_counter() - started:.1f} s after its start")
        token = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
        _, page = browser.request("GET", "/admin/login/")
        login = {"username": "bench-admin", "password": password, "next": "/admin/"}
        browser.request(
            "POST", "/admin/login/", {"csrfmiddlewaretoken": token.search(page)[1], **login}
        )
        _, page = browser.request("GET", "/admin/articles/article/")
        data = {"csrfmiddlewaretoken": token.search(page)[1], "action": "publish"}
        start = time.perf_counter()
        status, _ = browser.request(
            "POST", "/admin/articles/article/", {**data, "_selected_action": [article.pk]}
        )
        elapsed = time.perf_counter() - start
        article.refresh_from_db()
        print(
            f"  first publish in the new worker: {elapsed:.2f} s (HTTP {status}, {article.status})"
        )
    finally:
        gunicorn.terminate()
        gunicorn.wait()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--publish", action="store_true", help="also time a first publish")
    parser.add_argument("--port", type=int, default=8299)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jhop.settings")
    import django

    django.setup()
    print(f"load average {os.getloadavg()[0]:.1f}")
    compile_times()
    gate_times()
    crossref_xml()
    if args.publish:
        first_publish(args.port)


if __name__ == "__main__":
    main()
