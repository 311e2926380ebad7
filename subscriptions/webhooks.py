"""The email service's tracking webhooks (mounted under /anymail/ by anymail's own views)
report here; recording is quick, the work is done by a task."""

from anymail.signals import tracking
from django.dispatch import receiver

from subscriptions.services.delivery import record_tracking_event


@receiver(tracking, dispatch_uid="subscriptions.delivery_events")
def on_tracking_event(sender, event, esp_name, **kwargs):
    record_tracking_event(esp=esp_name, event=event)
