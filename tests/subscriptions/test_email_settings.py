"""The email service is chosen by environment: EMAIL_URL (SMTP), or ANYMAIL_ESP + its keys."""

import json

from tests.test_settings import PRODUCTION_ENV, run_manage

SHOW = (
    "from django.conf import settings; import json; "
    "print(json.dumps([settings.EMAIL_BACKEND, settings.ANYMAIL, settings.EMAIL_TIMEOUT]))"
)


def settings_with(**env):
    result = run_manage("shell", "-v", "0", "-c", SHOW, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_smtp_from_email_url_by_default():
    backend, anymail, timeout = settings_with(EMAIL_URL="smtp://mail.example.org:25")
    assert backend == "django.core.mail.backends.smtp.EmailBackend"
    assert anymail == {} and timeout == 30


def test_postmark_with_its_own_token_and_the_webhook_secret():
    backend, anymail, _ = settings_with(
        ANYMAIL_ESP="postmark",
        POSTMARK_SERVER_TOKEN="server-token",
        MAILGUN_API_KEY="not-for-postmark",
        ANYMAIL_WEBHOOK_SECRET="hooks:secret",
        EMAIL_TIMEOUT="10",
    )
    assert backend == "anymail.backends.postmark.EmailBackend"
    assert anymail == {"POSTMARK_SERVER_TOKEN": "server-token", "WEBHOOK_SECRET": "hooks:secret"}


def test_amazon_ses():
    backend, anymail, _ = settings_with(
        ANYMAIL_ESP="amazon_ses", AMAZON_SES_CONFIGURATION_SET_NAME="jhop"
    )
    assert backend == "anymail.backends.amazon_ses.EmailBackend"
    assert anymail == {"AMAZON_SES_CONFIGURATION_SET_NAME": "jhop"}


def test_a_webhook_secret_without_a_password_is_refused_at_startup():
    result = run_manage("check", env={"ANYMAIL_WEBHOOK_SECRET": "just-a-word"})
    assert result.returncode != 0
    assert "ANYMAIL_WEBHOOK_SECRET must be user:password" in result.stderr


def test_webhook_signing_keys_are_read_whichever_backend_sends():
    _, anymail, _ = settings_with(
        EMAIL_URL="smtp://smtp.mailgun.example:587",
        MAILGUN_WEBHOOK_SIGNING_KEY="mailgun-signing-key",
        SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY="MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE",
        ANYMAIL_WEBHOOK_SECRET="hooks:secret",
    )
    assert anymail == {
        "WEBHOOK_SECRET": "hooks:secret",
        "MAILGUN_WEBHOOK_SIGNING_KEY": "mailgun-signing-key",
        "SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY": "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE",
    }


def test_production_mailgun_webhooks_need_the_signing_key():
    env = {
        **PRODUCTION_ENV,
        "ANYMAIL_ESP": "mailgun",
        "MAILGUN_API_KEY": "key",
        "ANYMAIL_WEBHOOK_SECRET": "hooks:secret",
    }
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "MAILGUN_WEBHOOK_SIGNING_KEY" in result.stderr
    assert run_manage("check", env={**env, "MAILGUN_WEBHOOK_SIGNING_KEY": "k"}).returncode == 0
