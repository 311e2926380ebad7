"""A GIN index for full-text search, on PostgreSQL only (SQLite searches without it).

The expression must stay identical to the SQL of articles.search.document_vector() or PostgreSQL
will not use the index.
"""

from django.db import migrations

INDEX = "article_search_gin_idx"
DOCUMENT = (
    "(setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A')"
    " || setweight(to_tsvector('english'::regconfig, coalesce(standfirst, '')), 'B')"
    " || setweight(to_tsvector('english'::regconfig, coalesce(body, '')), 'C'))"
)


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON articles_article USING gin ({DOCUMENT})"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0002_article_slug_history"),
    ]

    operations = [migrations.RunPython(create_index, drop_index)]
