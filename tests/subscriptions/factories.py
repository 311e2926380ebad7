import itertools

from django.utils import timezone

from subscriptions.models import MailingList, Subscriber, Subscription

_seq = itertools.count(1)


def make_subscriber(*, lists=(), status=Subscription.Status.ACTIVE, **kw) -> Subscriber:
    n = next(_seq)
    defaults = {
        "email": f"reader{n}@example.com",
        "first_name": "Reader",
        "last_name": f"Number{n}",
        "profession": "pharmacist",
        "organization": "Cancer Center",
        "address_line1": f"{n} Oak Avenue",
        "city": "Boston",
        "region": "MA",
        "postal_code": "02115",
        "country": "US",
    }
    subscriber = Subscriber.objects.create(**{**defaults, **kw})
    now = timezone.now()
    for mailing_list in lists:
        Subscription.objects.create(
            subscriber=subscriber,
            mailing_list=mailing_list,
            status=status,
            confirmed_at=now if status == Subscription.Status.ACTIVE else None,
            qualified_at=now,
        )
    return subscriber


def ensure_defaults() -> None:
    """The data migration's lists and consent text; transactional tests flush them away."""
    from importlib import import_module

    from django.apps import apps

    migration = import_module("subscriptions.migrations.0002_default_lists_and_consent_text")
    migration.create_defaults(apps, None)


def lists() -> tuple[MailingList, MailingList]:
    ensure_defaults()
    return (
        MailingList.objects.get(slug="jhop-e-newsletter"),
        MailingList.objects.get(slug="jhop-print-edition"),
    )
