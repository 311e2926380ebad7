from django.contrib import admin
from django.utils import timezone

from jhop import periodic
from jhop.models import PeriodicJob


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
