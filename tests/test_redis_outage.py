"""Redis is a cache, not a single point of failure: a private redis-server is stopped in the
middle of a run, and pages, the health check, signups and admin logins carry on; when it
comes back, everything uses it again by itself."""

import logging
import shutil
import socket
import statistics
import subprocess
import time

import pytest
import redis
from django.core import mail
from django.core.cache import caches
from django.test import Client, TestCase
from django.urls import reverse

from jhop.cache import breaker_for, resilient
from subscriptions.models import Subscriber
from tests.factories import make_article, make_author, make_issue, make_section, make_topic
from tests.subscriptions.factories import ensure_defaults
from tests.subscriptions.helpers import signup_data

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server not installed"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    """A redis-server of this test's own, started and stopped by PID."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [
                "redis-server",
                *("--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.RedisError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def stop(self):
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def private_redis(settings):
    server = PrivateRedis()
    server.start()
    production_like = {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": server.url,
        # Short, so that the test sees recovery without waiting long.
        "OPTIONS": {"RETRY_SECONDS": 0.3},
    }
    settings.CACHES = {
        "default": resilient(production_like),
        "ratelimit": resilient(production_like, fallback_to_process_memory=True),
    }
    settings.RATELIMIT_USE_CACHE = "ratelimit"
    settings.SUBSCRIPTIONS_MIN_FORM_SECONDS = 0
    settings.SITE_URL = "http://testserver"
    try:
        yield server
    finally:
        server.stop()
        for alias in ("default", "ratelimit"):
            caches[alias].close()


@pytest.fixture
def site(db):
    ensure_defaults()
    topic = make_topic("Breast Cancer")
    section = make_section("FDA Oncology Update")
    article = make_article(
        title="Pembrolizumab in early breast cancer",
        issue=make_issue(),
        section=section,
        topics=[topic],
        authors=[make_author()],
    )
    return {"article": article, "topic": topic, "section": section}


def public_pages(site) -> list[str]:
    return [
        reverse("home"),
        reverse("articles:issue-list"),
        site["article"].get_absolute_url(),
        reverse("articles:topic-detail", args=[site["topic"].slug]),
        reverse("articles:search") + "?q=breast",
        reverse("articles:feed-latest-rss"),
        reverse("articles:feed-topic-atom", args=[site["topic"].slug]),
        reverse("subscriptions:subscribe"),
        reverse("sitemap"),
    ]


def sign_up(client, email):
    from subscriptions.models import MailingList

    newsletter = MailingList.objects.get(slug="jhop-e-newsletter")
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(reverse("subscriptions:subscribe"), signup_data(newsletter, email=email))


def render_cost(client, path, runs=5) -> float:
    """Median time to answer path, rendered each time (a new address each time: no stored
    page matches)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        assert client.get(f"{path}?run={time.perf_counter_ns()}").status_code == 200
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def test_pages_signups_and_logins_survive_a_redis_outage_and_recover(
    private_redis, site, settings, caplog, admin_user
):
    caplog.set_level(logging.WARNING, logger="jhop.cache")
    settings.SUBSCRIPTIONS_RATE_PER_EMAIL = "1/h"
    client = Client()
    pages = public_pages(site)
    for path in pages:
        assert client.get(path).status_code == 200, path
    assert redis.Redis.from_url(private_redis.url).keys("*jhop:page*")  # pages in Redis
    assert client.get("/healthz").json() == {"status": "ok", "database": "ok", "cache": "ok"}
    rendered = render_cost(client, site["article"].get_absolute_url())

    private_redis.stop()

    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.content, path
    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.json() == {"status": "degraded", "database": "ok", "cache": "unavailable"}
    # Failing fast: no page waits for Redis (with the breaker open no connection is tried).
    degraded = render_cost(client, site["article"].get_absolute_url())
    assert degraded < 3 * rendered + 0.05, (degraded, rendered)

    mail.outbox.clear()
    response = sign_up(client, "outage@example.com")
    assert response.status_code == 302 and response["Location"] == reverse("subscriptions:thanks")
    assert Subscriber.objects.filter(email="outage@example.com").exists()
    assert [m.to for m in mail.outbox] == [["outage@example.com"]]
    assert "/subscribe/confirm/" in mail.outbox[0].body
    # The rate limits still hold, counted in this process meanwhile.
    assert sign_up(client, "outage@example.com").status_code == 429

    staff = Client()  # through the sign-in form: its throttle counts in the database
    signed_in = staff.post(
        reverse("admin:login"),
        {"username": admin_user.username, "password": "password", "next": "/admin/"},
    )
    assert signed_in.status_code == 302
    assert staff.get(reverse("admin:index")).status_code == 200

    logged = [r.getMessage() for r in caplog.records if r.name == "jhop.cache"]
    assert sum("is unavailable (" in m for m in logged) == 1, logged  # once, not per call
    assert any("rate limits are counted in each process" in m for m in logged), logged

    private_redis.start()
    deadline = time.monotonic() + 5
    while client.get("/healthz").json()["cache"] != "ok":
        assert time.monotonic() < deadline, "the cache did not come back"
        time.sleep(0.1)
    assert not breaker_for(private_redis.url).is_open()
    assert any("answers again" in r.getMessage() for r in caplog.records)
    for path in pages:
        assert client.get(path).status_code == 200, path
    # Signups count in Redis again. (When the page cache stores pages there again is the
    # page cache's own retry: articles/derived/pagecache.py.)
    mail.outbox.clear()
    assert sign_up(client, "after@example.com").status_code == 302
    assert len(mail.outbox) == 1
    assert redis.Redis.from_url(private_redis.url).keys("*rl:*")


def test_a_dead_redis_costs_one_attempt_per_interval_not_one_per_call(private_redis):
    cache = caches["default"]
    cache.set("k", 1)
    private_redis.stop()
    attempts = []
    client = cache.client.get_client()
    real = client.connection_pool.get_connection

    def counting(*args, **kwargs):
        attempts.append(1)
        return real(*args, **kwargs)

    client.connection_pool.get_connection = counting
    for _ in range(50):
        assert cache.get("k") is None
        assert not cache.set("k", 2)
    assert len(attempts) == 1
    time.sleep(0.35)  # RETRY_SECONDS
    assert cache.get("k") is None
    assert len(attempts) == 2


def test_an_editor_can_save_an_article_while_redis_is_down(private_redis, site):
    private_redis.stop()
    article = site["article"]
    article.title = "Corrected while Redis is down"
    article.save()
    article.refresh_from_db()
    assert article.title == "Corrected while Redis is down"


@pytest.fixture
def fake_redis(settings):
    """A TCP server at a Redis address that accepts and then hangs, or answers garbage."""
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    behaviour = {"reply": None}
    stop = threading.Event()
    held = []

    def serve():
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            held.append(conn)
            if behaviour["reply"]:
                conn.sendall(behaviour["reply"])

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    url = f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    config = {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": url}
    settings.CACHES = {"default": resilient({**config, "OPTIONS": {"SOCKET_TIMEOUT": 0.3}})}
    yield behaviour
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    listener.close()
    caches["default"].close()


def test_a_hung_redis_costs_one_timeout_per_interval(fake_redis):
    cache = caches["default"]
    start = time.monotonic()
    assert cache.get("k") is None
    assert 0.25 < time.monotonic() - start < 1.5  # the read timeout, not minutes
    start = time.monotonic()
    for _ in range(100):
        assert cache.get("k") is None
        cache.set("k", 1)
    assert time.monotonic() - start < 0.1


def test_something_else_at_the_redis_address_is_a_miss_not_an_error(fake_redis):
    fake_redis["reply"] = b"HTTP/1.1 400 Bad Request\r\n\r\n"
    assert caches["default"].get("k", "default") == "default"
    assert caches["default"].add("k", 1) is None
