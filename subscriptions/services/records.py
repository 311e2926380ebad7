"""What subscription managers do with records: import, erase, export one person, purge."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from subscriptions.models import (
    PROFILE_FIELDS,
    ConsentEvent,
    MailingList,
    OutboundEmail,
    Subscriber,
    Subscription,
    Suppression,
)
from subscriptions.services.consent import RequestMeta, log_event, snapshot
from subscriptions.services.subscribers import locked

Status = Subscription.Status


def purge_unconfirmed(*, older_than: timedelta, dry_run: bool = False) -> int:
    """Delete people who asked but never confirmed: nothing justifies keeping their data."""
    cutoff = timezone.now() - older_than
    stale = (
        Subscriber.objects.not_erased()
        .filter(created_at__lt=cutoff, subscriptions__status=Status.PENDING)
        .exclude(subscriptions__requested_at__gte=cutoff)
        .exclude(subscriptions__confirmed_at__isnull=False)
        .exclude(subscriptions__status__in=[Status.ACTIVE, Status.UNSUBSCRIBED, Status.BOUNCED])
    )
    stale = stale.distinct()
    count = stale.count()
    if not dry_run:
        with transaction.atomic():
            Subscriber.objects.filter(pk__in=list(stale.values_list("pk", flat=True))).delete()
    return count


def erase_subscriber(*, subscriber: Subscriber, meta: RequestMeta) -> None:
    """Remove personal data on request; keep the fact and date, and suppress the address."""
    with transaction.atomic():
        subscriber = locked(subscriber)
        if subscriber.erased_at:
            return
        now = timezone.now()
        Suppression.objects.entry_for(
            subscriber.email, kind=Suppression.Kind.ERASED, reason="Erased on request"
        )
        subscriber.subscriptions.exclude(status=Status.UNSUBSCRIBED).update(
            status=Status.UNSUBSCRIBED, unsubscribed_at=now
        )
        # The one sanctioned rewrite of the consent log: personal data leaves it.
        subscriber.events.update(details={}, ip_address="", user_agent="", source_url="")
        OutboundEmail.objects.filter(subscriber=subscriber).delete()
        subscriber.link_clicks.all().delete()
        subscriber.email = ""
        for name in PROFILE_FIELDS:
            setattr(subscriber, name, "")
        subscriber.erased_at = now
        subscriber.save()
        # The admin's own history names the object by its address: rename it too.
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Subscriber),
            object_id=str(subscriber.pk),
        ).update(object_repr=str(subscriber))
        log_event(
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
        "emails": [
            {
                "what": e.kind,
                "subject": e.subject,
                "to": e.to_email,
                "queued_at": e.created_at.isoformat(),
                "sent_at": e.sent_at.isoformat() if e.sent_at else None,
                "status": e.status,
            }
            for e in subscriber.outbound_emails.order_by("created_at")
        ],
        # Recorded only for lists whose manager turned on per-reader click tracking.
        "link_clicks": [
            {
                "at": c.clicked_at.isoformat(),
                "edition": c.link.edition.subject,
                "link": c.link.url,
            }
            for c in subscriber.link_clicks.select_related("link__edition")
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
    suppressed = Suppression.objects.index()
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
            if (kind := suppressed.kind_of(email)) is not None:
                Suppression.objects.rekey(email)
                why = Suppression.Kind(kind).label.lower()
                report.invalid.append((line, email, f"{why}: suppressed"))
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
        subscription.imported_at = now
        subscription.qualified_at = qualified_at
        subscription.save()
        added.append(mailing_list)
    if not (created or changed or added):
        return "unchanged"
    log_event(
        subscriber,
        kind=ConsentEvent.Kind.IMPORTED,
        source=ConsentEvent.Source.IMPORT,
        meta=meta,
        lists=added,
        details={**snapshot(subscriber), "import_source": source},
    )
    return "new" if created else "updated"
