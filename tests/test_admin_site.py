"""Every admin page a superuser can reach renders (list, search, add, and an object's page):
catches mistyped admin options early."""

import pytest
from django.contrib import admin
from django.urls import NoReverseMatch, reverse

from articles.models import PreviewLink
from tests.articles.site_data import build_site
from tests.subscriptions.factories import lists, make_subscriber

pytestmark = pytest.mark.django_db

REGISTERED = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


@pytest.mark.parametrize(
    ("model", "model_admin"), REGISTERED, ids=[m._meta.label for m, _ in REGISTERED]
)
def test_changelist_search_add_and_change_pages_render(
    admin_client, admin_user, model, model_admin, rf
):
    site = build_site()
    PreviewLink.objects.create(article=site["article"])
    newsletter, print_edition = lists()
    make_subscriber(lists=[newsletter, print_edition])
    info = model._meta.app_label, model._meta.model_name
    changelist = reverse("admin:{}_{}_changelist".format(*info))
    assert admin_client.get(changelist).status_code == 200
    if model_admin.search_fields:
        assert admin_client.get(changelist, {"q": "x"}).status_code == 200
    request = rf.get(changelist)
    request.user = admin_user
    if (obj := model.objects.first()) is not None:
        change = reverse("admin:{}_{}_change".format(*info), args=[obj.pk])
        assert admin_client.get(change).status_code == 200
    if model_admin.has_add_permission(request):
        try:
            add = reverse("admin:{}_{}_add".format(*info))
        except NoReverseMatch:
            return
        assert admin_client.get(add).status_code == 200
