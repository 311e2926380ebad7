from django.core.checks import Warning
from django.db import DatabaseError, connection


def search_index_check(app_configs=None, **kwargs):
    """PostgreSQL without the RUM index (migration 0026): search is exact but ranks every
    match from its row, several times slower on a large archive."""
    if connection.vendor != "postgresql":
        return []
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT to_regclass('articles_search') IS NOT NULL,"
                " to_regclass('articles_search_rum_idx') IS NOT NULL"
            )
            table, rum = cursor.fetchone()
    except DatabaseError:
        return []  # no database to ask yet
    if not table or rum:
        return []
    return [
        Warning(
            "Search runs without the RUM index: results are exact but every match is "
            "ranked from its row, several times slower on a large archive.",
            hint="Install the PostgreSQL RUM extension (Debian: apt-get install "
            "postgresql-15-rum), then run `manage.py migrate articles 0025` and "
            "`manage.py migrate` to build the index.",
            id="articles.W001",
        )
    ]
