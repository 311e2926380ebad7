"""Indexes for the subscribers' admin list at 100,000 subscribers: newest first, and a
trigram index for its search box (PostgreSQL only) over the one expression the admin
searches (subscriptions.admin.SUBSCRIBER_SEARCH_TEXT: the two must stay the same)."""

from django.db import migrations, models

SEARCH_TEXT = (
    "UPPER(email || ' ' || first_name || ' ' || last_name || ' ' || organization"
    " || ' ' || postal_code || ' ' || city)"
)
FORWARD = f"""
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX subscriber_search_trgm_idx ON subscriptions_subscriber
USING gin (({SEARCH_TEXT}) gin_trgm_ops);
"""
BACKWARD = "DROP INDEX IF EXISTS subscriber_search_trgm_idx;"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [
        ("subscriptions", "0008_unsubscribe_by_email"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="subscriber",
            index=models.Index(fields=["-created_at", "-id"], name="subscriber_newest_idx"),
        ),
        migrations.RunPython(forward, backward),
    ]
