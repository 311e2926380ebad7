"""Whether readers may see an issue or an article: the one definition.

Each publishable row is a draft, scheduled (published with a future time), or live;
an article in an issue that is not live yet is waiting for it. `visibility` answers
this in Python for one object, `with_visibility()` in SQL for a queryset, and
`published()` / `scheduled()` filter on it; tests/articles/test_visibility.py pins
that they agree for every state.
"""

from django.db import models
from django.db.models import Case, Q, Value, When
from django.utils import timezone


class PublishState(models.TextChoices):
    """What an editor sets."""

    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


class Visibility(models.TextChoices):
    """What readers get, from the state, the time and (for an article) its issue."""

    DRAFT = "draft", "Draft"
    SCHEDULED = "scheduled", "Scheduled"
    WAITING = "waiting", "Waiting for its issue"
    LIVE = "live", "Live"


class VisibilityMixin:
    """`visibility` on a model instance: the SQL answer when the row was fetched with
    with_visibility() (no further queries in a list), else worked out in Python."""

    def _python_visibility(self) -> Visibility:
        return own_visibility(self)

    @property
    def visibility(self) -> Visibility:
        annotated = self.__dict__.get("_annotated_visibility")
        return Visibility(annotated) if annotated else self._python_visibility()

    @visibility.setter
    def visibility(self, value: str) -> None:
        # Called by the ORM with the with_visibility() annotation.
        self.__dict__["_annotated_visibility"] = value

    @property
    def is_public(self) -> bool:
        return self.visibility == Visibility.LIVE

    def clean_publish_time(self) -> None:
        """For clean(): "Published" with no time means now, not "never" (a published row
        with no time is a draft to readers, and an issue's articles would stay hidden)."""
        if self.status == PublishState.PUBLISHED and self.published_at is None:
            self.published_at = timezone.now()


def own_visibility(obj, now=None) -> Visibility:
    """An issue's or article's visibility from its own state and time alone."""
    if obj.status != PublishState.PUBLISHED or obj.published_at is None:
        # "Published" with no time is never shown: clean() fills in the time.
        return Visibility.DRAFT
    if obj.published_at > (now or timezone.now()):
        return Visibility.SCHEDULED
    return Visibility.LIVE


class PublishableQuerySet(models.QuerySet):
    """Read rules shared by issues and articles (anything with status and published_at)."""

    def _own_state_cases(self, now) -> list[When]:
        return [
            When(~Q(status=PublishState.PUBLISHED), then=Value(Visibility.DRAFT)),
            When(published_at__isnull=True, then=Value(Visibility.DRAFT)),
            When(published_at__gt=now, then=Value(Visibility.SCHEDULED)),
        ]

    def _live_own_state(self, now, *, prefix: str = "") -> Q:
        """Live by its own state and time; prefix: of a related row's (e.g. "issue__")."""
        return Q(**{f"{prefix}status": PublishState.PUBLISHED, f"{prefix}published_at__lte": now})

    def with_visibility(self):
        """Annotate each row with `visibility`, a Visibility value, computed in SQL."""
        now = timezone.now()
        return self.annotate(
            visibility=Case(
                *self._own_state_cases(now),
                default=Value(Visibility.LIVE),
                output_field=models.CharField(max_length=10),
            )
        )

    def published(self):
        """What readers may see (Visibility.LIVE)."""
        return self.filter(self._live_own_state(timezone.now()))

    def not_published(self, now=None):
        """The rest (not Visibility.LIVE): drafts, scheduled, and published with no time."""
        return self.exclude(self._live_own_state(now or timezone.now()))

    def scheduled(self):
        """Published with a future time (Visibility.SCHEDULED): goes live without a job."""
        return self.filter(status=PublishState.PUBLISHED, published_at__gt=timezone.now())

    def next_go_live(self):
        """The earliest time a scheduled row goes live, or None."""
        return self.scheduled().aggregate(at=models.Min("published_at"))["at"]
