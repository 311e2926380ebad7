"""Whole-page caching for anonymous readers, invalidated whenever content changes.

Every save or delete of journal content bumps a version number that is part of each
page's cache key, so a publish shows at once. A page is kept no longer than the time
until the next scheduled article or issue goes live, so scheduling needs no cron job.
Signed-in users and draft previews are never cached. A form's CSRF token is swapped
for a fresh one on every hit, so a cached page with the subscribe box still posts.
"""

import hashlib
import re
import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_cache_control

VERSION_KEY = "jhop:content-version"
NEXT_LIVE_KEY = "jhop:next-go-live:{version}"
PAGE_KEY = "jhop:page:{version}:{digest}"
TOKEN_PLACEHOLDER = "__jhop_csrf_token__"  # noqa: S105 - a marker, not a secret
TOKEN_RE = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*(")')
KEPT_HEADERS = ("Content-Type", "Content-Language", "X-Robots-Tag", "Content-Disposition")
BROWSER_MAX_AGE = 60


def content_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        version = time.time_ns()
        cache.add(VERSION_KEY, version, None)
    return version


def bump_content_version(**kwargs) -> None:
    """Signal receiver: any change to journal content makes every cached page stale."""
    cache.set(VERSION_KEY, time.time_ns(), None)


def _next_go_live(version: int) -> float | None:
    from articles.models import Article, Issue

    key = NEXT_LIVE_KEY.format(version=version)
    cached = cache.get(key)
    if cached is not None:
        return cached or None
    now = timezone.now()
    moments = [model.objects.next_go_live() for model in (Article, Issue)]
    upcoming = min((m for m in moments if m is not None), default=None)
    timestamp = upcoming.timestamp() if upcoming else 0
    lifetime = settings.CACHE_MIDDLEWARE_SECONDS
    if upcoming:
        lifetime = max(1, min(lifetime, int(timestamp - now.timestamp())))
    cache.set(key, timestamp, lifetime)
    return timestamp or None


def page_timeout(version: int) -> int:
    """Seconds a page may be kept: the configured time, cut short by the next go-live."""
    timeout = settings.CACHE_MIDDLEWARE_SECONDS
    next_live = _next_go_live(version)
    if next_live is not None:
        timeout = min(timeout, int(next_live - time.time()))
    return max(timeout, 0)


def _is_cacheable(response) -> bool:
    cache_control = response.get("Cache-Control", "")
    return (
        response.status_code == 200
        and not response.streaming
        and "private" not in cache_control
        and "no-cache" not in cache_control
        and not response.cookies
    )


def cache_public_page(view):
    """Serve anonymous GET requests for view from the page cache."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD") or request.user.is_authenticated:
            response = view(request, *args, **kwargs)
            if request.user.is_authenticated:
                add_never_cache_headers(response)
            return response
        version = content_version()
        digest = hashlib.sha256(request.build_absolute_uri().encode()).hexdigest()
        key = PAGE_KEY.format(version=version, digest=digest)
        cached = cache.get(key)
        if cached is not None:
            headers, content = cached
            if TOKEN_PLACEHOLDER in content:
                content = content.replace(TOKEN_PLACEHOLDER, get_token(request))
            response = HttpResponse(content)
            for name, value in headers:
                response[name] = value
            return _browser_headers(response)
        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and not response.is_rendered:
            response.render()
        timeout = page_timeout(version)
        if timeout > 0 and _is_cacheable(response):
            content = TOKEN_RE.sub(
                rf"\g<1>{TOKEN_PLACEHOLDER}\g<2>", response.content.decode(response.charset)
            )
            headers = [(h, response[h]) for h in KEPT_HEADERS if response.has_header(h)]
            cache.set(key, (headers, content), timeout)
        return _browser_headers(response)

    return wrapped


def _browser_headers(response):
    if "no-cache" in response.get("Cache-Control", ""):
        return response
    if b"csrfmiddlewaretoken" in response.content:
        patch_cache_control(response, private=True, max_age=0)
    else:
        patch_cache_control(response, public=True, max_age=BROWSER_MAX_AGE)
    return response
