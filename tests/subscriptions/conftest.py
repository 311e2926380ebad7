from pathlib import Path

import pytest
from django.core import mail
from django.test import Client, TestCase

from subscriptions.models import ConsentText, MailingList

from .factories import ensure_defaults


@pytest.fixture(autouse=True)
def _fast_forms(settings):
    """People take seconds to fill the form; the test client takes none."""
    settings.SUBSCRIPTIONS_MIN_FORM_SECONDS = 0
    settings.SITE_URL = "http://testserver"


@pytest.fixture
def test_templates(settings):
    """Templates only tests use (tests/templates): a sample bulk email, emails/tests/sample_bulk."""
    engine = settings.TEMPLATES[0]
    extra = Path(__file__).resolve().parent.parent / "templates"
    settings.TEMPLATES = [{**engine, "DIRS": [*engine["DIRS"], extra]}, *settings.TEMPLATES[1:]]


@pytest.fixture
def newsletter(db):
    ensure_defaults()
    return MailingList.objects.get(slug="jhop-e-newsletter")


@pytest.fixture
def print_edition(db):
    ensure_defaults()
    return MailingList.objects.get(slug="jhop-print-edition")


@pytest.fixture
def consent_text(db):
    ensure_defaults()
    return ConsentText.objects.latest()


@pytest.fixture
def outbox():
    mail.outbox.clear()
    return mail.outbox


class CommittingClient(Client):
    """Runs on-commit callbacks after each request, as a real commit would, inside the test's
    transaction: emails queued by services are then sent (tasks run immediately in tests)."""

    def request(self, **request):
        with TestCase.captureOnCommitCallbacks(execute=True):
            return super().request(**request)


@pytest.fixture
def client():
    return CommittingClient()
