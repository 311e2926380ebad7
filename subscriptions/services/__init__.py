"""Every write with a side effect: signup, confirm, preferences, unsubscribe, import, erasure.

Keyword-only functions that validate, save inside a transaction, and queue email on commit.
"""

from subscriptions.services.consent import RequestMeta, reduce_ip
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
    request_subscription,
    send_manage_link,
    unsubscribe,
    update_preferences,
)

__all__ = [
    "ImportReport",
    "RequestMeta",
    "confirm_subscriptions",
    "erase_subscriber",
    "import_subscribers",
    "mark_bounced",
    "purge_unconfirmed",
    "record_admin_change",
    "reduce_ip",
    "request_subscription",
    "send_manage_link",
    "subscriber_data",
    "unsubscribe",
    "update_preferences",
]
