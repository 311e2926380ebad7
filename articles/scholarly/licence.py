"""An article's licence and copyright: the journal's, unless the article names its own.

One answer for every record that carries it: JATS <permissions>, the Crossref deposit's
access indicators, the page's JSON-LD and DC.rights, and OAI's dc:rights.
"""

from dataclasses import dataclass

from django.utils import timezone

from articles.models import Article, Journal


@dataclass(frozen=True)
class Licence:
    url: str
    name: str
    holder: str
    year: int | None
    statement: str  # the journal's copyright line filled in: "© 2022 Amplity Health"
    start_date: str  # when it applies: the day the article went live (ISO 8601), or ""


def _year_and_start(article: Article):
    when = article.first_published_at or article.published_at
    if when is None:
        return None, ""
    day = timezone.localtime(when).date()
    return day.year, day.isoformat()


def licence_of(article: Article, journal: Journal | None) -> Licence | None:
    """The licence the article is published under, or None when neither it nor its
    journal names one. The article's licence name goes with its own URL, never with
    the journal's."""
    if article.licence_url:
        url, name = article.licence_url, article.licence_name
    elif journal is not None and journal.licence_url:
        url, name = journal.licence_url, journal.licence_name
    else:
        return None
    holder = article.copyright_holder
    if not holder and journal is not None:
        holder = journal.copyright_holder or journal.publisher or journal.name
    year, start_date = _year_and_start(article)
    statement = ""
    if holder and year:
        pattern = journal.copyright_statement if journal is not None else "© {year} {holder}"
        statement = pattern.replace("{year}", str(year)).replace("{holder}", holder)
    return Licence(
        url=url, name=name, holder=holder, year=year, statement=statement, start_date=start_date
    )
