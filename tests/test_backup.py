"""The backup and restore drill: deploy/backup.sh, then deploy/restore.sh into a new database.

Content is made through the site (a signup through the form, so the consent log is what a
real one holds), backed up with the shipped script, restored under a new name with the
other, and the restored database and uploads are compared with the originals.
"""

import shutil
import subprocess
import uuid
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client

from articles.models import Article
from subscriptions.models import ConsentEvent, Subscriber
from tests.factories import make_article, make_author
from tests.subscriptions.factories import lists
from tests.subscriptions.helpers import post_signup

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.django_db(transaction=True),  # pg_dump reads what is committed
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="a PostgreSQL drill (pg_dump, pg_restore): run with DATABASE_URL=postgres://…",
    ),
    pytest.mark.skipif(not shutil.which("pg_dump"), reason="pg_dump is not installed"),
]


def _server_url(name: str) -> str:
    db = settings.DATABASES["default"]
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return f"postgres://{db['USER']}{password}@{host}/{name}"


def _run(script: str, *args, env: dict[str, str]) -> list[str]:
    result = subprocess.run(
        ["bash", str(ROOT / "deploy" / script), *map(str, args)],
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


@pytest.fixture
def restored_name():
    name = f"jhop_restore_{uuid.uuid4().hex[:12]}"
    yield name
    subprocess.run(
        ["dropdb", "--if-exists", "--maintenance-db", _server_url("postgres"), name], check=True
    )


def test_a_backup_restores_into_a_new_database_with_the_same_content(
    tmp_path, settings, restored_name
):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SUBSCRIPTIONS_MIN_FORM_SECONDS = 0
    newsletter, _ = lists()
    article = make_article(title="Backed up", authors=[make_author()], lead_image_alt="A chart")
    article.lead_image.save("chart.png", ContentFile(b"\x89PNG not really"))
    make_article(title="Draft too", status=Article.Status.DRAFT)
    assert post_signup(Client(), newsletter, email="kept@example.com").status_code == 302
    articles = set(Article.objects.values_list("slug", "title", "doi"))
    subscribers = set(Subscriber.objects.values_list("email", "first_name"))
    consent = set(ConsentEvent.objects.values_list("id", "kind", "subscriber__email"))
    assert consent and subscribers and len(articles) == 2

    env = {"DATABASE_URL": _server_url(settings.DATABASES["default"]["NAME"])}
    env_file = tmp_path / "jhop.env"  # what the services read
    env_file.write_text(
        f'DATABASE_URL={env["DATABASE_URL"]}\nMEDIA_ROOT="{settings.MEDIA_ROOT}"\n'
        "DEFAULT_FROM_EMAIL=JHOP <newsletter@jhoponline.example.org>\n"
    )
    dump, archive = _run("backup.sh", tmp_path / "backups", env={"JHOP_ENV_FILE": str(env_file)})
    restored_media = tmp_path / "restored-media"
    _run("restore.sh", dump, restored_name, archive, restored_media, env=env)

    with psycopg.connect(_server_url(restored_name)) as restored:
        assert set(restored.execute("SELECT slug, title, doi FROM articles_article")) == articles
        got = restored.execute("SELECT email, first_name FROM subscriptions_subscriber")
        assert set(got) == subscribers
        got = restored.execute(
            "SELECT e.id, e.kind, s.email FROM subscriptions_consentevent e"
            " JOIN subscriptions_subscriber s ON s.id = e.subscriber_id"
        )
        assert set(got) == consent
    image = article.lead_image.name
    assert (restored_media / image).read_bytes() == (settings.MEDIA_ROOT / image).read_bytes()


def test_restore_never_overwrites_an_existing_database(tmp_path, settings):
    env = {"DATABASE_URL": _server_url(settings.DATABASES["default"]["NAME"])}
    dump = tmp_path / "empty.dump"
    dump.write_bytes(b"")
    result = subprocess.run(
        ["bash", str(ROOT / "deploy" / "restore.sh"), str(dump), "postgres"],
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "already exists" in result.stderr
