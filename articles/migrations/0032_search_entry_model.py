"""articles_search (migrations 0019, 0024, 0025) as an unmanaged model, SearchEntry, so that
the search is written with Django's contrib.postgres.search. Nothing in the database changes.
"""

import django.contrib.postgres.fields
import django.contrib.postgres.search
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0031_autosave"),
    ]

    operations = [
        migrations.CreateModel(
            name="SearchEntry",
            fields=[
                (
                    "article",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="search_entry",
                        serialize=False,
                        to="articles.article",
                    ),
                ),
                ("status", models.CharField(max_length=10)),
                ("published_at", models.DateTimeField(null=True)),
                ("document", django.contrib.postgres.search.SearchVectorField()),
                ("excerpt", models.TextField()),
                (
                    "topic_ids",
                    django.contrib.postgres.fields.ArrayField(
                        base_field=models.BigIntegerField(), default=list, size=None
                    ),
                ),
            ],
            options={
                "db_table": "articles_search",
                "managed": False,
            },
        ),
    ]
