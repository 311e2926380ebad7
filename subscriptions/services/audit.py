"""The staff audit trail: one entry per action on subscriber data (models.AuditEntry)."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from subscriptions.http import client_ip
from subscriptions.models import AuditEntry

Action = AuditEntry.Action


def record(
    *,
    request,
    action: str,
    summary: str,
    rows: int | None = None,
    detail: dict | None = None,
    actor_name: str = "",
) -> AuditEntry:
    """Write who did it (the signed-in user), from where (the trusted client address) and
    what, in the caller's transaction. Without a request (a management command), the
    entry names `actor_name` instead."""
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    return AuditEntry.objects.create(
        actor=user if signed_in else None,
        actor_name=(user.get_username() if signed_in else actor_name)[:150],
        action=action,
        summary=summary[:300],
        rows=rows,
        detail=detail or {},
        ip_address=(client_ip(request) or None) if request else None,
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:300] if request else "",
    )


def record_import(*, request, report, source: str, actor_name: str = "") -> AuditEntry:
    """An import (or its dry run), with what it did to how many rows."""
    rows = report.new + report.updated + report.unchanged + len(report.invalid)
    counts = (
        f"{report.new} new, {report.updated} updated, {report.unchanged} unchanged, "
        f"{len(report.invalid)} invalid"
    )
    return record(
        request=request,
        action=Action.IMPORT_DRY_RUN if report.dry_run else Action.IMPORT,
        summary=f"{'Tried an import' if report.dry_run else 'Imported'} from “{source}”: {counts}",
        rows=rows,
        detail={
            "source": source,
            "new": report.new,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "invalid": len(report.invalid),
        },
        actor_name=actor_name,
    )


def failure_logged(sender, instance, created, **kwargs) -> None:
    """A failed staff sign-in that started a lockout (django-axes writes one failure-log row
    with `locked_out` per lockout) is audited, named by the username that was tried."""
    if not (created and instance.locked_out):
        return
    AuditEntry.objects.create(
        actor_name=(instance.username or "")[:150],
        action=Action.LOCKOUT,
        summary=f"Sign-in locked out for “{instance.username or '?'}” "
        f"from {instance.ip_address or '?'}"[:300],
        ip_address=instance.ip_address or None,
        user_agent=(instance.user_agent or "")[:300],
    )


def purge_audit(*, days: int | None = None, dry_run: bool = False) -> int:
    """Delete entries older than `days` (AUDIT_RETENTION_DAYS); return how many."""
    days = settings.AUDIT_RETENTION_DAYS if days is None else days
    old = AuditEntry.objects.filter(created_at__lt=timezone.now() - timedelta(days=days))
    if dry_run:
        return old.count()
    deleted, _ = old.delete()
    return deleted
