"""Indexes for the admin's article search at 100,000 articles.

A trigram index on titles (PostgreSQL only): the admin matches words anywhere in a title
(UPPER(title) LIKE '%WORD%', the expression Django writes for title__icontains), which
without it reads every article of the archive. And authorships by author, so that an
author's articles are found in the index alone.
"""

from django.db import migrations, models

FORWARD = """
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX article_title_trgm_idx ON articles_article USING gin (UPPER(title::text) gin_trgm_ops);
"""
BACKWARD = "DROP INDEX IF EXISTS article_title_trgm_idx;"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0017_stored_search_document"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="authorship",
            index=models.Index(fields=["author", "article"], name="authorship_author_idx"),
        ),
        migrations.RunPython(forward, backward),
    ]
