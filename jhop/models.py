from django.conf import settings
from django.db import models
from django_otp.models import Device, TimestampMixin


class StaffSessions(models.Model):
    """When a staff user last chose "Sign out everywhere" (or a superuser did it for them):
    every session signed in before `valid_after` ends at its next request."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="staff_sessions",
    )
    valid_after = models.DateTimeField()

    class Meta:
        verbose_name = "staff sessions"
        verbose_name_plural = "staff sessions"

    def __str__(self):
        return f"{self.user}: sessions valid after {self.valid_after:%Y-%m-%d %H:%M}"


class PeriodicJob(models.Model):
    """When a periodic job (jhop/periodic.py) last started: the row workers race to move."""

    name = models.CharField(max_length=100, unique=True)
    last_run_at = models.DateTimeField("last started", null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Passkey(TimestampMixin, Device):
    """A WebAuthn credential (a passkey or a security key): a second factor that
    django-otp counts beside the authenticator app (jhop/passkeys.py checks it)."""

    credential_id = models.CharField(max_length=1400, unique=True)  # base64url
    public_key = models.BinaryField()
    sign_count = models.PositiveBigIntegerField(default=0)

    def verify_token(self, token):
        return False  # a passkey answers a challenge, never a typed code
