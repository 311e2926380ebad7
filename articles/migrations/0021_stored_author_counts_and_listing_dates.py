"""Stored counts and dates for the sitemap and for publishing at 100,000 articles.

Authors get a stored count of live articles, as topics and sections have (0016); all
three get the time their list of articles last changed (the sitemap's lastmod of their
page). Both are kept by difference from now on (articles.counts). Articles get a
covering index of the published ones (counting and paging them for the sitemap reads the
index alone) and an index of their last edits (the sitemap's latest change).
"""

from django.db import migrations, models
from django.db.models import (
    Count,
    DateTimeField,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Greatest


def fill(apps, schema_editor):
    """Fill the new fields as articles.counts.recount() computes them: one update per
    model, set-based."""
    Article = apps.get_model("articles", "Article")
    counted = Article.objects.filter(
        Q(issue__isnull=True) | Q(issue__status="published"), status="published"
    )
    for name, relation in (("Topic", "topics"), ("Section", "section"), ("Author", "authors")):
        theirs = counted.filter(**{relation: OuterRef("pk")}).order_by().values(relation)
        apps.get_model("articles", name).objects.update(
            published_count=Coalesce(
                Subquery(theirs.annotate(n=Count("pk")).values("n"), output_field=IntegerField()),
                Value(0),
            ),
            articles_changed_at=Subquery(
                theirs.annotate(at=Max(Greatest("updated_at", "published_at"))).values("at"),
                output_field=DateTimeField(),
            ),
        )


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0020_article_byline_topics_line"),
    ]

    operations = [
        migrations.AddField(
            model_name="author",
            name="published_count",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name="author",
            name="articles_changed_at",
            field=models.DateTimeField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="section",
            name="articles_changed_at",
            field=models.DateTimeField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="topic",
            name="articles_changed_at",
            field=models.DateTimeField(editable=False, null=True),
        ),
        migrations.AddIndex(
            model_name="article",
            index=models.Index(
                condition=Q(status="published"),
                fields=["id"],
                include=["issue", "published_at", "updated_at"],
                name="article_published_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="article",
            index=models.Index(fields=["-updated_at"], name="article_updated_desc_idx"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
