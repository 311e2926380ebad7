"""Registering DOIs: sending a deposit to Crossref and reading its result.

request_registration() (a service) validates the deposit, records it as queued and, once
the transaction commits, hands it to submit_deposit_task, which POSTs it to
CROSSREF_DEPOSIT_URL (Crossref's test system unless configured), retrying when Crossref
does not answer, then asks for the submission's result. Every step is written on the
CrossrefDeposit row the admin shows.
"""

import logging
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
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

log = logging.getLogger(__name__)
State = CrossrefDeposit.State


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
        issue=issue,
        article=None if issue is not None else article,
        batch_id=batch_id,
        document=crossref.to_bytes(document).decode(),
        requested_by=user,
    )
    deposit.full_clean()
    with transaction.atomic():
        deposit.save()
        transaction.on_commit(partial(_enqueue, deposit.pk), robust=True)
    log.info("Crossref deposit %s queued for %s", batch_id, subject)
    return deposit


def _enqueue(deposit_id: int) -> None:
    submit_deposit_task.enqueue(deposit_id)


@task()
def submit_deposit_task(deposit_id: int) -> str:
    """POST a queued deposit to Crossref, then read its result."""
    return submit_deposit(deposit_id=deposit_id)


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


def submit_deposit(*, deposit_id: int) -> str:
    """Send the deposit (retrying when Crossref does not answer) and record the outcome."""
    deposit = CrossrefDeposit.objects.get(pk=deposit_id)
    if deposit.state != State.QUEUED:
        return deposit.state  # already sent by an earlier run of this task
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
    answer = None
    for attempt in range(1, settings.CROSSREF_ATTEMPTS + 1):
        deposit.attempts = attempt
        try:
            answer = _open(request)
            break
        except (TimeoutError, urllib.error.URLError, OSError) as error:
            deposit.message = f"Attempt {attempt}: Crossref did not answer ({error})."
            deposit.save(update_fields=["attempts", "message", "updated_at"])
            if attempt < settings.CROSSREF_ATTEMPTS:
                time.sleep(settings.CROSSREF_RETRY_SECONDS * attempt)
    if answer is None:
        deposit.state = State.FAILED
        deposit.message = (
            f"Crossref did not answer after {deposit.attempts} attempts. {deposit.message}"
        )
        deposit.save(update_fields=["state", "message", "attempts", "updated_at"])
        return deposit.state
    status, content = answer
    text = _text(content)
    if status == 200 and "SUCCESS" in text.upper() and "FAILURE" not in text.upper():
        deposit.state = State.SUBMITTED
        deposit.submitted_at = timezone.now()
    else:
        deposit.state = State.FAILED
    deposit.message = f"HTTP {status}: {text}" if deposit.state == State.FAILED else text
    deposit.save(update_fields=["state", "message", "attempts", "submitted_at", "updated_at"])
    if deposit.state == State.SUBMITTED:
        check_result(deposit=deposit)
    return deposit.state


def result_url() -> str:
    return re.sub(
        r"/servlet/deposit/?$", "/servlet/submissionDownload", settings.CROSSREF_DEPOSIT_URL
    )


def check_result(*, deposit: CrossrefDeposit) -> str:
    """Ask Crossref how a submitted deposit went; succeeded or failed once it has been processed."""
    query = urllib.parse.urlencode(
        {
            "usr": settings.CROSSREF_USERNAME,
            "pwd": settings.CROSSREF_PASSWORD,
            "doi_batch_id": deposit.batch_id,
            "type": "result",
        }
    )
    try:
        status, content = _open(urllib.request.Request(f"{result_url()}?{query}"))  # noqa: S310
    except (TimeoutError, urllib.error.URLError, OSError):
        return deposit.state  # still submitted: checked again later
    try:
        diagnostic = etree.fromstring(
            content, etree.XMLParser(resolve_entities=False, no_network=True)
        )
    except etree.XMLSyntaxError:
        return deposit.state
    if status != 200 or diagnostic.get("status") != "completed":
        return deposit.state
    failures = int(diagnostic.findtext("batch_data/failure_count") or 0)
    successes = int(diagnostic.findtext("batch_data/success_count") or 0)
    messages = [
        f"{d.findtext('doi') or ''}: {d.findtext('msg') or ''}".strip(": ")
        for d in diagnostic.iter("record_diagnostic")
        if d.get("status") != "Success"
    ]
    deposit.state = State.FAILED if failures else State.SUCCEEDED
    summary = f"{successes} DOI(s) registered, {failures} failed."
    deposit.message = " ".join([summary, *messages])
    deposit.save(update_fields=["state", "message", "updated_at"])
    return deposit.state
