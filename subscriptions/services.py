"""Every write with a side effect: signup, confirm, preferences, unsubscribe, import, erasure."""

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from subscriptions import emails
from subscriptions.models import (
    PROFILE_FIELDS,
    ConsentEvent,
    ConsentText,
    MailingList,
    OutboundEmail,
    Subscriber,
    Subscription,
    Suppression,
    email_hash,
)

Status = Subscription.Status


@dataclass(frozen=True)
class RequestMeta:
    """Where a change came from, as the consent log records it."""

    source_url: str = ""
    ip_address: str = ""
    user_agent: str = ""
    actor: str = ""

    @classmethod
    def from_request(cls, request, *, source_url: str = "") -> "RequestMeta":
        user = getattr(request, "user", None)
        return cls(
            source_url=(source_url or request.build_absolute_uri(request.path))[:500],
            ip_address=reduce_ip(request.META.get("REMOTE_ADDR", "")),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
            actor=user.get_username() if user and user.is_authenticated else "",
        )


def reduce_ip(address: str) -> str:
    """Keep only the network: the last octet of IPv4, all but the /48 of IPv6."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return ""
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False).network_address)


def _log(
    subscriber: Subscriber,
    *,
    kind: str,
    source: str,
    meta: RequestMeta,
    lists: Iterable[MailingList] = (),
    consent_text: ConsentText | None = None,
    details: dict | None = None,
) -> ConsentEvent:
    return ConsentEvent.objects.create(
        subscriber=subscriber,
        kind=kind,
        source=source,
        source_url=meta.source_url,
        lists=[m.name for m in lists],
        consent_text=consent_text,
        details=details or {},
        ip_address=meta.ip_address,
        user_agent=meta.user_agent,
        actor=meta.actor,
    )


def _snapshot(subscriber: Subscriber) -> dict:
    """What a postal auditor needs from the request: name, address, email."""
    data = {name: str(getattr(subscriber, name)) for name in PROFILE_FIELDS}
    return {"email": subscriber.email, **data}


def request_subscription(
    *,
    email: str,
    profile: dict,
    lists: list[MailingList],
    consent_text: ConsentText,
    meta: RequestMeta,
) -> None:
    """Handle a signup form submission without revealing whether the address is known.

    A new address gets pending subscriptions and a confirmation email. A known address is
    left unchanged and gets a link to manage its subscription. Two identical requests at
    once make one subscriber: the database's case-insensitive unique email decides.
    """
    candidate = Subscriber(email=email, **{k: profile.get(k, "") for k in PROFILE_FIELDS})
    candidate.full_clean(validate_constraints=False)
    with transaction.atomic():
        subscriber, created = Subscriber.objects.get_or_create(
            email__iexact=email,
            defaults={"email": email, **{k: getattr(candidate, k) for k in PROFILE_FIELDS}},
        )
        if not created:
            _log(
                subscriber,
                kind=ConsentEvent.Kind.REQUESTED_KNOWN,
                source=ConsentEvent.Source.FORM,
                meta=meta,
                lists=lists,
                consent_text=consent_text,
            )
            emails.manage_email(subscriber)
            return
        now = timezone.now()
        Subscription.objects.bulk_create(
            Subscription(subscriber=subscriber, mailing_list=m, requested_at=now) for m in lists
        )
        _log(
            subscriber,
            kind=ConsentEvent.Kind.REQUESTED,
            source=ConsentEvent.Source.FORM,
            meta=meta,
            lists=lists,
            consent_text=consent_text,
            details=_snapshot(subscriber),
        )
        emails.confirmation_email(subscriber, lists)


def _locked(subscriber: Subscriber) -> Subscriber:
    return Subscriber.objects.select_for_update().get(pk=subscriber.pk)


def _activate(subscription: Subscription, now: datetime) -> None:
    subscription.status = Status.ACTIVE
    subscription.confirmed_at = subscription.confirmed_at or now
    subscription.qualified_at = now
    subscription.unsubscribed_at = None
    subscription.full_clean()
    subscription.save()


def confirm_subscriptions(*, subscriber: Subscriber, meta: RequestMeta) -> list[MailingList]:
    """Activate the pending subscriptions (double opt-in). Idempotent: a second call is a no-op."""
    with transaction.atomic():
        subscriber = _locked(subscriber)
        pending = list(
            subscriber.subscriptions.filter(status=Status.PENDING).select_related("mailing_list")
        )
        if not pending:
            return []
        now = timezone.now()
        for subscription in pending:
            _activate(subscription, now)
        request = subscriber.events.filter(kind=ConsentEvent.Kind.REQUESTED).first()
        lists = [s.mailing_list for s in pending]
        _log(
            subscriber,
            kind=ConsentEvent.Kind.CONFIRMED,
            source=ConsentEvent.Source.CONFIRM_LINK,
            meta=meta,
            lists=lists,
            consent_text=request.consent_text if request else None,
            details=_snapshot(subscriber),
        )
        return lists


def update_preferences(
    *,
    subscriber: Subscriber,
    profile: dict,
    lists: list[MailingList],
    offered: Iterable[MailingList],
    consent_text: ConsentText | None,
    meta: RequestMeta,
) -> None:
    """Save the preference centre: profile, and the offered lists ticked or unticked.

    Following the emailed link proves the address, so ticking a list activates it.
    """
    with transaction.atomic():
        subscriber = _locked(subscriber)
        for name in PROFILE_FIELDS:
            setattr(subscriber, name, profile.get(name, ""))
        subscriber.full_clean(validate_constraints=False)
        subscriber.save()
        current = {s.mailing_list_id: s for s in subscriber.subscriptions.all()}
        chosen = {m.pk for m in lists}
        added, removed, now = [], [], timezone.now()
        for mailing_list in offered:
            subscription = current.get(mailing_list.pk)
            if mailing_list.pk in chosen:
                if subscription is None:
                    subscription = Subscription(subscriber=subscriber, mailing_list=mailing_list)
                if subscription.status != Status.ACTIVE:
                    _activate(subscription, now)
                    added.append(mailing_list)
            elif subscription and subscription.status in {Status.ACTIVE, Status.PENDING}:
                subscription.status = Status.UNSUBSCRIBED
                subscription.unsubscribed_at = now
                subscription.save()
                removed.append(mailing_list)
        _log(
            subscriber,
            kind=ConsentEvent.Kind.PREFERENCES,
            source=ConsentEvent.Source.PREFERENCES,
            meta=meta,
            lists=lists,
            consent_text=consent_text if added else None,
            details={
                **_snapshot(subscriber),
                "added": [m.name for m in added],
                "removed": [m.name for m in removed],
            },
        )
        if removed and not subscriber.subscriptions.filter(status=Status.ACTIVE).exists():
            emails.goodbye_email(subscriber, removed)


def unsubscribe(
    *,
    subscriber: Subscriber,
    mailing_list: MailingList | None,
    source: str,
    meta: RequestMeta,
) -> list[MailingList]:
    """Unsubscribe from one list (or all). Repeating it changes nothing and sends nothing."""
    with transaction.atomic():
        subscriber = _locked(subscriber)
        subscriptions = subscriber.subscriptions.filter(
            status__in=[Status.ACTIVE, Status.PENDING]
        ).select_related("mailing_list")
        if mailing_list is not None:
            subscriptions = subscriptions.filter(mailing_list=mailing_list)
        lists = [s.mailing_list for s in subscriptions]
        if not lists:
            return []
        subscriptions.update(status=Status.UNSUBSCRIBED, unsubscribed_at=timezone.now())
        _log(subscriber, kind=ConsentEvent.Kind.UNSUBSCRIBED, source=source, meta=meta, lists=lists)
        emails.goodbye_email(subscriber, lists)
        return lists


def mark_bounced(*, subscriber: Subscriber, meta: RequestMeta) -> list[MailingList]:
    """Stop sending to an address the mail service reports as undeliverable."""
    with transaction.atomic():
        subscriber = _locked(subscriber)
        subscriptions = subscriber.subscriptions.filter(
            status__in=[Status.ACTIVE, Status.PENDING]
        ).select_related("mailing_list")
        lists = [s.mailing_list for s in subscriptions]
        if lists:
            subscriptions.update(status=Status.BOUNCED, unsubscribed_at=timezone.now())
            _log(
                subscriber,
                kind=ConsentEvent.Kind.BOUNCED,
                source=ConsentEvent.Source.ADMIN,
                meta=meta,
                lists=lists,
            )
        return lists


def purge_unconfirmed(*, older_than: timedelta, dry_run: bool = False) -> int:
    """Delete people who asked but never confirmed: nothing justifies keeping their data."""
    cutoff = timezone.now() - older_than
    stale = (
        Subscriber.objects.not_erased()
        .filter(created_at__lt=cutoff)
        .exclude(subscriptions__confirmed_at__isnull=False)
        .exclude(subscriptions__status__in=[Status.ACTIVE, Status.UNSUBSCRIBED, Status.BOUNCED])
    )
    count = stale.count()
    if not dry_run:
        with transaction.atomic():
            Subscriber.objects.filter(pk__in=list(stale.values_list("pk", flat=True))).delete()
    return count


def record_admin_change(*, subscriber: Subscriber, changed: list[str], meta: RequestMeta) -> None:
    _log(
        subscriber,
        kind=ConsentEvent.Kind.ADMIN,
        source=ConsentEvent.Source.ADMIN,
        meta=meta,
        details={"changed": changed},
    )


def erase_subscriber(*, subscriber: Subscriber, meta: RequestMeta) -> None:
    """Remove personal data on request; keep the fact and date, and suppress the address."""
    with transaction.atomic():
        subscriber = _locked(subscriber)
        if subscriber.erased_at:
            return
        now = timezone.now()
        Suppression.objects.get_or_create(
            email_hash=subscriber.email_hash, defaults={"reason": "Erased on request"}
        )
        subscriber.subscriptions.exclude(status=Status.UNSUBSCRIBED).update(
            status=Status.UNSUBSCRIBED, unsubscribed_at=now
        )
        # The one sanctioned rewrite of the consent log: personal data leaves it.
        subscriber.events.update(details={}, ip_address="", user_agent="", source_url="")
        OutboundEmail.objects.filter(subscriber=subscriber).delete()
        subscriber.email = ""
        for name in PROFILE_FIELDS:
            setattr(subscriber, name, "")
        subscriber.erased_at = now
        subscriber.save()
        _log(
            subscriber,
            kind=ConsentEvent.Kind.ERASED,
            source=ConsentEvent.Source.ADMIN,
            meta=RequestMeta(actor=meta.actor),
        )


def subscriber_data(subscriber: Subscriber) -> dict:
    """Everything held about one subscriber, for a data-access request."""
    return {
        "id": subscriber.pk,
        "email": subscriber.email,
        **{name: str(getattr(subscriber, name)) for name in PROFILE_FIELDS},
        "created_at": subscriber.created_at.isoformat(),
        "erased_at": subscriber.erased_at.isoformat() if subscriber.erased_at else None,
        "subscriptions": [
            {
                "list": s.mailing_list.name,
                "status": s.status,
                "requested_at": s.requested_at.isoformat(),
                "confirmed_at": s.confirmed_at.isoformat() if s.confirmed_at else None,
                "unsubscribed_at": s.unsubscribed_at.isoformat() if s.unsubscribed_at else None,
            }
            for s in subscriber.subscriptions.select_related("mailing_list")
        ],
        "events": [
            {
                "at": e.created_at.isoformat(),
                "what": e.get_kind_display(),
                "source": e.get_source_display(),
                "source_url": e.source_url,
                "lists": e.lists,
                "consent_text": e.consent_text.body if e.consent_text else None,
                "details": e.details,
                "ip_address": e.ip_address,
                "user_agent": e.user_agent,
            }
            for e in subscriber.events.select_related("consent_text").order_by("created_at")
        ],
    }


@dataclass
class ImportReport:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    invalid: list[tuple[int, str, str]] = field(default_factory=list)
    dry_run: bool = False


def import_subscribers(
    *, rows: Iterable[dict], source: str, dry_run: bool, meta: RequestMeta
) -> ImportReport:
    """Import an existing list. Never overrides an unsubscribe, a bounce or a suppression.

    Each row: email, names, profession, organization, address, country (ISO code), lists
    (slugs separated by ';') and optionally requested_on (YYYY-MM-DD, the print request date).
    A dry run does all the work, reports it, and rolls it back.
    """
    from subscriptions.forms import ImportRowForm

    report = ImportReport(dry_run=dry_run)
    by_slug = {m.slug: m for m in MailingList.objects.all()}
    suppressed = set(Suppression.objects.values_list("email_hash", flat=True))
    seen: dict[str, int] = {}
    with transaction.atomic():
        for line, row in enumerate(rows, start=2):
            form = ImportRowForm(row, mailing_lists_by_slug=by_slug)
            if not form.is_valid():
                reasons = "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())
                report.invalid.append((line, str(row.get("email", ""))[:254], reasons))
                continue
            email = form.cleaned_data["email"]
            key = email.lower()
            if key in seen:
                report.invalid.append((line, email, f"duplicate of line {seen[key]}"))
                continue
            seen[key] = line
            if email_hash(email) in suppressed:
                report.invalid.append((line, email, "erased on request: suppressed"))
                continue
            outcome = _import_one(
                email=email,
                profile=form.profile(),
                lists=form.chosen_lists(),
                requested_on=form.cleaned_data.get("requested_on"),
                source=source,
                meta=meta,
            )
            setattr(report, outcome, getattr(report, outcome) + 1)
        if dry_run:
            transaction.set_rollback(True)
    return report


def _import_one(
    *,
    email: str,
    profile: dict,
    lists: list[MailingList],
    requested_on,
    source: str,
    meta: RequestMeta,
) -> str:
    now = timezone.now()
    qualified_at = (
        timezone.make_aware(datetime.combine(requested_on, datetime.min.time()))
        if requested_on
        else None
    )
    subscriber, created = Subscriber.objects.get_or_create(
        email__iexact=email, defaults={"email": email, **profile}
    )
    changed = []
    if not created:
        for name, value in profile.items():
            if value and not getattr(subscriber, name):
                setattr(subscriber, name, value)
                changed.append(name)
        if changed:
            subscriber.save()
    existing = {s.mailing_list_id: s for s in subscriber.subscriptions.all()}
    added = []
    for mailing_list in lists:
        subscription = existing.get(mailing_list.pk)
        if subscription is None:
            subscription = Subscription(subscriber=subscriber, mailing_list=mailing_list)
        elif subscription.status != Status.PENDING:
            continue  # active stays active; unsubscribed and bounced are never overridden
        subscription.status = Status.ACTIVE
        subscription.confirmed_at = now
        subscription.qualified_at = qualified_at
        subscription.save()
        added.append(mailing_list)
    if not (created or changed or added):
        return "unchanged"
    _log(
        subscriber,
        kind=ConsentEvent.Kind.IMPORTED,
        source=ConsentEvent.Source.IMPORT,
        meta=meta,
        lists=added,
        details={**_snapshot(subscriber), "import_source": source},
    )
    return "new" if created else "updated"
