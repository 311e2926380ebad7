"""Create (or reset) the local demo administrator and print its login.

The README's run command calls this so a newcomer can open /admin/ at once.
It refuses to run in production, where accounts are created with createsuperuser.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

DEMO_USERNAME = "admin"
DEMO_PASSWORD = "jhop-demo-admin"  # noqa: S105 -- local demo login, refused in production


class Command(BaseCommand):
    help = "Create or reset the local demo superuser and print its username and password."

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("demo_admin is for local runs; use createsuperuser in production.")
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username=DEMO_USERNAME, defaults={"email": "admin@example.org"}
        )
        user.is_staff = user.is_superuser = user.is_active = True
        user.set_password(DEMO_PASSWORD)
        user.save()
        verb = "Created" if created else "Reset"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} the demo admin. Log in at {settings.SITE_URL}/admin/ "
                f"as {DEMO_USERNAME} / {DEMO_PASSWORD}"
            )
        )
