"""The deployment check: nginx (deploy/nginx/jhop-proxy.conf) in front of two app servers.

Two gunicorn instances in production mode stand for two app hosts sharing PostgreSQL and
Redis; nginx balances them (round robin) and caches pages. Through nginx: a signup begun
on one app server is confirmed on the other, rate limits count across both, failed staff
sign-ins on one lock the username out on the other, and a publish made through one is
visible at once through the other and through nginx.

It needs PostgreSQL (the app servers share the test database), Redis and nginx; CI runs it
in its PostgreSQL pass (.ci/run installs nginx). Run it alone with:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jhop python -m pytest -m proxy
"""

import http.client
import os
import re
import shutil
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from django.conf import settings
from django.db import connection

from tests import servers
from tests.factories import make_journal

REDIS_URL = os.environ.get("JHOP_CHECK_REDIS_URL", "redis://127.0.0.1:6379/2")

pytestmark = [
    pytest.mark.proxy,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("app-servers"),  # Redis database 2 and staticfiles/, one at a time
]


def _redis():
    import redis

    return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)


def _requirements() -> str:
    if connection.vendor != "postgresql":
        return "the two app servers share the database: run with DATABASE_URL=postgres://…"
    if not shutil.which(servers.NGINX) and not Path(servers.NGINX).exists():
        return "nginx is not installed (apt-get install nginx; .ci/run does it)"
    try:
        _redis().ping()
    except Exception as exc:
        return f"no Redis at {REDIS_URL}: {exc}"
    return ""


class Browser:
    """A minimal HTTP client that keeps cookies (Secure ones too: this is loopback HTTP)."""

    def __init__(self, base_url: str):
        self.base = base_url
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port
        self.cookies: dict[str, str] = {}
        self.sent = 0
        self.logged_before = 0  # lines in nginx's log before this browser's first request

    def request(self, method: str, path: str, data: dict | None = None, headers=None):
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        sent = {"Host": f"{self.host}:{self.port}", **(headers or {})}
        body = None
        if data is not None:
            body = urlencode(data, doseq=True)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
            sent.setdefault("Origin", self.base)
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection.request(method, path, body=body, headers=sent)
        self.sent += 1
        response = connection.getresponse()
        content = response.read().decode()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        connection.close()
        return response, content

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, data, **kw):
        return self.request("POST", path, data=data, **kw)


@pytest.fixture(scope="module")
def stack(django_db_setup, django_db_blocker, tmp_path_factory):
    """Two app servers on the test database and one Redis, nginx in front; stopped after."""
    with django_db_blocker.unblock():
        missing = _requirements()
    if missing and os.environ.get("CI") and connection.vendor == "postgresql":
        pytest.fail(f"CI's PostgreSQL pass must run the reverse-proxy check: {missing}")
    if missing:
        pytest.skip(missing)
    db = settings.DATABASES["default"]
    database_url = (
        f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    mail_dir = tmp_path_factory.mktemp("mail")
    env = servers.production_env(
        database_url=database_url,
        cache_url=REDIS_URL,
        EMAIL_URL=f"filemail:///{mail_dir}",  # four slashes: an absolute path
        TASK_BACKEND="django_tasks.backends.immediate.ImmediateBackend",
        SUBSCRIPTIONS_MIN_FORM_SECONDS="0.5",
        SUBSCRIPTIONS_RATE_PER_EMAIL="3/h",
        CONN_MAX_AGE="0",  # the test database is dropped at the end: hold no connection
    )
    servers.collect_static(env)
    taken: set[int] = set()
    started = []
    try:
        app_a = servers.Gunicorn(port=servers.free_port(taken), env=env, workers=1)
        started.append(app_a)
        app_b = servers.Gunicorn(port=servers.free_port(taken), env=env, workers=1)
        started.append(app_b)
        proxy = servers.Nginx(port=servers.free_port(taken), upstreams=[app_a.port, app_b.port])
        started.append(proxy)
        yield {"a": app_a, "b": app_b, "nginx": proxy, "mail": mail_dir}
    finally:
        for server in reversed(started):
            server.stop()


@pytest.fixture(autouse=True)
def _fresh_redis(request):
    if "stack" in request.fixturenames:
        _redis().flushdb()


def last_upstream(proxy, browser) -> str:
    """The app server nginx sent browser's last request to (the only browser using it)."""
    deadline = time.monotonic() + 5
    while len(log := proxy.log()) < browser.logged_before + browser.sent:  # logged after
        assert time.monotonic() < deadline, "nginx did not log the request"
        time.sleep(0.01)
    forwarded = [line for line in log if line[3] != "-"]
    return forwarded[-1][3]


def next_goes_to_other_than(proxy, browser, upstream: str) -> None:
    """Round robin: make the next forwarded request go to the other app server."""
    for _ in range(4):
        if last_upstream(proxy, browser) == upstream:
            return
        browser.get("/healthz")
    raise AssertionError("nginx did not alternate between the app servers")


def cache_answers(server, *, wait: float = 10) -> bool:
    """Whether the app server's /healthz finds its cache (Redis) answering, within wait s."""
    deadline = time.monotonic() + wait
    while True:
        _, body = Browser(server.url).get("/healthz")
        if '"cache": "ok"' in body:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.5)


def stamp(browser) -> str:
    response, content = browser.get("/subscribe/stamp/")
    assert response.status == 200 and "no-store" in response.headers["Cache-Control"]
    time.sleep(0.6)  # SUBSCRIPTIONS_MIN_FORM_SECONDS
    return re.search(r'"started": "([^"]+)"', content).group(1)


def signup(browser, newsletter, email: str, *, stamp_from=None):
    from subscriptions.models import ConsentText

    data = {
        "email": email,
        "first_name": "Ada",
        "last_name": "Lovelace",
        "profession": "pharmacist",
        "lists": [str(newsletter.pk)],
        "consent_text": str(ConsentText.objects.latest().pk),
        "started": stamp(stamp_from or browser),
        "website": "",
    }
    return browser.post("/subscribe/", data)


def newest_mail(mail_dir: Path) -> str:
    files = sorted(mail_dir.iterdir(), key=lambda p: p.stat().st_mtime)
    assert files, "no email was written"
    return files[-1].read_text()


def test_a_signup_begun_on_one_app_server_is_confirmed_on_the_other(stack):
    from subscriptions.models import MailingList, Subscriber, Subscription
    from tests.subscriptions.factories import ensure_defaults

    make_journal(postal_address="Amplity Health\n2 Walnut St, Philadelphia PA")
    ensure_defaults()
    newsletter = MailingList.objects.get(slug="jhop-e-newsletter")
    proxy = stack["nginx"]
    browser = Browser(proxy.url)
    browser.logged_before = len(proxy.log())

    response, _ = signup(browser, newsletter, "ada@example.com")
    assert response.status == 302, response.status
    signed_up_on = last_upstream(proxy, browser)
    email = newest_mail(stack["mail"])
    confirm_path = re.search(r"https://[^/\s]+(/subscribe/confirm/[^/\s]+/)", email)
    assert confirm_path, "no confirmation link in the email"
    path = confirm_path.group(1)

    response, page = browser.get(path)
    assert response.status == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    next_goes_to_other_than(proxy, browser, signed_up_on)
    response, page = browser.post(path, {"csrfmiddlewaretoken": token})
    assert response.status == 200, page
    confirmed_on = last_upstream(proxy, browser)
    assert confirmed_on != signed_up_on
    assert {signed_up_on, confirmed_on} == {
        f"127.0.0.1:{stack['a'].port}",
        f"127.0.0.1:{stack['b'].port}",
    }
    subscriber = Subscriber.objects.get(email="ada@example.com")
    assert subscriber.subscriptions.get().status == Subscription.Status.ACTIVE


def test_rate_limits_count_across_both_app_servers(stack):
    from subscriptions.models import MailingList, Subscriber
    from tests.subscriptions.factories import ensure_defaults

    ensure_defaults()
    newsletter = MailingList.objects.get(slug="jhop-e-newsletter")
    proxy = stack["nginx"]
    browser = Browser(proxy.url)
    browser.logged_before = len(proxy.log())
    stamps = Browser(stack["a"].url)  # only the signups go through nginx: they alternate
    # Both app servers count in Redis: a server that found Redis slow earlier counts in
    # its own memory for a few seconds (jhop/cache.py), and the limit then holds per server.
    for server in (stack["a"], stack["b"]):
        assert cache_answers(server), "an app server cannot reach Redis"
    statuses, upstreams, errors = [], set(), []
    for _ in range(4):  # SUBSCRIPTIONS_RATE_PER_EMAIL is 3/h on both servers
        response, body = signup(browser, newsletter, "grace@example.com", stamp_from=stamps)
        statuses.append(response.status)
        upstreams.add(last_upstream(proxy, browser))
        errors += re.findall(r'class="errorlist[^"]*"[^>]*>(.*?)</ul>', str(body), re.S)
    reached = [cache_answers(server, wait=0) for server in (stack["a"], stack["b"])]
    assert statuses == [302, 302, 302, 429], (errors, reached)  # why a form came back
    assert len(upstreams) == 2  # the four went to both app servers
    assert Subscriber.objects.filter(email="grace@example.com").count() == 1


def test_a_publish_through_one_app_server_shows_at_once_through_the_other_and_nginx(stack):
    from django.apps import apps as django_apps
    from django.contrib.auth.hashers import PBKDF2PasswordHasher
    from django.contrib.auth.models import Group, User

    from articles.models import Article
    from jhop.permissions import sync_groups
    from tests.articles.site_data import build_site
    from tests.factories import make_article

    build_site()
    draft = make_article(title="Breaking: a new approval", status=Article.Status.DRAFT)
    # Hashed as the app servers hash (the tests' own hasher is a fast one they don't have).
    hasher = PBKDF2PasswordHasher()
    # An editor (a superuser would first be led to set up a second factor in production);
    # the groups come back after the flush of the transactional tests before this one.
    sync_groups(django_apps)
    editor_user = User.objects.create_user("editor", "editor@example.com", is_staff=True)
    editor_user.groups.add(Group.objects.get(name="Editors"))
    User.objects.filter(username="editor").update(
        password=hasher.encode("a long pass phrase", hasher.salt(), iterations=1000)
    )
    proxy, app_a, app_b = stack["nginx"], stack["a"], stack["b"]
    reader = Browser(proxy.url)

    # Readers through nginx: the home page is stored, then revalidated, never per visitor.
    first, home = reader.get("/")
    assert first.status == 200 and "Breaking" not in home
    assert first.headers["X-Cache-Status"] in {"MISS", "EXPIRED"}
    assert first.headers.get("Set-Cookie") is None and "public" in first.headers["Cache-Control"]
    again, _ = reader.get("/")
    assert again.headers["X-Cache-Status"] in {"REVALIDATED", "HIT"}
    assert reader.get(draft.get_absolute_url())[0].status == 404
    other_reader = Browser(app_b.url)
    assert "Breaking" not in other_reader.get("/")[1]

    # The editor publishes through app server A (the admin's publish action).
    editor = Browser(app_a.url)
    _, login_page = editor.get("/admin/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page).group(1)
    response, _ = editor.post(
        "/admin/login/?next=/admin/",
        {"csrfmiddlewaretoken": token, "username": "editor", "password": "a long pass phrase"},
    )
    assert response.status == 302 and "sessionid" in editor.cookies
    _, changelist = editor.get("/admin/articles/article/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', changelist).group(1)
    response, _ = editor.post(
        "/admin/articles/article/",
        {
            "csrfmiddlewaretoken": token,
            "action": "publish",
            "_selected_action": [str(draft.pk)],
            "index": "0",
        },
    )
    assert response.status == 302
    draft.refresh_from_db()
    assert draft.status == Article.Status.PUBLISHED

    # At once: through the other app server, and through nginx.
    assert "Breaking: a new approval" in other_reader.get("/")[1]
    response, home = reader.get("/")
    assert response.status == 200 and "Breaking: a new approval" in home
    response, _ = reader.get(draft.get_absolute_url())
    assert response.status == 200

    # The editor's own requests through nginx are never answered from its cache.
    editor_via_proxy = Browser(proxy.url)
    editor_via_proxy.cookies = dict(editor.cookies)
    response, _ = editor_via_proxy.get("/")
    assert response.headers["X-Cache-Status"] == "BYPASS"
    assert "no-store" in response.headers["Cache-Control"]


def test_failed_sign_ins_on_one_app_server_lock_the_username_on_the_other(stack):
    from django.contrib.auth.hashers import PBKDF2PasswordHasher
    from django.contrib.auth.models import User

    hasher = PBKDF2PasswordHasher()
    User.objects.create_user("manager", is_staff=True, password=None)
    User.objects.filter(username="manager").update(
        password=hasher.encode("the right pass phrase", hasher.salt(), iterations=1000)
    )

    def sign_in(app, password: str, *, address: str, username: str = "manager"):
        browser = Browser(app.url)
        _, login_page = browser.get("/admin/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page).group(1)
        response, _ = browser.post(
            "/admin/login/?next=/admin/",
            {"csrfmiddlewaretoken": token, "username": username, "password": password},
            headers={"X-Forwarded-For": address},  # TRUSTED_PROXY_COUNT=1
        )
        return response.status

    # Five wrong passwords on app server A, each from another address: the fifth
    # (LOGIN_FAILURE_LIMIT) locks the username out.
    failures = [sign_in(stack["a"], "wrong", address=f"198.51.100.{n}") for n in range(1, 6)]
    assert failures == [200, 200, 200, 200, 429]
    # On app server B, from a fresh address, the right password is refused.
    assert sign_in(stack["b"], "the right pass phrase", address="203.0.113.9") == 429
    # Another user is not locked out by them.
    User.objects.create_user("editor", is_staff=True, password=None)
    User.objects.filter(username="editor").update(
        password=User.objects.get(username="manager").password
    )
    assert (
        sign_in(stack["b"], "the right pass phrase", address="203.0.113.9", username="editor")
        == 302
    )
