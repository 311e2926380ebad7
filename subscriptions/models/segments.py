"""Segments: a mailing (an edition, an alert) may go to part of its list only."""

from django.db import models
from django.db.models import Q
from django_countries import countries

from subscriptions.models.subscribers import Profession


class Segmented(models.Model):
    """Who of the list gets the mailing: by profession, country, and when they joined the
    list. Empty fields narrow nothing: the whole list."""

    segment_professions = models.JSONField(
        "professions", default=list, blank=True, help_text="Only readers of these professions."
    )
    segment_countries = models.JSONField(
        "countries", default=list, blank=True, help_text="Only readers in these countries."
    )
    segment_joined_after = models.DateField(
        "joined on or after", null=True, blank=True, help_text="Joined the list on or after."
    )
    segment_joined_before = models.DateField(
        "joined before", null=True, blank=True, help_text="Joined the list before."
    )

    class Meta:
        abstract = True

    def segment_q(self) -> Q:
        """The condition on Subscription rows (members of the list) the segment adds."""
        q = Q()
        if self.segment_professions:
            q &= Q(subscriber__profession__in=self.segment_professions)
        if self.segment_countries:
            q &= Q(subscriber__country__in=self.segment_countries)
        if self.segment_joined_after:
            q &= Q(confirmed_at__date__gte=self.segment_joined_after)
        if self.segment_joined_before:
            q &= Q(confirmed_at__date__lt=self.segment_joined_before)
        return q

    def segment_description(self) -> str:
        """The segment in words, for the confirmation page and the lists ("" for all)."""
        parts = []
        if self.segment_professions:
            labels = dict(Profession.choices)
            parts.append(", ".join(str(labels.get(p, p)) for p in self.segment_professions))
        if self.segment_countries:
            parts.append("in " + ", ".join(countries.name(c) or c for c in self.segment_countries))
        if self.segment_joined_after:
            parts.append(f"joined on or after {self.segment_joined_after:%Y-%m-%d}")
        if self.segment_joined_before:
            parts.append(f"joined before {self.segment_joined_before:%Y-%m-%d}")
        return "; ".join(parts)
