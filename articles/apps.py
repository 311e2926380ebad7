from django.apps import AppConfig


class ArticlesConfig(AppConfig):
    name = "articles"
    verbose_name = "Journal content"

    def ready(self):
        from articles import checks  # noqa: F401  (registers the search index check)
        from articles.derived import hub, pagecache

        # The page cache hears of every write that changes what a page shows (its tags).
        pagecache.connect()
        # Every derived copy (bylines, counts, related lists, record dates) is kept by
        # one mechanism, connected in one place.
        hub.install()
