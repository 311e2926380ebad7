from django.urls import path

from articles.reader.public import cache_public_page
from subscriptions import views

app_name = "subscriptions"

urlpatterns = [
    path("", views.subscribe, name="subscribe"),
    path("thanks/", views.thanks, name="thanks"),
    path("stamp/", views.stamp, name="stamp"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("manage/", views.manage_request, name="manage-request"),
    path("manage/<str:token>/", views.manage, name="manage"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]

# Mounted at /newsletter/ (namespace "newsletter"): the public archive and web versions.
newsletter_urlpatterns = (
    [
        path(
            "<slug:list_slug>/",
            cache_public_page(views.edition_archive),
            name="edition-archive",
        ),
        path(
            "<slug:list_slug>/<slug:slug>/",
            cache_public_page(views.edition_detail),
            name="edition-detail",
        ),
    ],
    "newsletter",
)

# Mounted at /l/ (namespace "clicks"): counted links of editions' emails.
click_urlpatterns = (
    [
        path("<str:token>", views.click, name="click"),
        path("<str:token>/<str:reader>", views.click, name="click-reader"),
    ],
    "clicks",
)
