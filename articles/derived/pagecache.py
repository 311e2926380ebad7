"""Whole public pages, kept for anonymous readers; an edit makes stale only the pages that
show what it changed (cache tags, as Drupal's and a CDN's surrogate keys). The design and
the operator's view: docs/page-cache.md.

* Every page names what it shows, with tags: ``article:12`` (its page, and every list
  item of it), ``issue:3``, ``section:2``, ``topic:5``, ``author:9``, ``related:12``
  (article 12's related-items list) and the lists whose membership can change:
  ``list:home``, ``list:issues``, ``list:topics``, ``list:feeds``, ``list:sitemap``,
  ``list:search``, ``list:issue:3``, ``list:topic:5``, ``list:section:2``,
  ``list:author:9``; and ``site`` (signals.EVERY_PAGE), which every page carries. Views
  call ``shows()`` while they render (list items tag themselves: articles_tags), and
  ``cache_public_page`` sends the tags in ``Cache-Tag`` (comma-separated) and
  ``Surrogate-Key`` (space-separated) headers.
* What a write changes is derived from the row written (``changed_tags``): an article's
  edit its own tag, and, when it joins or leaves lists (published, withdrawn, re-dated,
  moved, re-featured), those lists; a reference its article; an author their tag and their
  articles' (list items print bylines); a journal everything.
* In the shared cache, each tag has a token: the content version (a counter, INCR) at
  which it was last invalidated. A stored page keeps the tokens of its tags as they were
  when it was stored, and is served only while they are all unchanged: one get_many.
  A page is not stored if any invalidation happened while it rendered (the version moved).
* Each process keeps the pages it served last and follows invalidations through a Redis
  subscription (TagWatch): a hit on a kept page costs no round trip. Without the
  subscription (no Redis, or it broke) a kept page is checked like a shared one.
* Redis down: every cache call here is guarded; the page renders and is not stored.
* HTTP: ``Cache-Control: public, max-age=…, s-maxage=…``, an ETag and Last-Modified
  (304 on a conditional request), ``X-Cache: HIT`` or ``MISS``; nothing per visitor.
  A page is kept no longer than until the next scheduled article or issue goes live.
* After the write commits, ``signals.pages_invalidated`` is sent with the tags, and,
  with ``PAGE_CACHE_PURGE_URL`` set, a task asks the CDN to purge them (or everything:
  ``PAGE_CACHE_PURGE_EVERYTHING``). ``PAGE_CACHE_TAGS = False`` makes every change
  invalidate every page (the scheme before tags; kept for comparison).
"""

import contextlib
import contextvars
import hashlib
import json
import logging
import os
import select
import threading
import time
import urllib.request
import weakref
from collections import OrderedDict
from collections.abc import Iterable
from email.utils import formatdate
from functools import wraps

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.http import HttpResponse, HttpResponseNotModified
from django.http.response import ResponseHeaders
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import parse_http_date_safe
from django_tasks import task

from articles.models import (
    Article,
    ArticleSlugHistory,
    ArticleTopic,
    Author,
    Authorship,
    CrossrefDeposit,
    Issue,
    Journal,
    PreviewLink,
    RankedRelated,
    Reference,
    RelatedItem,
    Section,
    Topic,
)
from articles.models.journal import PublishState
from articles.signals import EVERY_PAGE, content_changed, pages_invalidated

logger = logging.getLogger(__name__)

VERSION_KEY = "jhop:content-version"
VERSION_CHANNEL = "jhop:content-version"
TAG_KEY = "jhop:tag:{tag}"
NEXT_LIVE_KEY = "jhop:next-go-live:{version}"
# "page2": entries of the format before cache tags are not read.
PAGE_KEY = "jhop:page2:{digest}"
# How long the next go-live time is kept per content version when nothing is scheduled (a
# new schedule is a write, which makes a new version).
NEXT_LIVE_SECONDS = 3600
PUBLIC_MARK = "_jhop_public_page"
TAGS_MARK = "_jhop_page_tags"
# Headers that belong to one response, not to the stored page.
UNSTORED_HEADERS = {"set-cookie", "date", "content-length", "cache-control", "x-cache"}
# A rename of a topic or author shows on the list items of all its articles; past this many,
# every page is invalidated instead of naming each article.
MAX_EXPANSION = 2000
PUBLISHED = PublishState.PUBLISHED


# What a page shows ----------------------------------------------------------------------

_shown: contextvars.ContextVar[set | None] = contextvars.ContextVar("jhop_shown", default=None)


def shows(*tags: str) -> None:
    """Say that the page being rendered shows these things (no-op outside a cached view)."""
    collected = _shown.get()
    if collected is not None:
        collected.update(tags)


def card_tags(article) -> list[str]:
    """What a list item of article shows: the article, its issue's label, its section."""
    tags = [f"article:{article.pk}"]
    if article.issue_id:
        tags.append(f"issue:{article.issue_id}")
    if article.section_id:
        tags.append(f"section:{article.section_id}")
    return tags


def article_tags(article) -> list[str]:
    """What a page about article shows of it: a list item's, plus its authors and topics
    (from the copies stored on the article, when loaded: no query)."""
    tags = card_tags(article)
    tags += [f"author:{a['id']}" for a in article.__dict__.get("authors_data") or ()]
    tags += [f"topic:{t['id']}" for t in article.__dict__.get("topics_data") or ()]
    return tags


def is_anonymous_read(request) -> bool:
    """A GET/HEAD with no session cookie: nobody signed in, so the public page is the answer."""
    return request.method in ("GET", "HEAD") and settings.SESSION_COOKIE_NAME not in request.COOKIES


def cache_public_page(view):
    """Mark view's answers to anonymous readers as public pages (stored by the middleware),
    with the tags of what they show.

    The response is rendered here, so that what its template shows is collected too.
    Requests with a session cookie get a fresh page, never stored by us or anyone else
    (``private, no-store``): it may be a signed-in editor's, showing drafts.
    """

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        collected = {EVERY_PAGE}
        token = _shown.set(collected)
        try:
            response = view(request, *args, **kwargs)
            if callable(getattr(response, "render", None)):
                response = response.render()
        finally:
            _shown.reset(token)
        if is_anonymous_read(request):
            if "private" not in response.get("Cache-Control", "") and not response.cookies:
                setattr(response, PUBLIC_MARK, True)
                setattr(response, TAGS_MARK, collected)
                names = sorted(collected)
                response["Cache-Tag"] = ",".join(names)
                response["Surrogate-Key"] = " ".join(names)
        elif settings.SESSION_COOKIE_NAME in request.COOKIES:
            add_never_cache_headers(response)  # may be a signed-in user's page
        return response

    return wrapped


# The content version and the tags' tokens ----------------------------------------------


def content_version() -> int:
    """The shared counter every invalidation moves on (and the token it gives its tags)."""
    version = cache.get(VERSION_KEY)
    if version is None:
        # Started from the clock, not 1, so that tokens kept from before a cache flush never
        # match; in microseconds, to stay exact in Redis' Lua numbers (doubles, 2**53).
        cache.add(VERSION_KEY, time.time_ns() // 1000, None)
        version = cache.get(VERSION_KEY)
    return version


def _safe_content_version() -> int | None:
    try:
        return content_version()
    except Exception:
        logger.warning("Cannot read the content version", exc_info=True)
        return None


# The version the current request is served at, as PageCacheMiddleware read it; None
# outside such a request.
_request_version: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "jhop_content_version", default=None
)


def current_version() -> int | None:
    """The content version this request is served at (else the shared cache's; None when
    the cache cannot be read)."""
    return _request_version.get() or _safe_content_version()


class PerVersion:
    """A value computed from public content at most once per content version by this
    process, e.g. the primary journal every page's header shows. Every invalidation makes
    a new version, so the value is never stale; without a version, it is computed."""

    def __init__(self, compute):
        self.compute = compute
        self.kept: tuple[int, object] | None = None

    def get(self):
        version = current_version()
        kept = self.kept
        if version is not None and kept is not None and kept[0] == version:
            return kept[1]
        value = self.compute()
        if value is not None and version is not None:  # nothing yet: asked again next time
            self.kept = (version, value)
        return value


def _next_version() -> int:
    """Increase the version atomically (INCR in Redis): it only ever grows, on every host."""
    try:
        version = cache.incr(VERSION_KEY)
    except ValueError:  # not there (first use, or the cache was flushed)
        content_version()
        version = cache.incr(VERSION_KEY)
    if version >= 2**53:  # a nanosecond stamp from an older release: Lua would round it
        cache.delete(VERSION_KEY)
        content_version()
        version = cache.incr(VERSION_KEY)
    return version


# The page copies of this process's middleware (one, unless tests make more).
_kept_here: "weakref.WeakSet[LocalPages]" = weakref.WeakSet()


def _apply(tags: set[str]) -> None:
    """Give each tag a new token (the new version) and tell every process."""
    if not getattr(settings, "PAGE_CACHE_TAGS", True):
        tags = {EVERY_PAGE}
    try:
        version = _next_version()
        cache.set_many({TAG_KEY.format(tag=tag): version for tag in tags}, None)
        for kept in list(_kept_here):  # this process's copies need not wait for the news
            kept.drop(tags)
    except Exception:
        # Nothing can be stored while the cache is down either; what it kept from before
        # lives at most CACHE_MIDDLEWARE_SECONDS.
        logger.error("Could not invalidate cached pages %s", sorted(tags)[:20], exc_info=True)
        return
    if client := redis_client():
        try:
            message = json.dumps({"v": version, "t": sorted(tags)})
            client.publish(version_channel(client), message)
        except Exception:  # processes fall back to checking tags in the cache
            logger.warning("Could not announce invalidation %s", version, exc_info=True)


_pending = threading.local()


def invalidate(tags: Iterable[str]) -> None:
    """Make the pages carrying these tags stale, now and again once the transaction commits.

    At once, so that the writer's own next request is fresh; on commit, so that no page
    rendered from the old rows during the transaction survives it.
    """
    tags = set(tags)
    if not tags:
        return
    connection = transaction.get_connection()
    if connection.in_atomic_block:  # else the callback below runs at once
        _apply(tags)
    # Gathered per transaction, so that its commit invalidates (and purges) once. Every
    # call registers a callback; the first to run takes every tag gathered (tags of a
    # rolled-back savepoint too: more invalidated, never less).
    outermost = id(connection.atomic_blocks[0]) if connection.atomic_blocks else None
    if getattr(_pending, "transaction", _pending) != outermost:
        _pending.transaction, _pending.tags = outermost, set()
    _pending.tags.update(tags)
    transaction.on_commit(_after_commit)


def _after_commit() -> None:
    tags, _pending.tags = getattr(_pending, "tags", set()), set()
    if tags:
        _apply(tags)
        pages_invalidated.send(sender=invalidate, tags=sorted(tags))


def invalidate_everything() -> None:
    invalidate([EVERY_PAGE])


def _content_changed(sender, tags=(EVERY_PAGE,), **kwargs) -> None:
    """Receiver of signals.content_changed (another app's data on pages changed)."""
    invalidate(tags)


def version_channel(client) -> str:
    """The channel invalidations are announced on: channels are server-wide, so it names
    the database and the cache's own key (prefix and version) of the content version."""
    db = client.connection_pool.connection_kwargs.get("db", 0)
    return f"{VERSION_CHANNEL}:{db}:{cache.make_key(VERSION_KEY)}"


def redis_client():
    """The cache's Redis client (django-redis or Django's own backend), or None."""
    with contextlib.suppress(Exception):
        client = getattr(cache, "client", None)
        if client is not None and hasattr(client, "get_client"):
            return client.get_client(write=True)
        inner = getattr(cache, "_cache", None)
        if inner is not None and hasattr(inner, "get_client"):
            return inner.get_client(write=True)
    return None


def _readable(sock) -> bool:
    """Whether data (an announcement, or a closed connection) waits on sock; no waiting."""
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))


class TagWatch:
    """This process's view of invalidations, without a round trip per request.

    With Redis, the process subscribes to the channel every invalidation is announced on
    (after its tokens are written), and on each request reads whatever announcements
    already arrived (a poll of the socket, no waiting). ``poll()`` returns the version,
    whether the subscription is live (then pages kept in this process need no check), the
    tags invalidated since the last poll, and whether everything kept must be forgotten
    (announcements may have been missed). Without the subscription the version is read
    from the cache, and kept pages are checked there.
    """

    RETRY_SECONDS = 1.0

    def __init__(self):
        self.pid = None
        self.pubsub = None
        self.sock = None
        self.version = None
        self.failed_at = 0.0

    def poll(self) -> tuple[int | None, bool, set[str], bool]:
        """(version, live, invalidated tags, forget everything kept)."""
        if self.pid != os.getpid():  # a new (forked) process: its own subscription
            self.pid, self.pubsub, self.version = os.getpid(), None, None
        forget = False
        if self.pubsub is None and time.monotonic() - self.failed_at > self.RETRY_SECONDS:
            forget = self._subscribe()
        if self.pubsub is None:
            return _safe_content_version(), False, set(), True
        invalidated: set[str] = set()
        try:
            if self.sock is not None and not _readable(self.sock):
                return self.version, True, invalidated, forget
            while message := self.pubsub.get_message(timeout=0):
                if message.get("type") == "message":
                    announced = json.loads(message["data"])
                    self.version = max(self.version or 0, int(announced["v"]))
                    invalidated.update(announced["t"])
            if self.pubsub.connection is None or self.pubsub.connection._sock is not self.sock:
                # redis-py reconnected and subscribed again by itself: what was announced
                # in between is lost.
                raise ConnectionError("the subscription was re-established")
        except Exception:
            logger.warning("Invalidation subscription lost", exc_info=True)
            self._drop()
            return _safe_content_version(), False, set(), True
        return self.version, True, invalidated, forget

    def _subscribe(self) -> bool:
        client = redis_client()
        if client is None:
            self.failed_at = float("inf")  # not Redis: always check in the cache
            return False
        try:
            pubsub = client.pubsub()
            pubsub.subscribe(version_channel(client))
            confirmed = pubsub.get_message(timeout=2)  # subscribed before reading the version
            if not confirmed or confirmed.get("type") != "subscribe":
                raise ConnectionError("no subscription confirmation")
            self.pubsub, self.sock = pubsub, pubsub.connection._sock
            self.version = content_version()
            return True
        except Exception:  # retried later; meanwhile the cache is read
            logger.warning("Cannot follow invalidations", exc_info=True)
            self._drop()
            return False

    def _drop(self) -> None:
        if self.pubsub is not None:
            with contextlib.suppress(Exception):
                self.pubsub.close()
        self.pubsub, self.sock, self.version = None, None, None
        self.failed_at = time.monotonic()


# The CDN -----------------------------------------------------------------------------


def purge_shared_caches(sender, tags=(), **kwargs) -> None:
    """Receiver of pages_invalidated: queue the CDN purge call when a purge URL is set."""
    if getattr(settings, "PAGE_CACHE_PURGE_URL", ""):
        call_purge_url.enqueue(tags=sorted(tags))


@task()
def call_purge_url(tags: list[str] | None = None) -> int:
    """POST to PAGE_CACHE_PURGE_URL (with PAGE_CACHE_PURGE_TOKEN as a bearer token if set):
    ``{"tags": [...]}`` with the same in a ``Surrogate-Key`` header, in batches, or
    ``{"purge_everything": true}`` (no tags, the every-page tag, or
    PAGE_CACHE_PURGE_EVERYTHING)."""
    url = settings.PAGE_CACHE_PURGE_URL
    headers = {"Content-Type": "application/json"}
    if token := getattr(settings, "PAGE_CACHE_PURGE_TOKEN", ""):
        headers["Authorization"] = f"Bearer {token}"
    tags = sorted(set(tags or ()))
    everything = (
        not tags
        or EVERY_PAGE in tags
        or getattr(settings, "PAGE_CACHE_PURGE_EVERYTHING", False)
        or not getattr(settings, "PAGE_CACHE_TAGS", True)
    )
    if everything:
        bodies = [({"purge_everything": True}, {})]
    else:
        size = max(1, getattr(settings, "PAGE_CACHE_PURGE_BATCH", 30))
        bodies = [
            ({"tags": tags[i : i + size]}, {"Surrogate-Key": " ".join(tags[i : i + size])})
            for i in range(0, len(tags), size)
        ]
    status = 0
    for body, extra in bodies:
        data = json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 - the operator's URL
            url, data=data, headers={**headers, **extra}, method="POST"
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            status = response.status
    return status


# Scheduled content ----------------------------------------------------------------------

# (version, next go-live timestamp or 0) as this process last read it.
_next_live_kept: tuple[int, float] | None = None


def next_go_live(version: int | None) -> float | None:
    """When the next scheduled article or issue goes live (a timestamp), or None."""
    global _next_live_kept
    kept = _next_live_kept
    if kept is not None and kept[0] == version and (not kept[1] or kept[1] > time.time()):
        return kept[1] or None
    timestamp = _read_next_go_live(version)
    if version is not None:
        _next_live_kept = (version, timestamp)
    return timestamp or None


def _read_next_go_live(version: int | None) -> float:
    key = NEXT_LIVE_KEY.format(version=version)
    if version is not None:
        with contextlib.suppress(Exception):
            cached = cache.get(key)
            if cached is not None:
                return cached
    now = timezone.now()
    # One query for both (a page's budget counts it on a cold cache): the earliest of the
    # scheduled articles' and issues' times.
    articles, issues = (
        model.objects.scheduled().order_by().values_list("published_at", flat=True)
        for model in (Article, Issue)
    )
    soonest = articles.union(issues, all=True).order_by("published_at")[:1]
    upcoming = next(iter(soonest), None)
    timestamp = upcoming.timestamp() if upcoming else 0
    lifetime = NEXT_LIVE_SECONDS
    if upcoming:
        lifetime = max(1, min(lifetime, int(timestamp - now.timestamp())))
    if version is not None:
        with contextlib.suppress(Exception):
            cache.set(key, timestamp, lifetime)
    return timestamp


def page_timeout(version: int | None) -> int:
    """Seconds a page may be kept: the configured time, cut short by the next go-live."""
    timeout = settings.CACHE_MIDDLEWARE_SECONDS
    if timeout <= 0:  # the page cache is off
        return 0
    next_live = next_go_live(version)
    if next_live is not None:
        timeout = min(timeout, int(next_live - time.time()))
    return max(timeout, 0)


# The middleware -----------------------------------------------------------------------


def _page_key(request) -> str:
    # The Host header as sent: a host that is not allowed never has a stored page (the
    # view that would store it answers 400), so it is not checked again on every hit. And
    # SITE_URL, which pages print: a page stored before it changed is not served after.
    url = (
        f"{settings.SITE_URL} {request.scheme}://{request.META.get('HTTP_HOST', '')}"
        f"{request.get_full_path()}"
    )
    return PAGE_KEY.format(digest=hashlib.blake2b(url.encode(), digest_size=20).hexdigest())


def _public_headers(response, *, seconds_left: int) -> None:
    browser = min(settings.PAGE_CACHE_BROWSER_SECONDS, seconds_left)
    shared = min(settings.PAGE_CACHE_SHARED_SECONDS, seconds_left)
    response["Cache-Control"] = f"public, max-age={browser}, s-maxage={shared}"
    proxy = min(settings.PAGE_CACHE_PROXY_SECONDS, seconds_left)
    # "@1" (a moment in 1970): nginx stores the page but revalidates it on every request.
    response["X-Accel-Expires"] = str(proxy) if proxy > 0 else "@1"


def _not_modified(request, etag: str, last_modified: float) -> bool:
    if_none_match = request.META.get("HTTP_IF_NONE_MATCH")
    if if_none_match is not None:
        tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
        return etag in tags or "*" in tags
    since = parse_http_date_safe(request.META.get("HTTP_IF_MODIFIED_SINCE", ""))
    return since is not None and int(last_modified) <= since


def _still_valid(entry: dict) -> bool:
    """Whether every tag of a stored page still has the token it had: one round trip."""
    tokens = entry["tags"]
    keys = [TAG_KEY.format(tag=tag) for tag in tokens]
    found = cache.get_many(keys)
    return all(found.get(key) == token for key, token in zip(keys, tokens.values(), strict=True))


def _tokens(tags: set[str], version: int) -> dict[str, int] | None:
    """The tokens of tags now, or None if anything was invalidated since version (the page
    may have been rendered from rows changed since): then the page is not stored."""
    keys = {TAG_KEY.format(tag=tag): tag for tag in tags}
    found = cache.get_many([VERSION_KEY, *keys])
    if found.get(VERSION_KEY) != version:
        return None
    missing = [key for key in keys if key not in found]
    if missing:
        # Never invalidated (or evicted): given the current version as their token. An
        # invalidation after the check below gives them a newer one.
        for key in missing:
            cache.add(key, version, None)
        again = cache.get_many([VERSION_KEY, *missing])
        if again.get(VERSION_KEY) != version or any(key not in again for key in missing):
            return None
        found.update(again)
    return {tag: found[key] for key, tag in keys.items()}


class LocalPages:
    """The pages this process served last, by key, with an index from tag to keys."""

    def __init__(self, *, pages: int, size: int):
        self.pages, self.size = pages, size
        self.entries: OrderedDict[str, dict] = OrderedDict()
        self.by_tag: dict[str, set[str]] = {}
        self.bytes = 0
        _kept_here.add(self)

    def get(self, key: str) -> dict | None:
        return self.entries.get(key)

    def put(self, key: str, entry: dict) -> None:
        self.discard(key)
        self.entries[key] = entry
        self.bytes += len(entry["body"])
        for tag in entry["tags"]:
            self.by_tag.setdefault(tag, set()).add(key)
        while len(self.entries) > self.pages or self.bytes > self.size:
            self.discard(next(iter(self.entries)))

    def discard(self, key: str) -> None:
        entry = self.entries.pop(key, None)
        if entry is None:
            return
        self.bytes -= len(entry["body"])
        for tag in entry["tags"]:
            keys = self.by_tag.get(tag)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self.by_tag[tag]

    def drop(self, tags: Iterable[str]) -> None:
        for tag in tags:
            for key in list(self.by_tag.get(tag, ())):
                self.discard(key)

    def clear(self) -> None:
        self.entries.clear()
        self.by_tag.clear()
        self.bytes = 0


class PageCacheMiddleware:
    """Answer anonymous GET/HEAD requests for public pages from the page cache."""

    # Each process keeps the pages it served last, so that a hit fetches nothing from the
    # shared cache while the subscription tells it what was invalidated.
    LOCAL_PAGES = 500
    LOCAL_BYTES = 64 * 1024 * 1024

    def __init__(self, get_response):
        self.get_response = get_response
        self.watch = TagWatch()
        self.local = LocalPages(pages=self.LOCAL_PAGES, size=self.LOCAL_BYTES)

    def __call__(self, request):
        if not is_anonymous_read(request):
            return self.get_response(request)
        key = _page_key(request)
        enabled = settings.CACHE_MIDDLEWARE_SECONDS > 0
        try:
            entry, version = self._lookup(key) if enabled else (None, self._version())
        except Exception:  # the cache is down: render
            logger.warning("Page cache lookup failed", exc_info=True)
            entry, version = None, None
        if entry is not None:
            seconds_left = int(entry["expires"] - time.time())
            if seconds_left > 0:
                return self._answer(request, entry, seconds_left, hit=True)
        token = _request_version.set(version)
        try:
            response = self.get_response(request)
        finally:
            _request_version.reset(token)
        if not getattr(response, PUBLIC_MARK, False):
            return response
        return self._store(request, response, key=key, version=version)

    def _version(self) -> int | None:
        version, _, invalidated, forget = self.watch.poll()
        self._forget(invalidated, forget)
        return version

    def _forget(self, invalidated: set[str], everything: bool) -> None:
        if everything:
            self.local.clear()
        elif invalidated:
            self.local.drop(invalidated)

    def _lookup(self, key: str) -> tuple[dict | None, int | None]:
        version, live, invalidated, forget = self.watch.poll()
        if not live:
            forget = False  # kept pages are checked in the cache below, one by one
        self._forget(invalidated, forget)
        entry = self.local.get(key)
        if entry is not None:
            if live or _still_valid(entry):
                return entry, version
            self.local.discard(key)
        entry = cache.get(key)
        if entry is not None and _still_valid(entry):
            self.local.put(key, entry)
            return entry, version
        return None, version

    def _store(self, request, response, *, key: str, version: int | None):
        try:
            timeout = page_timeout(version)
        except Exception:
            logger.warning("Cannot tell when the next article goes live", exc_info=True)
            timeout = 0
        storable = (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and "'nonce-" not in response.get("Content-Security-Policy", "")
            and timeout > 0
        )
        if not storable:
            add_never_cache_headers(response)
            response["X-Cache"] = "MISS"
            return response
        body = response.content
        vary = [v.strip() for v in response.get("Vary", "").split(",") if v.strip()]
        vary = [v for v in vary if v.lower() != "cookie"]  # the page is the same for everyone
        if vary:
            response["Vary"] = ", ".join(vary)
        elif response.has_header("Vary"):
            del response["Vary"]
        now = time.time()
        etag = f'"{hashlib.blake2b(body, digest_size=16).hexdigest()}"'
        headers = [
            (name, value)
            for name, value in response.items()
            if name.lower() not in UNSTORED_HEADERS
        ]
        headers += [("ETag", etag), ("Last-Modified", formatdate(now, usegmt=True))]
        entry = {
            "tags": {},
            "expires": now + timeout,
            "modified": now,
            "etag": etag,
            # Checked and encoded once, here, rather than header by header on every hit.
            "headers": ResponseHeaders(headers)._store,
            "headers_304": ResponseHeaders(
                [h for h in headers if not h[0].lower().startswith("content-")]
            )._store,
            "body": body,
        }
        if request.method == "GET" and version is not None:
            try:
                tokens = _tokens(getattr(response, TAGS_MARK, {EVERY_PAGE}), version)
                if tokens is not None:
                    entry["tags"] = tokens
                    cache.set(key, entry, timeout)
                    self.local.put(key, entry)
            except Exception:
                logger.warning("Could not store a page", exc_info=True)
        return self._answer(request, entry, timeout, hit=False)

    def _answer(self, request, entry: dict, seconds_left: int, *, hit: bool):
        if _not_modified(request, entry["etag"], entry["modified"]):
            response = HttpResponseNotModified()
            response.headers._store.update(entry["headers_304"])
        else:
            body = entry["body"]
            response = HttpResponse(b"" if request.method == "HEAD" else body)
            response.headers._store.update(entry["headers"])
            response["Content-Length"] = str(len(body))
        _public_headers(response, seconds_left=seconds_left)
        response["X-Cache"] = "HIT" if hit else "MISS"
        return response


# What a write makes stale ---------------------------------------------------------------
# Derived from the row written. A draft (or a draft issue) that stays a draft changes no
# public page, nor do the rows hanging off it, preview links, or an author with no
# published work (who has no page yet).

# The fields of an article that place it in lists (which, in what order), and of an issue.
LISTED_BY = {
    Article: ("status", "published_at", "issue_id", "section_id", "is_featured", "position"),
    Issue: ("status", "published_at"),
}
BEFORE = "_pagecache_before"
NOT_SHOWN = (PreviewLink, RankedRelated, ArticleSlugHistory, CrossrefDeposit)
# The lists any public article's joining or leaving changes.
EVERY_LIST = ("list:home", "list:feeds", "list:sitemap", "list:search", "list:topics")


def _article_is_published(article_id: int | None, instance) -> bool:
    article = instance._state.fields_cache.get("article")
    if article is not None and article.__dict__.get("status") == PUBLISHED:
        return True
    return Article.objects.filter(pk=article_id, status=PUBLISHED).exists()


def _published_articles(**filters) -> list[int]:
    return list(
        Article.objects.filter(status=PUBLISHED, **filters)
        .order_by()
        .values_list("pk", flat=True)[: MAX_EXPANSION + 1]
    )


def _names_everywhere(kind: str, pk: int, articles: list[int]) -> set[str]:
    """A topic's or author's own tags, and its published articles' (their list items
    print its name): every page after MAX_EXPANSION of them."""
    if len(articles) > MAX_EXPANSION:
        return {EVERY_PAGE}
    return {f"{kind}:{pk}", f"list:{kind}:{pk}", "list:search", "list:sitemap"} | {
        f"article:{a}" for a in articles
    }


def _article_lists(article: Article, states: list[dict]) -> set[str]:
    """The lists article appears in, in each of states (before and after the write)."""
    tags = set(EVERY_LIST)
    for state in states:
        if state.get("issue_id"):
            tags.add(f"list:issue:{state['issue_id']}")
        if state.get("section_id"):
            tags.add(f"list:section:{state['section_id']}")
    authors = article.__dict__.get("authors_data")
    topics = article.__dict__.get("topics_data")
    author_ids = (
        [a["id"] for a in authors]
        if authors is not None
        else Authorship.objects.filter(article_id=article.pk).values_list("author_id", flat=True)
    )
    topic_ids = (
        [t["id"] for t in topics]
        if topics is not None
        else ArticleTopic.objects.filter(article_id=article.pk).values_list("topic_id", flat=True)
    )
    tags.update(f"list:author:{pk}" for pk in author_ids)
    tags.update(f"list:topic:{pk}" for pk in topic_ids)
    return tags


def changed_tags(instance, *, created: bool = False, deleted: bool = False) -> set[str]:
    """The tags of the pages a write of instance makes stale (empty: none)."""
    if isinstance(instance, NOT_SHOWN):
        return set()
    if isinstance(instance, Journal):
        return {EVERY_PAGE}  # every page's header and footer
    before = instance.__dict__.pop(BEFORE, None)
    if isinstance(instance, Article | Issue):
        fields = LISTED_BY[type(instance)]
        now = {name: instance.__dict__.get(name) for name in fields}
        states = [now] if before is None else [before, now]
        if all(state["status"] != PUBLISHED for state in states):
            return set()
        moved = created or deleted or before is None or before != now
        if isinstance(instance, Issue):
            if moved:
                return {EVERY_PAGE}  # its articles all go live or hide: most lists change
            return {f"issue:{instance.pk}", "list:issues", "list:home", "list:sitemap"}
        tags = {f"article:{instance.pk}", "list:sitemap", "list:search"}
        if moved:
            tags |= _article_lists(instance, states)
        return tags
    if isinstance(instance, Reference):
        if _article_is_published(instance.article_id, instance):
            return {f"article:{instance.article_id}"}
        return set()
    if isinstance(instance, RelatedItem):
        return {f"related:{instance.article_id}"}
    if isinstance(instance, Authorship | ArticleTopic):
        if not _article_is_published(instance.article_id, instance):
            return set()
        kind, pk = (
            ("author", instance.author_id)
            if isinstance(instance, Authorship)
            else ("topic", instance.topic_id)
        )
        return {
            f"article:{instance.article_id}",
            f"list:{kind}:{pk}",
            "list:topics",
            "list:search",
            "list:sitemap",
        }
    if isinstance(instance, Author):
        articles = _published_articles(authorships__author_id=instance.pk)
        return _names_everywhere("author", instance.pk, articles) if articles else set()
    if isinstance(instance, Topic):
        articles = _published_articles(article_topics__topic_id=instance.pk)
        return _names_everywhere("topic", instance.pk, articles) | {"list:topics"}
    if isinstance(instance, Section):
        return {
            f"section:{instance.pk}",
            f"list:section:{instance.pk}",
            "list:topics",
            "list:sitemap",
        }
    return {EVERY_PAGE}  # a model this list does not know yet: the safe answer


def _remember_before(sender, instance, raw=False, **kwargs) -> None:
    """pre_save/pre_delete of an article or issue: its listed fields as stored."""
    if instance.pk is not None and not raw:
        instance.__dict__[BEFORE] = (
            sender.objects.filter(pk=instance.pk).values(*LISTED_BY[sender]).first()
        )


def _saved(sender, instance, created=False, **kwargs) -> None:
    invalidate(changed_tags(instance, created=created))


def _deleted(sender, instance, **kwargs) -> None:
    invalidate(changed_tags(instance, deleted=True))


def _links_changed(sender, instance, action, model, pk_set, **kwargs) -> None:
    """m2m_changed of Article.topics or Article.authors, from either side."""
    if not action.startswith("post_"):
        return
    kind = "author" if model is Author or isinstance(instance, Author) else "topic"
    if isinstance(instance, Article):
        if instance.__dict__.get("status") != PUBLISHED and not _article_is_published(
            instance.pk, instance
        ):
            return
        ids = pk_set
        if ids is None:  # cleared: the ones the article's stored copy still names
            ids = [d["id"] for d in instance.__dict__.get(f"{kind}s_data") or ()]
        tags = {f"article:{instance.pk}", "list:topics", "list:search", "list:sitemap"}
        invalidate(tags | {f"list:{kind}:{pk}" for pk in ids})
    elif pk_set is None:  # an author's or topic's articles all cleared
        invalidate([EVERY_PAGE])
    else:
        published = Article.objects.filter(pk__in=pk_set, status=PUBLISHED)
        articles = list(published.values_list("pk", flat=True))
        if articles:
            invalidate(
                _names_everywhere(kind, instance.pk, articles) | {"list:topics", "list:sitemap"}
            )


def connect() -> None:
    """Connect the receivers that invalidate pages (ArticlesConfig.ready calls this)."""
    for model in apps.get_app_config("articles").get_models():
        if model in LISTED_BY:
            pre_save.connect(_remember_before, sender=model, dispatch_uid=f"pc-pre-{model}")
            pre_delete.connect(_remember_before, sender=model, dispatch_uid=f"pc-pdel-{model}")
        post_save.connect(_saved, sender=model, dispatch_uid=f"pc-save-{model}")
        post_delete.connect(_deleted, sender=model, dispatch_uid=f"pc-del-{model}")
    for through in (ArticleTopic, Authorship):
        m2m_changed.connect(_links_changed, sender=through, dispatch_uid=f"pc-m2m-{through}")
    content_changed.connect(_content_changed, dispatch_uid="pc-content-changed")
    pages_invalidated.connect(purge_shared_caches, dispatch_uid="pc-purge-shared-caches")
