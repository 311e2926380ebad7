"""Print fulfilment export: rows per second and peak Python memory as the list grows.

Streams the CSV for growing numbers of active print subscribers and prints the peak
memory traced while streaming: it should stay flat, whatever the list size.
"""

import argparse
import time
import tracemalloc

from _setup import configure


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscribers", type=int, default=100_000)
    args = parser.parse_args()

    configure("export.sqlite3")
    from django.utils import timezone

    from subscriptions.exports import print_fulfilment_csv
    from subscriptions.models import MailingList, Subscriber, Subscription

    print_list = MailingList.objects.filter(kind=MailingList.Kind.PRINT).first()
    now = timezone.now()
    sizes = sorted({max(1, args.subscribers // 100), args.subscribers // 10, args.subscribers})
    made = 0
    print(f"{'subscribers':>12}{'rows/s':>10}{'MB streamed':>13}{'peak traced MB':>16}")
    for size in sizes:
        batch = [
            Subscriber(
                email=f"reader{i}@hospital{i % 97}.example.org",
                first_name=f"Given{i}",
                last_name=f"Family{i}",
                organization="Community Cancer Center",
                address_line1=f"{i} Main Street",
                city="Springfield",
                region="IL",
                postal_code="62701",
                country="US",
            )
            for i in range(made, size)
        ]
        subscribers = Subscriber.objects.bulk_create(batch, batch_size=5000)
        Subscription.objects.bulk_create(
            (
                Subscription(
                    subscriber=s,
                    mailing_list=print_list,
                    status=Subscription.Status.ACTIVE,
                    confirmed_at=now,
                )
                for s in subscribers
            ),
            batch_size=5000,
        )
        made = size
        tracemalloc.start()
        started = time.perf_counter()
        streamed = 0
        for chunk in print_fulfilment_csv().streaming_content:
            streamed += len(chunk)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"{size:>12}{size / elapsed:>10.0f}{streamed / 1e6:>13.1f}{peak / 1e6:>16.2f}")


if __name__ == "__main__":
    main()
