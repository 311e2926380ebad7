"""Staff users and groups, as django.contrib.auth's admin shows them, with every change to
who may do what written to the audit trail (subscriptions.services.audit)."""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User

from subscriptions.services import audit

# Fields whose change alters what a staff user may see or do.
POWER_FIELDS = {"groups", "user_permissions", "is_superuser", "is_staff", "is_active"}


class AuditedPowers:
    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        changed = sorted(set(form.changed_data) & (POWER_FIELDS | {"permissions"}))
        if change and not changed:
            return
        kind = self.model._meta.verbose_name
        audit.record(
            request=request,
            action=audit.Action.PERMISSIONS,
            summary=f"{'Changed' if change else 'Added'} {kind} “{form.instance}”"
            + (f": {', '.join(changed)}" if changed else ""),
            detail={"model": self.model._meta.label, "pk": form.instance.pk, "fields": changed},
        )

    def log_deletions(self, request, queryset):
        for obj in queryset:
            audit.record(
                request=request,
                action=audit.Action.PERMISSIONS,
                summary=f"Deleted {self.model._meta.verbose_name} “{obj}”",
                detail={"model": self.model._meta.label, "pk": obj.pk},
            )
        return super().log_deletions(request, queryset)


admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class AuditedUserAdmin(AuditedPowers, UserAdmin):
    pass


@admin.register(Group)
class AuditedGroupAdmin(AuditedPowers, GroupAdmin):
    pass
