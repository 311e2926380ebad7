"""A rename of an author or a topic named in more than SEARCH_NOW_MAX articles queues
their search rows for rewriting instead of rewriting them in the renaming statement
(PostgreSQL only).

Each rewritten row is a new row version, and the RUM index (0034) takes every lexeme of
its document again, one by one (it has no pending list, as GIN's fastupdate has): about
23 ms an article on the benchmark's realistic text, so a topic filed under 7,282
articles took 187 s to rename, past any request's timeout (17.6 s without the index).
Queued rows (articles_search_pending) are rewritten by the task worker in batches, each
in its own transaction under the hub's locks (articles.derived.search_queue), within a
minute; until then they hold the old name. The setting jhop.search_now_max (a session or
transaction setting) changes the limit.
"""

from django.db import migrations

SEARCH_NOW_MAX = 200

# The rename triggers of 0017, calling `refresh` with the ids of the articles named.
TRIGGERS = """
CREATE OR REPLACE FUNCTION articles_author_search_trigger() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM {refresh}(ARRAY(
    SELECT article_id FROM articles_authorship WHERE author_id = NEW.id));
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION articles_topic_search_trigger() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM {refresh}(ARRAY(
    SELECT article_id FROM articles_article_topics WHERE topic_id = NEW.id));
  RETURN NULL;
END $$;
"""

FORWARD = f"""
CREATE TABLE articles_search_pending (
  article_id bigint PRIMARY KEY,
  queued_at timestamptz NOT NULL DEFAULT now()
);

CREATE OR REPLACE FUNCTION articles_refresh_search_soon(ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF cardinality(ids) <= coalesce(
      nullif(current_setting('jhop.search_now_max', true), '')::int, {SEARCH_NOW_MAX}) THEN
    PERFORM articles_refresh_search(ids);
  ELSE
    -- DO UPDATE, not DO NOTHING: the row stays locked until this rename commits, so a
    -- queue runner cannot take it and rewrite the article with the name before it.
    INSERT INTO articles_search_pending AS q (article_id)
    SELECT DISTINCT unnest(ids)
    ON CONFLICT (article_id) DO UPDATE SET queued_at = excluded.queued_at;
  END IF;
END $$;

{TRIGGERS.format(refresh="articles_refresh_search_soon")}"""

BACKWARD = f"""
{TRIGGERS.format(refresh="articles_refresh_search")}
SELECT articles_refresh_search(ARRAY(SELECT article_id FROM articles_search_pending));
DROP FUNCTION articles_refresh_search_soon(bigint[]);
DROP TABLE articles_search_pending;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("articles", "0038_verified_copies")]
    operations = [migrations.RunPython(forward, backward, elidable=False)]
