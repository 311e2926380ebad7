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
    "SITE_URL": "https://jhop.example.org",
    "SUBSCRIPTIONS_SUPPRESSION_KEY": "k2#p9-suppression-key-kept-across-secret-key-rotations",
    "DEFAULT_FROM_EMAIL": "JHOP <newsletter@jhoponline.com>",
    "SERVER_EMAIL": "errors@jhoponline.com",
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
    for missing in (
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "DATABASE_URL",
        "CACHE_URL",
        "SITE_URL",
        "SUBSCRIPTIONS_SUPPRESSION_KEY",
        "DEFAULT_FROM_EMAIL",
        "SERVER_EMAIL",
    ):
        env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
        result = run_manage("check", env=env)
        assert result.returncode != 0
        assert missing in result.stderr, result.stderr


def test_production_site_url_must_be_https():
    for site_url in ("http://jhop.example.org", "http://127.0.0.1:8000", "https://"):
        result = run_manage("check", env={**PRODUCTION_ENV, "SITE_URL": site_url})
        assert result.returncode != 0
        assert "SITE_URL" in result.stderr and "https://" in result.stderr, result.stderr


def test_production_senders_must_not_be_on_an_example_domain():
    for name, address in (
        ("DEFAULT_FROM_EMAIL", "JHOP <newsletter@jhoponline.example>"),
        ("DEFAULT_FROM_EMAIL", "JHOP <news@mail.example.net>"),
        ("SERVER_EMAIL", "errors@jhoponline.example.org"),
        ("SERVER_EMAIL", "no-address-at-all"),
    ):
        result = run_manage("check", env={**PRODUCTION_ENV, name: address})
        assert result.returncode != 0, (name, address)
        assert name in result.stderr and "domain" in result.stderr, result.stderr
    # A real domain that merely contains the word passes.
    env = {**PRODUCTION_ENV, "DEFAULT_FROM_EMAIL": "JHOP <news@example-press.com>"}
    assert run_manage("check", env=env).returncode == 0


def test_production_refuses_a_per_process_cache():
    # django_ratelimit's own check runs (the app is installed): any `check` fails...
    env = {**PRODUCTION_ENV, "CACHE_URL": "locmemcache://"}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "django_ratelimit.E003" in result.stderr, result.stderr
    # ...and the deployment check names the cache and the variable to set.
    for cache_url in ("locmemcache://", "dummycache://", "filecache:///tmp/jhop-cache"):
        env = {**PRODUCTION_ENV, "CACHE_URL": cache_url}
        result = run_manage("check", "--deploy", "--tag", "caches", env=env)
        assert result.returncode != 0
        assert "jhop.E001" in result.stderr and "CACHE_URL" in result.stderr, result.stderr


def test_deploy_check_refuses_plain_http_links():
    # Development settings with --deploy: the emailed links would point at http://.
    result = run_manage("check", "--deploy", env={})
    assert "jhop.E002" in result.stderr, result.stderr


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
        "jhop.mail.ConsoleEmailBackend",
        "django_tasks_db.DatabaseBackend",
    ]


def test_env_example_is_a_production_template_make_run_refuses(tmp_path):
    """Copied to .env, .env.example would run `make run` in production mode: make says so."""
    assert "PRODUCTION TEMPLATE" in (ROOT / ".env.example").read_text().splitlines()[0]
    for name in ("Makefile", "pyproject.toml", ".env.example"):
        (tmp_path / name).write_bytes((ROOT / name).read_bytes())
    (tmp_path / ".env").write_bytes((ROOT / ".env.example").read_bytes())
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / ".installed").touch()  # newer than pyproject.toml: no install
    result = subprocess.run(
        ["make", "run", "PY=false"], cwd=tmp_path, capture_output=True, text=True, timeout=30
    )
    assert result.returncode != 0
    assert "DJANGO_ENV=production" in result.stderr and "make run" in result.stderr, result.stderr


def test_each_log_line_is_printed_once_and_errors_still_reach_the_admins():
    code = (
        "import logging; "
        "logging.getLogger('django.request').error('probe-request'); "
        "logging.getLogger('django').warning('probe-django'); "
        "logging.getLogger('subscriptions.emails').warning('probe-app'); "
        "print([type(h).__name__ for h in logging.getLogger('django').handlers])"
    )
    result = run_manage("shell", "-v", "0", "-c", code, env={})
    assert result.returncode == 0, result.stderr
    for probe in ("probe-request", "probe-django", "probe-app"):
        assert result.stderr.count(probe) == 1, result.stderr
    assert "AdminEmailHandler" in result.stdout  # filtered to production (DEBUG off)


def test_make_run_serves_prints_and_emails_the_port_it_is_given(tmp_path):
    """`make run PORT=8123`: the server, SITE_URL (links in emails) and the login line agree."""
    log = tmp_path / "calls.log"
    fake_python = tmp_path / "python"
    # It records each call; "runserver" waits a little for the worker started beside it.
    fake_python.write_text(
        f'#!/bin/sh\necho "PORT=$PORT $*" >> {log}\ncase "$*" in *runserver*) sleep 2;; esac\n'
    )
    fake_python.chmod(0o755)
    for name in ("Makefile", "pyproject.toml"):
        (tmp_path / name).write_bytes((ROOT / name).read_bytes())
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / ".installed").touch()
    result = subprocess.run(
        ["make", "run", f"PY={fake_python}", "PORT=8123"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    calls = log.read_text().splitlines()
    assert "PORT=8123 manage.py runserver 127.0.0.1:8123" in calls
    assert "PORT=8123 manage.py demo_admin" in calls
    assert "PORT=8123 manage.py run_worker" in calls

    code = "from django.conf import settings as s; print(s.SITE_URL)"
    result = run_manage("shell", "-v", "0", "-c", code, env={"PORT": "8123"})
    assert result.stdout.strip() == "http://127.0.0.1:8123", result.stderr
