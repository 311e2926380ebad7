"""The search documents' index becomes a RUM index where the server has the extension
(PostgreSQL only); their rows become narrow.

RUM (the `rum` extension, Debian's postgresql-15-rum) keeps each lexeme's positions and
weights in the index: a search ordered by `document <=> query` reads its best matches in
order from the index, and a phrase is checked there too, so neither reads the stored
documents (10-30 kB each on real text, stored out of line). It replaces the GIN index
under the same name (with both, the planner takes GIN for phrases, whose every candidate
GIN must recheck from its document). Without the extension, or the right to create it
(a superuser's), the GIN index stays: the search ranks with ts_rank, exact but slower, and
`manage.py check` says so (articles.checks).

Rows are kept under 128 bytes in the table: the document (compressed, STORAGE EXTENDED,
where 0019 kept it in the row up to a page's size) and the excerpt are stored out of line
(toast_tuple_target), so that counting matches by their filters and facets reads narrow
rows, about 60 to a page, and no document; the topics (a few ids, read by the topic
facet and filter) are never moved out (STORAGE PLAIN). The rows written before are rewritten (no
document changes: the vocabulary's trigger is held off for it).
"""

from django.db import migrations

INDEX = "articles_search_document_idx"
RUM = f"CREATE INDEX {INDEX} ON articles_search USING rum (document rum_tsvector_ops)"
GIN = f"CREATE INDEX {INDEX} ON articles_search USING gin (document)"
REWRITE = """
ALTER TABLE articles_search DISABLE TRIGGER articles_search_words_updated;
UPDATE articles_search
SET excerpt = excerpt || '', document = document || ''::tsvector,
  topic_ids = topic_ids || '{}'::bigint[];
ALTER TABLE articles_search ENABLE TRIGGER articles_search_words_updated;
"""


def _can_create_rum(connection) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'rum'")
        if cursor.fetchone() is None:
            return False
        cursor.execute("SAVEPOINT articles_rum")
        try:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS rum")
        except Exception:  # not a superuser: GIN only
            cursor.execute("ROLLBACK TO SAVEPOINT articles_rum")
            return False
        cursor.execute("RELEASE SAVEPOINT articles_rum")
        return True


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "ALTER TABLE articles_search SET (toast_tuple_target = 128);"
        "ALTER TABLE articles_search ALTER COLUMN document SET STORAGE EXTENDED;"
        "ALTER TABLE articles_search ALTER COLUMN topic_ids SET STORAGE PLAIN"
    )
    # The index is built once after the rewrite, not updated row by row during it.
    schema_editor.execute(f"DROP INDEX {INDEX}")
    schema_editor.execute(REWRITE)
    schema_editor.execute(RUM if _can_create_rum(schema_editor.connection) else GIN)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX {INDEX}")
    schema_editor.execute(GIN)
    schema_editor.execute(
        "ALTER TABLE articles_search RESET (toast_tuple_target);"
        "ALTER TABLE articles_search ALTER COLUMN document SET STORAGE MAIN;"
        "ALTER TABLE articles_search ALTER COLUMN topic_ids SET STORAGE EXTENDED"
    )


class Migration(migrations.Migration):
    dependencies = [("articles", "0033_search_vocabulary")]
    operations = [migrations.RunPython(forward, backward, elidable=False)]
