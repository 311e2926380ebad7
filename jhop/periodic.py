"""The periodic jobs, run by the task worker itself (manage.py run_worker): no cron needed.

Each job is a management command line, or the dotted path of a function, and how often it
runs. Every run_worker process looks for due jobs every PERIOD seconds; a job is started by
moving its row's last_run_at forward with one conditional UPDATE, which only one process can
win per interval, however many workers run on however many machines. The winner puts the job
on the task queue (in the same transaction), where any worker runs it and its outcome is
recorded like any task's. A job whose command is not installed is skipped.
"""

import io
import logging
import shlex
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.management import call_command, get_commands
from django.db import close_old_connections, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import task

from jhop.models import PeriodicJob

logger = logging.getLogger(__name__)

PERIOD = 30  # seconds between two looks at the schedule


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    run: str  # a command line ("purge_unconfirmed --days 30") or a function's dotted path

    @property
    def is_function(self) -> bool:
        return "." in shlex.split(self.run)[0]

    @property
    def is_installed(self) -> bool:
        target = shlex.split(self.run)[0]
        if not self.is_function:
            return target in get_commands()
        try:
            import_string(target)
        except ImportError:
            return False
        return True

    def __call__(self) -> str:
        """Run the job now, here; what it printed."""
        if self.is_function:
            result = import_string(self.run)()
            return "" if result is None else str(result)
        out = io.StringIO()
        call_command(*shlex.split(self.run), stdout=out, stderr=out)
        return out.getvalue()


SCHEDULE = [
    # Signups never confirmed are deleted after 30 days.
    Job("purge_unconfirmed", timedelta(days=1), "purge_unconfirmed --days 30"),
    # Scheduled articles whose Crossref or JATS record no longer validates go back to draft.
    Job("check_scheduled", timedelta(minutes=5), "check_scheduled"),
    # Files kept from a form that came back with an error and was never sent again.
    Job("purge_kept_uploads", timedelta(days=1), "purge_kept_uploads"),
    # Emails whose task was lost, or whose retry the backend could not schedule.
    Job("retry_emails", timedelta(minutes=5), "retry_emails"),
    # Staff audit entries older than AUDIT_RETENTION_DAYS.
    Job("purge_audit_log", timedelta(days=1), "purge_audit_log"),
    # Crossref deposits whose next try or result check is overdue (its deferred task lost).
    Job(
        "crossref_deposits",
        timedelta(minutes=2),
        "articles.scholarly.registration.advance_due",
    ),
    # Search rows a large rename (or SQL around Django) queued, if the hub's task was lost.
    Job("search_queue", timedelta(minutes=1), "articles.derived.search_queue.drain"),
    # Every stored copy recomputed and compared; drift repaired (where the command exists):
    # daily, the costly copies only where they or their sources changed since last found
    # equal; weekly, every row of every copy.
    Job("check_derived", timedelta(days=1), "check_derived --repair"),
    Job("check_derived_full", timedelta(days=7), "check_derived --repair --full"),
]


def job(name: str) -> Job:
    return next(j for j in SCHEDULE if j.name == name)


def start_due(*, now: datetime | None = None) -> list[str]:
    """Queue every installed job whose interval has passed since it last started.

    Returns the names of those this call started; a job another worker has just started
    is not started again until its interval has passed.
    """
    now = now or timezone.now()
    jobs = [j for j in SCHEDULE if j.is_installed]
    PeriodicJob.objects.bulk_create([PeriodicJob(name=j.name) for j in jobs], ignore_conflicts=True)
    started = []
    for due in jobs:
        with transaction.atomic():
            won = (
                PeriodicJob.objects.filter(name=due.name)
                .filter(Q(last_run_at=None) | Q(last_run_at__lte=now - due.every))
                .update(last_run_at=now)
            )
            if won:
                run_periodic_job.enqueue(due.name)
                started.append(due.name)
    return started


@task()
def run_periodic_job(name: str) -> str:
    """Run one job of the schedule; its output is the task's result."""
    return job(name)()[-10_000:]


def keep_starting() -> None:
    """start_due() every PERIOD seconds, for ever (run_worker's thread)."""
    while True:
        try:
            started = start_due()
            if started:
                logger.info("Periodic jobs queued: %s", ", ".join(started))
        except Exception:
            logger.exception("Could not look at the periodic jobs; next try in %s s", PERIOD)
        finally:
            close_old_connections()
        time.sleep(PERIOD)
