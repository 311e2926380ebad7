"""The search table learns each article's topics, and its newest-first index carries what the
filters test, so that a filtered search walks the index alone.

On PostgreSQL only. articles_search gains topic_ids (the article's topics, kept by the
same triggers that keep the document: an article inserted, a topic link added, changed or
removed). articles_search_newest_idx (published_at, article_id; published articles)
now INCLUDEs issue_id, section_id and topic_ids: a search filtered by topic, section or
year, or a list with no words, reads the index only (an index-only scan) until it has
the rows it needs, and reads the wide row (with the document) of those rows alone. A
section-first index does for a section what the newest-first index does for the whole
archive (a section's newest articles, and their count, without walking the others). No
parallel workers scan the table: a search reads a few thousand rows at most.
"""

from django.db import migrations

FORWARD = """
ALTER TABLE articles_search ADD COLUMN topic_ids bigint[] NOT NULL DEFAULT '{}';

CREATE FUNCTION articles_search_topic_ids(a_id bigint) RETURNS bigint[]
LANGUAGE sql STABLE AS $$
  SELECT coalesce(array_agg(topic_id ORDER BY topic_id), '{}')
  FROM articles_article_topics WHERE article_id = a_id
$$;

CREATE OR REPLACE FUNCTION articles_refresh_search(ids bigint[]) RETURNS void
LANGUAGE sql AS $$
  UPDATE articles_search s
  SET document = articles_search_document(a.id, a.title, a.standfirst, a.body),
      topic_ids = articles_search_topic_ids(a.id)
  FROM articles_article a
  WHERE a.id = s.article_id AND s.article_id = ANY(ids)
$$;

CREATE OR REPLACE FUNCTION articles_article_search_trigger() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    DELETE FROM articles_search WHERE article_id = OLD.id;
    RETURN NULL;
  END IF;
  IF TG_OP = 'UPDATE' AND NEW.id = OLD.id
     AND NEW.title IS NOT DISTINCT FROM OLD.title
     AND NEW.standfirst IS NOT DISTINCT FROM OLD.standfirst
     AND NEW.body IS NOT DISTINCT FROM OLD.body THEN
    -- The text is unchanged: mirror the publish fields if they changed.
    UPDATE articles_search
    SET status = NEW.status, published_at = NEW.published_at,
        issue_id = NEW.issue_id, section_id = NEW.section_id
    WHERE article_id = NEW.id
      AND (status, published_at, issue_id, section_id)
          IS DISTINCT FROM (NEW.status, NEW.published_at, NEW.issue_id, NEW.section_id);
    IF FOUND OR EXISTS (SELECT 1 FROM articles_search WHERE article_id = NEW.id) THEN
      RETURN NULL;
    END IF;
  END IF;
  IF TG_OP = 'UPDATE' AND NEW.id <> OLD.id THEN
    DELETE FROM articles_search WHERE article_id = OLD.id;
  END IF;
  INSERT INTO articles_search AS s
    (article_id, status, published_at, issue_id, section_id, document, excerpt, topic_ids)
  VALUES (NEW.id, NEW.status, NEW.published_at, NEW.issue_id, NEW.section_id,
          articles_search_document(NEW.id, NEW.title, NEW.standfirst, NEW.body),
          articles_search_excerpt(NEW.standfirst, NEW.body),
          articles_search_topic_ids(NEW.id))
  ON CONFLICT (article_id) DO UPDATE
  SET status = EXCLUDED.status, published_at = EXCLUDED.published_at,
      issue_id = EXCLUDED.issue_id, section_id = EXCLUDED.section_id,
      document = EXCLUDED.document, excerpt = EXCLUDED.excerpt,
      topic_ids = EXCLUDED.topic_ids;
  RETURN NULL;
END $$;

UPDATE articles_search s SET topic_ids = t.ids
FROM (SELECT article_id, array_agg(topic_id ORDER BY topic_id) AS ids
      FROM articles_article_topics GROUP BY article_id) t
WHERE t.article_id = s.article_id;

DROP INDEX articles_search_newest_idx;
CREATE INDEX articles_search_newest_idx ON articles_search (published_at DESC, article_id DESC)
  INCLUDE (issue_id, section_id, topic_ids) WHERE status = 'published';
CREATE INDEX articles_search_section_idx
  ON articles_search (section_id, published_at DESC, article_id DESC)
  INCLUDE (issue_id, topic_ids) WHERE status = 'published';
-- A search reads a few thousand rows at most: two parallel workers cost more than they
-- save, and run outside the backend whose CPU the benchmark reads.
ALTER TABLE articles_search SET (parallel_workers = 0);
ANALYZE articles_search;
"""

BACKWARD = """
ALTER TABLE articles_search RESET (parallel_workers);
DROP INDEX IF EXISTS articles_search_section_idx;
DROP INDEX articles_search_newest_idx;
CREATE INDEX articles_search_newest_idx ON articles_search (published_at DESC, article_id DESC)
  WHERE status = 'published';

CREATE OR REPLACE FUNCTION articles_refresh_search(ids bigint[]) RETURNS void
LANGUAGE sql AS $$
  UPDATE articles_search s
  SET document = articles_search_document(a.id, a.title, a.standfirst, a.body)
  FROM articles_article a
  WHERE a.id = s.article_id AND s.article_id = ANY(ids)
$$;

CREATE OR REPLACE FUNCTION articles_article_search_trigger() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    DELETE FROM articles_search WHERE article_id = OLD.id;
    RETURN NULL;
  END IF;
  IF TG_OP = 'UPDATE' AND NEW.id = OLD.id
     AND NEW.title IS NOT DISTINCT FROM OLD.title
     AND NEW.standfirst IS NOT DISTINCT FROM OLD.standfirst
     AND NEW.body IS NOT DISTINCT FROM OLD.body THEN
    UPDATE articles_search
    SET status = NEW.status, published_at = NEW.published_at,
        issue_id = NEW.issue_id, section_id = NEW.section_id
    WHERE article_id = NEW.id
      AND (status, published_at, issue_id, section_id)
          IS DISTINCT FROM (NEW.status, NEW.published_at, NEW.issue_id, NEW.section_id);
    IF FOUND OR EXISTS (SELECT 1 FROM articles_search WHERE article_id = NEW.id) THEN
      RETURN NULL;
    END IF;
  END IF;
  IF TG_OP = 'UPDATE' AND NEW.id <> OLD.id THEN
    DELETE FROM articles_search WHERE article_id = OLD.id;
  END IF;
  INSERT INTO articles_search AS s
    (article_id, status, published_at, issue_id, section_id, document, excerpt)
  VALUES (NEW.id, NEW.status, NEW.published_at, NEW.issue_id, NEW.section_id,
          articles_search_document(NEW.id, NEW.title, NEW.standfirst, NEW.body),
          articles_search_excerpt(NEW.standfirst, NEW.body))
  ON CONFLICT (article_id) DO UPDATE
  SET status = EXCLUDED.status, published_at = EXCLUDED.published_at,
      issue_id = EXCLUDED.issue_id, section_id = EXCLUDED.section_id,
      document = EXCLUDED.document, excerpt = EXCLUDED.excerpt;
  RETURN NULL;
END $$;

DROP FUNCTION IF EXISTS articles_search_topic_ids(bigint);
ALTER TABLE articles_search DROP COLUMN topic_ids;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0023_article_authors_topics_data"),
    ]

    operations = [migrations.RunPython(forward, backward)]
