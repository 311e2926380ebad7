"""The email service's tracking webhooks (mounted under /anymail/ by anymail's own views)
report here; recording is quick, the work is done by a task."""

from anymail.signals import inbound, tracking
from django.dispatch import receiver

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
