"""Staff sign-in throttling: the cool-off django-axes applies after too many failures."""

import math
from datetime import timedelta

from axes.models import AccessFailureLog
from django.conf import settings
from django.contrib import admin
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

LONGEST = timedelta(days=1)


def cool_off(request=None) -> timedelta:
    """LOGIN_COOLOFF_MINUTES, doubled for each earlier lockout of the same username or
    client address within the last day, and never longer than a day.

    Lockouts are the failure log's `locked_out` rows: with
    AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT off, axes writes one per lockout.
    """
    base = timedelta(minutes=settings.LOGIN_COOLOFF_MINUTES)
    if request is None:
        return base
    who = Q(ip_address=getattr(request, "axes_ip_address", None) or "")
    username = (getattr(request, "axes_credentials", None) or {}).get("username") or (
        request.POST.get("username") if request.method == "POST" else None
    )
    if username:
        who |= Q(username=username)
    lockouts = AccessFailureLog.objects.filter(
        who, locked_out=True, attempt_time__gte=timezone.now() - LONGEST
    ).count()
    return min(base * 2 ** max(lockouts - 1, 0), LONGEST)


def locked_out(request, original_response=None, credentials=None) -> HttpResponse:
    """The answer to a sign-in refused by a lockout: 429, saying for how long, in words."""
    minutes = math.ceil(cool_off(request).total_seconds() / 60)
    context = {
        "title": "Sign-in paused",
        "site_header": admin.site.site_header,
        "site_title": admin.site.site_title,
        "minutes": minutes,
        "hours": minutes // 60 if minutes % 60 == 0 and minutes >= 60 else None,
        "failure_limit": settings.AXES_FAILURE_LIMIT,
    }
    return render(request, "admin/locked_out.html", context, status=429)
