"""Registering DOIs with Crossref, against a fake deposit service on 127.0.0.1."""

import contextlib
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from lxml import etree

from articles.models import CrossrefDeposit, Reference
from articles.scholarly import crossref, registration
from jhop import periodic
from tests.factories import make_article, make_author, make_issue, make_journal

pytestmark = pytest.mark.django_db
State = CrossrefDeposit.State

SUCCESS_PAGE = (
    b"<html><head><title>SUCCESS</title></head><body><h2>SUCCESS</h2>"
    b"<p>Your batch submission was successfully received.</p></body></html>"
)
LOGIN_FAILURE = (
    b"<html><head><title>FAILURE</title></head><body><h2>FAILURE</h2>"
    b"<p>Login failed: user name or password incorrect</p></body></html>"
)


SERVICE_UNAVAILABLE = (
    b"<html><head><title>503 Service Unavailable</title></head><body>"
    b"<h1>Service Unavailable</h1></body></html>"
)


def _diagnostic(batch_id: str, *, failed: bool) -> bytes:
    """A processed batch's result, laid out as Crossref's submissionDownload writes it."""
    record = (
        '   <record_diagnostic status="Failure">\n'
        "      <doi>10.32013/jhop.1</doi>\n"
        "      <msg>Record not processed because submitted version: 20221130 is less or\n"
        "        equal to previously submitted version (DOI match)</msg>\n"
        "   </record_diagnostic>\n"
        if failed
        else '   <record_diagnostic status="Success">\n'
        "      <doi>10.32013/jhop.1</doi>\n"
        "      <msg>Successfully added</msg>\n"
        "   </record_diagnostic>\n"
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<doi_batch_diagnostic status="completed" sp="cr-app1.ac2.crossref.org">\n'
        "   <submission_id>1436196431</submission_id>\n"
        f"   <batch_id>{batch_id}</batch_id>\n{record}"
        "   <batch_data>\n"
        "      <record_count>1</record_count>\n"
        f"      <success_count>{0 if failed else 1}</success_count>\n"
        "      <warning_count>0</warning_count>\n"
        f"      <failure_count>{1 if failed else 0}</failure_count>\n"
        "   </batch_data>\n"
        "</doi_batch_diagnostic>\n"
    ).encode()


def _queued(batch_id: str) -> bytes:
    """The answer while Crossref has the batch in its queue, not processed yet."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<doi_batch_diagnostic status="queued" sp="cr-app1.ac2.crossref.org">\n'
        "   <submission_id>1436196431</submission_id>\n"
        f"   <batch_id>{batch_id}</batch_id>\n"
        "</doi_batch_diagnostic>\n"
    ).encode()


class FakeCrossref(BaseHTTPRequestHandler):
    """Answers like Crossref's deposit servlet; behaviour set on the server object."""

    def log_message(self, *args):
        pass

    def _send(self, status: int, body: bytes, content_type="text/html"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        server = self.server
        length = int(self.headers["Content-Length"])
        server.posts.append(self.rfile.read(length))
        if server.slow_posts > 0:
            server.slow_posts -= 1
            time.sleep(server.delay)
            with contextlib.suppress(OSError):
                self._send(200, SUCCESS_PAGE)
            return
        if server.unavailable > 0:
            server.unavailable -= 1
            self._send(503, SERVICE_UNAVAILABLE)
        elif server.mode == "login":
            self._send(401, LOGIN_FAILURE)
        else:
            self._send(200, SUCCESS_PAGE)

    def do_GET(self):
        query = parse_qs(urlsplit(self.path).query)
        server = self.server
        server.result_queries.append(query)
        batch_id = query["doi_batch_id"][0]
        if server.queued > 0:
            server.queued -= 1
            self._send(200, _queued(batch_id), "application/xml")
            return
        self._send(200, _diagnostic(batch_id, failed=server.mode == "rejected"), "application/xml")


@pytest.fixture
def fake_crossref(settings):
    server = None
    for port in range(8650, 8700):  # this project's port range for local servers
        try:
            server = ThreadingHTTPServer(("127.0.0.1", port), FakeCrossref)
            break
        except OSError:
            continue
    assert server is not None, "no free port in 8650-8699"
    server.mode, server.posts, server.result_queries = "ok", [], []
    server.slow_posts, server.delay = 0, 0.0
    server.unavailable, server.queued = 0, 0  # how many 503s, how many "queued" answers
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.CROSSREF_DEPOSIT_URL = f"http://127.0.0.1:{server.server_port}/servlet/deposit"
    settings.CROSSREF_USERNAME = "jhop-test"
    settings.CROSSREF_PASSWORD = "secret-test"
    settings.CROSSREF_TIMEOUT = 0.5
    yield server
    server.shutdown()
    server.server_close()


def _issue():
    journal = make_journal(doi_prefix="10.32013")
    issue = make_issue(journal=journal)
    article = make_article(issue=issue, doi="10.32013/jhop.1", references=["A."])
    return issue, article


def _run_schedule(deposit) -> list[timedelta]:
    """Let time pass: take each step when due, as the worker would; the pauses between."""
    pauses = []
    deposit.refresh_from_db()
    last = deposit.created_at
    while deposit.next_attempt_at is not None:
        due = deposit.next_attempt_at
        pauses.append(due - last)
        registration.advance_due(now=due)
        deposit.refresh_from_db()
        last = due
        assert len(pauses) < 30, "the schedule does not end"
    return pauses


def _request(django_capture_on_commit_callbacks, **subject):
    """Request a deposit and take its first step (the task queued on commit), at created_at."""
    with django_capture_on_commit_callbacks() as callbacks:
        deposit = registration.request_registration(user=None, **subject)
    assert [c.args for c in callbacks if getattr(c, "func", None) is registration._enqueue] == [
        (deposit.pk,)
    ]
    CrossrefDeposit.objects.filter(pk=deposit.pk).update(next_attempt_at=deposit.created_at)
    registration.advance(deposit_id=deposit.pk, now=deposit.created_at)
    deposit.refresh_from_db()
    return deposit


def test_success_is_recorded(fake_crossref, django_capture_on_commit_callbacks):
    issue, _article = _issue()
    deposit = _request(django_capture_on_commit_callbacks, issue=issue)
    assert deposit.state == State.SUBMITTED  # sent at once; the result is asked for later
    assert deposit.next_attempt_at == deposit.created_at + registration.RESULT_CHECKS[0]
    _run_schedule(deposit)
    assert deposit.state == State.SUCCEEDED
    assert deposit.message == "1 DOI(s) registered, 0 failed."
    assert deposit.attempts == 1
    assert deposit.result_checks == 1
    assert deposit.batch_id.startswith(f"jhop-issue-{issue.pk}-")
    posted = fake_crossref.posts[0]
    assert b'name="operation"\r\n\r\ndoMDUpload' in posted
    assert b'name="login_id"\r\n\r\njhop-test' in posted
    assert deposit.document.encode() in posted
    assert fake_crossref.result_queries[0]["doi_batch_id"] == [deposit.batch_id]


def test_a_503_then_queued_ends_succeeded_with_no_editor_action(
    fake_crossref, django_capture_on_commit_callbacks, admin_client
):
    fake_crossref.unavailable, fake_crossref.queued = 2, 3
    issue, _article = _issue()
    deposit = _request(django_capture_on_commit_callbacks, issue=issue)
    assert deposit.state == State.QUEUED
    assert deposit.message.startswith("Attempt 1: Crossref answered HTTP 503: 503 Service")
    dashboard = admin_client.get(reverse("admin:index")).content.decode()
    assert "Crossref needs you" not in dashboard  # waiting is not the editor's business

    pauses = _run_schedule(deposit)

    assert deposit.state == State.SUCCEEDED
    assert deposit.message == "1 DOI(s) registered, 0 failed."
    assert (deposit.attempts, deposit.result_checks) == (3, 4)
    assert len(fake_crossref.posts) == 3
    assert pauses == [*registration.SEND_RETRIES[:2], *registration.RESULT_CHECKS[:4]]
    dashboard = admin_client.get(reverse("admin:index")).content.decode()
    assert "Crossref needs you" not in dashboard


def test_crossref_rejection_is_recorded_and_shown_to_editors(
    fake_crossref, django_capture_on_commit_callbacks, admin_client
):
    fake_crossref.mode, fake_crossref.queued = "rejected", 1
    _unused, article = _issue()
    deposit = _request(django_capture_on_commit_callbacks, article=article)
    _run_schedule(deposit)
    assert deposit.state == State.FAILED
    assert deposit.message == (
        "0 DOI(s) registered, 1 failed. 10.32013/jhop.1: Record not processed because "
        "submitted version: 20221130 is less or equal to previously submitted version "
        "(DOI match)"
    )
    dashboard = admin_client.get(reverse("admin:index")).content.decode()
    assert "Crossref needs you" in dashboard
    assert "is less or equal to previously submitted version" in dashboard

    fake_crossref.mode = "ok"
    again = _request(django_capture_on_commit_callbacks, article=article)
    _run_schedule(again)
    assert again.state == State.SUCCEEDED
    dashboard = admin_client.get(reverse("admin:index")).content.decode()
    assert "Crossref needs you" not in dashboard  # sent again since: nothing to do


def test_a_login_failure_fails_at_once_with_crossref_words(
    fake_crossref, django_capture_on_commit_callbacks
):
    fake_crossref.mode = "login"
    issue, _article = _issue()
    deposit = _request(django_capture_on_commit_callbacks, issue=issue)
    assert deposit.state == State.FAILED
    assert deposit.next_attempt_at is None
    assert deposit.message == (
        "HTTP 401: FAILURE FAILURE Login failed: user name or password incorrect"
    )


def test_a_timeout_is_retried(fake_crossref, django_capture_on_commit_callbacks):
    fake_crossref.slow_posts, fake_crossref.delay = 1, 1.5
    issue, _article = _issue()
    deposit = _request(django_capture_on_commit_callbacks, issue=issue)
    assert deposit.state == State.QUEUED
    assert "Crossref did not answer" in deposit.message
    _run_schedule(deposit)
    assert deposit.attempts == 2
    assert deposit.state == State.SUCCEEDED
    assert len(fake_crossref.posts) == 2


def test_crossref_down_for_an_hour_fails_after_six_attempts(
    fake_crossref, django_capture_on_commit_callbacks
):
    fake_crossref.unavailable = 100
    issue, _article = _issue()
    deposit = _request(django_capture_on_commit_callbacks, issue=issue)
    pauses = _run_schedule(deposit)
    assert deposit.state == State.FAILED
    assert deposit.attempts == len(fake_crossref.posts) == 6
    assert timedelta(minutes=50) <= sum(pauses, timedelta()) <= timedelta(minutes=90)
    assert deposit.message.startswith(
        "Crossref could not be reached after 6 attempts over an hour. "
        "Last: Crossref answered HTTP 503"
    )


def test_a_result_that_never_comes_is_left_to_the_editor(
    fake_crossref, django_capture_on_commit_callbacks, admin_client
):
    fake_crossref.queued = 100
    issue, _article = _issue()
    deposit = _request(django_capture_on_commit_callbacks, issue=issue)
    pauses = _run_schedule(deposit)
    assert deposit.state == State.SUBMITTED
    assert deposit.result_checks == len(registration.RESULT_CHECKS)
    assert pauses[1:] == registration.RESULT_CHECKS[1:]  # minutes, then hours apart
    assert "look the batch up in Crossref's admin tool" in deposit.message
    assert "Crossref needs you" in admin_client.get(reverse("admin:index")).content.decode()


def test_a_step_is_taken_once_however_many_runs_ask(
    fake_crossref, django_capture_on_commit_callbacks
):
    fake_crossref.unavailable = 1
    issue, _article = _issue()
    deposit = _request(django_capture_on_commit_callbacks, issue=issue)
    due = deposit.next_attempt_at
    assert registration.advance(deposit_id=deposit.pk, now=due - timedelta(seconds=1)) == (
        State.QUEUED
    )  # not due yet
    registration.advance(deposit_id=deposit.pk, now=due)
    registration.advance(deposit_id=deposit.pk, now=due)  # the periodic job, same moment
    assert len(fake_crossref.posts) == 2
    deposit_id = deposit.pk
    CrossrefDeposit.objects.filter(pk=deposit_id).delete()
    assert registration.advance(deposit_id=deposit_id) == "deleted"  # a task left queued


def test_the_periodic_job_takes_overdue_steps(fake_crossref, django_capture_on_commit_callbacks):
    issue, _article = _issue()
    deposit = _request(django_capture_on_commit_callbacks, issue=issue)
    CrossrefDeposit.objects.filter(pk=deposit.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=1)
    )
    output = periodic.job("crossref_deposits")()
    assert output == "1 Crossref deposit(s) advanced: succeeded"
    assert periodic.job("crossref_deposits")() == ""  # nothing left to do


def test_each_next_step_is_a_deferred_task(
    fake_crossref, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    issue, _article = _issue()
    with django_capture_on_commit_callbacks(execute=True):
        deposit = registration.request_registration(issue=issue, user=None)
    first = DBTaskResult.objects.get()  # the first step: at once
    registration.advance(deposit_id=deposit.pk)  # what the worker runs
    deposit.refresh_from_db()
    check = DBTaskResult.objects.exclude(pk=first.pk).get()
    assert check.task_path.endswith("submit_deposit_task")
    assert check.args_kwargs["args"] == [deposit.pk]
    assert check.run_after == deposit.next_attempt_at


def test_a_correction_is_redeposited_with_a_newer_timestamp(
    fake_crossref, django_capture_on_commit_callbacks
):
    issue, article = _issue()
    with django_capture_on_commit_callbacks(execute=True):
        first = registration.request_registration(issue=issue, user=None)
    article.title = "Corrected title"
    article.save()
    with django_capture_on_commit_callbacks(execute=True):
        second = registration.request_registration(issue=issue, user=None)
    ns = {"c": crossref.CROSSREF_NS}

    def stamp(deposit):
        return int(
            etree.fromstring(deposit.document.encode()).findtext(
                "c:head/c:timestamp", namespaces=ns
            )
        )

    assert stamp(second) > stamp(first)
    assert "Corrected title" in second.document
    assert CrossrefDeposit.objects.filter(issue=issue).count() == 2
    # Sent again unchanged (Crossref lost it, say), the deposit is still numbered above the
    # last: Crossref ignores a DOI's deposit numbered at or below the one it holds.
    with django_capture_on_commit_callbacks(execute=True):
        third = registration.request_registration(article=article, user=None)
    assert stamp(third) > stamp(second)
    assert third.batch_id.endswith(str(stamp(third)))


def test_a_deposit_is_numbered_by_its_records_change_not_by_when_it_is_sent(
    fake_crossref, django_capture_on_commit_callbacks
):
    issue, article = _issue()
    with django_capture_on_commit_callbacks(execute=True):
        first = registration.request_registration(issue=issue, user=None)
    author = make_author(affiliation="Dana-Farber Cancer Institute")
    article.authorships.create(author=author, position=2)
    author.affiliation = "Moffitt Cancer Center"
    author.save()
    article.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        second = registration.request_registration(issue=issue, user=None)
    assert "Moffitt Cancer Center" in second.document
    assert int(second.batch_id.rsplit("-", 1)[1]) > int(first.batch_id.rsplit("-", 1)[1])
    assert second.batch_id.endswith(crossref.timestamp(article.record_modified_at))


def test_an_invalid_record_is_not_sent(fake_crossref):
    issue, article = _issue()
    Reference.objects.filter(article=article).update(doi="10.1/bad")
    with pytest.raises(ValidationError, match="Reference 1 has a DOI that is not well formed"):
        registration.request_registration(issue=issue, user=None)
    assert CrossrefDeposit.objects.count() == 0
    assert fake_crossref.posts == []


def test_nothing_to_register_is_a_clear_refusal():
    issue = make_issue(journal=make_journal(doi_prefix="10.32013"))
    with pytest.raises(ValidationError, match="has no published article with a DOI"):
        registration.request_registration(issue=issue, user=None)
