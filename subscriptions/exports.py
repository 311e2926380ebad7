"""CSV exports and imports for editors: streamed out, safe to open in a spreadsheet."""

import csv
import io
from collections.abc import Iterable, Iterator

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import F
from django.http import StreamingHttpResponse
from django.utils import timezone
from django_countries import countries

from subscriptions.models import EmailProblem, Subscription

CHUNK_SIZE = 2000
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

PRINT_COLUMNS = [
    ("first_name", "subscriber__first_name"),
    ("last_name", "subscriber__last_name"),
    ("organization", "subscriber__organization"),
    ("address_line1", "subscriber__address_line1"),
    ("address_line2", "subscriber__address_line2"),
    ("city", "subscriber__city"),
    ("state_region", "subscriber__region"),
    ("postal_code", "subscriber__postal_code"),
    ("country", "subscriber__country"),
    ("list", "mailing_list__name"),
    # Print continues when email fails; fulfilment may ask by post for a new address.
    ("email_problem", "subscriber__email_problem"),
    ("subscriber_id", "subscriber_id"),
    ("since", "confirmed_at"),
]
NEWSLETTER_COLUMNS = [
    ("email", "subscriber__email"),
    ("first_name", "subscriber__first_name"),
    ("last_name", "subscriber__last_name"),
    ("profession", "subscriber__profession"),
    ("list", "mailing_list__name"),
    ("subscriber_id", "subscriber_id"),
    ("since", "confirmed_at"),
]


def safe_cell(value) -> str:
    """Neutralise cells a spreadsheet would run as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def email_cell(value) -> str:
    """An address goes out as it is (mail software imports this column: "'-jo@x.org" would
    be another address). A valid address cannot call a function: no parentheses or spaces
    outside quotes, and it never starts with a quote-less "@". Only a DDE pipe is refused."""
    text = "" if value is None else str(value)
    try:
        validate_email(text)
    except ValidationError:
        return safe_cell(text)
    return safe_cell(text) if "|" in text else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(header: list[str], rows: Iterable[Iterable]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    cells = [email_cell if name == "email" else safe_cell for name in header]
    for row in rows:
        yield writer.writerow([cell(value) for cell, value in zip(cells, row, strict=True)])


def _rows(queryset, columns) -> Iterator[tuple]:
    lookups = [lookup for _, lookup in columns]
    country_at = lookups.index("subscriber__country") if "subscriber__country" in lookups else None
    problem_at = (
        lookups.index("subscriber__email_problem")
        if "subscriber__email_problem" in lookups
        else None
    )
    problems = dict(EmailProblem.choices)
    for row in queryset.values_list(*lookups).iterator(chunk_size=CHUNK_SIZE):
        row = list(row)
        if country_at is not None:
            row[country_at] = countries.name(row[country_at]) or row[country_at]
        if problem_at is not None:
            row[problem_at] = problems.get(row[problem_at], row[problem_at])
        row[-1] = row[-1].date().isoformat() if row[-1] else ""
        yield row


def streamed_csv(queryset, columns, filename: str) -> StreamingHttpResponse:
    """Stream rows as they are read, a chunk at a time: memory stays flat for any list size."""
    response = StreamingHttpResponse(
        csv_lines([name for name, _ in columns], _rows(queryset, columns)),
        content_type="text/csv; charset=utf-8",
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="{filename}-{stamp}.csv"'
    return response


def print_fulfilment_csv() -> StreamingHttpResponse:
    queryset = Subscription.objects.print_fulfilment().order_by(F("subscriber_id"), "pk")
    return streamed_csv(queryset, PRINT_COLUMNS, "print-fulfilment")


def newsletter_csv() -> StreamingHttpResponse:
    return streamed_csv(Subscription.objects.newsletter(), NEWSLETTER_COLUMNS, "newsletter")


def read_csv(data: bytes | str) -> list[dict]:
    """Rows of an uploaded CSV (UTF-8, with or without a byte-order mark)."""
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    return list(csv.DictReader(io.StringIO(text)))
