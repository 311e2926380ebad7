from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from articles.derived.pagecache import cache_public_page
from articles.reader.prepared import plan_once
from articles.reader.sitemaps import sitemap_index, sitemap_section
from articles.reader.views import HomeView
from jhop import twofactor, views
from subscriptions import webhooks
from subscriptions.urls import click_urlpatterns, newsletter_urlpatterns

admin.site.site_header = "JHOP administration"
admin.site.site_title = "JHOP admin"
admin.site.index_title = "Journal content and subscriptions"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("robots.txt", views.robots_txt, name="robots-txt"),
    path("sitemap.xml", cache_public_page(sitemap_index), name="sitemap"),
    path(
        "sitemap-<section>.xml",
        cache_public_page(sitemap_section),
        name="sitemap-section",
    ),
    path("admin/two-factor/", include(twofactor.urlpatterns)),
    path("admin/", admin.site.urls),
    *(
        # Email services report bounces and complaints here (basic auth with the secret;
        # Amazon SES's SNS messages are also signature-checked).
        [path("anymail/", include((webhooks.urlpatterns(), "anymail")))]
        if settings.ANYMAIL_WEBHOOK_SECRET
        else []
    ),
    path("subscribe/", include("subscriptions.urls")),
    path("newsletter/", include(newsletter_urlpatterns)),
    path("l/", include(click_urlpatterns)),
    path("", include("articles.urls")),
    path("", cache_public_page(plan_once(HomeView.as_view())), name="home"),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler400 = "jhop.views.bad_request"
handler404 = "jhop.views.page_not_found"
handler500 = "jhop.views.server_error"
