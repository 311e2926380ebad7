"""Deployment checks (`manage.py check --deploy`) for what production needs to be shared."""

from django.conf import settings
from django.core import checks

# Each process (or machine) would keep its own counters: 4 workers let 4 times the rate
# through, and cached pages are not invalidated on the other servers.
PER_PROCESS_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache": "lives in one process",
    "django.core.cache.backends.dummy.DummyCache": "caches nothing",
    "django.core.cache.backends.filebased.FileBasedCache": "lives on one machine",
}


@checks.register(checks.Tags.caches, deploy=True)
def shared_cache(app_configs, **kwargs):
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    reason = PER_PROCESS_CACHES.get(backend)
    if reason is None:
        return []
    return [
        checks.Error(
            f"The default cache ({backend}) {reason}: rate limits and page invalidation "
            "need a cache every app server shares.",
            hint="Set CACHE_URL to a Redis server, e.g. redis://redis.internal:6379/0.",
            id="jhop.E001",
        )
    ]


@checks.register(deploy=True)
def https_site_url(app_configs, **kwargs):
    if settings.SITE_URL.startswith("https://"):
        return []
    return [
        checks.Error(
            f"SITE_URL is {settings.SITE_URL!r}: emailed links must use the public https URL.",
            hint="Set SITE_URL, e.g. https://jhoponline.example.org.",
            id="jhop.E002",
        )
    ]


# Services anymail still ships but no longer supports officially (its issue 432): sending
# and webhooks work, and are tested here, but anymail's fixes for them may stop.
UNSUPPORTED_ESPS = {"sendgrid": "https://github.com/anymail/django-anymail/issues/432"}


@checks.register()
def email_service_supported(app_configs, **kwargs):
    esp = getattr(settings, "ANYMAIL_ESP", "")
    if esp == "sendinblue":
        return [
            checks.Warning(
                "ANYMAIL_ESP=sendinblue is anymail's deprecated name for Brevo.",
                hint="Set ANYMAIL_ESP=brevo (and BREVO_* variables for SENDINBLUE_* ones); "
                "point Brevo's webhooks at /anymail/brevo/.",
                id="jhop.W002",
            )
        ]
    if esp not in UNSUPPORTED_ESPS:
        return []
    return [
        checks.Warning(
            f"ANYMAIL_ESP={esp}: django-anymail no longer supports this service officially "
            f"({UNSUPPORTED_ESPS[esp]}).",
            hint="It works and JHOP's tests cover it; consider Amazon SES, Postmark or Mailgun.",
            id="jhop.W001",
        )
    ]
