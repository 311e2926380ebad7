"""Registering DOIs: sending a deposit to Crossref and reading its result, to the end.

request_registration() (a service) validates the deposit, records it as queued and, once
the transaction commits, hands it to submit_deposit_task. Each run of the task does one
step: POST the deposit to CROSSREF_DEPOSIT_URL (Crossref's test system unless configured),
or ask Crossref for the submission's result. When Crossref is down (no answer, or a 5xx)
the POST is tried again later on SEND_RETRIES; once Crossref has the deposit, its result is
asked for on RESULT_CHECKS (Crossref queues deposits for minutes to hours) until it reports
success or failure. The next step is a deferred task (run_after) and, should that be lost,
the periodic job advance_due (jhop/periodic.py) runs whatever is overdue; a step is claimed
with one conditional UPDATE, so the two never run it twice. Every step is written on the
CrossrefDeposit row the admin shows; the dashboard lists only what needs an editor.
"""

import logging
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import datetime, timedelta
from functools import partial
from html import unescape

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_tasks import task
from lxml import etree

from articles.models import Article, CrossrefDeposit, Issue
from articles.scholarly import crossref, gate
from articles.scholarly.doi import issue_doi

log = logging.getLogger(__name__)
State = CrossrefDeposit.State

# Pauses before each new POST when Crossref is down: 6 tries over about an hour.
SEND_RETRIES = [timedelta(minutes=m) for m in (2, 5, 10, 15, 30)]
# Pauses before each question about the result: minutes at first, then hours (4 days).
RESULT_CHECKS = [
    *(timedelta(minutes=m) for m in (2, 5, 15, 30)),
    *(timedelta(hours=h) for h in (1, 2, 4, 8, 12, 24, 24, 24)),
]
# How long a claimed step may run before the periodic job takes it over (a dead worker).
CLAIM = timedelta(minutes=10)


def request_registration(
    *,
    issue: Issue | None = None,
    article: Article | None = None,
    user: AbstractBaseUser | None,
) -> CrossrefDeposit:
    """Queue the deposit of an issue's (or one article's) DOIs with Crossref.

    Refuses, with a ValidationError in editor words, what cannot be registered: no DOI
    prefix, nothing published with a DOI, or a record that does not validate. A later
    deposit of the same DOIs (a correction) carries a newer timestamp, as Crossref needs.
    """
    subject = issue or article
    if issue is not None:
        if not issue.journal.doi_prefix:
            raise ValidationError(f"“{issue}”: the journal has no DOI prefix.")
        if not crossref.issue_articles(issue).exists():
            raise ValidationError(f"“{issue}” has no published article with a DOI.")
        failures = gate.check_issue(issue)
        if failures:
            raise ValidationError(
                f"“{issue}” was not sent: "
                + " ".join(f"“{a}”: " + " ".join(c.errors) for a, c in failures.items())
            )
        document = crossref.issue_deposit(issue)
    else:
        article = crossref.with_deposit_data(Article.objects.filter(pk=article.pk)).get()
        if not article.doi or article.status != Article.Status.PUBLISHED:
            raise ValidationError(f"“{article}” is not published with a DOI yet.")
        check = gate.check_article(article)
        if not check.ok:
            raise ValidationError(f"“{article}” was not sent: " + " ".join(check.errors))
        document = crossref.article_deposit(article)
    batch_id = document.findtext(
        f"{{{crossref.CROSSREF_NS}}}head/{{{crossref.CROSSREF_NS}}}doi_batch_id"
    )
    deposit = CrossrefDeposit(
        next_attempt_at=timezone.now(),
        issue=issue,
        article=None if issue is not None else article,
        batch_id=batch_id,
        document=crossref.to_bytes(document).decode(),
        requested_by=user,
    )
    deposit.full_clean()
    registered_issue = issue or article.issue
    with transaction.atomic():
        if registered_issue is not None and not registered_issue.doi:
            # The issue's DOI is fixed once it has been sent to Crossref.
            Issue.objects.filter(pk=registered_issue.pk, doi="").update(
                doi=issue_doi(registered_issue)
            )
        deposit.save()
        transaction.on_commit(partial(_enqueue, deposit.pk), robust=True)
    log.info("Crossref deposit %s queued for %s", batch_id, subject)
    return deposit


def _enqueue(deposit_id: int, when: datetime | None = None) -> None:
    job = submit_deposit_task
    if when is not None:
        if not job.get_backend().supports_defer:
            return  # the periodic job advance_due takes the step when it is due
        job = job.using(run_after=when)
    job.enqueue(deposit_id)


@task()
def submit_deposit_task(deposit_id: int) -> str:
    """Take the deposit's next step: send it, or ask Crossref for its result."""
    return advance(deposit_id=deposit_id)


def _text(body: bytes) -> str:
    """Crossref's answer as plain words (it answers in HTML)."""
    text = re.sub(r"<[^>]+>", " ", body.decode("utf-8", "replace"))
    return " ".join(unescape(text).split())[:2000]


def _multipart(fields: dict[str, str], *, filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    lines: list[bytes] = []
    for name, value in fields.items():
        lines += [
            f"--{boundary}".encode(),
            f'Content-Disposition: form-data; name="{name}"'.encode(),
            b"",
            value.encode(),
        ]
    lines += [
        f"--{boundary}".encode(),
        f'Content-Disposition: form-data; name="fname"; filename="{filename}"'.encode(),
        b"Content-Type: application/xml",
        b"",
        content,
        f"--{boundary}--".encode(),
        b"",
    ]
    return b"\r\n".join(lines), f"multipart/form-data; boundary={boundary}"


def _open(request: urllib.request.Request) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(request, timeout=settings.CROSSREF_TIMEOUT) as response:  # noqa: S310 (the configured https endpoint)
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def advance(*, deposit_id: int, now: datetime | None = None) -> str:
    """Take one deposit's next step if it is due and no one else is taking it; its state."""
    now = now or timezone.now()
    claimed = (
        CrossrefDeposit.objects.due(now)
        .filter(pk=deposit_id)
        .update(next_attempt_at=now + CLAIM, updated_at=now)
    )
    deposit = CrossrefDeposit.objects.filter(pk=deposit_id).first()
    if deposit is None:
        return "deleted"  # with its issue or article, before its turn came
    if not claimed:
        return deposit.state  # not due, finished, or being taken by another worker
    if deposit.state == State.QUEUED:
        _submit(deposit, now)
    else:
        _check(deposit, now)
    if deposit.next_attempt_at is not None:
        _enqueue(deposit.pk, deposit.next_attempt_at)
    return deposit.state


def advance_due(*, now: datetime | None = None, limit: int = 100) -> str:
    """Take every overdue step (the periodic job: a deferred task may have been lost)."""
    now = now or timezone.now()
    ids = list(
        CrossrefDeposit.objects.due(now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    states = [advance(deposit_id=pk, now=now) for pk in ids]
    return f"{len(ids)} Crossref deposit(s) advanced: " + ", ".join(states) if ids else ""


def _later(when: datetime) -> str:
    return timezone.localtime(when).strftime("%b %-d, %H:%M %Z")


def _submit(deposit: CrossrefDeposit, now: datetime) -> None:
    """One POST of the deposit; a 5xx or no answer is tried again later on SEND_RETRIES."""
    body, content_type = _multipart(
        {
            "operation": "doMDUpload",
            "login_id": settings.CROSSREF_USERNAME,
            "login_passwd": settings.CROSSREF_PASSWORD,
        },
        filename=f"{deposit.batch_id}.xml",
        content=deposit.document.encode(),
    )
    request = urllib.request.Request(  # noqa: S310
        settings.CROSSREF_DEPOSIT_URL,
        data=body,
        headers={"Content-Type": content_type},
        method="POST",
    )
    deposit.attempts += 1
    try:
        status, content = _open(request)
    except (TimeoutError, urllib.error.URLError, OSError) as error:
        status, content, trouble = None, b"", f"Crossref did not answer ({error})"
    else:
        trouble = f"Crossref answered HTTP {status}: {_text(content)}" if status >= 500 else ""
    if trouble:
        if deposit.attempts <= len(SEND_RETRIES):
            deposit.next_attempt_at = now + SEND_RETRIES[deposit.attempts - 1]
            deposit.message = (
                f"Attempt {deposit.attempts}: {trouble}. "
                f"Sent again at {_later(deposit.next_attempt_at)}."
            )
        else:
            deposit.state, deposit.next_attempt_at = State.FAILED, None
            deposit.message = (
                f"Crossref could not be reached after {deposit.attempts} attempts "
                f"over an hour. Last: {trouble}."
            )
    else:
        text = _text(content)
        if status == 200 and "SUCCESS" in text.upper() and "FAILURE" not in text.upper():
            deposit.state, deposit.submitted_at = State.SUBMITTED, now
            deposit.next_attempt_at = now + RESULT_CHECKS[0]
            deposit.message = text
        else:
            deposit.state, deposit.next_attempt_at = State.FAILED, None
            deposit.message = f"HTTP {status}: {text}"
    deposit.save(
        update_fields=[
            "state",
            "message",
            "attempts",
            "submitted_at",
            "next_attempt_at",
            "updated_at",
        ]
    )


def result_url() -> str:
    return re.sub(
        r"/servlet/deposit/?$", "/servlet/submissionDownload", settings.CROSSREF_DEPOSIT_URL
    )


def read_diagnostic(content: bytes) -> tuple[str, str] | None:
    """Crossref's doi_batch_diagnostic as (state, message) once processed; None before.

    Crossref answers status="unknown_submission", "queued" or "in_process" until it has
    processed the batch, then "completed" with per-DOI record_diagnostic elements (Success,
    Warning or Failure, each with a msg) and the batch_data counts.
    """
    try:
        diagnostic = etree.fromstring(
            content, etree.XMLParser(resolve_entities=False, no_network=True)
        )
    except etree.XMLSyntaxError:
        return None
    if diagnostic.tag != "doi_batch_diagnostic" or diagnostic.get("status") != "completed":
        return None
    failures = int(diagnostic.findtext("batch_data/failure_count") or 0)
    successes = int(diagnostic.findtext("batch_data/success_count") or 0)
    warnings = int(diagnostic.findtext("batch_data/warning_count") or 0)
    messages = [
        f"{d.findtext('doi') or ''}: {' '.join((d.findtext('msg') or '').split())}".strip(": ")
        for d in diagnostic.iter("record_diagnostic")
        if d.get("status") != "Success"
    ]
    summary = f"{successes} DOI(s) registered, {failures} failed."
    if warnings:
        summary += f" {warnings} warning(s)."
    state = State.FAILED if failures or not successes else State.SUCCEEDED
    return state, " ".join([summary, *messages])


def _check(deposit: CrossrefDeposit, now: datetime) -> None:
    """Ask Crossref for the result; asked again on RESULT_CHECKS until it has one."""
    query = urllib.parse.urlencode(
        {
            "usr": settings.CROSSREF_USERNAME,
            "pwd": settings.CROSSREF_PASSWORD,
            "doi_batch_id": deposit.batch_id,
            "type": "result",
        }
    )
    deposit.result_checks += 1
    outcome, pending = None, "Crossref did not answer"
    try:
        status, content = _open(urllib.request.Request(f"{result_url()}?{query}"))  # noqa: S310
    except (TimeoutError, urllib.error.URLError, OSError):
        pass
    else:
        outcome = read_diagnostic(content) if status == 200 else None
        pending = (
            f"Crossref answered HTTP {status}"
            if status != 200
            else ("Crossref has not processed the deposit yet")
        )
    if outcome is not None:
        deposit.state, deposit.message = outcome
        deposit.next_attempt_at = None
    elif deposit.result_checks < len(RESULT_CHECKS):
        deposit.next_attempt_at = now + RESULT_CHECKS[deposit.result_checks]
        deposit.message = f"{pending}; asked again at {_later(deposit.next_attempt_at)}."
    else:
        deposit.next_attempt_at = None
        deposit.message = (
            f"{pending} after {deposit.result_checks} questions over "
            f"{(now - deposit.submitted_at).days} days: look the batch up in Crossref's "
            "admin tool, then register the DOIs again if it is not there."
        )
    deposit.save(
        update_fields=["state", "message", "result_checks", "next_attempt_at", "updated_at"]
    )


def check_result(*, deposit: CrossrefDeposit) -> str:
    """Ask Crossref now for a submitted deposit's result (the admin's "check" action)."""
    if deposit.state != State.SUBMITTED:
        return deposit.state
    _check(deposit, timezone.now())
    if deposit.next_attempt_at is not None:
        _enqueue(deposit.pk, deposit.next_attempt_at)
    return deposit.state
