"""Registering DOIs with Crossref, against a fake deposit service on 127.0.0.1."""

import contextlib
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.exceptions import ValidationError
from lxml import etree

from articles.models import CrossrefDeposit, Reference
from articles.scholarly import crossref, registration
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


def _diagnostic(batch_id: str, *, failed: bool) -> bytes:
    record = (
        '<record_diagnostic status="Failure"><doi>10.32013/jhop.1</doi>'
        "<msg>Record not processed because submitted version: 20221130 is less or equal "
        "to previously submitted version (DOI match)</msg></record_diagnostic>"
        if failed
        else '<record_diagnostic status="Success"><doi>10.32013/jhop.1</doi>'
        "<msg>Successfully added</msg></record_diagnostic>"
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><doi_batch_diagnostic status="completed" '
        f'sp="test"><submission_id>1</submission_id><batch_id>{batch_id}</batch_id>{record}'
        f"<batch_data><record_count>1</record_count><success_count>{0 if failed else 1}"
        f"</success_count><warning_count>0</warning_count><failure_count>{1 if failed else 0}"
        "</failure_count></batch_data></doi_batch_diagnostic>"
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
        if server.mode == "login":
            self._send(401, LOGIN_FAILURE)
        else:
            self._send(200, SUCCESS_PAGE)

    def do_GET(self):
        query = parse_qs(urlsplit(self.path).query)
        self.server.result_queries.append(query)
        self._send(
            200,
            _diagnostic(query["doi_batch_id"][0], failed=self.server.mode == "rejected"),
            "application/xml",
        )


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
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.CROSSREF_DEPOSIT_URL = f"http://127.0.0.1:{server.server_port}/servlet/deposit"
    settings.CROSSREF_USERNAME = "jhop-test"
    settings.CROSSREF_PASSWORD = "secret-test"
    settings.CROSSREF_RETRY_SECONDS = 0
    settings.CROSSREF_TIMEOUT = 0.5
    yield server
    server.shutdown()
    server.server_close()


def _issue():
    journal = make_journal(doi_prefix="10.32013")
    issue = make_issue(journal=journal)
    article = make_article(issue=issue, doi="10.32013/jhop.1", references=["A."])
    return issue, article


def test_success_is_recorded(fake_crossref, django_capture_on_commit_callbacks):
    issue, _article = _issue()
    with django_capture_on_commit_callbacks(execute=True):
        deposit = registration.request_registration(issue=issue, user=None)
    deposit.refresh_from_db()
    assert deposit.state == State.SUCCEEDED
    assert deposit.message.startswith("1 DOI(s) registered, 0 failed.")
    assert deposit.attempts == 1
    assert deposit.batch_id.startswith(f"jhop-issue-{issue.pk}-")
    posted = fake_crossref.posts[0]
    assert b'name="operation"\r\n\r\ndoMDUpload' in posted
    assert b'name="login_id"\r\n\r\njhop-test' in posted
    assert deposit.document.encode() in posted
    assert fake_crossref.result_queries[0]["doi_batch_id"] == [deposit.batch_id]


def test_crossref_rejection_text_is_kept(fake_crossref, django_capture_on_commit_callbacks):
    fake_crossref.mode = "rejected"
    _unused, article = _issue()
    with django_capture_on_commit_callbacks(execute=True):
        deposit = registration.request_registration(article=article, user=None)
    deposit.refresh_from_db()
    assert deposit.state == State.FAILED
    assert "0 DOI(s) registered, 1 failed." in deposit.message
    assert "is less or equal to previously submitted version" in deposit.message


def test_a_login_failure_fails_with_crossref_words(
    fake_crossref, django_capture_on_commit_callbacks
):
    fake_crossref.mode = "login"
    issue, _article = _issue()
    with django_capture_on_commit_callbacks(execute=True):
        deposit = registration.request_registration(issue=issue, user=None)
    deposit.refresh_from_db()
    assert deposit.state == State.FAILED
    assert deposit.message == (
        "HTTP 401: FAILURE FAILURE Login failed: user name or password incorrect"
    )


def test_a_timeout_is_retried(fake_crossref, django_capture_on_commit_callbacks):
    fake_crossref.slow_posts, fake_crossref.delay = 1, 1.5
    issue, _article = _issue()
    with django_capture_on_commit_callbacks(execute=True):
        deposit = registration.request_registration(issue=issue, user=None)
    deposit.refresh_from_db()
    assert deposit.attempts == 2
    assert deposit.state == State.SUCCEEDED
    assert len(fake_crossref.posts) == 2


def test_no_answer_at_all_fails_after_the_attempts(
    fake_crossref, settings, django_capture_on_commit_callbacks
):
    fake_crossref.slow_posts, fake_crossref.delay = 5, 1.5
    settings.CROSSREF_ATTEMPTS = 2
    issue, _article = _issue()
    with django_capture_on_commit_callbacks(execute=True):
        deposit = registration.request_registration(issue=issue, user=None)
    deposit.refresh_from_db()
    assert deposit.state == State.FAILED
    assert deposit.message.startswith("Crossref did not answer after 2 attempts.")


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
