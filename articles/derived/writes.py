"""The QuerySet writes that send no model signals (update, bulk_update, bulk_create,
and a related manager's add, which is a bulk_create) report to the hub, so that a raw
write keeps the derived copies as an edit in the admin does.

The models use KeptQuerySet; the hub (articles.derived.hub) registers itself as the
listener when the app is ready. Models never import the hub: the listener is handed
in, so imports run one way (models, then derived).
"""

import threading
from contextlib import contextmanager

from django.db import models, transaction

_state = threading.local()
_listener = None


def listen(listener) -> None:
    """Install the object told of every signal-less write (the hub)."""
    global _listener
    _listener = listener


def is_suspended() -> bool:
    return getattr(_state, "suspended", 0) > 0


@contextmanager
def suspended():
    """Writes inside do not keep the derived copies: for bulk loaders that rebuild every
    copy from scratch afterwards (articles.derived.refresh_all)."""
    _state.suspended = getattr(_state, "suspended", 0) + 1
    try:
        yield
    finally:
        _state.suspended -= 1


def _kept(model, fields) -> bool:
    """Whether writing these fields of this model needs the hub: not when the write only
    sets copies the hub itself keeps (their writers are the derived modules), or fields
    no copy and no record shows (UNRECORDED_FIELDS)."""
    return (
        _listener is not None
        and not is_suspended()
        and not set(fields)
        <= {*getattr(model, "DERIVED_FIELDS", ()), *getattr(model, "UNRECORDED_FIELDS", ())}
    )


class KeptQuerySet(models.QuerySet):
    def update(self, **kwargs):
        if not _kept(self.model, kwargs):
            return super().update(**kwargs)
        with transaction.atomic(using=self.db):
            before = _listener.before_update(self, kwargs)
            count = super().update(**kwargs)
            _listener.after_update(self.model, before, kwargs)
        return count

    update.alters_data = True

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        if not objs or not _kept(self.model, ["*"]):
            return super().bulk_create(objs, *args, **kwargs)
        with transaction.atomic(using=self.db):
            _listener.before_create(self.model, objs)
            created = super().bulk_create(objs, *args, **kwargs)
            _listener.after_create(self.model, created)
        return created

    bulk_create.alters_data = True
