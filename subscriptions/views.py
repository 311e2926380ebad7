from contextlib import suppress
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe
from django_ratelimit.core import get_usage

from jhop.views import ratelimited
from subscriptions import services
from subscriptions.forms import EmailOnlyForm, PreferencesForm, SubscribeForm, normalise_email
from subscriptions.models import (
    PROFILE_FIELDS,
    ConsentEvent,
    ConsentText,
    Subscription,
    current_offer,
)
from subscriptions.services import RequestMeta
from subscriptions.tokens import InvalidToken, Purpose, make_token, read_token


def ip_rate(group, request):
    return getattr(settings, "SUBSCRIPTIONS_RATE_PER_IP", "20/h")


def email_rate(group, request):
    if "@" not in request.POST.get("email", ""):
        return None  # no address, nothing to protect: people who forgot it share no limit
    return getattr(settings, "SUBSCRIPTIONS_RATE_PER_EMAIL", "5/h")


def email_daily_rate(group, request):
    # Someone else's address typed in again and again must not flood its inbox, even slowly.
    if "@" not in request.POST.get("email", ""):
        return None
    return getattr(settings, "SUBSCRIPTIONS_RATE_PER_EMAIL_DAY", "10/d")


def email_key(group, request):
    """The address as it will be stored, so spelling variants of one address share a limit."""
    email = request.POST.get("email", "")[:320]
    with suppress(ValidationError):
        email = normalise_email(email)
    return email.strip().lower()


def form_page(request) -> str:
    """The page the form was on (the box posts from article pages); only a local path counts."""
    source = request.POST.get("source", "")
    if source.startswith("/") and not source.startswith("//") and source.isprintable():
        return request.build_absolute_uri(source)
    return ""


# HEAD is answered wherever GET is (link checkers and mail scanners send it).
require_safe_or_post = require_http_methods(["GET", "HEAD", "POST"])

# (group, key, rate): per client IP, and per submitted address hourly and daily.
RATE_LIMITS = (
    ("subscriptions.ip", "ip", ip_rate),
    ("subscriptions.email", email_key, email_rate),
    ("subscriptions.email-day", email_key, email_daily_rate),
)


def rate_limited(view):
    """Per IP and per submitted address, counted in the shared cache; POST only. An address
    is counted across the signup and manage-link forms: both send it an email. A refused
    request is told when to come back (Retry-After: when the longest window it hit ends)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        waits = []
        for group, key, rate in RATE_LIMITS:
            usage = get_usage(
                request, group=group, key=key, rate=rate, method="POST", increment=True
            )
            if usage is not None and usage["should_limit"]:
                waits.append(usage["time_left"])
        if waits:
            response = ratelimited(request, None)
            response["Retry-After"] = str(max(1, *waits))
            return response
        return view(request, *args, **kwargs)

    return wrapper


def token_page(purpose: Purpose):
    """Resolve the link's token; never cache or index the page, nor send its URL to other sites.

    (Not "no-referrer": browsers then send "Origin: null" and the CSRF check refuses the form.)
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, token, *args, **kwargs):
            try:
                data = read_token(token, purpose=purpose)
            except InvalidToken:
                response = render(request, "subscriptions/invalid_link.html", status=400)
            else:
                response = view(request, data, *args, **kwargs)
            add_never_cache_headers(response)
            response["Referrer-Policy"] = "same-origin"
            response["X-Robots-Tag"] = "noindex"
            return response

        return wrapper

    return decorator


@require_safe_or_post
@rate_limited
def subscribe(request):
    offer = current_offer()
    form_kwargs = {"mailing_lists": offer.lists, "consent_text_id": offer.consent_text_id}
    if request.method == "POST":
        form = SubscribeForm(request.POST, **form_kwargs)
        if form.looks_automated():
            return redirect("subscriptions:thanks")
        if form.is_stale():
            form = form.refreshed()
        elif form.is_valid():
            consent_text = ConsentText.objects.filter(pk=form.cleaned_data["consent_text"]).first()
            if consent_text is None:
                form.add_error(None, "This form has changed since you opened it. Please try again.")
            else:
                services.request_subscription(
                    email=form.cleaned_data["email"],
                    profile=form.profile(),
                    lists=form.chosen_lists(),
                    consent_text=consent_text,
                    meta=RequestMeta.from_request(request, source_url=form_page(request)),
                )
                return redirect("subscriptions:thanks")
    else:
        form = SubscribeForm(**form_kwargs)
    return render(request, "subscriptions/subscribe.html", {"form": form, "offer": offer})


@require_safe
def thanks(request):
    return render(request, "subscriptions/thanks.html")


@require_safe_or_post
@rate_limited
def manage_request(request):
    """Email a fresh preference-centre link; the answer never says if the address is known."""
    form = EmailOnlyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.request_manage_link(email=form.cleaned_data["email"])
        return render(request, "subscriptions/manage_request_sent.html")
    return render(request, "subscriptions/manage_request.html", {"form": form})


@require_safe_or_post
@token_page(Purpose.CONFIRM)
def confirm(request, data):
    # A GET only shows a button: link scanners open it without confirming anything.
    subscriber = data.subscriber
    manage_url = reverse(
        "subscriptions:manage", args=[make_token(subscriber=subscriber, purpose=Purpose.MANAGE)]
    )
    if request.method == "POST":
        services.confirm_subscriptions(
            subscriber=subscriber, meta=RequestMeta.from_request(request)
        )
        active = subscriber.subscriptions.active().select_related("mailing_list")
        return render(
            request,
            "subscriptions/confirmed.html",
            {"subscriptions": active, "manage_url": manage_url},
        )
    pending = subscriber.subscriptions.filter(status=Subscription.Status.PENDING).select_related(
        "mailing_list"
    )
    return render(
        request,
        "subscriptions/confirm.html",
        {"pending": pending, "manage_url": manage_url},
    )


@require_safe_or_post
@token_page(Purpose.MANAGE)
def manage(request, data):
    subscriber = data.subscriber
    offer = current_offer()
    if request.method == "POST" and "unsubscribe_all" in request.POST:
        lists = services.unsubscribe(
            subscriber=subscriber,
            mailing_list=None,
            source=ConsentEvent.Source.PREFERENCES,
            meta=RequestMeta.from_request(request),
        )
        return render(request, "subscriptions/unsubscribed.html", {"lists": lists, "all": True})
    if request.method == "POST":
        form = PreferencesForm(request.POST, mailing_lists=offer.lists)
        if form.is_valid():
            services.update_preferences(
                subscriber=subscriber,
                profile=form.profile(),
                lists=form.chosen_lists(),
                offered=offer.lists,
                consent_text=ConsentText.objects.filter(pk=offer.consent_text_id).first(),
                meta=RequestMeta.from_request(request),
            )
            messages.success(request, "Your preferences are saved.")
            return redirect(request.path)
    else:
        subscribed = subscriber.subscriptions.filter(
            status__in=[Subscription.Status.ACTIVE, Subscription.Status.PENDING]
        )
        initial = {name: getattr(subscriber, name) for name in PROFILE_FIELDS}
        initial["lists"] = list(subscribed.values_list("mailing_list_id", flat=True))
        form = PreferencesForm(initial=initial, mailing_lists=offer.lists)
    return render(
        request,
        "subscriptions/manage.html",
        {"form": form, "subscriber": subscriber, "offer": offer},
    )


# RFC 8058 one-click POSTs come from mail providers: the signed token is the authority.
@csrf_exempt
@require_safe_or_post
@token_page(Purpose.UNSUBSCRIBE)
def unsubscribe(request, data):
    if request.method == "POST":
        one_click = request.POST.get("List-Unsubscribe") == "One-Click"
        lists = services.unsubscribe(
            subscriber=data.subscriber,
            mailing_list=data.mailing_list,
            source=ConsentEvent.Source.ONE_CLICK
            if one_click
            else ConsentEvent.Source.UNSUBSCRIBE_LINK,
            meta=RequestMeta.from_request(request),
        )
        return render(
            request,
            "subscriptions/unsubscribed.html",
            {"lists": lists, "mailing_list": data.mailing_list},
        )
    return render(request, "subscriptions/unsubscribe.html", {"mailing_list": data.mailing_list})
