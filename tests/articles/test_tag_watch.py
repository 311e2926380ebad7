"""Each process follows invalidations through a Redis subscription (articles/derived/
pagecache.py TagWatch), so a hit on a page it keeps needs no round trip, and falls back to
checking tags in the cache when the subscription is down."""

import os
import time
from unittest import mock

import pytest
from django.core.cache import cache, caches
from django.test import Client

from articles.derived import pagecache
from articles.derived.pagecache import (
    VERSION_KEY,
    PageCacheMiddleware,
    TagWatch,
    content_version,
    invalidate,
)
from tests.factories import make_article, make_journal

REDIS_URL = os.environ.get("JHOP_CHECK_REDIS_URL", "redis://127.0.0.1:6379/5")


@pytest.fixture
def redis_cache(settings):
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI"):  # .ci/run starts Redis: its absence is a failure there
            pytest.fail(f"the subscription needs Redis ({REDIS_URL}): {exc}")
        pytest.skip(f"the subscription needs Redis ({REDIS_URL}): {exc}")
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "jhop-test-watch",
        }
    }
    cache.clear()
    yield
    cache.clear()


def poll_until(watch: TagWatch, tag: str) -> tuple:
    deadline = time.monotonic() + 2
    seen: set[str] = set()
    while time.monotonic() < deadline:
        version, live, invalidated, _ = watch.poll()
        seen |= invalidated
        if tag in seen:
            return version, live, seen
        time.sleep(0.005)
    pytest.fail(f"{tag} was never announced")


def test_an_invalidation_anywhere_is_seen_without_a_round_trip(redis_cache, db):
    watch = TagWatch()
    first, live, _, forget = watch.poll()
    assert live and forget and first == content_version()  # forget: just subscribed
    invalidate(["article:7"])  # as another app server would: INCR, tokens, announce
    expected = content_version()
    with mock.patch.object(caches["default"], "get", side_effect=AssertionError("a round trip")):
        version, live, seen = poll_until(watch, "article:7")
    assert live and seen == {"article:7"} and version == expected > first


def test_versions_only_grow(redis_cache, db):
    before = content_version()
    invalidate(["topic:1"])
    assert content_version() > before


def test_a_broken_subscription_falls_back_to_reading_the_cache(redis_cache, db):
    watch = TagWatch()
    watch.poll()
    watch.pubsub.connection.disconnect()
    invalidate(["topic:1"])
    version, live, _, forget = watch.poll()
    assert version == content_version() and not live and forget
    assert watch.pubsub is None  # until it subscribes again, a second later


def test_without_redis_the_cache_is_read(db, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    watch = TagWatch()
    invalidate(["topic:1"])
    version, live, _, _ = watch.poll()
    assert version == cache.get(VERSION_KEY) == content_version() and not live
    assert watch.pubsub is None


def test_a_version_too_large_to_stay_exact_is_started_again(db):
    cache.set(VERSION_KEY, 2**60, None)  # as an older release stored it (nanoseconds)
    invalidate(["topic:1"])
    version = content_version()
    assert version < 2**53 and version != 2**60
    invalidate(["topic:1"])
    assert content_version() == version + 1


def test_a_page_kept_by_another_process_goes_cold_when_it_changes(redis_cache, db):
    make_journal()
    article = make_article(title="Kept elsewhere")
    url = article.get_absolute_url()
    rendered = []

    def render(request):
        rendered.append(url)
        return Client().get(url)  # through the site's own stack

    other = PageCacheMiddleware(render)  # another process's middleware...
    pagecache._kept_here.discard(other.local)  # ...which hears of edits only by Redis
    request = Client().get(url).wsgi_request
    assert other(request)["X-Cache"] in ("HIT", "MISS")
    # Announcements of the article's own writes may still be on their way (a loaded
    # machine): read the page until this process keeps it.
    deadline = time.monotonic() + 5
    while other(request)["X-Cache"] != "HIT" and time.monotonic() < deadline:
        time.sleep(0.01)
    with mock.patch.object(caches["default"], "get", side_effect=AssertionError("a round trip")):
        assert other(request)["X-Cache"] == "HIT"  # kept by it: no round trip
    count = len(rendered)
    article.title = "Changed elsewhere"
    article.save()
    deadline = time.monotonic() + 2
    while len(rendered) == count and time.monotonic() < deadline:  # the announcement's way
        response = other(request)
    assert len(rendered) == count + 1 and b"Changed elsewhere" in response.content
