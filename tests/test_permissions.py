"""The admin's permission groups: editors never see subscriber data."""

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from subscriptions.models import Subscriber

SUBSCRIBER_PAGES = [
    ("admin:subscriptions_subscriber_changelist", {}),
    ("admin:subscriptions_outboundemail_changelist", {}),
    ("admin:subscriptions_suppression_changelist", {}),
    ("admin:subscriptions_export_print", {}),
    ("admin:subscriptions_export_newsletter", {}),
    ("admin:subscriptions_import", {}),
]


def staff_in(group_name: str) -> User:
    user = User.objects.create_user(f"{group_name.lower()}-user", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def subscriber(db):
    return Subscriber.objects.create(email="reader@hospital.example.org", first_name="Ann")


def test_groups_exist_after_migrate(db):
    editors = Group.objects.get(name="Editors")
    managers = Group.objects.get(name="Subscription managers")
    editor_apps = set(editors.permissions.values_list("content_type__app_label", flat=True))
    manager_apps = set(managers.permissions.values_list("content_type__app_label", flat=True))
    assert editor_apps == {"articles", "redirects"}
    assert manager_apps == {"subscriptions"}
    assert editors.permissions.filter(codename="add_article").exists()
    assert managers.permissions.filter(codename="view_subscriber").exists()


@pytest.mark.parametrize(("name", "kwargs"), SUBSCRIBER_PAGES)
def test_editor_cannot_open_subscriber_pages(client, subscriber, name, kwargs):
    client.force_login(staff_in("Editors"))
    response = client.get(reverse(name, kwargs=kwargs))
    assert response.status_code == 403


@pytest.mark.parametrize("name", ["data", "erase"])
def test_editor_cannot_export_or_erase_a_subscriber(client, subscriber, name):
    client.force_login(staff_in("Editors"))
    response = client.get(reverse(f"admin:subscriptions_subscriber_{name}", args=[subscriber.pk]))
    assert response.status_code == 403
    subscriber.refresh_from_db()
    assert subscriber.email == "reader@hospital.example.org"


def test_editor_admin_index_hides_subscriptions(client, db):
    client.force_login(staff_in("Editors"))
    html = client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:articles_article_changelist") in html
    assert reverse("admin:subscriptions_subscriber_changelist") not in html


def test_editor_can_work_on_articles(client, db):
    client.force_login(staff_in("Editors"))
    assert client.get(reverse("admin:articles_article_add")).status_code == 200
    assert client.get(reverse("admin:articles_article_changelist")).status_code == 200


@pytest.mark.parametrize(("name", "kwargs"), SUBSCRIBER_PAGES)
def test_subscription_manager_can_open_subscriber_pages(client, subscriber, name, kwargs):
    client.force_login(staff_in("Subscription managers"))
    assert client.get(reverse(name, kwargs=kwargs)).status_code == 200


def test_subscription_manager_cannot_edit_articles(client, db):
    client.force_login(staff_in("Subscription managers"))
    assert client.get(reverse("admin:articles_article_add")).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_groups_survive_a_database_flush():
    # Transactional tests flush the database; post_migrate recreates the groups.
    from django.core.management import call_command

    call_command("flush", interactive=False, verbosity=0)
    assert Group.objects.filter(name__in=["Editors", "Subscription managers"]).count() == 2
    assert Group.objects.get(name="Editors").permissions.exists()


def test_editor_cannot_open_or_change_one_subscriber(client, subscriber):
    client.force_login(staff_in("Editors"))
    change = reverse("admin:subscriptions_subscriber_change", args=[subscriber.pk])
    assert client.get(change).status_code == 403
    assert client.post(change, {"email": "taken@example.org"}).status_code == 403
    assert client.get(reverse("admin:subscriptions_subscriber_add")).status_code == 403
    subscriber.refresh_from_db()
    assert subscriber.email == "reader@hospital.example.org"


@pytest.mark.parametrize("group_name", ["Editors", "Subscription managers"])
def test_neither_group_can_manage_users_or_groups(client, db, group_name):
    """Least privilege: no group member can grant themselves more."""
    client.force_login(staff_in(group_name))
    for name in ["auth_user_changelist", "auth_group_changelist", "auth_user_add"]:
        assert client.get(reverse(f"admin:{name}")).status_code == 403, name
