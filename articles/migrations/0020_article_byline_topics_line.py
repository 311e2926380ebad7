from collections import defaultdict

from django.db import migrations, models

CHUNK = 2000


def _display_name(given: str, family: str, credentials: str) -> str:
    # As Author.display_name prints it (historical models have no properties).
    name = f"{given} {family}".strip()
    return f"{name}, {credentials}" if credentials else name


def store_lines(apps, schema_editor):
    """Store every article's byline and topic names, as articles.cards keeps them."""
    Article = apps.get_model("articles", "Article")
    Authorship = apps.get_model("articles", "Authorship")
    ArticleTopic = apps.get_model("articles", "ArticleTopic")
    ids = list(Article.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        authors, topics = defaultdict(list), defaultdict(list)
        for pk, given, family, credentials in (
            Authorship.objects.filter(article_id__in=chunk)
            .order_by("article_id", "position", "pk")
            .values_list(
                "article_id", "author__given_name", "author__family_name", "author__credentials"
            )
        ):
            authors[pk].append(_display_name(given, family, credentials))
        for pk, name in (
            ArticleTopic.objects.filter(article_id__in=chunk)
            .order_by("article_id", "position", "topic__name")
            .values_list("article_id", "topic__name")
        ):
            topics[pk].append(name)
        Article.objects.bulk_update(
            [
                Article(pk=pk, byline=", ".join(authors[pk]), topics_line=", ".join(topics[pk]))
                for pk in chunk
                if authors[pk] or topics[pk]
            ],
            ["byline", "topics_line"],
            batch_size=500,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0019_search_table"),
    ]

    operations = [
        migrations.AddField(
            model_name="article",
            name="byline",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.AddField(
            model_name="article",
            name="topics_line",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.RunPython(store_lines, migrations.RunPython.noop),
    ]
