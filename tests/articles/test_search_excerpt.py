"""The search row's excerpt (migrations 0035 and 0037) reads only the text's start, and
gives what 0019's function, which read the whole text, gave: compared on texts built to
break it (a tag cut where the head ends, a run of spaces across it, a stray "<", a head of
mostly markup, a standfirst longer than the head, short texts)."""

import random

import pytest
from django.db import connection

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the search table is PostgreSQL's"
    ),
]

WHOLE_TEXT = """
SELECT left(btrim(regexp_replace(regexp_replace(
    coalesce(%(standfirst)s, '') || ' ' || coalesce(%(body)s, ''),
    '<[^>]*>', ' ', 'g'), '\\s+', ' ', 'g')), 1500)
"""
HEAD = 2000  # migration 0037's


def texts(rng: random.Random):
    words = ["cancer", "dose", "<p>", "</p>", '<a href="/x">', "</a>", " ", "\n\t ", "<", ">"]
    yield None, None
    yield "", "<p>Short.</p>"
    yield "A standfirst.", None
    for _ in range(60):
        parts, size = [], rng.choice([200, 1500, HEAD - 40, HEAD, HEAD + 40, 12000])
        while sum(map(len, parts)) < size:
            parts.append(rng.choice(words) if rng.random() < 0.5 else "word ")
        yield rng.choice(["", "Standfirst <em>with</em> markup."]), "".join(parts)
    # A tag that the head cuts in two, at every offset around the cut, after markup that
    # leaves the cut within the excerpt's 1,500 characters.
    for offset in range(-24, 4):
        markup = HEAD - len("Lead. ") - 1490 + offset
        text = "<i></i>" * (markup // 7) + " " * (markup % 7) + "x" * 1490
        yield "Lead.", text + '<span class="long">' + "y " * 1000
    # Mostly markup at the start: the head leaves fewer than 1,500 characters.
    yield "", "<b></b>" * 1500 + "z " * 2000
    yield "", "<p>a stray < sign and no closing bracket " + "w " * 4000
    yield "", " " * (HEAD - 1) + "   spaces across the head's end " + "v " * 2000
    yield "A long standfirst " * 200, "<p>" + "u " * 2000  # the head is all standfirst
    yield "<em>" * (HEAD // 4 - 1) + "<em", "t " * 2000  # a tag cut in the standfirst


def test_the_excerpt_from_the_head_equals_the_one_from_the_whole_text():
    with connection.cursor() as cursor:
        for standfirst, body in texts(random.Random(35)):
            params = {"standfirst": standfirst, "body": body}
            cursor.execute("SELECT articles_search_excerpt(%(standfirst)s, %(body)s)", params)
            (head,) = cursor.fetchone()
            cursor.execute(WHOLE_TEXT, params)
            (whole,) = cursor.fetchone()
            assert head == whole, (standfirst, (body or "")[:200])
