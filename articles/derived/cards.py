"""What a list item shows of an article's authors and topics, stored on the article.

Pages list up to twenty articles (a topic's, an issue's contents, related items), each
with its byline and its topics; reading those on every view took two more queries and
some two hundred model instances a page. So each article stores them as its list item
prints them (`byline`: the authors' names with credentials, in byline order;
`topics_line`: its topics' names, in their order), and every write that can change them
rewrites them in the writer's transaction, through articles.derived.hub: an author added
to, removed from or moved within an article, an author renamed, a topic linked,
unlinked, moved, renamed or deleted, whether by a model save or a QuerySet update or
bulk_create. Article.save() never writes them (its copy may be older than a change of
its links), and a restored version or a fixture (a raw save) is refreshed from the
links as they are. The hub locks the authors and topics a line is computed from first
(see its docstring): a rename and a link racing each other cannot leave a stale line.

The article page shows more of each author and topic (links, affiliations and ORCID iDs in
its metadata), so each article also stores those (`authors_data`, `topics_data`: what
AUTHOR_FIELDS and TOPIC_FIELDS name) and the page reads them with the article itself,
without two more queries; an author's or topic's change of any of them refreshes the
articles that list it, as a rename does.
"""

from collections import defaultdict
from collections.abc import Iterable

from django.db import connection

from articles.models import Article, ArticleTopic, Author, Authorship, Topic

SEPARATOR = ", "
CHUNK = 2000


# What the article page shows and links of each author and topic (stored on the article
# as authors_data and topics_data, so the page reads them with the article itself).
AUTHOR_FIELDS = ("slug", "given_name", "family_name", "credentials", "affiliation", "orcid")
TOPIC_FIELDS = ("slug", "name")
STORED = ("byline", "topics_line", "authors_data", "topics_data")


def authors_data(article_ids: Iterable[int]) -> dict[int, list[dict]]:
    """Each article's authors, in byline order: their id and AUTHOR_FIELDS."""
    found = defaultdict(list)
    rows = (
        Authorship.objects.filter(article_id__in=article_ids)
        .order_by("article_id", "position", "pk")
        .values_list("article_id", "author_id", *(f"author__{name}" for name in AUTHOR_FIELDS))
    )
    for article_id, author_id, *values in rows:
        found[article_id].append({"id": author_id, **dict(zip(AUTHOR_FIELDS, values, strict=True))})
    return found


def topics_data(article_ids: Iterable[int]) -> dict[int, list[dict]]:
    """Each article's topics, in the editors' order: their id, slug and name."""
    found = defaultdict(list)
    rows = (
        ArticleTopic.objects.filter(article_id__in=article_ids)
        .order_by("article_id", "position", "topic__name")
        .values_list("article_id", "topic_id", *(f"topic__{name}" for name in TOPIC_FIELDS))
    )
    for article_id, topic_id, *values in rows:
        found[article_id].append({"id": topic_id, **dict(zip(TOPIC_FIELDS, values, strict=True))})
    return found


def stored_values(article_ids: Iterable[int]) -> dict[int, tuple]:
    """What each article should store (STORED), from its links as they are now."""
    ids = set(article_ids)
    authors, topics = authors_data(ids), topics_data(ids)
    values = {}
    for pk in ids:
        people = [Author(**author) for author in authors.get(pk, [])]
        values[pk] = (
            SEPARATOR.join(person.display_name for person in people),
            SEPARATOR.join(topic["name"] for topic in topics.get(pk, [])),
            authors.get(pk, []),
            topics.get(pk, []),
        )
    return values


def _column(model, name: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(name).column)


def _lines_sql() -> str:
    """stored_values() in SQL (PostgreSQL): each article's lines and page copies from its
    links, for the ids of articles whose stored ones differ."""
    author = ", ".join(f"'{name}', x.{_column(Author, name)}" for name in AUTHOR_FIELDS)
    topic = ", ".join(f"'{name}', t.{_column(Topic, name)}" for name in TOPIC_FIELDS)
    given, family, credentials = (
        f"x.{_column(Author, name)}" for name in ("given_name", "family_name", "credentials")
    )
    # Author.display_name: the name stripped of surrounding white space, then credentials.
    name = f"regexp_replace({given} || ' ' || {family}, '^\\s+|\\s+$', '', 'g')"
    # Only the models' own table and column names are put in; the separator is a parameter.
    return f"""
WITH authors AS (
  SELECT au.article_id,
    string_agg(CASE WHEN {credentials} <> '' THEN {name} || ', ' || {credentials}
               ELSE {name} END, %(sep)s ORDER BY au.position, au.id) AS line,
    jsonb_agg(jsonb_build_object('id', x.id, {author}) ORDER BY au.position, au.id) AS data
  FROM {Authorship._meta.db_table} au JOIN {Author._meta.db_table} x ON x.id = au.author_id
  GROUP BY au.article_id),
topics AS (
  SELECT at.article_id,
    string_agg(t.name, %(sep)s ORDER BY at.position, t.name) AS line,
    jsonb_agg(jsonb_build_object('id', t.id, {topic}) ORDER BY at.position, t.name) AS data
  FROM {ArticleTopic._meta.db_table} at JOIN {Topic._meta.db_table} t ON t.id = at.topic_id
  GROUP BY at.article_id)
SELECT a.id FROM {Article._meta.db_table} a
LEFT JOIN authors ON authors.article_id = a.id
LEFT JOIN topics ON topics.article_id = a.id
WHERE a.byline IS DISTINCT FROM COALESCE(authors.line, '')
   OR a.topics_line IS DISTINCT FROM COALESCE(topics.line, '')
   OR a.authors_data IS DISTINCT FROM COALESCE(authors.data, '[]'::jsonb)
   OR a.topics_data IS DISTINCT FROM COALESCE(topics.data, '[]'::jsonb)
ORDER BY a.id
"""  # noqa: S608


def differing() -> list[int] | None:
    """The articles whose stored lines or page copies may differ from stored_values(), in
    one set-based query on PostgreSQL (None elsewhere: compare every article). The SQL
    only narrows: the caller compares these with stored_values(), which decides."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(_lines_sql(), {"sep": SEPARATOR})
        return [pk for (pk,) in cursor.fetchall()]


def refresh(article_ids: Iterable[int] | None = None) -> int:
    """Store the byline and topic names (and the page's copies of the authors and topics)
    of these articles (None: all); returns how many changed. Rows already right are not
    written."""
    if article_ids is None:
        article_ids = Article.objects.order_by("pk").values_list("pk", flat=True).iterator()
    changed = 0
    chunk: list[int] = []
    for pk in article_ids:
        chunk.append(pk)
        if len(chunk) == CHUNK:
            changed += _refresh_chunk(chunk)
            chunk = []
    if chunk:
        changed += _refresh_chunk(chunk)
    return changed


def _refresh_chunk(article_ids: list[int]) -> int:
    wanted = stored_values(article_ids)
    stale = [
        Article(pk=pk, **dict(zip(STORED, wanted[pk], strict=True)))
        for pk, *now in Article.objects.filter(pk__in=wanted).values_list("pk", *STORED)
        if tuple(now) != wanted[pk]
    ]
    Article.objects.bulk_update(stale, list(STORED), batch_size=500)
    return len(stale)


def articles_of(*, author_id: int | None = None, topic_id: int | None = None) -> list[int]:
    if author_id is not None:
        links = Authorship.objects.filter(author_id=author_id)
    else:
        links = ArticleTopic.objects.filter(topic_id=topic_id)
    return list(links.values_list("article_id", flat=True))


# Receivers (connected by articles.derived.hub) --------------------------------------------


def deleted_with(origin) -> bool:
    """Whether a link is deleted along with its article (gone too) or its topic (whose own
    receiver refreshes the topic's articles at once, after)."""
    if origin is None:
        return False
    model = getattr(origin, "model", type(origin))  # an instance or a queryset
    return model in (Article, Topic)


def _names(instance) -> tuple:
    fields = AUTHOR_FIELDS if isinstance(instance, Author) else TOPIC_FIELDS
    return tuple(getattr(instance, name) for name in fields)


def name_saving(sender, instance, raw=False, **kwargs):
    """pre_save of an Author or Topic: what articles store of it, to tell a change on save."""
    if instance.pk is None or raw:
        return
    fields = AUTHOR_FIELDS if sender is Author else TOPIC_FIELDS
    instance._cards_names = sender.objects.filter(pk=instance.pk).values_list(*fields).first()


def name_saved(sender, instance, created, raw=False, **kwargs):
    """post_save of an Author or Topic: a new name (or slug, affiliation, ORCID) shows on
    every item and article page listing it."""
    before = instance.__dict__.pop("_cards_names", None)
    if created and not raw:
        return  # nothing lists it yet
    if before == _names(instance):
        return
    key = "author_id" if isinstance(instance, Author) else "topic_id"
    refresh(articles_of(**{key: instance.pk}))


def topic_deleting(sender, instance, **kwargs):
    """pre_delete of a Topic: its links go with it; its articles are refreshed once, after."""
    instance._cards_articles = articles_of(topic_id=instance.pk)


def topic_deleted(sender, instance, **kwargs):
    refresh(instance.__dict__.pop("_cards_articles", []))
