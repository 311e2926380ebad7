"""A change of an article's authors or topics (a link, or a rename) writes its search
document again without parsing the article's text (PostgreSQL only).

articles_refresh_search, which the link, author and topic triggers and the hub call,
computed the whole document again: on real text a topic filed under thousands of articles
took minutes to rename (each body, 20-40 kB, parsed again), past the app server's timeout.
The document is the title (weight A), standfirst (B) and body (C), then each author's and
topic's name (D), each part followed by a gap (0025). The first three are the stored
document's A, B and C positions, unchanged by a names' change; the names' part starts
where the gap after the body ended, which follows from the last A, B or C position (an
empty part adds only its gap). So the document is its stored A-C part, a gap to that
point, then the names parsed now (one copy of the large part, where 0025's function
concatenated it once per name). Where a position nears tsvector's cap (16,383), where
positions stop being exact, the document is computed from the text as before.
tests/articles/test_search_reassemble.py checks that both ways give the same document.
"""

from django.db import migrations

FIELD_GAP = 100  # as 0025
CAP = 16000

FORWARD = f"""
CREATE FUNCTION articles_search_names(a_id bigint) RETURNS tsvector[]
LANGUAGE sql STABLE AS $$
  SELECT ARRAY(
      SELECT setweight(to_tsvector('english', au.given_name || ' ' || au.family_name), 'D')
      FROM articles_authorship s JOIN articles_author au ON au.id = s.author_id
      WHERE s.article_id = a_id ORDER BY s.position, s.id)
    || ARRAY(
      SELECT setweight(to_tsvector('english', t.name), 'D')
      FROM articles_article_topics at JOIN articles_topic t ON t.id = at.topic_id
      WHERE at.article_id = a_id ORDER BY t.name, t.id)
$$;

-- The document with the names parsed now and the text's part as stored; NULL near the cap.
-- The text's part ends at its last position; the gaps after it are one per part from the
-- one holding that position (C: the body's; B: the standfirst's and the body's; A, or no
-- text at all: three), so a code of the weight (C 1, B 2, A 3) counts them.
CREATE FUNCTION articles_search_reassemble(stored tsvector, a_id bigint) RETURNS tsvector
LANGUAGE sql STABLE AS $$
  WITH own AS (SELECT ts_filter(stored, '{{a,b,c}}') AS v),
  last AS (
    SELECT coalesce(max(u.positions[cardinality(u.positions)] * 4
      + CASE u.weights[cardinality(u.weights)] WHEN 'C' THEN 1 WHEN 'B' THEN 2 ELSE 3 END),
      3) AS code
    FROM own, unnest(own.v) AS u
  )
  SELECT CASE WHEN code / 4 >= {CAP} THEN NULL ELSE ts_delete(
      own.v || ('''field gap'':' || mod(code, 4) * {FIELD_GAP})::tsvector
      || coalesce((SELECT articles_search_concat(part || '''field gap'':{FIELD_GAP}'::tsvector
                                                  ORDER BY n)
                   FROM unnest(articles_search_names(a_id)) WITH ORDINALITY AS u(part, n)), ''),
      'field gap'::text) END
  FROM own, last
$$;

CREATE OR REPLACE FUNCTION articles_refresh_search(ids bigint[]) RETURNS void
LANGUAGE sql AS $$
  UPDATE articles_search s
  SET document = coalesce(articles_search_reassemble(s.document, a.id),
                          articles_search_document(a.id, a.title, a.standfirst, a.body)),
      topic_ids = articles_search_topic_ids(a.id)
  FROM articles_article a
  WHERE a.id = s.article_id AND s.article_id = ANY(ids)
$$;
"""

BACKWARD = """
CREATE OR REPLACE FUNCTION articles_refresh_search(ids bigint[]) RETURNS void
LANGUAGE sql AS $$
  UPDATE articles_search s
  SET document = articles_search_document(a.id, a.title, a.standfirst, a.body),
      topic_ids = articles_search_topic_ids(a.id)
  FROM articles_article a
  WHERE a.id = s.article_id AND s.article_id = ANY(ids)
$$;
DROP FUNCTION articles_search_reassemble(tsvector, bigint);
DROP FUNCTION articles_search_names(bigint);
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("articles", "0035_search_excerpt_from_the_start")]
    operations = [migrations.RunPython(forward, backward, elidable=False)]
