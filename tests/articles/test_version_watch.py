"""Each process follows the content version through a Redis subscription (articles/caching.py
VersionWatch), so a cache hit needs no round trip for it, and falls back to reading it."""

import os
import time
from unittest import mock

import pytest
from django.core.cache import cache, caches

from articles.caching import VERSION_KEY, VersionWatch, bump_content_version, content_version

REDIS_URL = os.environ.get("JHOP_CHECK_REDIS_URL", "redis://127.0.0.1:6379/2")


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
    cache.delete(VERSION_KEY)
    yield
    cache.delete(VERSION_KEY)


def test_a_bump_anywhere_is_seen_without_a_round_trip(redis_cache, db):
    watch = VersionWatch()
    first = watch.current()
    assert watch.pubsub is not None and first == content_version()
    bump_content_version()  # as another app server would: INCR, then announce
    expected = content_version()
    deadline = time.monotonic() + 2
    with mock.patch.object(caches["default"], "get", side_effect=AssertionError("a round trip")):
        while watch.current() != expected and time.monotonic() < deadline:
            time.sleep(0.005)
        assert watch.current() == expected > first


def test_versions_only_grow(redis_cache, db):
    before = content_version()
    bump_content_version()
    bump_content_version()
    assert content_version() == before + 2


def test_a_broken_subscription_falls_back_to_reading_the_version(redis_cache, db):
    watch = VersionWatch()
    watch.current()
    watch.pubsub.connection.disconnect()
    bump_content_version()
    assert watch.current() == content_version()
    assert watch.pubsub is None  # until it subscribes again, a second later


def test_without_redis_the_cache_is_read(db):
    watch = VersionWatch()
    bump_content_version()
    assert watch.current() == cache.get(VERSION_KEY) == content_version()
    assert watch.pubsub is None


def test_a_version_too_large_to_stay_exact_is_started_again(db):
    cache.set(VERSION_KEY, 2**60, None)  # as an older release stored it (nanoseconds)
    bump_content_version()
    version = content_version()
    assert version < 2**53 and version != 2**60
    bump_content_version()
    assert content_version() == version + 1
