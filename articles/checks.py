"""System checks (`manage.py check`) for what the articles app needs of its database."""

from django.core import checks
from django.db import DatabaseError, connection

RUM_MIGRATION = ("articles", "0034_search_rum_index")
NO_RUM = """
SELECT EXISTS (SELECT 1 FROM django_migrations WHERE app = %s AND name = %s)
  AND NOT EXISTS (
    SELECT 1 FROM pg_indexes
    WHERE indexname = 'articles_search_document_idx' AND indexdef LIKE '%% USING rum %%')
"""


@checks.register("search")
def search_ranked_by_index(app_configs, **kwargs):
    """A Warning when the search table was migrated without its RUM index (the server
    lacks the `rum` extension, or the right to create it): the search still answers
    exactly, but ranks with ts_rank, reading every match's stored document, so a common
    word costs hundreds of ms of database CPU on a large archive."""
    if connection.vendor != "postgresql":
        return []
    try:
        with connection.cursor() as cursor:
            cursor.execute(NO_RUM, RUM_MIGRATION)
            missing = cursor.fetchone()[0]
    except DatabaseError:  # no database to ask, or not migrated: nothing to say yet
        return []
    if not missing:
        return []
    return [
        checks.Warning(
            "The search table has no RUM index: searches are exact but slow on a large "
            "archive (each match's stored document is read to rank it with ts_rank).",
            hint="Install the rum extension (Debian: apt-get install postgresql-15-rum), "
            "then as a superuser in the site's database: CREATE EXTENSION rum; DROP INDEX "
            "articles_search_document_idx; CREATE INDEX articles_search_document_idx ON "
            "articles_search USING rum (document rum_tsvector_ops); and restart the app "
            "servers.",
            id="articles.W001",
        )
    ]
