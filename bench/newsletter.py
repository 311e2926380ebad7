"""Send a newsletter edition to many subscribers through a local SMTP sink.

Starts an aiosmtpd sink on 127.0.0.1 (it records every delivery to a file), fills the
database with --subscribers active, confirmed newsletter members, then for each worker
count (--workers 1 4) composes an edition, sends it, and runs that many
`manage.py db_worker` processes until every email is sent (or --timeout passes). Prints
emails per second, the peak resident memory of the workers (and at 10 % of the list, to
show it does not grow with the list), and checks the sink received exactly one message per
subscriber: no duplicate, no gap. Stops everything it started.

With --kill, one of two workers is killed (SIGKILL) a third of the way through: the run
prints how long until its claim was picked up, what the admin then shows (sent, uncertain,
failed), what arrived (delivered, duplicates, missing), then reconciles as a
tracking-capable email service would: a "delivered" report for each message the sink
received (by its Message-ID) settles the uncertain ones that arrived, the rest (certain now
not to have arrived) are resent, and the counts are printed again.

Run it on PostgreSQL (several workers share the queue through row locks):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jhop_bench .venv/bin/python bench/newsletter.py
The database given is emptied of subscribers and emails first: use a throwaway one.
"""

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from _setup import ROOT, configure

SINK = """
import sys, time
from aiosmtpd.controller import Controller

class Handler:
    def __init__(self, path):
        self.out = open(path, "a", buffering=1)
    async def handle_DATA(self, server, session, envelope):
        message_id = "-"
        for line in envelope.content.split(b"\\r\\n\\r\\n", 1)[0].split(b"\\r\\n"):
            if line.lower().startswith(b"message-id:"):
                message_id = line.split(b":", 1)[1].strip().decode()
        for rcpt in envelope.rcpt_tos:
            self.out.write(rcpt + "\\t" + message_id + "\\n")
        return "250 OK"

controller = Controller(Handler(sys.argv[1]), hostname="127.0.0.1", port=int(sys.argv[2]))
controller.start()
print("ready", flush=True)
while True:
    time.sleep(3600)
"""


WORKER_ARGS = ["--interval", "0.05", "--no-startup-delay", "--no-reload"]


def cpu_seconds(pid: int) -> float:
    """User + system CPU a process has used so far (Linux /proc), 0 if unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return 0.0


def fill(n: int, *, track_readers: bool = False) -> None:
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from articles.models import Article
    from subscriptions.models import (
        DeliveryEvent,
        Edition,
        MailingList,
        OutboundEmail,
        Subscriber,
        Subscription,
    )
    from tests.factories import make_article, make_author

    # In slices: one delete of a previous run's 100,000 rows passes PostgreSQL's limit of
    # 65,535 parameters in the updates Django's collector makes for the rows pointing at them.
    for model in (DeliveryEvent, OutboundEmail, Edition, Subscription, Subscriber, DBTaskResult):
        while pks := list(model.objects.values_list("pk", flat=True)[:10_000]):
            model.objects.filter(pk__in=pks).delete()
    newsletter = MailingList.objects.email().first()
    MailingList.objects.filter(pk=newsletter.pk).update(track_clicks_per_reader=track_readers)
    now = timezone.now()
    for start in range(0, n, 10_000):
        subscribers = Subscriber.objects.bulk_create(
            Subscriber(email=f"reader{i}@hospital{i % 97}.example.org", first_name=f"Given{i}")
            for i in range(start, min(n, start + 10_000))
        )
        Subscription.objects.bulk_create(
            Subscription(
                subscriber=s,
                mailing_list=newsletter,
                status=Subscription.Status.ACTIVE,
                confirmed_at=now,
            )
            for s in subscribers
        )
    if not Article.objects.published().exists():
        author = make_author(given_name="Meg", family_name="Barbor", credentials="MPH")
        for k in range(6):
            make_article(
                title=f"Bench article {k}: CDK4/6 inhibitors in practice",
                standfirst="What pharmacists need to know this week." * 3,
                authors=[author],
            )


def run(workers: int, n: int, sink_file: Path, env: dict, timeout: float) -> dict:
    from django.db import connection

    from articles.models import Article
    from subscriptions.models import Edition, EditionArticle, MailingList, OutboundEmail
    from subscriptions.services import editions

    sink_file.write_text("")
    newsletter = MailingList.objects.email().first()
    edition = Edition.objects.create(
        mailing_list=newsletter, subject=f"Bench edition ({workers} workers)", intro="Hello."
    )
    for position, article in enumerate(Article.objects.published()[:6], start=1):
        EditionArticle.objects.create(edition=edition, article=article, position=position)
    editions.send_edition(edition=edition, user=None)  # enqueues the build task
    connection.close()

    started = time.monotonic()
    procs = [
        subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", *WORKER_ARGS],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(workers)
    ]
    peak, at_tenth = 0.0, None
    sent, cpu, loads = 0, 0.0, []
    try:
        while time.monotonic() - started < timeout:
            time.sleep(0.5)
            loads.append(os.getloadavg()[0])
            peak = max(peak, max(rss_mb(p.pid) for p in procs))
            cpu = sum(cpu_seconds(p.pid) for p in procs)
            sent = edition.emails.filter(status=OutboundEmail.Status.SENT).count()
            if at_tenth is None and sent >= n / 10:
                at_tenth = peak
            if sent >= n:
                break
        elapsed = time.monotonic() - started
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
    time.sleep(0.5)
    lines = [rcpt for rcpt, _ in sink_lines(sink_file)]
    return {
        "workers": workers,
        "sent": sent,
        "seconds": elapsed,
        "rate": sent / elapsed,
        "peak_mb": peak,
        "tenth_mb": at_tenth or 0.0,
        "delivered": len(lines),
        "distinct": len(set(lines)),
        "recorded": edition.emails.count(),
        "cpu": cpu,
        "cpu_per_1000": cpu * 1000 / max(sent, 1),
        # The machine may be shared: the 1-minute load average, lowest and highest seen.
        "load": (min(loads, default=0.0), max(loads, default=0.0)),
    }


def sink_lines(sink_file: Path) -> list[tuple[str, str]]:
    return [tuple(line.split("\t")) for line in sink_file.read_text().splitlines() if line]


def kill_run(n: int, sink_file: Path, env: dict, timeout: float, *, port: int) -> None:
    """Two workers, one killed mid-send; then reconciliation from delivery reports."""
    from anymail.signals import AnymailTrackingEvent
    from django.db import connection
    from django.test import override_settings

    from articles.models import Article
    from subscriptions import sending
    from subscriptions.models import Edition, EditionArticle, MailingList, OutboundEmail
    from subscriptions.services import delivery, editions

    Status = OutboundEmail.Status
    sink_file.write_text("")
    edition = Edition.objects.create(
        mailing_list=MailingList.objects.email().first(), subject="Bench: kill", intro="Hi."
    )
    for position, article in enumerate(Article.objects.published()[:6], start=1):
        EditionArticle.objects.create(edition=edition, article=article, position=position)
    editions.send_edition(edition=edition, user=None)
    connection.close()
    worker = [sys.executable, "manage.py", "db_worker", *WORKER_ARGS]
    procs = [
        subprocess.Popen(
            worker, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        for _ in range(2)
    ]
    emails = OutboundEmail.objects.filter(edition=edition)
    started = time.monotonic()
    killed_at = picked_up = None
    try:
        while time.monotonic() - started < timeout:
            time.sleep(0.2)
            sent = emails.filter(status=Status.SENT).count()
            if killed_at is None and sent >= n / 3:
                procs[0].kill()  # SIGKILL: no cleanup, mid-batch
                killed_at = time.monotonic()
            if killed_at and picked_up is None and emails.filter(status=Status.UNCERTAIN).exists():
                picked_up = time.monotonic() - killed_at
            if emails.filter(status__in=[Status.SENT, Status.UNCERTAIN]).count() >= n:
                break
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
    time.sleep(0.5)

    def report(when: str) -> None:
        lines = sink_lines(sink_file)
        arrived = [rcpt for rcpt, _ in lines]
        counts = {
            s: emails.filter(status=s).count()
            for s in (Status.SENT, Status.UNCERTAIN, Status.FAILED)
        }
        missing = set(emails.values_list("to_email", flat=True)) - set(arrived)
        print(
            f"{when:<28}{counts[Status.SENT]:>7}{counts[Status.UNCERTAIN]:>11}"
            f"{counts[Status.FAILED]:>8}{len(arrived):>11}{len(arrived) - len(set(arrived)):>12}"
            f"{len(missing):>9}",
            flush=True,
        )

    print(
        f"killed one of 2 workers at {n // 3} sent; its claim was picked up after {picked_up:.1f} s"
        if picked_up is not None
        else "no claim was left uncertain"
    )
    print(
        f"{'':<28}{'sent':>7}{'uncertain':>11}{'failed':>8}{'delivered':>11}"
        f"{'duplicates':>12}{'missing':>9}"
    )
    report("after the kill")
    for rcpt, message_id in sink_lines(sink_file):  # the service's "delivered" reports
        delivery.record_tracking_event(
            esp="Bench",
            event=AnymailTrackingEvent(
                event_type="delivered", recipient=rcpt, message_id=message_id, esp_event={}
            ),
        )
    report("after delivery reports")
    resent = sending.resend_uncertain(emails)  # what is still uncertain never arrived
    smtp = "django.core.mail.backends.smtp.EmailBackend"
    with override_settings(EMAIL_BACKEND=smtp, EMAIL_HOST="127.0.0.1", EMAIL_PORT=port):
        sending.deliver_batch(
            list(emails.filter(status=Status.RETRYING).values_list("pk", flat=True))
        )
    report(f"after resending {resent}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--port", type=int, default=8525)
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument(
        "--track-readers",
        action="store_true",
        help="Turn on the list's per-reader click tracking (each reader's links signed).",
    )
    parser.add_argument(
        "--kill", action="store_true", help="Kill one of two workers mid-send, then reconcile."
    )
    args = parser.parse_args()

    workdir = configure("email.sqlite3")
    sink_file = workdir / "sink.txt"
    sink_file.write_text("")
    sink = subprocess.Popen(
        [sys.executable, "-c", SINK, str(sink_file), str(args.port)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert sink.stdout.readline().strip() == "ready"
        fill(args.subscribers, track_readers=args.track_readers)
        env = {
            **os.environ,
            "EMAIL_URL": f"smtp://127.0.0.1:{args.port}",
            "TASK_BACKEND": "django_tasks_db.DatabaseBackend",
            "LOG_LEVEL": "WARNING",
        }
        env.pop("ANYMAIL_ESP", None)
        from django.db import connection

        print(
            f"database: {connection.vendor}, {args.subscribers} subscribers, per-reader "
            f"click tracking {'on' if args.track_readers else 'off'}"
        )
        if args.kill:
            kill_run(args.subscribers, sink_file, env, args.timeout, port=args.port)
            return
        print(
            f"{'workers':>8}{'emails/s':>10}{'seconds':>9}{'peak RSS MB':>13}"
            f"{'RSS at 10%':>12}{'CPU s':>8}{'CPU s/1000':>12}{'load avg':>11}"
            f"{'delivered':>11}{'distinct':>10}{'ok':>5}"
        )
        for workers in args.workers:
            r = run(workers, args.subscribers, sink_file, env, args.timeout)
            ok = r["delivered"] == r["distinct"] == r["recorded"] == args.subscribers
            print(
                f"{r['workers']:>8}{r['rate']:>10.0f}{r['seconds']:>9.0f}{r['peak_mb']:>13.0f}"
                f"{r['tenth_mb']:>12.0f}{r['cpu']:>8.0f}{r['cpu_per_1000']:>12.2f}"
                f"{r['load'][0]:>5.1f}–{r['load'][1]:<5.1f}{r['delivered']:>11}"
                f"{r['distinct']:>10}"
                f"{'yes' if ok else 'NO':>5}",
                flush=True,
            )
    finally:
        sink.send_signal(signal.SIGTERM)
        sink.wait(timeout=10)


if __name__ == "__main__":
    main()
