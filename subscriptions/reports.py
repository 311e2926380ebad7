"""What subscription managers read: list growth per week (read-only)."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Exists, OuterRef
from django.db.models.functions import TruncWeek
from django.utils import timezone

from subscriptions.models import ConsentEvent, MailingList, Subscription

Status = Subscription.Status
KEYS = ("signups", "confirmations", "imports", "unsubscribes", "bounces", "complaints")


@dataclass
class ListGrowth:
    mailing_list: MailingList
    weeks: list[date]
    series: dict[str, list[int]] = field(default_factory=dict)

    @property
    def rows(self) -> list[tuple]:
        return [(week, *(self.series[k][i] for k in KEYS)) for i, week in enumerate(self.weeks)]


def weekly_growth(*, weeks: int = 12, today: date | None = None) -> list[ListGrowth]:
    """Per list and per week (Mondays), the last `weeks` weeks: signups, confirmations (by
    the person: an import is active without one, and is counted as an import), imports,
    unsubscribes, bounces and complaints. Six queries, whatever the number of lists."""
    today = today or timezone.localdate()
    first = today - timedelta(days=today.weekday(), weeks=weeks - 1)
    mondays = [first + timedelta(weeks=k) for k in range(weeks)]
    index = {monday: k for k, monday in enumerate(mondays)}
    growth = {
        m.pk: ListGrowth(m, mondays, {k: [0] * weeks for k in KEYS})
        for m in MailingList.objects.all()
    }
    complained = ConsentEvent.objects.filter(
        subscriber=OuterRef("subscriber_id"), kind=ConsentEvent.Kind.COMPLAINED
    )
    since = timezone.make_aware(datetime.combine(first, time.min))
    sources = {
        "signups": (Subscription.objects.all(), "requested_at"),
        "confirmations": (Subscription.objects.filter(imported_at__isnull=True), "confirmed_at"),
        "imports": (Subscription.objects.all(), "imported_at"),
        "unsubscribes": (
            Subscription.objects.filter(status=Status.UNSUBSCRIBED).filter(~Exists(complained)),
            "unsubscribed_at",
        ),
        "bounces": (Subscription.objects.filter(status=Status.BOUNCED), "unsubscribed_at"),
        "complaints": (
            Subscription.objects.filter(status=Status.UNSUBSCRIBED).filter(Exists(complained)),
            "unsubscribed_at",
        ),
    }
    for key, (queryset, when) in sources.items():
        rows = (
            queryset.filter(**{f"{when}__gte": since})
            .annotate(week=TruncWeek(when))
            .values("mailing_list", "week")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for row in rows:
            week = row["week"]
            week = week.date() if hasattr(week, "date") else week
            if row["mailing_list"] in growth and week in index:
                growth[row["mailing_list"]].series[key][index[week]] += row["n"]
    return list(growth.values())
