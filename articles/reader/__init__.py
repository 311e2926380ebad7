"""The public read side: what readers see and what machines read of the site's pages.

views              the reader pages: thin views over published() and for_listing()
feeds              RSS and Atom feeds
sitemaps           sitemap.xml and its sections
metadata           page metadata: Scholar tags, JSON-LD, citations
paging             pages of long lists that cost the same at any depth
context_processors the primary journal every page shows
prepared           prepared statements for the reader pages (PostgreSQL)
public             what other apps may use of the public side
search             the search page: query parser, PostgreSQL and SQLite engines, facets

The stored copies these pages read are kept in articles.derived.
"""
