"""Site-wide views: health check, robots.txt, error pages."""

from django.core.cache import cache
from django.core.exceptions import DisallowedHost
from django.db import DatabaseError, connection
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.urls import reverse
from django.utils.crypto import get_random_string
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_safe

from articles.paths import site_url


@never_cache
@require_safe
def healthz(request):
    """Liveness and readiness for the load balancer: 200 while the database answers.

    The cache is reported, not required: without Redis pages render uncached and signups
    are still stored ("status": "degraded"), so an app server stays in rotation.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        database = "unavailable"
    else:
        database = "ok"
    cache_state = "ok" if _cache_answers() else "unavailable"
    if database != "ok":
        status, code = "error", 503
    else:
        status, code = ("ok" if cache_state == "ok" else "degraded"), 200
    return JsonResponse({"status": status, "database": database, "cache": cache_state}, status=code)


def _cache_answers() -> bool:
    """A write read back: the cache backend turns Redis errors into misses (jhop/cache.py)."""
    key = f"jhop:healthz:{get_random_string(12)}"  # one per probe: checks run in parallel
    try:
        cache.set(key, True, 5)
        return cache.get(key) is True
    except Exception:  # a cache configured without IGNORE_EXCEPTIONS raises instead
        return False


@require_safe
@cache_control(max_age=86400, public=True)
def robots_txt(request):
    sitemap = site_url(reverse("sitemap"))
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /subscribe/manage/",
        f"Sitemap: {sitemap}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


def page_not_found(request, exception):
    return render(request, "404.html", status=404)


def bad_request(request, exception):
    """The site's own 400 page. Unlike Django's default it does not run the CSRF check again:
    a form posted in a charset other than UTF-8 fails reading the body, and a second read
    inside the error handler turned the 400 into a 500 (and an error email)."""
    if isinstance(exception, DisallowedHost):
        # Links in the layout are built from the host: render without the request.
        return HttpResponseBadRequest(loader.get_template("400.html").render())
    return render(request, "400.html", status=400)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: the site's page (Django's own has inline styles the CSP blocks)."""
    return render(request, "403_csrf.html", status=403)


def server_error(request):
    # No context processors: the database may be what failed.
    return HttpResponse(loader.get_template("500.html").render(), status=500)
