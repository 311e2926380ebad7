"""A stored search document per article, kept up to date by triggers, with a GIN index.

On PostgreSQL only (SQLite searches without it). The document weighs the title (A), the
standfirst (B), the body (C), and the authors' names and the topics (D); triggers
recompute it when any of these change, in whichever table, so no write path can leave
it stale. The GIN index replaces migration 0003's index over an expression computed at
query time, and keeps its name.
"""

import django.contrib.postgres.search
from django.db import migrations

INDEX = "article_search_gin_idx"
OLD_DOCUMENT = (
    "(setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A')"
    " || setweight(to_tsvector('english'::regconfig, coalesce(standfirst, '')), 'B')"
    " || setweight(to_tsvector('english'::regconfig, coalesce(body, '')), 'C'))"
)

FORWARD = f"""
DROP INDEX IF EXISTS {INDEX};

CREATE FUNCTION articles_search_document(a_id bigint, a_title text, a_standfirst text,
                                         a_body text) RETURNS tsvector
LANGUAGE sql STABLE AS $$
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

CREATE FUNCTION articles_article_search_trigger() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.search_document := articles_search_document(NEW.id, NEW.title, NEW.standfirst, NEW.body);
  RETURN NEW;
END $$;

CREATE TRIGGER articles_article_search
BEFORE INSERT OR UPDATE OF title, standfirst, body ON articles_article
FOR EACH ROW EXECUTE FUNCTION articles_article_search_trigger();

CREATE FUNCTION articles_refresh_search(ids bigint[]) RETURNS void
LANGUAGE sql AS $$
  UPDATE articles_article
  SET search_document = articles_search_document(id, title, standfirst, body)
  WHERE id = ANY(ids)
$$;

-- Authorships and topic links: the articles they belong to, before and after.
CREATE FUNCTION articles_link_search_trigger() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    PERFORM articles_refresh_search(ARRAY[OLD.article_id]);
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    PERFORM articles_refresh_search(ARRAY[NEW.article_id]);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER articles_authorship_search
AFTER INSERT OR UPDATE OR DELETE ON articles_authorship
FOR EACH ROW EXECUTE FUNCTION articles_link_search_trigger();

CREATE TRIGGER articles_article_topics_search
AFTER INSERT OR UPDATE OR DELETE ON articles_article_topics
FOR EACH ROW EXECUTE FUNCTION articles_link_search_trigger();

-- A renamed author or topic: every article crediting or filed under it.
CREATE FUNCTION articles_author_search_trigger() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM articles_refresh_search(ARRAY(
    SELECT article_id FROM articles_authorship WHERE author_id = NEW.id));
  RETURN NULL;
END $$;

CREATE TRIGGER articles_author_search
AFTER UPDATE OF given_name, family_name ON articles_author
FOR EACH ROW WHEN (OLD.given_name IS DISTINCT FROM NEW.given_name
                   OR OLD.family_name IS DISTINCT FROM NEW.family_name)
EXECUTE FUNCTION articles_author_search_trigger();

CREATE FUNCTION articles_topic_search_trigger() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM articles_refresh_search(ARRAY(
    SELECT article_id FROM articles_article_topics WHERE topic_id = NEW.id));
  RETURN NULL;
END $$;

CREATE TRIGGER articles_topic_search
AFTER UPDATE OF name ON articles_topic
FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
EXECUTE FUNCTION articles_topic_search_trigger();

UPDATE articles_article
SET search_document = articles_search_document(id, title, standfirst, body);

CREATE INDEX {INDEX} ON articles_article USING gin (search_document);
"""

BACKWARD = f"""
DROP INDEX IF EXISTS {INDEX};
DROP TRIGGER IF EXISTS articles_topic_search ON articles_topic;
DROP TRIGGER IF EXISTS articles_author_search ON articles_author;
DROP TRIGGER IF EXISTS articles_article_topics_search ON articles_article_topics;
DROP TRIGGER IF EXISTS articles_authorship_search ON articles_authorship;
DROP TRIGGER IF EXISTS articles_article_search ON articles_article;
DROP FUNCTION IF EXISTS articles_topic_search_trigger();
DROP FUNCTION IF EXISTS articles_author_search_trigger();
DROP FUNCTION IF EXISTS articles_link_search_trigger();
DROP FUNCTION IF EXISTS articles_refresh_search(bigint[]);
DROP FUNCTION IF EXISTS articles_article_search_trigger();
DROP FUNCTION IF EXISTS articles_search_document(bigint, text, text, text);
CREATE INDEX {INDEX} ON articles_article USING gin ({OLD_DOCUMENT});
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0016_stored_topic_section_counts"),
    ]

    operations = [
        migrations.AddField(
            model_name="article",
            name="search_document",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.RunPython(forward, backward),
    ]
