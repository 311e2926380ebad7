from contextlib import suppress
from functools import wraps
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.core.cache import caches
from django.core.exceptions import DisallowedHost, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import is_same_domain
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe
from django_ratelimit.core import get_usage

from articles.reader.public import cache_public_page, page_meta, shows
from subscriptions import services
from subscriptions.forms import (
    EmailOnlyForm,
    PreferencesForm,
    SubscribeForm,
    form_stamp,
    normalise_email,
    stamp_nonce,
)
from subscriptions.models import (
    PROFILE_FIELDS,
    ConsentEvent,
    ConsentText,
    Edition,
    MailingList,
    current_offer,
)
from subscriptions.services import RequestMeta
from subscriptions.services.editions import edition_articles, follow_click
from subscriptions.tokens import InvalidToken, Purpose, make_token, read_token


def ratelimited(request, exception):
    """The page a rate-limited form answers with (also settings.RATELIMIT_VIEW)."""
    return render(request, "429.html", status=429)


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


def posting_origin(request) -> str | None:
    """Where a POST comes from: its Origin header, else the origin of its Referer, else None."""
    origin = request.META.get("HTTP_ORIGIN")
    if origin is not None:
        return origin
    referer = urlsplit(request.META.get("HTTP_REFERER", ""))
    if not request.META.get("HTTP_REFERER"):
        return None
    return f"{referer.scheme}://{referer.netloc}" if referer.scheme and referer.netloc else "null"


def is_trusted_origin(request, origin: str) -> bool:
    """The site itself, or one of CSRF_TRUSTED_ORIGINS (``https://*.example.com`` allowed)."""
    try:
        if origin == f"{request.scheme}://{request.get_host()}":
            return True
    except DisallowedHost:
        return False
    scheme, _, host = origin.partition("://")
    for trusted in settings.CSRF_TRUSTED_ORIGINS:
        if trusted == origin:
            return True
        trusted_scheme, _, trusted_host = trusted.partition("://")
        wildcard = trusted_host[trusted_host.find("*") + 1 :] if "*" in trusted_host else ""
        if wildcard and trusted_scheme == scheme and is_same_domain(host, wildcard):
            return True
    return False


def same_origin_post(view):
    """Refuse POSTs that a browser sent from another site.

    Why not Django's CSRF token: the signup box sits on cached public pages, which must
    carry nothing per visitor, so there is no token or cookie to check. This is the check
    Ghost uses for its member signup. Browsers send an Origin header with every POST (and
    a Referer under our Referrer-Policy), and a page cannot forge them: a POST whose Origin
    (or, lacking it, Referer) is another site is refused with 403 and changes nothing.

    A POST with neither header is let through: it cannot come from a browser tricked by
    another site (every browser that runs scripts sends Origin on a cross-site POST), and a
    script posting directly could send any header it likes. What stops scripts is the rest:
    the honeypot field, the per-visitor time-on-form stamp (single use), the rate limits
    per IP and per address, and double opt-in (nothing is sent to a list until the owner
    of the address confirms by email).
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method == "POST":
            origin = posting_origin(request)
            if origin is not None and not is_trusted_origin(request, origin):
                return render(request, "subscriptions/refused.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def private_page(view):
    """Pages with a form or a token: never stored by a browser or a shared cache."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        return response

    return wrapper


def first_use_of_stamp(form) -> bool:
    """A time-on-form stamp is good for one signup; a harvested stamp cannot be replayed."""
    nonce = stamp_nonce(form.data.get("started", ""))
    timeout = int(getattr(settings, "SUBSCRIPTIONS_FORM_MAX_AGE", 2 * 24 * 3600)) + 60
    counters = caches[settings.RATELIMIT_USE_CACHE]  # per process while Redis is down
    return nonce is not None and counters.add(f"subscriptions:stamp-used:{nonce}", 1, timeout)


@require_safe
def stamp(request):
    """A fresh time-on-form stamp for one visitor, fetched by static/js/subscribe.js when
    someone starts filling in a signup box on a cached page (which carries no stamp)."""
    response = JsonResponse({"started": form_stamp()})
    add_never_cache_headers(response)
    response["X-Robots-Tag"] = "noindex"
    return response


@csrf_exempt  # the box posts from cached pages: same_origin_post is the check (see there)
@require_safe_or_post
@private_page
@same_origin_post
@rate_limited
def subscribe(request):
    offer = current_offer()
    form_kwargs = {"mailing_lists": offer.lists, "consent_text_id": offer.consent_text_id}
    if request.method == "POST":
        form = SubscribeForm(request.POST, **form_kwargs)
        if form.is_unstamped() and not form.data.get("website"):
            # Sent without JavaScript from a cached page: show the form again, with the
            # answers and a stamp of its own, to be checked and sent again.
            form = form.restamped()
        elif form.looks_automated():
            return redirect("subscriptions:thanks")
        elif form.is_stale():
            form = form.refreshed()
        elif form.is_valid():
            consent_text = ConsentText.objects.filter(pk=form.cleaned_data["consent_text"]).first()
            if consent_text is None:
                form.add_error(None, "This form has changed since you opened it. Please try again.")
            elif not first_use_of_stamp(form):
                return redirect("subscriptions:thanks")  # a replayed stamp: thanked, dropped
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
@cache_public_page
def thanks(request):
    # The same page after every signup (it never says whether the address was known), with
    # nothing per visitor: public, so a CDN holds it like any reader page.
    return render(request, "subscriptions/thanks.html")


@require_safe_or_post
@private_page
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
    pending = subscriber.subscriptions.pending().select_related("mailing_list")
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
        subscribed = subscriber.subscriptions.current()
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
            edition_id=data.edition_id,
        )
        return render(
            request,
            "subscriptions/unsubscribed.html",
            {"lists": lists, "mailing_list": data.mailing_list},
        )
    return render(request, "subscriptions/unsubscribe.html", {"mailing_list": data.mailing_list})


# The public archive of newsletter editions: pages that carry nothing per visitor (cached
# for anonymous readers by articles.reader.public.cache_public_page, see urls.py).

ARCHIVE_PAGE_SIZE = 50


@require_safe
def edition_archive(request, list_slug):
    """The sent editions of one email list, newest first."""
    mailing_list = get_object_or_404(MailingList.objects.email(), slug=list_slug)
    shows(f"newsletter:{mailing_list.pk}")
    editions = mailing_list.editions.published().only(
        "subject", "slug", "preheader", "started_at", "mailing_list_id"
    )
    page = Paginator(editions, ARCHIVE_PAGE_SIZE).get_page(request.GET.get("page"))
    for edition in page.object_list:
        edition.mailing_list = mailing_list  # for get_absolute_url, without a query each
    meta = page_meta(
        request,
        title=f"{mailing_list.name}: past editions",
        description=mailing_list.description or f"Every edition of {mailing_list.name}.",
        page=page,
    )
    context = {"mailing_list": mailing_list, "page_obj": page, "editions": page, "meta": meta}
    return render(request, "subscriptions/edition_archive.html", context)


@require_safe
def edition_detail(request, list_slug, slug):
    """An edition's web version: what its email shows, without any reader's own links."""
    edition = get_object_or_404(
        Edition.objects.published().select_related("mailing_list"),
        mailing_list__slug=list_slug,
        slug=slug,
    )
    meta = page_meta(
        request,
        title=edition.subject,
        description=edition.preheader or " ".join(edition.intro_paragraphs())[:300],
    )
    articles = edition_articles(edition)
    shows(
        f"newsletter:{edition.mailing_list_id}",
        *(f"article:{a.pk}" for a in articles),
    )
    context = {
        "edition": edition,
        "mailing_list": edition.mailing_list,
        "intro": edition.intro_paragraphs(),
        "articles": articles,
        "meta": meta,
    }
    return render(request, "subscriptions/edition_detail.html", context)


@require_safe
def click(request, token, reader=""):
    """A counted link of an edition's email: count it, then go where it points. The token
    names the link; the reader is named (and kept) only by a list that records who clicked."""
    url = follow_click(token, reader=reader)
    if url is None:
        raise Http404("No such link")
    response = redirect(url)
    add_never_cache_headers(response)
    response["X-Robots-Tag"] = "noindex"
    return response
