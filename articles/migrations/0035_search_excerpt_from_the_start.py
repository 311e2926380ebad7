"""The search row's excerpt (the first EXCERPT_CHARS characters of the standfirst and body,
tags removed, spaces collapsed) is computed from the text's start only (PostgreSQL only).

0019's function ran its two regular expressions over the whole body, 20-40 kB for a
research article: about 4 ms an article on real text, as much as parsing the body for the
search document, on every save and in every `check_derived`. Now they run over the first
HEAD characters, with a tag cut at that point dropped; when that leaves more than
EXCERPT_CHARS characters, their first EXCERPT_CHARS are the whole text's (tags removed
from the head are removed from the whole text, the text between them is the same, and a
run of spaces collapses alike), else (a head of mostly markup) the whole text is read as
before. The same result for every input; stored excerpts stay as they are.
"""

from django.db import migrations

EXCERPT_CHARS = 1500  # as 0019
HEAD = 4 * EXCERPT_CHARS

FORWARD = f"""
CREATE OR REPLACE FUNCTION articles_search_excerpt(a_standfirst text, a_body text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  WITH t(whole) AS (SELECT coalesce(a_standfirst, '') || ' ' || coalesce(a_body, '')),
  h(head) AS (
    SELECT left(btrim(regexp_replace(regexp_replace(regexp_replace(
        left(whole, {HEAD}), '<[^>]*$', ''), '<[^>]*>', ' ', 'g'), '\\s+', ' ', 'g')),
      {EXCERPT_CHARS} + 1)
    FROM t)
  SELECT CASE WHEN length(head) > {EXCERPT_CHARS} THEN left(head, {EXCERPT_CHARS})
    ELSE left(btrim(regexp_replace(regexp_replace(whole, '<[^>]*>', ' ', 'g'),
                                   '\\s+', ' ', 'g')), {EXCERPT_CHARS}) END
  FROM t, h
$$;
"""

BACKWARD = f"""
CREATE OR REPLACE FUNCTION articles_search_excerpt(a_standfirst text, a_body text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT left(btrim(regexp_replace(regexp_replace(
      coalesce(a_standfirst, '') || ' ' || coalesce(a_body, ''),
      '<[^>]*>', ' ', 'g'), '\\s+', ' ', 'g')), {EXCERPT_CHARS})
$$;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("articles", "0034_search_rum_index")]
    operations = [migrations.RunPython(forward, backward, elidable=False)]
