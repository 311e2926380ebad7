"""The email service's tracking webhooks (mounted under /anymail/ by anymail's own views,
Amazon SES's by ours, which also check SNS signatures) report here; recording is quick, the
work is done by a task."""

import logging
import warnings

from anymail import urls as anymail_urls
from anymail.exceptions import (
    AnymailAPIError,
    AnymailDeprecationWarning,
    AnymailNotSupportedWarning,
    AnymailWebhookValidationFailure,
)
from anymail.signals import inbound, tracking
from anymail.webhooks import amazon_ses
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.dispatch import receiver
from django.http import Http404, HttpResponseBadRequest
from django.urls import URLPattern

from subscriptions import sns
from subscriptions.services.delivery import record_tracking_event, unsubscribe_by_email

logger = logging.getLogger(__name__)

# What anymail's parsers raise on a body that is not what the service sends (not JSON, the
# wrong shape, not UTF-8, a missing field): the sender's mistake, not ours.
MALFORMED = (ValueError, TypeError, KeyError, IndexError, AttributeError, AnymailAPIError)


@receiver(tracking, dispatch_uid="subscriptions.delivery_events")
def on_tracking_event(sender, event, esp_name, **kwargs):
    record_tracking_event(esp=esp_name, event=event)


@receiver(inbound, dispatch_uid="subscriptions.unsubscribe_emails")
def on_inbound_email(sender, event, esp_name, **kwargs):
    """An email to the List-Unsubscribe mailbox (when the service forwards inbound mail)."""
    message = event.message
    if message is None or message.from_email is None:
        return
    to = [a.addr_spec for a in (*message.to, *message.cc)]
    if message.envelope_recipient:
        to.append(message.envelope_recipient)
    unsubscribe_by_email(
        esp=esp_name, sender=message.from_email.addr_spec, to=to, subject=message.subject or ""
    )


class _SignedSNS:
    """Amazon SES reports come through SNS: after anymail's checks (basic auth, SNS
    headers), the message's own signature is checked too (subscriptions.sns)."""

    def run_validators(self, request):
        super().run_validators(request)
        try:
            sns.verify(self._parse_sns_message(request), topics=settings.SNS_TOPIC_ARNS)
        except sns.InvalidSNSMessage as exc:
            raise AnymailWebhookValidationFailure(f"Amazon SNS message refused: {exc}") from exc


class AmazonSESTrackingWebhookView(_SignedSNS, amazon_ses.AmazonSESTrackingWebhookView):
    pass


class AmazonSESInboundWebhookView(_SignedSNS, amazon_ses.AmazonSESInboundWebhookView):
    pass


class _BadRequestsAre400:
    """Anymail no longer supports some services officially (SendGrid, its issue 432) and
    says so each time one of their views is made, that is on every request: JHOP's tests
    still cover those webhooks, and `manage.py check` says it once (jhop.W001) when the
    site sends through such a service.

    A request that fails the checks or cannot be parsed is answered 400 and logged as a
    warning, not raised: anymail lets a parse error through as a 500, and Django reports a
    refused check as an error, which emails the admins, for any stranger's post. Failing to
    record a good event is still a 500, which the services retry."""

    def __init__(self, **kwargs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AnymailNotSupportedWarning)
            super().__init__(**kwargs)

    def run_validators(self, request):
        try:
            super().run_validators(request)
        except ImproperlyConfigured as exc:  # a key some views read only now (Mandrill's)
            logger.warning("%s webhook is not configured: %s", self.esp_name, exc)
            raise Http404("not configured") from exc
        except MALFORMED as exc:
            raise AnymailWebhookValidationFailure(f"malformed request: {exc!r}") from exc

    def parse_events(self, request):
        try:
            return list(super().parse_events(request))
        except MALFORMED as exc:
            raise AnymailWebhookValidationFailure(f"malformed events: {exc!r}") from exc

    def post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        except AnymailWebhookValidationFailure as exc:
            logger.warning("%s webhook request refused: %s", self.esp_name, exc)
            return HttpResponseBadRequest()


def urlpatterns() -> list[URLPattern]:
    """The webhook URLs under /anymail/: ours for Amazon SES, then anymail's for the other
    services, except those whose views cannot start with these settings (Mailgun without
    MAILGUN_WEBHOOK_SIGNING_KEY, Postal without its key, ...): not mounted, they answer 404
    rather than a 500 to every request; nor are anymail's deprecated aliases (/sendinblue/,
    Brevo's old name: /brevo/ is mounted). Every view answers 400 to what it cannot parse."""
    ours = {
        "amazon_ses/tracking/": AmazonSESTrackingWebhookView,
        "amazon_ses/inbound/": AmazonSESInboundWebhookView,
    }
    patterns = []
    for pattern in anymail_urls.urlpatterns:
        view = pattern.callback
        view_class = ours.get(str(pattern.pattern), view.view_class)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                view_class(**view.view_initkwargs)
        except ImproperlyConfigured:  # also anymail's AnymailConfigurationError
            continue
        if any(issubclass(w.category, AnymailDeprecationWarning) for w in caught):
            continue
        robust = type(view_class.__name__, (_BadRequestsAre400, view_class), {})
        patterns.append(
            URLPattern(pattern.pattern, robust.as_view(**view.view_initkwargs), name=pattern.name)
        )
    return patterns
