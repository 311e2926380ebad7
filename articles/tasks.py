"""The articles app's background tasks, in one list (each is defined beside its work)."""

from articles.scholarly.registration import submit_deposit_task

__all__ = ["submit_deposit_task"]
