"""Staff session hygiene: admin sessions end after STAFF_SESSION_IDLE_MINUTES without a
request, after STAFF_SESSION_MAX_HOURS whatever happens, and everywhere at once on request.

(A password change already ends a user's other sessions: Django checks each session's
password hash on every request.)
"""

import time
from datetime import UTC, datetime
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from jhop.models import StaffSessions

SIGNED_IN_AT = "jhop_signed_in_at"
SEEN_AT = "jhop_seen_at"
# The last-seen stamp is written at most this often (seconds): a session save per request
# would cost every admin page a write.
SEEN_RESOLUTION = 60


@receiver(user_logged_in, dispatch_uid="jhop-session-stamps")
def stamp_sign_in(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        now = time.time()
        request.session[SIGNED_IN_AT] = now
        request.session[SEEN_AT] = now


def sign_out_everywhere(user) -> None:
    """End every session of `user`, this one included, at its next request."""
    StaffSessions.objects.update_or_create(user=user, defaults={"valid_after": timezone.now()})


def ended_because(request, now: float) -> str | None:
    """Why this signed-in session must end now, in the words the sign-in page shows."""
    session = request.session
    signed_in = session.setdefault(SIGNED_IN_AT, now)
    seen = session.setdefault(SEEN_AT, now)
    if now - seen > settings.STAFF_SESSION_IDLE_MINUTES * 60:
        return (
            f"You were signed out after {settings.STAFF_SESSION_IDLE_MINUTES} minutes "
            "without activity. Sign in again to go on."
        )
    if now - signed_in > settings.STAFF_SESSION_MAX_HOURS * 3600:
        return (
            f"Sessions last at most {settings.STAFF_SESSION_MAX_HOURS} hours. "
            "Sign in again to go on."
        )
    signed_in_at = datetime.fromtimestamp(signed_in, tz=UTC)
    if StaffSessions.objects.filter(user=request.user, valid_after__gt=signed_in_at).exists():
        return "You were signed out everywhere. Sign in again to go on."
    return None


class StaffSessionMiddleware:
    """After AuthenticationMiddleware and MessageMiddleware. A request without a session
    cookie (every reader) costs nothing here."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.session.session_key is None or not request.user.is_authenticated:
            return self.get_response(request)
        now = time.time()
        reason = ended_because(request, now)
        if reason:
            logout(request)
            if request.path.startswith(reverse("admin:index")):
                messages.warning(request, reason)
                login = reverse("admin:login")
                return redirect(f"{login}?{urlencode({'next': request.get_full_path()})}")
        elif now - request.session[SEEN_AT] > SEEN_RESOLUTION:
            request.session[SEEN_AT] = now
        return self.get_response(request)
