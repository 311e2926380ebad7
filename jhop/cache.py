"""The cache's Redis client: Redis is a cache, not a single point of failure.

With django-redis's IGNORE_EXCEPTIONS (settings) a Redis error is a miss: `get` answers
its default, `set`, `add`, `incr` and `delete` answer None. That alone would still try to
connect on every call while Redis is down, so `CircuitBreakerClient` remembers the failure:
for RETRY_SECONDS every call of this process fails at once, then one call tries Redis
again. The outage and the recovery are logged once each, not per call.

The rate limits' cache alias sets FALLBACK_TO_PROCESS_MEMORY: while Redis is down its
counters live in this process's memory (limits then hold per process) instead of failing,
which django-ratelimit would count as over the limit and refuse every signup.
"""

import contextlib
import functools
import inspect
import logging
import socket
import threading
import time

from django.core.cache.backends.locmem import LocMemCache
from django_redis.client import DefaultClient
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import InvalidResponse
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

# Redis did not answer, or something else did (a ResponseError is an answer: no outage).
OUTAGE_ERRORS = (RedisConnectionError, RedisTimeoutError, InvalidResponse, socket.timeout, OSError)
# The operations Django's cache API reaches; internal calls between them are not counted
# again (see _outermost).
GUARDED = (
    "get",
    "set",
    "add",
    "incr",
    "decr",
    "delete",
    "delete_many",
    "delete_pattern",
    "get_many",
    "set_many",
    "has_key",
    "touch",
    "ttl",
    "expire",
    "persist",
    "keys",
    "clear",
    "incr_version",
)
# What the per-process fallback answers, by operation; the others miss.
FALLBACK_OPERATIONS = {"get", "set", "add", "incr", "decr", "delete"}


class Breaker:
    """One per Redis server and process: open (calls fail at once) for a while after a
    failure, then one call tries again."""

    def __init__(self, location: str):
        self.location = location
        self.open_until = 0.0
        self.down_since: float | None = None
        self.notes: set[str] = set()
        self.lock = threading.Lock()

    def is_open(self) -> bool:
        return time.monotonic() < self.open_until

    def trip(self, error: BaseException, retry_seconds: float) -> None:
        with self.lock:
            self.open_until = time.monotonic() + retry_seconds
            if self.down_since is None:
                self.down_since = time.monotonic()
                logger.warning(
                    "Redis at %s is unavailable (%s): the cache misses and pages render "
                    "uncached until it answers again (tried every %g s)",
                    self.location,
                    error,
                    retry_seconds,
                )

    def close(self) -> None:
        if self.down_since is None:
            return
        with self.lock:
            if self.down_since is not None:
                logger.warning(
                    "Redis at %s answers again, after %.1f s",
                    self.location,
                    time.monotonic() - self.down_since,
                )
                self.down_since, self.open_until = None, 0.0
                self.notes.clear()

    def note_once(self, message: str, *args) -> None:
        """Log a degradation once per outage."""
        if message not in self.notes:
            self.notes.add(message)
            logger.warning(message, *args)


_breakers: dict[str, Breaker] = {}
_calls = threading.local()


def breaker_for(location: str) -> Breaker:
    return _breakers.setdefault(location, Breaker(location))


def _outermost(name: str):
    method = getattr(DefaultClient, name)
    signature = inspect.signature(method)

    @functools.wraps(method)
    def guarded(self, *args, **kwargs):
        if getattr(_calls, "inside", False):
            return method(self, *args, **kwargs)
        if self.breaker.is_open():
            return self._unavailable(name, signature.bind(self, *args, **kwargs).arguments)
        _calls.inside = True
        try:
            result = method(self, *args, **kwargs)
        except (ConnectionInterrupted, *OUTAGE_ERRORS) as exc:
            # django-redis wraps what it expects; a protocol error comes through bare.
            error = exc.__cause__ if isinstance(exc, ConnectionInterrupted) else exc
            if not isinstance(error, OUTAGE_ERRORS):
                raise
            self._tripped(error)
            return self._unavailable(name, signature.bind(self, *args, **kwargs).arguments)
        finally:
            _calls.inside = False
        self.breaker.close()
        return result

    return guarded


class CircuitBreakerClient(DefaultClient):
    """django-redis's client, failing fast while Redis is down (see the module docstring).

    OPTIONS: RETRY_SECONDS (default 5) between attempts while Redis is down;
    FALLBACK_TO_PROCESS_MEMORY to count in this process meanwhile (rate limits).
    """

    def __init__(self, server, params, backend):
        super().__init__(server, params, backend)
        self.retry_seconds = float(self._options.get("RETRY_SECONDS", 5))
        self.breaker = breaker_for(",".join(self._server))
        self.fallback = None
        if self._options.get("FALLBACK_TO_PROCESS_MEMORY"):
            self.fallback = LocMemCache(
                f"jhop-redis-fallback:{params.get('KEY_PREFIX', '')}",
                {"OPTIONS": {"MAX_ENTRIES": 50_000}},
            )

    def _tripped(self, error: BaseException) -> None:
        self.breaker.trip(error, self.retry_seconds)
        # Pooled connections to a Redis that went away are dead: the next attempt
        # connects afresh instead of failing once more on each of them.
        for client in self._clients:
            if client is not None:
                with contextlib.suppress(Exception):  # best effort: Redis is down anyway
                    client.connection_pool.disconnect(inuse_connections=False)

    def _unavailable(self, name: str, arguments: dict):
        if self.fallback is None or name not in FALLBACK_OPERATIONS:
            raise ConnectionInterrupted(connection=None) from RedisConnectionError(
                f"Redis at {self.breaker.location} is unavailable"
            )
        self.breaker.note_once(
            "Redis at %s is unavailable: rate limits are counted in each process's memory "
            "until it answers again",
            self.breaker.location,
        )
        key, version = arguments["key"], arguments.get("version")
        timeout = {"timeout": arguments["timeout"]} if "timeout" in arguments else {}
        if name == "get":
            return self.fallback.get(key, arguments.get("default"), version=version)
        if name == "add" or (name == "set" and arguments.get("nx")):
            return self.fallback.add(key, arguments["value"], version=version, **timeout)
        if name == "set":
            return self.fallback.set(key, arguments["value"], version=version, **timeout) or True
        if name in ("incr", "decr"):
            delta = arguments.get("delta", 1) * (1 if name == "incr" else -1)
            return self.fallback.incr(key, delta, version=version)
        return self.fallback.delete(key, version=version)


for _name in GUARDED:
    setattr(CircuitBreakerClient, _name, _outermost(_name))


def resilient(config: dict, *, fallback_to_process_memory: bool = False) -> dict:
    """A cache configuration for django-redis that degrades instead of raising (short
    socket timeouts, errors as misses, the circuit breaker); other backends as given."""
    if config.get("BACKEND") != "django_redis.cache.RedisCache":
        return dict(config)
    options = {
        "CLIENT_CLASS": "jhop.cache.CircuitBreakerClient",
        "IGNORE_EXCEPTIONS": True,
        # Redis is on the local network: a second is long, and a dead host must not hold
        # a request for the default minutes.
        "SOCKET_CONNECT_TIMEOUT": 1,
        "SOCKET_TIMEOUT": 2,
        **config.get("OPTIONS", {}),
    }
    if fallback_to_process_memory:
        options["FALLBACK_TO_PROCESS_MEMORY"] = True
    return {**config, "OPTIONS": options}
