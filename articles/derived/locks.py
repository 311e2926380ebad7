"""Row locks for the copies (see articles.derived.hub, "Locks"): a writer locks the rows a
copy is computed from, in one order (authors, topics, sections, then articles, each by
key), before it computes; used by the hub and by the search queue's runner."""

from django.db import connection, transaction

from articles.models import Article, ArticleTopic, Author, Authorship, Section, Topic


def locking() -> bool:
    """Whether row locks mean anything here: a database that has them, in a transaction."""
    return (
        connection.features.has_select_for_update and transaction.get_connection().in_atomic_block
    )


def lock(model, pks) -> None:
    """Lock these rows until the transaction ends, in key order (on PostgreSQL)."""
    pks = sorted({pk for pk in pks if pk is not None})
    if not pks or not locking():
        return
    rows = model._base_manager.filter(pk__in=pks).order_by("pk")
    no_key = connection.features.has_select_for_no_key_update
    list(rows.select_for_update(no_key=no_key).values_list("pk", flat=True))


def subjects_of(article_ids) -> dict[str, set[int]]:
    """The authors, topics and sections the articles' copies are computed from."""
    ids = list(article_ids)
    return {
        "author_ids": set(
            Authorship.objects.filter(article_id__in=ids).values_list("author_id", flat=True)
        ),
        "topic_ids": set(
            ArticleTopic.objects.filter(article_id__in=ids).values_list("topic_id", flat=True)
        ),
        "section_ids": set(
            Article.objects.filter(pk__in=ids, section__isnull=False).values_list(
                "section_id", flat=True
            )
        ),
    }


def lock_for(article_ids, *, author_ids=(), topic_ids=()) -> dict[str, set[int]]:
    """Lock the rows the articles' copies are computed from, then the articles; returns
    the subjects found (with those given)."""
    subjects = subjects_of(article_ids)
    subjects["author_ids"] |= set(author_ids)
    subjects["topic_ids"] |= set(topic_ids)
    lock(Author, subjects["author_ids"])
    lock(Topic, subjects["topic_ids"])
    lock(Section, subjects["section_ids"])
    lock(Article, article_ids)
    return subjects


def refresh_search(article_ids) -> None:
    """The articles' rows of the search table (trigger-kept, PostgreSQL) written again
    under the hub's locks: a link's trigger fires on its insert, before the lock, and can
    read an author's or topic's name as it was before a rename that commits first."""
    ids = sorted(article_ids)
    if ids and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT articles_refresh_search(%s::bigint[])", [ids])
