"""What other apps may tell the journal's public pages, and hear from them.

Pages name what they show with cache tags (``article:12``, ``topic:5``, ``list:home``,
…; ``EVERY_PAGE`` is on every page): see docs/page-cache.md. Another app whose data a page
shows (the signup box, on every page) sends ``content_changed`` with the tags of what
changed, and the page cache makes those pages stale, now and again when the transaction
commits. ``pages_invalidated`` is sent after that commit, with the same tags, for whoever
keeps copies of pages elsewhere (a CDN purge, a search engine ping).
"""

import django.dispatch

#: The tag every public page carries: invalidating it makes every page stale.
EVERY_PAGE = "site"

#: send(sender, tags=[...]): what pages carrying these tags show has changed.
content_changed = django.dispatch.Signal()

#: Sent after the change committed, with tags=[...]: pages carrying them are stale.
pages_invalidated = django.dispatch.Signal()
