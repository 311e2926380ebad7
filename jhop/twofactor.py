"""A second factor for staff (django-otp: an authenticator app or WebAuthn passkeys, with
single-use recovery codes), required of those who can see subscriber data, and asked again
("sudo mode") before the dangerous actions on it.

STAFF_2FA: "optional" (anyone may enrol; whoever has enrolled must use it), "required"
(superusers and anyone who can view subscribers must enrol before any admin page), or
"everyone" (all staff must). Production defaults to "required".
"""

import time
from base64 import b32encode
from urllib.parse import urlencode

import segno
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from jhop import passkeys
from jhop.models import Passkey
from jhop.sessions import SIGNED_IN_AT, sign_out_everywhere
from subscriptions.services import audit

VERIFIED_AT = "jhop_second_factor_at"
# Set in a session whose user had no second factor: saves looking on every admin request.
# Safe to keep: enrolling elsewhere, or a superuser's reset, signs every session out.
HAS_NONE = "jhop_no_second_factor"
RECOVERY_CODES = 10

# Actions on subscriber data that ask for the second factor again when the last check is
# older than SUDO_MINUTES: URL name, and the methods that act (a GET of an import or
# erase page only shows a form).
SUDO_ACTIONS = {
    "subscriptions_export_print": {"GET", "POST"},
    "subscriptions_export_newsletter": {"GET", "POST"},
    "subscriptions_import": {"POST"},
    "subscriptions_subscriber_erase": {"POST"},
    "subscriptions_edition_send": {"POST"},
    "subscriptions_edition_schedule": {"POST"},
    "subscriptions_issuealert_add": {"POST"},
}


def must_enrol(user) -> bool:
    mode = settings.STAFF_2FA
    if mode == "everyone":
        return True
    if mode == "required":
        return user.is_superuser or user.has_perm("subscriptions.view_subscriber")
    return False


def has_second_factor(user, session=None) -> bool:
    if session is not None and session.get(HAS_NONE):
        return False
    found = any(devices_for_user(user, confirmed=True))
    if session is not None and not found:
        session[HAS_NONE] = True
    return found


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _verified(request, device) -> None:
    otp_login(request, device)
    request.session[VERIFIED_AT] = time.time()
    request.session.pop(HAS_NONE, None)


def _new_recovery_codes(user) -> list[str]:
    device, _ = StaticDevice.objects.get_or_create(user=user, name="Recovery codes")
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def _keep_this_session_only(request) -> None:
    """A changed second factor ends the user's other sessions, not this one."""
    sign_out_everywhere(request.user)
    request.session[SIGNED_IN_AT] = time.time()


class TokenForm(forms.Form):
    token = forms.CharField(
        label="Code",
        max_length=16,
        help_text="The 6-digit code from your authenticator app, or one of your recovery codes.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )

    def clean_token(self):
        return "".join(self.cleaned_data["token"].split()).lower()


def _render(request, template: str, context: dict, status: int = 200):
    return TemplateResponse(
        request,
        f"admin/two_factor/{template}",
        {**admin.site.each_context(request), **context},
        status=status,
    )


def overview_view(request):
    """The signed-in user's second factor: what is set up, and what they can do."""
    user = request.user
    totp = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    recovery = StaticDevice.objects.filter(user=user, confirmed=True).first()
    return _render(
        request,
        "overview.html",
        {
            "title": "Two-factor authentication",
            "totp": totp,
            "passkeys": Passkey.objects.filter(user=user, confirmed=True).order_by("created_at"),
            "has_factor": has_second_factor(user),
            "codes_left": recovery.token_set.count() if recovery else 0,
            "required": must_enrol(user),
        },
    )


def enrol_view(request):
    """Add an authenticator app: scan, type a code to prove it works, keep recovery codes."""
    user = request.user
    if has_second_factor(user) and not request.user.is_verified():
        return redirect_to_verify(request, reverse("jhop-2fa-enrol"))
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            with transaction.atomic():
                TOTPDevice.objects.filter(user=user, confirmed=True).delete()
                device.confirmed = True
                device.save()
            return _enrolled(request, device, f"Enrolled an authenticator app for “{user}”")
        form.add_error("token", "That code is not the one the app shows now. Try the next one.")
    secret = b32encode(device.bin_key).decode()
    qr = segno.make(device.config_url, error="m").svg_inline(
        scale=4, light="#fff", title="QR code for your authenticator app"
    )
    return _render(
        request,
        "enrol.html",
        {
            "title": "Add an authenticator app",
            "form": form,
            "qr": mark_safe(qr),
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "next": _safe_next(request, ""),
            "required": must_enrol(user),
        },
    )


def _enrolled(request, device, summary: str):
    """A new second factor is in use: record it, keep this session only, and show new
    recovery codes unless the user already has some left."""
    user = request.user
    with transaction.atomic():
        recovery = StaticDevice.objects.filter(user=user, confirmed=True).first()
        keep = isinstance(device, Passkey) and recovery and recovery.token_set.exists()
        codes = [] if keep else _new_recovery_codes(user)
        audit.record(
            request=request,
            action=audit.Action.PERMISSIONS,
            summary=summary,
            detail={"model": "auth.User", "pk": user.pk, "fields": ["second factor"]},
        )
    _verified(request, device)
    _keep_this_session_only(request)
    next_url = _safe_next(request, reverse("jhop-2fa"))
    if not codes:
        messages.success(request, f"The passkey “{device.name}” is ready.")
        return HttpResponseRedirect(next_url)
    return _render(
        request,
        "recovery_codes.html",
        {"title": "Your recovery codes", "codes": codes, "next": next_url},
    )


class PasskeyNameForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=64,
        initial="Passkey",
        help_text="To tell your passkeys apart, e.g. “Work laptop” or “Blue security key”.",
    )


def passkey_add_view(request):
    """Add a passkey: the browser makes it (JavaScript: static/js/admin/passkeys.js), the
    server checks it against the challenge this page gave."""
    user = request.user
    if has_second_factor(user) and not user.is_verified():
        return redirect_to_verify(request, reverse("jhop-2fa-passkey-add"))
    form = PasskeyNameForm(request.POST or None)
    status, error = 200, ""
    if request.method == "POST":
        if form.is_valid():
            try:
                device = passkeys.register(
                    request,
                    name=form.cleaned_data["name"],
                    credential=request.POST.get("credential", ""),
                )
            except passkeys.PasskeyError as exc:
                error = str(exc)
            else:
                return _enrolled(request, device, f"Added the passkey “{device.name}” of “{user}”")
        status = 400
    return _render(
        request,
        "passkey_add.html",
        {
            "title": "Add a passkey",
            "form": form,
            "error": error,
            "options": passkeys.registration_options(request),
            "next": _safe_next(request, ""),
            "required": must_enrol(user),
        },
        status=status,
    )


def passkey_remove_view(request, pk: int):
    """Remove one of one's passkeys; needs a fresh second factor."""
    if request.method != "POST":
        return redirect("jhop-2fa")
    passkey = get_object_or_404(Passkey, pk=pk, user=request.user)
    if not fresh(request):
        return redirect_to_verify(request, reverse("jhop-2fa"), sudo=True)
    with transaction.atomic():
        passkey.delete()
        audit.record(
            request=request,
            action=audit.Action.PERMISSIONS,
            summary=f"Removed the passkey “{passkey.name}” of “{request.user}”",
            detail={"model": "auth.User", "pk": request.user.pk, "fields": ["second factor"]},
        )
    request.session.pop(HAS_NONE, None)
    _keep_this_session_only(request)
    messages.success(request, f"The passkey “{passkey.name}” no longer signs you in.")
    return redirect("jhop-2fa")


def recovery_codes_view(request):
    """New recovery codes (the old ones stop working); needs a fresh second factor."""
    if request.method != "POST":
        return redirect("jhop-2fa")
    if not fresh(request):
        return redirect_to_verify(request, reverse("jhop-2fa"), sudo=True)
    codes = _new_recovery_codes(request.user)
    audit.record(
        request=request,
        action=audit.Action.PERMISSIONS,
        summary=f"New recovery codes for “{request.user}”",
        detail={"model": "auth.User", "pk": request.user.pk, "fields": ["second factor"]},
    )
    return _render(
        request,
        "recovery_codes.html",
        {"title": "Your recovery codes", "codes": codes, "next": reverse("jhop-2fa")},
    )


def verify_view(request):
    """Type a code: after the password at sign-in, and again before a dangerous action."""
    user = request.user
    default = reverse("admin:index")
    if not has_second_factor(user):
        return HttpResponseRedirect(_safe_next(request, default))
    if request.method == "POST" and "credential" in request.POST:
        return _passkey_verify(request, default)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["token"]
        waiting, matched = False, None
        # The devices are locked while checked (for_verify), so two requests cannot both
        # use one recovery code or both slip past the throttle.
        with transaction.atomic():
            for device in devices_for_user(user, confirmed=True, for_verify=True):
                allowed, _ = device.verify_is_allowed()
                waiting |= not allowed
                if allowed and device.verify_token(token):
                    matched = device
                    break
        if matched is not None:
            _verified(request, matched)
            return HttpResponseRedirect(_safe_next(request, default))
        form.add_error(
            "token",
            "Too many wrong codes: wait a few seconds, then try again."
            if waiting
            else "That code did not work. Codes change every 30 seconds.",
        )
    return _render_verify(
        request, form, default, status=200 if request.method == "GET" or form.is_valid() else 400
    )


def _render_verify(request, form, default: str, *, status: int, passkey_error: str = ""):
    return _render(
        request,
        "verify.html",
        {
            "title": "Confirm it's you" if request.GET.get("sudo") else "Second factor",
            "form": form,
            "next": _safe_next(request, default),
            "sudo": bool(request.GET.get("sudo")),
            "has_totp": TOTPDevice.objects.filter(user=request.user, confirmed=True).exists(),
            "passkey_options": passkeys.authentication_options(request),
            "passkey_error": passkey_error,
        },
        status=status,
    )


def _passkey_verify(request, default: str):
    try:
        device = passkeys.authenticate(request, credential=request.POST["credential"])
    except passkeys.PasskeyError as exc:
        return _render_verify(request, TokenForm(), default, status=400, passkey_error=str(exc))
    _verified(request, device)
    return HttpResponseRedirect(_safe_next(request, default))


def fresh(request) -> bool:
    checked = request.session.get(VERIFIED_AT)
    return bool(checked) and time.time() - checked <= settings.SUDO_MINUTES * 60


def redirect_to_verify(request, next_url: str, *, sudo: bool = False):
    query = {"next": next_url, **({"sudo": "1"} if sudo else {})}
    return HttpResponseRedirect(f"{reverse('jhop-2fa-verify')}?{urlencode(query)}")


def reset_second_factor(*, request, user) -> None:
    """A superuser removes a user's lost second factor; they enrol again at next sign-in."""
    for device in devices_for_user(user, confirmed=None):
        device.delete()
    sign_out_everywhere(user)
    audit.record(
        request=request,
        action=audit.Action.PERMISSIONS,
        summary=f"Reset the second factor of “{user}”",
        detail={"model": "auth.User", "pk": user.pk, "fields": ["second factor"]},
    )


urlpatterns = [
    path("", admin.site.admin_view(overview_view), name="jhop-2fa"),
    path("add/", admin.site.admin_view(enrol_view), name="jhop-2fa-enrol"),
    path("verify/", admin.site.admin_view(verify_view), name="jhop-2fa-verify"),
    path("passkeys/add/", admin.site.admin_view(passkey_add_view), name="jhop-2fa-passkey-add"),
    path(
        "passkeys/<int:pk>/remove/",
        admin.site.admin_view(passkey_remove_view),
        name="jhop-2fa-passkey-remove",
    ),
    path(
        "recovery-codes/",
        admin.site.admin_view(recovery_codes_view),
        name="jhop-2fa-recovery-codes",
    ),
]

EXEMPT_NAMES = {
    "jhop-2fa",
    "jhop-2fa-enrol",
    "jhop-2fa-passkey-add",
    "jhop-2fa-verify",
    "admin:logout",
    "admin:login",
}


class TwoFactorMiddleware:
    """After OTPMiddleware: a staff user with a second factor uses it before any admin page;
    one who must have one enrols first; a dangerous action asks for it again when stale."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is None or not request.path.startswith(reverse("admin:index")):
            return None
        if match.view_name in EXEMPT_NAMES or match.url_name == "jsi18n":
            return None
        user = request.user
        if not (user.is_authenticated and user.is_staff):
            return None
        if not user.is_verified():
            if has_second_factor(user, request.session):
                return redirect_to_verify(request, request.get_full_path())
            if must_enrol(user):
                messages.warning(
                    request,
                    "Your account can reach subscriber data: add a second factor to go on.",
                )
                query = urlencode({"next": request.get_full_path()})
                return HttpResponseRedirect(f"{reverse('jhop-2fa-enrol')}?{query}")
            return None
        methods = SUDO_ACTIONS.get(match.url_name)
        if methods and request.method in methods and not fresh(request):
            messages.info(
                request,
                "This acts on subscriber data: confirm it's you with your second factor"
                + (", then do it again." if request.method == "POST" else "."),
            )
            back = request.get_full_path() if request.method == "GET" else _referer(request)
            return redirect_to_verify(request, back, sudo=True)
        return None


def _referer(request) -> str:
    referer = request.META.get("HTTP_REFERER", "")
    if url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()}):
        return referer
    return reverse("admin:index")
