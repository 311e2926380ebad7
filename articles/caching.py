"""Whole-page caching for anonymous readers, invalidated whenever public content changes.

How a public page is cached, from the reader's browser inwards:

* Public pages (home, articles, issues, topics, sections, authors, search, feeds, sitemap)
  carry nothing per visitor: no CSRF token, no cookie, no ``Vary: Cookie``. They are sent
  with ``Cache-Control: public, max-age=<PAGE_CACHE_BROWSER_SECONDS>,
  s-maxage=<PAGE_CACHE_SHARED_SECONDS>`` (a short life in browsers, a longer one in shared
  caches such as a CDN, which the purge hook below empties on publish), an ``ETag`` and a
  ``Last-Modified``; a conditional request for an unchanged page is answered ``304``.
  ``X-Accel-Expires`` tells the site's own nginx (deploy/nginx) how long it may answer
  without asking: by default not at all, so it revalidates each request with a cheap 304
  and a publish shows through it at once. nginx does not pass that header on.
* ``PageCacheMiddleware`` (placed right after SecurityMiddleware and WhiteNoise) answers
  a cached page before sessions, CSRF, authentication and the rest of the middleware run,
  as WhiteNoise does for static files. It only answers GET/HEAD requests that carry no
  session cookie: a signed-in editor (who may see drafts) always reaches the views, and
  views mark what they render for editors ``private, no-store``. Only responses a
  ``cache_public_page`` view marked public, with status 200, no cookie and no CSP nonce,
  are stored; a draft (404 for readers) or a preview (another view) never is.
* Every change to public journal content bumps one content version (see
  ``bump_content_version``); a stored page from an older version is not served. Saving a
  draft that readers cannot see bumps nothing. A page is kept no longer than the time until
  the next scheduled article or issue goes live, so scheduling needs no cron job.
* After a bump commits, ``content_changed`` is sent and, if ``PAGE_CACHE_PURGE_URL`` is
  set, a background task POSTs to that URL so that a CDN can be purged (``manage.py
  purge_page_cache`` does the same by hand).
"""

import contextlib
import contextvars
import hashlib
import json
import logging
import os
import select
import time
import urllib.request
from collections import OrderedDict
from email.utils import formatdate
from functools import wraps

import django.dispatch
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse, HttpResponseNotModified
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import parse_http_date_safe
from django_tasks import task

logger = logging.getLogger(__name__)

VERSION_KEY = "jhop:content-version"
VERSION_CHANNEL = "jhop:content-version"
NEXT_LIVE_KEY = "jhop:next-go-live:{version}"
PAGE_KEY = "jhop:page:{digest}"
# How long the next go-live time is kept per content version when nothing is scheduled (a
# new schedule is a write, which makes a new version): pages and counts read it, whether
# the page cache is on or not.
NEXT_LIVE_SECONDS = 3600
PUBLIC_MARK = "_jhop_public_page"
# Headers that belong to one response, not to the stored page.
UNSTORED_HEADERS = {"set-cookie", "date", "content-length"}

#: Sent (after the transaction commits) whenever public content changed; a project can
#: connect a receiver to purge its own CDN. ``PAGE_CACHE_PURGE_URL`` is the built-in one.
content_changed = django.dispatch.Signal()


def content_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        # Started from the clock, not 1, so that pages kept from before a cache flush never
        # match; in microseconds, to stay exact in Redis' Lua numbers (doubles, 2**53).
        cache.add(VERSION_KEY, time.time_ns() // 1000, None)
        version = cache.get(VERSION_KEY)
    return version


# The version the current request is served at, as PageCacheMiddleware read it (no round
# trip with Redis: see VersionWatch); None outside such a request.
_request_version: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "jhop_content_version", default=None
)


def current_version() -> int:
    """The content version this request is served at (else the shared cache's)."""
    return _request_version.get() or content_version()


class PerVersion:
    """A value computed from public content at most once per content version by this
    process, e.g. the primary journal every page's header shows. Every change of public
    content makes a new version (bump_content_version), so the value is never stale."""

    def __init__(self, compute):
        self.compute = compute
        self.kept: tuple[int, object] | None = None

    def get(self):
        version = current_version()
        kept = self.kept
        if kept is not None and kept[0] == version:
            return kept[1]
        value = self.compute()
        if value is not None:  # nothing yet (no journal): asked again next time
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
    if client := redis_client():
        try:
            client.publish(version_channel(client), version)
        except Exception:  # readers fall back to reading the version
            logger.warning("Could not announce content version %s", version, exc_info=True)
    return version


def bump_content_version(**kwargs) -> None:
    """Make every cached page stale, now and again once the transaction commits.

    Bumping at once keeps the writer's own next request fresh; bumping on commit makes
    sure no page rendered from the old rows during the transaction survives it.
    """
    _next_version()
    transaction.on_commit(_after_change)


def _after_change() -> None:
    _next_version()
    content_changed.send(sender=bump_content_version)


def version_channel(client) -> str:
    """The channel bumps are announced on: channels are server-wide, so it names the
    database and the cache's own key (prefix and version) of the content version."""
    db = client.connection_pool.connection_kwargs.get("db", 0)
    return f"{VERSION_CHANNEL}:{db}:{cache.make_key(VERSION_KEY)}"


def _readable(sock) -> bool:
    """Whether data (an announcement, or a closed connection) waits on sock; no waiting."""
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))


def redis_client():
    """The cache's Redis client (django-redis or Django's own backend), or None."""
    client = getattr(cache, "client", None)
    if client is not None and hasattr(client, "get_client"):
        return client.get_client(write=True)
    inner = getattr(cache, "_cache", None)
    if inner is not None and hasattr(inner, "get_client"):
        return inner.get_client(write=True)
    return None


class VersionWatch:
    """This process's view of the content version, without a round trip per request.

    With Redis, the process subscribes to the channel every bump is announced on, and on
    each request reads whatever announcements already arrived (a poll of the socket, no
    waiting); announcements reach the subscriber before the writer's request has even
    answered. If the subscription cannot be made or breaks, it reads the version from the
    cache on every request until it is made again. Without Redis (one process: the local
    memory cache of development and tests) it reads the cache, which costs nothing.
    """

    RETRY_SECONDS = 1.0

    def __init__(self):
        self.pid = None
        self.pubsub = None
        self.sock = None
        self.version = None
        self.failed_at = 0.0

    def current(self) -> int | None:
        if self.pid != os.getpid():  # a new (forked) process: its own subscription
            self.pid, self.pubsub, self.version = os.getpid(), None, None
        if self.pubsub is None and time.monotonic() - self.failed_at > self.RETRY_SECONDS:
            self._subscribe()
        if self.pubsub is None:
            return cache.get(VERSION_KEY)
        try:
            if self.sock is not None and not _readable(self.sock):
                return self.version  # nothing announced since the last request
            while message := self.pubsub.get_message(timeout=0):
                if message.get("type") == "message":
                    self.version = max(self.version or 0, int(message["data"]))
            if self.pubsub.connection is None or self.pubsub.connection._sock is not self.sock:
                # redis-py reconnected and subscribed again by itself: what was announced
                # in between is lost, so start again from the stored version.
                raise ConnectionError("the subscription was re-established")
        except Exception:  # a broken subscription: read the cache instead
            logger.warning("Content version subscription lost", exc_info=True)
            self._drop()
            return cache.get(VERSION_KEY)
        return self.version

    def _subscribe(self) -> None:
        client = redis_client()
        if client is None:
            self.failed_at = float("inf")  # not Redis: always read the cache
            return
        try:
            pubsub = client.pubsub()
            pubsub.subscribe(version_channel(client))
            confirmed = pubsub.get_message(timeout=2)  # subscribed before reading the version
            if not confirmed or confirmed.get("type") != "subscribe":
                raise ConnectionError("no subscription confirmation")
            self.pubsub, self.sock = pubsub, pubsub.connection._sock
            self.version = content_version()
        except Exception:  # retried later; meanwhile the cache is read
            logger.warning("Cannot follow the content version", exc_info=True)
            self._drop()

    def _drop(self) -> None:
        if self.pubsub is not None:
            with contextlib.suppress(Exception):
                self.pubsub.close()
        self.pubsub, self.version, self.failed_at = None, None, time.monotonic()


def purge_shared_caches(**kwargs) -> None:
    """Receiver of content_changed: queue the CDN purge call when a purge URL is set."""
    if getattr(settings, "PAGE_CACHE_PURGE_URL", ""):
        call_purge_url.enqueue()


@task()
def call_purge_url() -> int:
    """POST to PAGE_CACHE_PURGE_URL (with PAGE_CACHE_PURGE_TOKEN as a bearer token if set)."""
    url = settings.PAGE_CACHE_PURGE_URL
    headers = {"Content-Type": "application/json"}
    if token := getattr(settings, "PAGE_CACHE_PURGE_TOKEN", ""):
        headers["Authorization"] = f"Bearer {token}"
    body = json.dumps({"purge_everything": True, "version": content_version()}).encode()
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - operator's URL
        return response.status


# (version, next go-live timestamp or 0) as this process last read it.
_next_live_kept: tuple[int, float] | None = None


def _next_go_live(version: int) -> float | None:
    global _next_live_kept
    kept = _next_live_kept
    if kept is not None and kept[0] == version and (not kept[1] or kept[1] > time.time()):
        return kept[1] or None
    timestamp = _read_next_go_live(version)
    _next_live_kept = (version, timestamp)
    return timestamp or None


def _read_next_go_live(version: int) -> float:
    from articles.models import Article, Issue

    key = NEXT_LIVE_KEY.format(version=version)
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
    cache.set(key, timestamp, lifetime)
    return timestamp


def page_timeout(version: int) -> int:
    """Seconds a page may be kept: the configured time, cut short by the next go-live."""
    timeout = settings.CACHE_MIDDLEWARE_SECONDS
    if timeout <= 0:  # the page cache is off
        return 0
    next_live = _next_go_live(version)
    if next_live is not None:
        timeout = min(timeout, int(next_live - time.time()))
    return max(timeout, 0)


def is_anonymous_read(request) -> bool:
    """A GET/HEAD with no session cookie: nobody signed in, so the public page is the answer."""
    return request.method in ("GET", "HEAD") and settings.SESSION_COOKIE_NAME not in request.COOKIES


def cache_public_page(view):
    """Mark view's answers to anonymous readers as public pages (stored by the middleware).

    Requests with a session cookie get a fresh page, never stored by us or anyone else
    (``private, no-store``): it may be a signed-in editor's, showing drafts.
    """

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if is_anonymous_read(request):
            if "private" not in response.get("Cache-Control", "") and not response.cookies:
                setattr(response, PUBLIC_MARK, True)
        elif settings.SESSION_COOKIE_NAME in request.COOKIES:
            add_never_cache_headers(response)  # may be a signed-in user's page
        return response

    return wrapped


def _page_key(request) -> str:
    # The Host header as sent: a host that is not allowed never has a stored page (the
    # view that would store it answers 400), so it is not checked again on every hit.
    url = f"{request.scheme}://{request.META.get('HTTP_HOST', '')}{request.get_full_path()}"
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


class PageCacheMiddleware:
    """Answer anonymous GET/HEAD requests for public pages from the shared page cache."""

    # Each process keeps the pages it served last, so that a hit fetches only the (tiny)
    # content version from the shared cache, not the page; a kept page is served only if
    # its version is still the current one.
    LOCAL_PAGES = 500
    LOCAL_BYTES = 64 * 1024 * 1024

    def __init__(self, get_response):
        self.get_response = get_response
        self.watch = VersionWatch()
        self.local: OrderedDict[str, dict] = OrderedDict()
        self.local_bytes = 0

    def __call__(self, request):
        if not is_anonymous_read(request):
            return self.get_response(request)
        key = _page_key(request)
        version = self.watch.current()
        entry = self.local.get(key)
        if (entry is None or entry["version"] != version) and settings.CACHE_MIDDLEWARE_SECONDS > 0:
            entry = cache.get(key) if version is not None else None
            if entry is not None and entry["version"] == version:
                self._keep(key, entry)
        if entry is not None and entry["version"] == version:
            seconds_left = int(entry["expires"] - time.time())
            if seconds_left > 0:
                return self._answer(request, entry, seconds_left)
        version = version or content_version()
        token = _request_version.set(version)
        try:
            response = self.get_response(request)
        finally:
            _request_version.reset(token)
        if not getattr(response, PUBLIC_MARK, False):
            return response
        return self._store(request, response, key=key, version=version)

    def _store(self, request, response, *, key: str, version: int):
        timeout = page_timeout(version)
        storable = (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and "'nonce-" not in response.get("Content-Security-Policy", "")
            and timeout > 0
        )
        if not storable:
            add_never_cache_headers(response)
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
            if name.lower() not in UNSTORED_HEADERS and name.lower() != "cache-control"
        ]
        headers += [("ETag", etag), ("Last-Modified", formatdate(now, usegmt=True))]
        entry = {
            "version": version,
            "expires": now + timeout,
            "modified": now,
            "etag": etag,
            "headers": headers,
            "headers_304": [h for h in headers if not h[0].lower().startswith("content-")],
            "body": body,
        }
        if request.method == "GET":
            cache.set(key, entry, timeout)
            self._keep(key, entry)
        return self._answer(request, entry, timeout)

    def _keep(self, key: str, entry: dict) -> None:
        old = self.local.pop(key, None)
        if old is not None:
            self.local_bytes -= len(old["body"])
        self.local[key] = entry
        self.local_bytes += len(entry["body"])
        while len(self.local) > self.LOCAL_PAGES or self.local_bytes > self.LOCAL_BYTES:
            _, dropped = self.local.popitem(last=False)
            self.local_bytes -= len(dropped["body"])

    def _answer(self, request, entry: dict, seconds_left: int):
        if _not_modified(request, entry["etag"], entry["modified"]):
            response = HttpResponseNotModified(headers=entry["headers_304"])
        else:
            body = entry["body"]
            response = HttpResponse(
                b"" if request.method == "HEAD" else body, headers=entry["headers"]
            )
            response["Content-Length"] = str(len(body))
        _public_headers(response, seconds_left=seconds_left)
        return response


# What bumps the content version ---------------------------------------------------------
# A draft (or a draft issue) that stays a draft changes no public page, nor do the rows
# hanging off it (authors' order, references, topics, related items), preview links, or an
# author with no published work (who has no page yet). Everything else (publishing,
# unpublishing, scheduling, any edit of public content, journals, sections, topics, and
# authors of published articles) bumps.

PUBLISHED = "published"
LOADED_STATUS = "_jhop_loaded_status"


def remember_loaded_status(sender, instance, **kwargs) -> None:
    """post_init receiver: the status as loaded, to tell an edit of a draft from a publish."""
    setattr(instance, LOADED_STATUS, instance.__dict__.get("status"))


def _is_or_was_published(instance) -> bool:
    status = instance.__dict__.get("status")
    loaded = getattr(instance, LOADED_STATUS, None)
    if status is None or loaded is None:
        return True  # not loaded (deferred): assume the worst
    return PUBLISHED in (status, loaded)


def _article_is_published(instance) -> bool:
    from articles.models import Article

    article = instance._state.fields_cache.get("article")
    if article is not None:
        return _is_or_was_published(article)
    return Article.objects.filter(pk=instance.article_id, status=PUBLISHED).exists()


def touches_public_pages(instance) -> bool:
    from articles.models import Article, Author, Issue, PreviewLink

    if isinstance(instance, PreviewLink):
        return False
    if isinstance(instance, Author):
        # An author without published work has no page (404) and is listed nowhere.
        return Article.objects.published().filter(authorships__author_id=instance.pk).exists()
    if isinstance(instance, Article | Issue):
        return _is_or_was_published(instance)
    if getattr(instance, "article_id", None) is not None:
        return _article_is_published(instance)
    return True


def bump_if_public(sender, instance, **kwargs) -> None:
    """post_save/post_delete receiver for journal content."""
    if touches_public_pages(instance):
        bump_content_version()
    if hasattr(instance, LOADED_STATUS):
        remember_loaded_status(sender, instance)  # the next save compares with this one


def bump_if_public_m2m(sender, instance, action, **kwargs) -> None:
    """m2m_changed receiver: topics or authors of an article changed."""
    from articles.models import Article

    if not action.startswith("post_"):
        return
    if isinstance(instance, Article) and not _is_or_was_published(instance):
        return
    bump_content_version()
