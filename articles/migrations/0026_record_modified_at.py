"""Each article's record datestamp (articles.derived.records), and the dates of the
topics and sections it is computed from.

(The search document's names come in a fixed order since 0025, so the verifier can
compare a stored document with a fresh one.)

Topics and sections had no date of their own: theirs starts as the last change of their
live articles (the date their pages' sitemap entries already gave), else now. Each
article's record is then dated by the latest of its own change and those of the rows its
record shows, so no record looks changed by the migration itself.
"""

import django.utils.timezone
from django.db import migrations, models
from django.db.models import DateTimeField, Max, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, Greatest


def fill(apps, schema_editor):
    Article = apps.get_model("articles", "Article")
    Authorship = apps.get_model("articles", "Authorship")
    ArticleTopic = apps.get_model("articles", "ArticleTopic")
    Issue = apps.get_model("articles", "Issue")
    Section = apps.get_model("articles", "Section")
    Topic = apps.get_model("articles", "Topic")
    now = django.utils.timezone.now()
    for model in (Topic, Section):
        model.objects.update(updated_at=Coalesce("articles_changed_at", Value(now)))

    def one(queryset, field):
        return Subquery(queryset.values(field)[:1], output_field=DateTimeField())

    def latest(link, field):
        rows = (
            link.objects.filter(article_id=OuterRef("pk"))
            .order_by()
            .values("article_id")
            .annotate(at=Max(f"{field}__updated_at"))
            .values("at")
        )
        return Subquery(rows, output_field=DateTimeField())

    Article.objects.update(
        record_modified_at=Greatest(
            "updated_at",
            Coalesce(one(Issue.objects.filter(pk=OuterRef("issue_id")), "updated_at"), "updated_at"),
            Coalesce(
                one(Issue.objects.filter(pk=OuterRef("issue_id")), "journal__updated_at"),
                "updated_at",
            ),
            Coalesce(one(Section.objects.filter(pk=OuterRef("section_id")), "updated_at"), "updated_at"),
            Coalesce(latest(Authorship, "author"), "updated_at"),
            Coalesce(latest(ArticleTopic, "topic"), "updated_at"),
        )
    )


class Migration(migrations.Migration):
    dependencies = [("articles", "0025_search_fields_apart")]

    operations = [
        migrations.AddField(
            model_name="section",
            name="updated_at",
            field=models.DateTimeField(auto_now=True),
        ),
        migrations.AddField(
            model_name="topic",
            name="updated_at",
            field=models.DateTimeField(auto_now=True),
        ),
        migrations.AddField(
            model_name="article",
            name="record_modified_at",
            field=models.DateTimeField(auto_now=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="article",
            index=models.Index(fields=["record_modified_at"], name="article_record_modified_idx"),
        ),
    ]
