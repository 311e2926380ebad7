from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path
from django.views.decorators.cache import cache_page

from articles.sitemaps import sitemaps
from jhop import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("robots.txt", views.robots_txt, name="robots-txt"),
    path(
        "sitemap.xml",
        cache_page(3600)(sitemap_views.index),
        {"sitemaps": sitemaps, "sitemap_url_name": "sitemap-section"},
        name="sitemap",
    ),
    path(
        "sitemap-<section>.xml",
        cache_page(3600)(sitemap_views.sitemap),
        {"sitemaps": sitemaps},
        name="sitemap-section",
    ),
    path("admin/", admin.site.urls),
    path("subscribe/", include("subscriptions.urls")),
    path("", include("articles.urls")),
    path("", views.home, name="home"),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler404 = "jhop.views.page_not_found"
handler500 = "jhop.views.server_error"
