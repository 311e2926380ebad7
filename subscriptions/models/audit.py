"""Who did what with subscriber data: the staff audit trail (and imports tried, kept for
their real run)."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone


class AuditEntry(models.Model):
    """Append-only: one row per export, download, import, erasure, send, permission change
    or sign-in lockout, saying who, when and from where. Rows are only ever added (and
    removed in bulk when older than AUDIT_RETENTION_DAYS)."""

    class Action(models.TextChoices):
        EXPORT_PRINT = "export-print", "Exported the print fulfilment list"
        EXPORT_NEWSLETTER = "export-newsletter", "Exported the newsletter list"
        DATA_DOWNLOAD = "data-download", "Downloaded a subscriber's data"
        IMPORT = "import", "Imported subscribers"
        IMPORT_DRY_RUN = "import-dry-run", "Tried an import (dry run)"
        ERASURE = "erasure", "Erased a subscriber's personal data"
        EDITION_SENT = "edition-sent", "Sent a newsletter edition"
        EDITION_SCHEDULED = "edition-scheduled", "Scheduled a newsletter edition"
        ALERT_SENT = "alert-sent", "Sent a new-issue alert"
        PERMISSIONS = "permissions", "Changed a staff user's or group's permissions"
        LOCKOUT = "lockout", "Sign-in locked out after failed attempts"

    created_at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_entries",
    )
    # Kept as written, so the entry still names the person after their account is deleted
    # (and names the username tried, for a lockout).
    actor_name = models.CharField("who", max_length=150, blank=True)
    action = models.CharField(max_length=40, choices=Action.choices)
    summary = models.CharField(max_length=300)
    rows = models.PositiveIntegerField(null=True, blank=True, help_text="Rows exported or imported")
    detail = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField("from", null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "audit entry"
        verbose_name_plural = "audit trail"
        indexes = [models.Index(fields=["action", "created_at"], name="audit_action_time")]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_name or '-'}: {self.summary}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError("Audit entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("Audit entries cannot be deleted one by one.")


class PendingImport(models.Model):
    """A CSV tried in a dry run, kept (in the database, beside the subscriber data it will
    become) so that the real run needs no second upload. Deleted by the real run, or after
    a day."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pending_imports"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    filename = models.CharField(max_length=200, blank=True)
    content = models.TextField()

    def __str__(self):
        return f"{self.filename or 'CSV'} tried by {self.created_by} at {self.created_at:%H:%M}"
