"""The periodic jobs run from the task worker, once per interval however many workers run."""

import threading
from datetime import timedelta

import pytest
from django.core.management import call_command, get_commands, load_command_class
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from jhop import periodic
from jhop.models import PeriodicJob
from subscriptions.models import Subscriber
from tests.subscriptions.factories import lists, make_subscriber

pytestmark = pytest.mark.django_db

RUNS = []


def count_a_run():
    RUNS.append(timezone.now())
    return f"run {len(RUNS)}"


@pytest.fixture
def counting_job(monkeypatch):
    """A schedule of one job, every 5 minutes, that counts its runs."""
    RUNS.clear()
    job = periodic.Job("count", timedelta(minutes=5), f"{__name__}.count_a_run")
    monkeypatch.setattr(periodic, "SCHEDULE", [job])
    return RUNS


def test_two_workers_in_the_same_interval_run_a_job_once(counting_job):
    start = timezone.now()

    assert periodic.start_due(now=start) == ["count"]
    assert periodic.start_due(now=start) == []  # the second worker, same moment
    assert periodic.start_due(now=start + timedelta(minutes=4)) == []
    assert len(counting_job) == 1

    assert periodic.start_due(now=start + timedelta(minutes=5)) == ["count"]
    assert periodic.start_due(now=start + timedelta(minutes=5, seconds=1)) == []
    assert len(counting_job) == 2
    assert PeriodicJob.objects.get(name="count").last_run_at == start + timedelta(minutes=5)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite serialises writes; run with DATABASE_URL=postgres://… to test the race",
)
def test_workers_racing_at_the_same_moment_start_a_job_once(counting_job):
    start = timezone.now()
    periodic.start_due(now=start - timedelta(minutes=10))  # the row exists
    barrier = threading.Barrier(4, timeout=10)
    started = []

    def worker():
        try:
            barrier.wait()
            started.extend(periodic.start_due(now=start))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert started == ["count"]
    assert len(counting_job) == 2


def test_a_job_whose_command_is_not_installed_is_skipped(monkeypatch):
    missing = periodic.Job("missing", timedelta(days=1), "no_such_command --repair")
    monkeypatch.setattr(periodic, "SCHEDULE", [missing])
    assert not missing.is_installed
    assert periodic.start_due() == []


def test_the_schedule_runs_the_documented_commands_with_valid_arguments():
    schedule = {job.name: job for job in periodic.SCHEDULE}
    assert schedule["purge_unconfirmed"].every == timedelta(days=1)
    assert schedule["purge_kept_uploads"].every == timedelta(days=1)
    assert schedule["check_scheduled"].every <= timedelta(minutes=10)
    assert schedule["retry_emails"].every <= timedelta(minutes=10)
    assert schedule["crossref_deposits"].every <= timedelta(minutes=5)
    for job in periodic.SCHEDULE:
        name, *arguments = job.run.split()
        if job.is_function:
            assert job.is_installed, job.run
            continue
        if not job.is_installed:
            assert job.name == "check_derived"  # added on another branch
            continue
        command = load_command_class(get_commands()[name], name)
        command.create_parser("manage.py", name).parse_args(arguments)  # exits on a typo


def test_a_started_job_runs_its_command(settings):
    newsletter, _ = lists()
    stale = make_subscriber(lists=[newsletter], status="pending")
    Subscriber.objects.filter(pk=stale.pk).update(created_at=timezone.now() - timedelta(days=40))
    stale.subscriptions.update(requested_at=timezone.now() - timedelta(days=40))

    output = periodic.run_periodic_job.call("purge_unconfirmed")

    assert "Deleted 1 unconfirmed subscriber(s)" in output
    assert not Subscriber.objects.filter(pk=stale.pk).exists()


@pytest.mark.django_db(transaction=True)  # the worker checks its connection between tasks
def test_run_worker_starts_the_due_jobs_and_runs_them_from_the_queue(counting_job, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

    call_command("run_worker", "--batch", "--no-startup-delay", "--verbosity", "0")
    call_command("run_worker", "--batch", "--no-startup-delay", "--verbosity", "0")

    assert len(counting_job) == 1
    result = DBTaskResult.objects.get()
    assert result.status == "SUCCESSFUL"
    assert result.return_value == "run 1"


def test_the_admin_shows_when_each_job_last_started_and_starts_next(admin_client):
    periodic.start_due()
    job = PeriodicJob.objects.get(name="retry_emails")
    changelist = admin_client.get("/admin/jhop/periodicjob/")
    assert changelist.status_code == 200
    assert "retry_emails" in changelist.content.decode()
    page = admin_client.get(f"/admin/jhop/periodicjob/{job.pk}/change/").content.decode()
    assert "0:05:00" in page
