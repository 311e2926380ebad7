"""What the email service told us about delivery: bounces, complaints, rejections, unsubscribes."""

from django.db import models
from django.utils import timezone


class DeliveryEventQuerySet(models.QuerySet):
    def soft_bounces(self, *, email: str, since) -> "DeliveryEventQuerySet":
        """Temporary failures reported for the address since then that have been applied:
        a report recorded but not applied yet is counted by its own application."""
        return self.filter(
            recipient__iexact=email,
            soft_bounce=True,
            received_at__gte=since,
            processed_at__isnull=False,
        )


class DeliveryEvent(models.Model):
    """One tracking event posted by the email service, recorded once (its id is unique).

    The webhook only records it; a task then applies it to the subscriber, so the service's
    call is answered at once and the same event posted twice changes nothing more.
    """

    # The normalized event types (anymail's) that stop email to an address (unless soft).
    STOPPING = ("bounced", "complained", "rejected", "unsubscribed")
    # Temporary failures: counted, never suppressing by themselves.
    SOFT = ("deferred",)

    esp = models.CharField("email service", max_length=40)
    event_id = models.CharField(max_length=200, help_text="The service's id for the event.")
    event_type = models.CharField(max_length=20)
    recipient = models.EmailField(max_length=254, db_index=True)
    occurred_at = models.DateTimeField(default=timezone.now)
    received_at = models.DateTimeField(default=timezone.now)
    message_id = models.CharField(max_length=200, blank=True, db_index=True)
    description = models.CharField(max_length=300, blank=True)
    mta_response = models.CharField(max_length=500, blank=True)
    reject_reason = models.CharField(
        max_length=20, blank=True, help_text="anymail's reason for a rejection or bounce."
    )
    soft_bounce = models.BooleanField(
        default=False, help_text="A temporary failure (mailbox full, server busy)."
    )
    outbound_email = models.ForeignKey(
        "subscriptions.OutboundEmail",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="delivery_events",
        help_text="The email the event is about, when the service names it.",
    )
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=300, blank=True)

    objects = DeliveryEventQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-pk"]
        constraints = [
            # An email service may post the same event again (retries): it is recorded once.
            models.UniqueConstraint(
                fields=["esp", "event_id", "recipient", "event_type"],
                name="deliveryevent_once",
            ),
        ]

    def __str__(self):
        return f"{self.esp} {self.event_type} · {self.recipient}"

    @property
    def stops_mail(self) -> bool:
        return self.event_type in self.STOPPING and not self.soft_bounce
