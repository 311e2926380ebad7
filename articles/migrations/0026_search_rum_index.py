"""The RUM index over the search documents, where the extension is available.

On PostgreSQL only. RUM (the postgresql-15-rum package) stores each lexeme's positions and
weights in the index, so a phrase is checked and a match scored without reading the row,
and `ORDER BY document <=> query` returns the best matches first from the index: the search
ranks over every match (articles.search.search_backend() == "rum"). Where the extension
cannot be created (not installed, or not allowed), nothing changes: the search ranks with
ts_rank from the rows, exact but slower, and `manage.py check` says so (articles.W001).
"""

from django.db import migrations

INDEX = "articles_search_rum_idx"


def forward(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'rum'")
        if cursor.fetchone() is None:
            return
        cursor.execute("SAVEPOINT articles_rum")
        try:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS rum")
        except Exception:
            # Not allowed for this role: the GIN index serves.
            cursor.execute("ROLLBACK TO SAVEPOINT articles_rum")
            return
        cursor.execute("RELEASE SAVEPOINT articles_rum")
        cursor.execute(f"CREATE INDEX {INDEX} ON articles_search USING rum (document rum_tsvector_ops)")
        cursor.execute("ANALYZE articles_search")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0025_search_fields_apart"),
    ]

    operations = [migrations.RunPython(forward, backward)]
