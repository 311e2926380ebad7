"""The search index's vocabulary, for "did you mean" (PostgreSQL only).

articles_search_word holds every lexeme of the stored search documents with the number of
documents holding it, kept by statement-level triggers on articles_search (set-based: a
bulk insert of many documents costs one grouped pass), with a trigram index for the
nearest spelling (pg_trgm, created by 0018). It counts every document, live or not: a
suggestion is shown only when the corrected search finds a published article.
"""

from django.db import migrations

FORWARD = """
CREATE TABLE articles_search_word (
  word text PRIMARY KEY,
  ndoc integer NOT NULL
);

-- The change of each word's count, applied in word order (so that concurrent writers lock
-- the vocabulary's rows in one order); words no document holds any more are removed.
CREATE FUNCTION articles_search_words_apply(delta jsonb) RETURNS void
LANGUAGE sql AS $$
  INSERT INTO articles_search_word AS w (word, ndoc)
  SELECT key, value::int FROM jsonb_each_text(delta) ORDER BY key
  ON CONFLICT (word) DO UPDATE SET ndoc = w.ndoc + excluded.ndoc;
  DELETE FROM articles_search_word
  WHERE word IN (SELECT key FROM jsonb_each_text(delta)) AND ndoc <= 0;
$$;

CREATE FUNCTION articles_search_words_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  delta jsonb;
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    TRUNCATE articles_search_word;
    RETURN NULL;
  ELSIF TG_OP = 'INSERT' THEN
    SELECT jsonb_object_agg(word, n) INTO delta FROM (
      SELECT l AS word, count(*) AS n
      FROM new_rows r CROSS JOIN unnest(tsvector_to_array(r.document)) l GROUP BY l) c;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT jsonb_object_agg(word, -n) INTO delta FROM (
      SELECT l AS word, count(*) AS n
      FROM old_rows r CROSS JOIN unnest(tsvector_to_array(r.document)) l GROUP BY l) c;
  ELSE
    SELECT jsonb_object_agg(word, n) INTO delta FROM (
      SELECT word, sum(d) AS n FROM (
        SELECT l AS word, 1 AS d
        FROM new_rows r CROSS JOIN unnest(tsvector_to_array(r.document)) l
        UNION ALL
        SELECT l, -1 FROM old_rows r CROSS JOIN unnest(tsvector_to_array(r.document)) l
      ) x GROUP BY word HAVING sum(d) <> 0) c;
  END IF;
  IF delta IS NOT NULL THEN
    PERFORM articles_search_words_apply(delta);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER articles_search_words_inserted AFTER INSERT ON articles_search
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION articles_search_words_changed();
CREATE TRIGGER articles_search_words_updated AFTER UPDATE ON articles_search
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION articles_search_words_changed();
CREATE TRIGGER articles_search_words_deleted AFTER DELETE ON articles_search
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
  EXECUTE FUNCTION articles_search_words_changed();
CREATE TRIGGER articles_search_words_truncated AFTER TRUNCATE ON articles_search
  FOR EACH STATEMENT EXECUTE FUNCTION articles_search_words_changed();

INSERT INTO articles_search_word (word, ndoc)
SELECT l, count(*) FROM articles_search s CROSS JOIN unnest(tsvector_to_array(s.document)) l
GROUP BY l;

CREATE INDEX articles_search_word_trgm_idx ON articles_search_word USING gin (word gin_trgm_ops);
"""

BACKWARD = """
DROP TRIGGER IF EXISTS articles_search_words_inserted ON articles_search;
DROP TRIGGER IF EXISTS articles_search_words_updated ON articles_search;
DROP TRIGGER IF EXISTS articles_search_words_deleted ON articles_search;
DROP TRIGGER IF EXISTS articles_search_words_truncated ON articles_search;
DROP FUNCTION IF EXISTS articles_search_words_changed();
DROP FUNCTION IF EXISTS articles_search_words_apply(jsonb);
DROP TABLE IF EXISTS articles_search_word;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("articles", "0032_search_entry_model")]
    operations = [migrations.RunPython(forward, backward, elidable=False)]
