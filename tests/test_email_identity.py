"""Every email we send names the site's domain in its Message-ID, not this machine's."""

import pytest
from django.core import mail
from django.core.mail.utils import DNS_NAME

from jhop.mail import name_the_site_in_emails
from subscriptions import services
from subscriptions.services import RequestMeta
from tests.subscriptions.factories import ensure_defaults
from tests.test_settings import PRODUCTION_ENV, run_manage


@pytest.fixture
def site_domain(settings):
    kept = DNS_NAME.get_fqdn()
    settings.SITE_URL = "https://www.jhoponline.com"
    name_the_site_in_emails()
    yield "www.jhoponline.com"
    DNS_NAME._fqdn = kept


@pytest.mark.django_db
def test_subscription_emails_and_error_reports_name_the_site(
    site_domain, settings, django_capture_on_commit_callbacks
):
    from subscriptions.models import ConsentText, MailingList

    ensure_defaults()
    settings.ADMINS = [("Ops", "ops@jhoponline.com")]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.request_subscription(
            email="ada@example.com",
            profile={"first_name": "Ada", "last_name": "L", "profession": "pharmacist"},
            lists=[MailingList.objects.get(slug="jhop-e-newsletter")],
            consent_text=ConsentText.objects.latest(),
            meta=RequestMeta(),
        )
    mail.mail_admins("Server error", "traceback")
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        message_id = message.message()["Message-ID"]
        assert message_id.endswith(f"@{site_domain}>"), message_id
        assert "localhost" not in message_id


def test_production_names_its_site_url_host():
    code = "from django.core.mail.utils import DNS_NAME; print(DNS_NAME.get_fqdn())"
    result = run_manage("shell", "-v", "0", "-c", code, env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "jhop.example.org"
