import threading

import pytest
from django.db import connection
from django.db.models.query import QuerySet
from django.test import Client
from django.urls import reverse

from subscriptions.models import Subscriber, Subscription

from .helpers import signup_data

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite serialises writes; run with DATABASE_URL=postgres://… to test the race",
    ),
]


def run_together(target, count=2):
    errors = []

    def run():
        try:
            target()
        except Exception as exc:  # surfaced in the main thread below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors


def test_two_identical_submissions_at_the_same_moment_make_one_subscriber(
    newsletter, print_edition, monkeypatch, mailoutbox
):
    barrier = threading.Barrier(2, timeout=10)
    original_create = QuerySet.create

    def create_after_both_looked(self, **kwargs):
        # Both requests have found no subscriber; now both try to insert.
        if self.model is Subscriber:
            barrier.wait()
        return original_create(self, **kwargs)

    monkeypatch.setattr(QuerySet, "create", create_after_both_looked)
    responses = []

    def submit():
        # The same answers, each with its own form stamp (a stamp counts once: a stamp
        # replayed is refused before the insert this test races).
        data = signup_data(newsletter)
        responses.append(Client().post(reverse("subscriptions:subscribe"), data))

    run_together(submit)
    assert [r.status_code for r in responses] == [302, 302]
    assert Subscriber.objects.count() == 1
    assert Subscription.objects.count() == 1
    subjects = sorted(m.subject for m in mailoutbox)
    assert len(subjects) == 2  # one confirmation, one "manage your subscription"
    assert any("confirm" in s.lower() for s in subjects)


def test_case_variants_at_the_same_moment_make_one_subscriber(newsletter):
    barrier = threading.Barrier(3, timeout=10)
    emails = iter(["Case@Example.com", "case@example.com", "CASE@EXAMPLE.COM"])
    lock = threading.Lock()

    def submit():
        with lock:
            email = next(emails)
        barrier.wait()
        Client().post(reverse("subscriptions:subscribe"), signup_data(newsletter, email=email))

    run_together(submit, count=3)
    assert Subscriber.objects.count() == 1
