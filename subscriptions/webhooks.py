"""The email service's tracking webhooks (mounted under /anymail/ by anymail's own views,
Amazon SES's by ours, which also check SNS signatures) report here; recording is quick, the
work is done by a task."""

from anymail.exceptions import AnymailWebhookValidationFailure
from anymail.signals import inbound, tracking
from anymail.webhooks import amazon_ses
from django.conf import settings
from django.dispatch import receiver

from subscriptions import sns
from subscriptions.services.delivery import record_tracking_event, unsubscribe_by_email


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
