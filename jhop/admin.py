"""Staff users and groups, as django.contrib.auth's admin shows them, with every change to
who may do what written to the audit trail (subscriptions.services.audit)."""

from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone

from jhop import periodic, twofactor
from jhop.models import PeriodicJob
from jhop.sessions import sign_out_everywhere
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
    actions = ["end_sessions", "reset_second_factor"]

    def get_urls(self):
        return [
            path(
                "sign-out-everywhere/",
                self.admin_site.admin_view(self.sign_out_everywhere_view),
                name="auth_user_sign_out_everywhere",
            ),
            *super().get_urls(),
        ]

    def sign_out_everywhere_view(self, request):
        """Any staff user ends all their own sessions (the header's button)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        sign_out_everywhere(request.user)
        return redirect("admin:index")

    @admin.action(description="Sign out everywhere", permissions=["change"])
    def end_sessions(self, request, queryset):
        for user in queryset:
            sign_out_everywhere(user)
            audit.record(
                request=request,
                action=audit.Action.PERMISSIONS,
                summary=f"Signed “{user}” out everywhere",
                detail={"model": "auth.User", "pk": user.pk, "fields": ["sessions"]},
            )
        self.message_user(
            request, f"{len(queryset)} user(s) signed out everywhere.", messages.SUCCESS
        )

    @admin.action(description="Reset second factor (lost device)", permissions=["change"])
    def reset_second_factor(self, request, queryset):
        if not request.user.is_superuser:
            self.message_user(request, "Only superusers reset a second factor.", messages.ERROR)
            return
        for user in queryset:
            twofactor.reset_second_factor(request=request, user=user)
        self.message_user(
            request,
            f"{len(queryset)} user(s) will set up a new second factor at their next sign-in.",
            messages.SUCCESS,
        )


@admin.register(Group)
class AuditedGroupAdmin(AuditedPowers, GroupAdmin):
    pass


@admin.register(PeriodicJob)
class PeriodicJobAdmin(admin.ModelAdmin):
    """When the task worker last started each periodic job; what a run printed is with the
    task results (jhop.periodic.run_periodic_job)."""

    list_display = ["name", "command", "every", "last_run_at", "next_start"]
    fields = readonly_fields = list_display

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def _job(self, obj) -> periodic.Job | None:
        return next((j for j in periodic.SCHEDULE if j.name == obj.name), None)

    @admin.display(description="runs")
    def command(self, obj):
        job = self._job(obj)
        return job.run if job else "(no longer scheduled)"

    @admin.display(description="every")
    def every(self, obj):
        job = self._job(obj)
        return job.every if job else "—"

    @admin.display(description="next start")
    def next_start(self, obj):
        job = self._job(obj)
        if job is None or obj.last_run_at is None:
            return "—"
        return timezone.localtime(obj.last_run_at + job.every)
