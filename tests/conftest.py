import pytest


@pytest.fixture(autouse=True)
def _isolated_settings(settings, tmp_path):
    """Uploads go to a temporary folder; background tasks run at once; caches start empty;
    passwords hash fast (the real hasher's cost is meant to be slow); readers reach the
    site at the address it advertises (SITE_URL), as in production."""
    settings.SITE_URL = "http://testserver"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    from django.core.cache import caches

    for cache in caches.all():
        cache.clear()
    yield
    for cache in caches.all():
        cache.clear()
