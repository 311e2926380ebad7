"""The task worker, with the periodic jobs: what production runs (deploy/systemd).

`db_worker` works the task queue; this is db_worker (same options) plus a thread that starts
the jobs in jhop/periodic.py on their schedules, once per interval however many workers run.
"""

import os
import threading

from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as DBWorker

from jhop import periodic


class Command(DBWorker):
    help = (
        "Work the task queue (as db_worker, same options) and start the periodic jobs "
        "(purge_unconfirmed, check_scheduled, purge_kept_uploads, retry_emails, ...) on "
        "their schedules. With --batch: start the jobs due now, run the queue, exit."
    )

    def handle(self, *args, **options):
        reloader = options["reload"] and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true"
        if options["batch"]:
            periodic.start_due()
        elif not reloader:  # with --reload, the process it starts does the work
            thread = threading.Thread(target=periodic.keep_starting, name="periodic", daemon=True)
            thread.start()
        super().handle(*args, **options)
