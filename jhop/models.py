from django.db import models


class PeriodicJob(models.Model):
    """When a periodic job (jhop/periodic.py) last started: the row workers race to move."""

    name = models.CharField(max_length=100, unique=True)
    last_run_at = models.DateTimeField("last started", null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name
