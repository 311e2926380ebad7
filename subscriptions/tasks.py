"""The subscription app's background tasks, in one list (each is defined beside its work)."""

from subscriptions.sending import send_outbound_batch, send_outbound_email
from subscriptions.services.alerts import (
    build_issue_alert_emails_task as build_issue_alert_emails,
)
from subscriptions.services.delivery import apply_delivery_event
from subscriptions.services.editions import build_edition_emails_task, start_scheduled_edition
from subscriptions.services.subscribers import send_manage_link_task as send_manage_link

__all__ = [
    "apply_delivery_event",
    "build_edition_emails_task",
    "build_issue_alert_emails",
    "send_manage_link",
    "send_outbound_batch",
    "send_outbound_email",
    "start_scheduled_edition",
]
