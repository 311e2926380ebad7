from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from subscriptions.models import (
    ConsentEvent,
    ConsentText,
    MailingList,
    Subscriber,
    Subscription,
)

from .factories import lists, make_subscriber


@pytest.mark.django_db
def test_email_is_unique_whatever_its_case():
    Subscriber.objects.create(email="Case@Example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        Subscriber.objects.create(email="case@example.COM")


@pytest.mark.django_db
def test_an_active_subscription_must_be_confirmed():
    newsletter, _ = lists()
    subscriber = make_subscriber()
    with pytest.raises(IntegrityError), transaction.atomic():
        Subscription.objects.create(subscriber=subscriber, mailing_list=newsletter, status="active")


@pytest.mark.django_db
def test_the_consent_log_is_append_only():
    event = ConsentEvent.objects.create(
        subscriber=make_subscriber(), kind="requested", source="form"
    )
    event.kind = "confirmed"
    with pytest.raises(ValueError, match="append-only"):
        event.save()


@pytest.mark.django_db
def test_print_subscribers_needing_requalification():
    _, print_edition = lists()
    fresh = make_subscriber(lists=[print_edition])
    stale = make_subscriber(lists=[print_edition])
    unknown = make_subscriber(lists=[print_edition])
    stale.subscriptions.update(qualified_at=timezone.now() - timedelta(days=3 * 365 + 1))
    unknown.subscriptions.update(qualified_at=None)
    due = Subscription.objects.needing_requalification()
    assert set(due.values_list("subscriber", flat=True)) == {stale.pk, unknown.pk}
    assert not fresh.subscriptions.get().needs_requalification
    assert stale.subscriptions.get().needs_requalification


@pytest.mark.django_db
def test_default_lists_migration_creates_and_removes_the_two_lists():
    # The migration's own operation, run backwards then forwards (migrating the whole project
    # back and forth cost 15 s of the suite). The test database was built by it.
    assert MailingList.objects.count() == 2 and ConsentText.objects.count() == 1
    loader = MigrationLoader(connection)
    (operation,) = loader.get_migration(
        "subscriptions", "0002_default_lists_and_consent_text"
    ).operations
    apps = loader.project_state().apps
    operation.reverse_code(apps, None)
    assert not MailingList.objects.exists() and not ConsentText.objects.exists()
    operation.code(apps, None)
    operation.code(apps, None)  # run twice: nothing doubles
    assert dict(MailingList.objects.values_list("name", "kind")) == {
        "JHOP e-Newsletter": "email",
        "JHOP Print Edition": "print",
    }
    assert ConsentText.objects.get().version == 1


@pytest.mark.django_db
def test_purge_unconfirmed_deletes_only_old_never_confirmed_signups():
    from io import StringIO

    newsletter, _ = lists()
    old_pending = make_subscriber(lists=[newsletter], status="pending")
    new_pending = make_subscriber(lists=[newsletter], status="pending")
    old_active = make_subscriber(lists=[newsletter])
    old_unsubscribed = make_subscriber(lists=[newsletter], status="unsubscribed")
    added_by_staff = make_subscriber(lists=[])
    asked_again_today = make_subscriber(lists=[newsletter], status="pending")
    long_ago = timezone.now() - timedelta(days=31)
    Subscriber.objects.exclude(pk=new_pending.pk).update(created_at=long_ago)
    Subscription.objects.exclude(subscriber__in=[new_pending, asked_again_today]).update(
        requested_at=long_ago
    )
    out = StringIO()
    call_command("purge_unconfirmed", "--dry-run", stdout=out)
    assert "1 unconfirmed subscriber(s)" in out.getvalue()
    assert Subscriber.objects.count() == 6
    call_command("purge_unconfirmed", stdout=out)
    remaining = set(Subscriber.objects.values_list("pk", flat=True))
    assert remaining == {
        new_pending.pk,
        old_active.pk,
        old_unsubscribed.pk,
        added_by_staff.pk,
        asked_again_today.pk,
    }
    assert old_pending.pk not in remaining
