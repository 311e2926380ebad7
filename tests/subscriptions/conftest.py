import pytest
from django.core import mail
from django.test import Client, TestCase

from subscriptions.models import ConsentText, MailingList


@pytest.fixture(autouse=True)
def _fast_forms(settings):
    """People take seconds to fill the form; the test client takes none."""
    settings.SUBSCRIPTIONS_MIN_FORM_SECONDS = 0
    settings.SITE_URL = "http://testserver"


def ensure_defaults() -> None:
    """The data migration's lists and consent text; transactional tests flush them away."""
    from importlib import import_module

    from django.apps import apps

    migration = import_module("subscriptions.migrations.0002_default_lists_and_consent_text")
    migration.create_defaults(apps, None)


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
