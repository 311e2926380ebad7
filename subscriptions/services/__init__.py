"""Every write with a side effect: signup, confirm, preferences, unsubscribe, import, erasure,
new-issue alerts.

Keyword-only functions that validate, save inside a transaction, and queue email on commit.
"""

from subscriptions.services.alerts import (
    build_issue_alert_emails,
    resume_issue_alerts,
    send_issue_alert,
)
from subscriptions.services.consent import RequestMeta, reduce_ip
from subscriptions.services.delivery import apply_event, record_tracking_event, stop_mail
from subscriptions.services.records import (
    ImportReport,
    erase_subscriber,
    import_subscribers,
    purge_unconfirmed,
    subscriber_data,
)
from subscriptions.services.subscribers import (
    confirm_subscriptions,
    mark_bounced,
    record_admin_change,
    request_manage_link,
    request_subscription,
    send_manage_link,
    unsubscribe,
    update_preferences,
)

__all__ = [
    "ImportReport",
    "RequestMeta",
    "apply_event",
    "build_issue_alert_emails",
    "confirm_subscriptions",
    "erase_subscriber",
    "import_subscribers",
    "mark_bounced",
    "purge_unconfirmed",
    "record_admin_change",
    "record_tracking_event",
    "reduce_ip",
    "request_manage_link",
    "request_subscription",
    "resume_issue_alerts",
    "send_issue_alert",
    "send_manage_link",
    "stop_mail",
    "subscriber_data",
    "unsubscribe",
    "update_preferences",
]
