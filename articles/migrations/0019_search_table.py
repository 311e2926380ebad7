"""The search document moves to a narrow table of its own, beside a plain-text excerpt.

On PostgreSQL only (SQLite searches without it). In articles_article the document was
stored out of line (the row, with body and body_html, is over the 2 kB TOAST threshold),
so every match checked or ranked cost a TOAST fetch, and a search walked the wide rows.
articles_search holds, per article, only what a search reads: the publish fields it
filters on (mirrored from the article by trigger), the weighted document (title A,
standfirst B, body C, authors' names and topics D, as before) kept in the row
(STORAGE MAIN: compressed or moved out only past a page's size), and a plain-text
excerpt (standfirst and body, tags removed, first EXCERPT_CHARS characters) from which
ts_headline cuts the shown rows' snippets instead of parsing whole bodies.

Triggers keep it exact on every write path: an article's insert, update, delete or
truncation; an authorship or topic link added, changed or removed; an author or topic
renamed.
"""

from django.db import migrations

EXCERPT_CHARS = 1500
OLD_INDEX = "article_search_gin_idx"

FORWARD = f"""
DROP TRIGGER IF EXISTS articles_article_search ON articles_article;
DROP FUNCTION IF EXISTS articles_article_search_trigger();
DROP INDEX IF EXISTS {OLD_INDEX};

CREATE TABLE articles_search (
  article_id bigint PRIMARY KEY,
  status varchar(10) NOT NULL,
  published_at timestamptz,
  issue_id bigint,
  section_id bigint,
  document tsvector NOT NULL,
  excerpt text NOT NULL
);
ALTER TABLE articles_search ALTER COLUMN document SET STORAGE MAIN;
ALTER TABLE articles_search ALTER COLUMN excerpt SET STORAGE EXTERNAL;

CREATE FUNCTION articles_search_excerpt(a_standfirst text, a_body text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT left(btrim(regexp_replace(regexp_replace(
      coalesce(a_standfirst, '') || ' ' || coalesce(a_body, ''),
      '<[^>]*>', ' ', 'g'), '\\s+', ' ', 'g')), {EXCERPT_CHARS})
$$;

CREATE FUNCTION articles_article_search_trigger() RETURNS trigger
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

CREATE TRIGGER articles_article_search
AFTER INSERT OR UPDATE OR DELETE ON articles_article
FOR EACH ROW EXECUTE FUNCTION articles_article_search_trigger();

CREATE FUNCTION articles_article_truncate_search() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE articles_search;
  RETURN NULL;
END $$;

CREATE TRIGGER articles_article_truncate_search
AFTER TRUNCATE ON articles_article
FOR EACH STATEMENT EXECUTE FUNCTION articles_article_truncate_search();

-- Authorships, topic links, renamed authors and topics (migration 0017's triggers) call
-- this: it now rewrites the documents in articles_search.
CREATE OR REPLACE FUNCTION articles_refresh_search(ids bigint[]) RETURNS void
LANGUAGE sql AS $$
  UPDATE articles_search s
  SET document = articles_search_document(a.id, a.title, a.standfirst, a.body)
  FROM articles_article a
  WHERE a.id = s.article_id AND s.article_id = ANY(ids)
$$;

INSERT INTO articles_search
  (article_id, status, published_at, issue_id, section_id, document, excerpt)
SELECT id, status, published_at, issue_id, section_id,
       coalesce(search_document, articles_search_document(id, title, standfirst, body)),
       articles_search_excerpt(standfirst, body)
FROM articles_article;

CREATE INDEX articles_search_document_idx ON articles_search USING gin (document);
CREATE INDEX articles_search_newest_idx ON articles_search (published_at DESC, article_id DESC)
  WHERE status = 'published';
ANALYZE articles_search;
"""

BACKWARD = f"""
DROP TRIGGER IF EXISTS articles_article_truncate_search ON articles_article;
DROP TRIGGER IF EXISTS articles_article_search ON articles_article;
DROP FUNCTION IF EXISTS articles_article_truncate_search();
DROP FUNCTION IF EXISTS articles_article_search_trigger();
DROP FUNCTION IF EXISTS articles_search_excerpt(text, text);

UPDATE articles_article a SET search_document = s.document
FROM articles_search s WHERE s.article_id = a.id;
DROP TABLE articles_search;

CREATE OR REPLACE FUNCTION articles_refresh_search(ids bigint[]) RETURNS void
LANGUAGE sql AS $$
  UPDATE articles_article
  SET search_document = articles_search_document(id, title, standfirst, body)
  WHERE id = ANY(ids)
$$;

CREATE FUNCTION articles_article_search_trigger() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.search_document := articles_search_document(NEW.id, NEW.title, NEW.standfirst, NEW.body);
  RETURN NEW;
END $$;

CREATE TRIGGER articles_article_search
BEFORE INSERT OR UPDATE OF title, standfirst, body ON articles_article
FOR EACH ROW EXECUTE FUNCTION articles_article_search_trigger();

CREATE INDEX {OLD_INDEX} ON articles_article USING gin (search_document);
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0018_admin_search_indexes"),
    ]

    operations = [
        migrations.RunPython(forward, backward),
        migrations.RemoveField(model_name="article", name="search_document"),
    ]
