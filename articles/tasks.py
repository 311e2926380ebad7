"""The articles app's background tasks, in one list (each is defined beside its work)."""

from articles.derived.related import refresh_related_items
from articles.derived.search_queue import drain_search_queue
from articles.derived.verify import check_derived
from articles.review import send_review_email_task
from articles.scholarly.registration import submit_deposit_task

__all__ = [
    "check_derived",
    "drain_search_queue",
    "refresh_related_items",
    "send_review_email_task",
    "submit_deposit_task",
]
