"""The admin's permission groups: what each kind of staff user may do.

Editors manage all journal content but never see subscriber data; managing editors do
the same and also approve and publish articles when the review step is on
(settings.EDITORIAL_REVIEW); subscription managers manage lists, subscribers and exports.
A superuser grants a group to a staff user.
"""

from django.db.models import Q

GROUPS: dict[str, list[str]] = {
    # app labels, or "app_label.model" for a single model
    "Editors": ["articles", "redirects.redirect"],
    "Managing editors": ["articles", "redirects.redirect"],
    "Subscription managers": ["subscriptions"],
}
# Permissions ("app_label.codename") a group never has, though its scopes include them.
WITHHELD: dict[str, list[str]] = {
    "Editors": ["articles.approve_article"],
}


def sync_groups(apps, *, create_missing_permissions: bool = False) -> None:
    """Create the groups and give each every permission of its apps and models.

    Idempotent; runs from the data migration (where permissions may not exist yet, so
    they are created first) and after every migrate, so models added later are covered.
    """
    if create_missing_permissions:
        from django.contrib.auth.management import create_permissions

        for app_config in apps.get_app_configs():
            app_config.models_module = True
            create_permissions(app_config, apps=apps, verbosity=0)
            app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, scopes in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = Permission.objects.none()
        for scope in scopes:
            app_label, _, model = scope.partition(".")
            perms = Permission.objects.filter(content_type__app_label=app_label)
            if model:
                perms = perms.filter(content_type__model=model)
            wanted = wanted | perms
        withheld = Q()
        for permission in WITHHELD.get(name, []):
            app_label, _, codename = permission.partition(".")
            withheld |= Q(content_type__app_label=app_label, codename=codename)
        if withheld:
            group.permissions.remove(*Permission.objects.filter(withheld))
            wanted = wanted.exclude(withheld)
        group.permissions.add(*wanted)
