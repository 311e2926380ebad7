"""Production mode is configured by environment only and passes `check --deploy`."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "x7!v$0m3kq9-production-like-secret-key-with-enough-entropy-2026-zz",
    "ALLOWED_HOSTS": "jhop.example.org",
    "DATABASE_URL": "sqlite:////tmp/jhop-deploy-check.sqlite3",
    "CACHE_URL": "redis://127.0.0.1:6379/1",
    "EMAIL_URL": "smtp+tls://user:pass@mail.example.org:587",
}


def run_manage(*args, env):
    dropped = {*PRODUCTION_ENV, "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in dropped}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_in_production_mode():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_names_each_missing_variable():
    for missing in ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"):
        env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
        result = run_manage("check", env=env)
        assert result.returncode != 0
        assert missing in result.stderr, result.stderr


def test_unknown_environment_name_is_refused():
    result = run_manage("check", env={"DJANGO_ENV": "prod"})
    assert result.returncode != 0
    assert "DJANGO_ENV" in result.stderr


def test_development_defaults_need_no_environment():
    result = run_manage("check", env={})
    assert result.returncode == 0, result.stderr


def test_production_settings_come_from_the_environment():
    code = (
        "from django.conf import settings as s; "
        "print(s.DEBUG, s.STORAGES['staticfiles']['BACKEND'], s.CACHES['default']['BACKEND'], "
        "s.EMAIL_BACKEND, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.ALLOWED_HOSTS)"
    )
    result = run_manage("shell", "-v", "0", "-c", code, env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "whitenoise.storage.CompressedManifestStaticFilesStorage",
        "django_redis.cache.RedisCache",
        "django.core.mail.backends.smtp.EmailBackend",
        "True",
        "True",
        "['jhop.example.org']",
    ]


def test_development_defaults_are_embedded():
    code = (
        "from django.conf import settings as s; "
        "print(s.DEBUG, s.DATABASES['default']['ENGINE'], s.CACHES['default']['BACKEND'], "
        "s.EMAIL_BACKEND, s.TASKS['default']['BACKEND'])"
    )
    result = run_manage("shell", "-v", "0", "-c", code, env={})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "True",
        "django.db.backends.sqlite3",
        "django.core.cache.backends.locmem.LocMemCache",
        "django.core.mail.backends.console.EmailBackend",
        "django_tasks_db.DatabaseBackend",
    ]
