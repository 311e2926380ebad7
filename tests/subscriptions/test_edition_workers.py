"""Several workers on one edition share the PostgreSQL queue: no duplicate, no gap."""

import threading
from unittest import mock

import pytest
from django.db import connection

from articles.models import Article
from subscriptions import sending
from subscriptions.models import Edition, EditionArticle, OutboundEmail, Subscription
from subscriptions.services import editions
from tests.factories import make_article

from .factories import lists, make_subscriber

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite serialises writes; run with DATABASE_URL=postgres://… to test the race",
    ),
]


def test_two_workers_sending_one_edition_send_each_email_exactly_once(mailoutbox):
    newsletter, _ = lists()
    readers = [make_subscriber(lists=[newsletter]) for _ in range(60)]
    make_subscriber(lists=[newsletter], status=Subscription.Status.PENDING)
    edition = Edition.objects.create(mailing_list=newsletter, subject="Weekly", intro="Hi.")
    EditionArticle.objects.create(edition=edition, article=make_article(), position=1)
    assert Article.objects.published().exists()
    batches = []
    with mock.patch.object(sending, "enqueue_batch", batches.append):
        editions.send_edition(edition=edition, user=None)  # records, queues nothing yet
    ids = [pk for batch in batches for pk in batch]
    assert len(ids) == 60
    # Two workers are handed the same emails at once (a task retried, a batch handed out
    # twice), and each walks them in a different order.
    barrier = threading.Barrier(2, timeout=10)
    errors = []

    def worker(order):
        try:
            barrier.wait()
            sending.deliver_batch(order)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=worker, args=(ids,)),
        threading.Thread(target=worker, args=(ids[::-1],)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    delivered = sorted(m.to[0] for m in mailoutbox)
    assert delivered == sorted(r.email for r in readers)  # every reader, once
    assert set(edition.emails.values_list("status", flat=True)) == {OutboundEmail.Status.SENT}
