"""Derived data: every value the site stores that is computed from other rows.

declarations  what each copy is, what it is derived from, how it is recomputed and kept
hub           the one mechanism that keeps them all (model signals + KeptQuerySet)
writes        KeptQuerySet: raw QuerySet writes report to the hub
locks         the row locks a copy's writer takes, in one order
search_queue  search rows a rename named in many articles queued, rewritten by the worker
cards         bylines, topic lines and the article page's copies of authors and topics
counts        live-article counts and dates of topics, sections and authors
related       the ranked related-items lists
records       the record datestamp of each article (OAI-PMH, JATS, Crossref, feeds, ...)
verify        recompute everything, report drift, repair (manage.py check_derived)
pagecache     whole pages, tagged with what they show: an edit cools only those pages

See docs/derived-data.md.
"""
