"""A phrase matches words side by side in one field only: the search document keeps its
fields, and each author's name and each topic's name, apart.

On PostgreSQL only. Concatenating tsvectors (`||`) shifts the right one's positions by the
left one's last, so the first word of one part stood right after the last word of the
previous one: the title's last word and the standfirst's first were "side by side", and the
topics, joined into one string before to_tsvector, ran together ("Ovarian Cancer Breast
Cancer" holds the phrase "cancer breast"). Now every part (title, standfirst, body, each
author's name, each topic's name) is a tsvector of its own, followed by FIELD_GAP positions
of nothing: no phrase a search can send (at most 200 characters, so under 100 words) spans
two parts. The documents are rebuilt.
"""

from django.db import migrations

FIELD_GAP = 100

FORWARD = f"""
CREATE AGGREGATE articles_search_concat(tsvector) (
  SFUNC = tsvector_concat, STYPE = tsvector, INITCOND = ''
);

-- The parts in order, each followed by a gap: a marker FIELD_GAP positions past the part's
-- last word (that the next part's positions then start after), removed at the end. Its
-- lexeme holds a space, which no parsed word does.
CREATE FUNCTION articles_search_apart(parts tsvector[]) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT ts_delete(coalesce(
    articles_search_concat(part || '''field gap'':{FIELD_GAP}'::tsvector ORDER BY n), ''),
    'field gap'::text)
  FROM unnest(parts) WITH ORDINALITY AS u(part, n)
$$;

CREATE OR REPLACE FUNCTION articles_search_document(a_id bigint, a_title text,
                                                    a_standfirst text, a_body text)
RETURNS tsvector LANGUAGE sql STABLE AS $$
  SELECT articles_search_apart(ARRAY[
      setweight(to_tsvector('english', coalesce(a_title, '')), 'A'),
      setweight(to_tsvector('english', coalesce(a_standfirst, '')), 'B'),
      setweight(to_tsvector('english', coalesce(a_body, '')), 'C')]
    || ARRAY(
      SELECT setweight(to_tsvector('english', au.given_name || ' ' || au.family_name), 'D')
      FROM articles_authorship s JOIN articles_author au ON au.id = s.author_id
      WHERE s.article_id = a_id ORDER BY s.position, s.id)
    || ARRAY(
      SELECT setweight(to_tsvector('english', t.name), 'D')
      FROM articles_article_topics at JOIN articles_topic t ON t.id = at.topic_id
      WHERE at.article_id = a_id ORDER BY t.name, t.id))
$$;

UPDATE articles_search s
SET document = articles_search_document(a.id, a.title, a.standfirst, a.body)
FROM articles_article a WHERE a.id = s.article_id;
"""

BACKWARD = """
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

UPDATE articles_search s
SET document = articles_search_document(a.id, a.title, a.standfirst, a.body)
FROM articles_article a WHERE a.id = s.article_id;

DROP FUNCTION articles_search_apart(tsvector[]);
DROP AGGREGATE articles_search_concat(tsvector);
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0024_search_filters_in_index"),
    ]

    operations = [migrations.RunPython(forward, backward)]
