"""The newsletter's public pages in sitemap.xml: each email list's archive (active lists, and
any with sent editions) and its editions' web versions, for the lists whose manager left
"list the archive in the sitemap" on. The subscriptions app adds this section to the site's
sitemaps (apps.py): articles knows nothing of newsletters. (With that switch off for every
list, the section is an empty, schema-invalid urlset: turn the list inactive instead.)"""

from django.contrib.sitemaps import Sitemap
from django.db.models import Max, Q

from subscriptions.models import Edition, MailingList


class NewsletterSitemap(Sitemap):
    changefreq = "monthly"
    priority = 0.3

    def items(self):
        # Asked twice per sitemap index (its last change, its number of pages): read once.
        if getattr(self, "_items_read", None) is None:
            self._items_read = self._read()
        return self._items_read

    def _read(self):
        editions = list(
            Edition.objects.published()
            .filter(mailing_list__archive_in_sitemap=True)
            .select_related("mailing_list")
            .only("slug", "started_at", "mailing_list__slug")
        )
        archives = (
            MailingList.objects.email()
            .filter(archive_in_sitemap=True)
            .filter(Q(is_active=True) | Q(pk__in={e.mailing_list_id for e in editions}))
            .annotate(latest=Max("editions__started_at"))
            .order_by("pk")
        )
        return [*archives, *editions]

    def location(self, item):
        return item.get_absolute_url()

    def lastmod(self, item):
        return item.latest if isinstance(item, MailingList) else item.started_at
