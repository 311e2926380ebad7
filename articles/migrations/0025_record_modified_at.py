"""Each article's record datestamp (articles.derived.records), and the dates of the
topics and sections it is computed from.

On PostgreSQL, the search document joins the authors' and topics' names in their order
(it joined them in whatever order the rows came, so two computations of one article's
document could differ and no verifier could tell a stale one from a fresh one). Stored
documents keep their order until their article is next written, or check_derived
--repair rewrites them.

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


DETERMINISTIC_DOCUMENT = """
CREATE OR REPLACE FUNCTION articles_search_document(a_id bigint, a_title text,
                                                   a_standfirst text, a_body text)
RETURNS tsvector LANGUAGE sql STABLE AS $$
  SELECT setweight(to_tsvector('english', coalesce(a_title, '')), 'A')
      || setweight(to_tsvector('english', coalesce(a_standfirst, '')), 'B')
      || setweight(to_tsvector('english', coalesce(a_body, '')), 'C')
      || setweight(to_tsvector('english', coalesce((
           SELECT string_agg(au.given_name || ' ' || au.family_name, ' '
                             ORDER BY s.position, s.id)
           FROM articles_authorship s JOIN articles_author au ON au.id = s.author_id
           WHERE s.article_id = a_id), '')), 'D')
      || setweight(to_tsvector('english', coalesce((
           SELECT string_agg(t.name, ' ' ORDER BY at.position, at.id)
           FROM articles_article_topics at JOIN articles_topic t ON t.id = at.topic_id
           WHERE at.article_id = a_id), '')), 'D')
$$;
"""

UNORDERED_DOCUMENT = """
CREATE OR REPLACE FUNCTION articles_search_document(a_id bigint, a_title text,
                                                   a_standfirst text, a_body text)
RETURNS tsvector LANGUAGE sql STABLE AS $$
  SELECT setweight(to_tsvector('english', coalesce(a_title, '')), 'A')
      || setweight(to_tsvector('english', coalesce(a_standfirst, '')), 'B')
      || setweight(to_tsvector('english', coalesce(a_body, '')), 'C')
      || setweight(to_tsvector('english', coalesce((
           SELECT string_agg(au.given_name || ' ' || au.family_name, ' ')
           FROM articles_authorship s JOIN articles_author au ON au.id = s.author_id
           WHERE s.article_id = a_id), '')), 'D')
      || setweight(to_tsvector('english', coalesce((
           SELECT string_agg(t.name, ' ')
           FROM articles_article_topics at JOIN articles_topic t ON t.id = at.topic_id
           WHERE at.article_id = a_id), '')), 'D')
$$;
"""


def ordered_document(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DETERMINISTIC_DOCUMENT)


def unordered_document(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNORDERED_DOCUMENT)


class Migration(migrations.Migration):
    dependencies = [("articles", "0024_search_filters_in_index")]

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
        migrations.RunPython(ordered_document, unordered_document),
        migrations.AddIndex(
            model_name="article",
            index=models.Index(fields=["record_modified_at"], name="article_record_modified_idx"),
        ),
    ]
