"""The shipped production nginx.conf, as a deployer installs it, on this machine's nginx.

deploy/nginx/nginx.conf is copied with only its machine-specific paths and ports pointed
at a temporary folder (each rewrite must match, so the file cannot drift from what is
checked), with a throwaway self-signed certificate. CI installs Debian 12's nginx 1.22.
"""

import io
import os
import re
import shutil
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from PIL import Image

from tests import servers
from tests.factories import make_article

SHIPPED = servers.ROOT / "deploy" / "nginx" / "nginx.conf"
HOST = "www.jhoponline.example"


def _requirements() -> str:
    if not Path(servers.NGINX).exists() and not shutil.which("nginx"):
        return "nginx is not installed (apt-get install nginx; .ci/run does it)"
    if not shutil.which("openssl"):
        return "openssl is not installed"
    return ""


# Under CI a missing tool fails the tests instead (.ci/run installs them).
pytestmark = [
    pytest.mark.skipif(
        bool(_requirements()) and not os.environ.get("CI"), reason=_requirements() or "ok"
    ),
    # One pytest-xdist process runs every test that starts app servers on Redis database 2
    # and builds the shared staticfiles folder.
    pytest.mark.xdist_group("app-servers"),
]


def production_conf(tmp: Path, *, https: int, http: int, upstream: int, media: Path) -> Path:
    """A copy of the shipped nginx.conf for this machine; returns its path."""
    key, cert = tmp / "key.pem", tmp / "cert.pem"
    subject = f"/CN={HOST}"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            subject,
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    temp_paths = "".join(
        f"\n    {name}_temp_path {tmp}/{name};"
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    rewrites = [
        (r"user www-data;", "user root;"),
        (r"pid /run/nginx\.pid;", f"pid {tmp}/nginx.pid;"),
        (r"http \{", "http {" + temp_paths),
        (r"access_log /var/log/nginx/jhop\.access\.log;", f"access_log {tmp}/access.log;"),
        (r"server 127\.0\.0\.1:8000;", f"server 127.0.0.1:{upstream};"),
        (r"/var/cache/nginx/jhop ", f"{tmp}/cache "),
        (r"listen 443 ssl http2;", f"listen 127.0.0.1:{https} ssl http2;"),
        (r"listen 80;", f"listen 127.0.0.1:{http};"),
        (r"/etc/ssl/jhop/fullchain\.pem", str(cert)),
        (r"/etc/ssl/jhop/privkey\.pem", str(key)),
        (r"alias /var/lib/jhop/media/;", f"alias {media}/;"),
        (r"include /etc/nginx/jhop-proxy\.conf;", f"include {SHIPPED.parent}/jhop-proxy.conf;"),
    ]
    text = SHIPPED.read_text()
    for pattern, replacement in rewrites:
        text, count = re.subn(pattern, replacement.replace("\\", "\\\\"), text)
        assert count == 1, f"nginx.conf no longer has exactly one {pattern!r}"
    conf = tmp / "nginx.conf"
    conf.write_text(text)
    return conf


def nginx(conf: Path, *args: str) -> list[str]:
    tmp = conf.parent
    return [servers.NGINX, "-p", str(tmp), "-c", str(conf), "-e", str(tmp / "error.log"), *args]


@pytest.fixture
def site(tmp_path, settings):
    """nginx running the production file, with no app server behind it."""
    media = tmp_path / "media"
    media.mkdir()
    settings.MEDIA_ROOT = media
    taken: set[int] = set()
    ports = {name: servers.free_port(taken) for name in ("https", "http", "upstream")}
    conf = production_conf(tmp_path, media=media, **ports)
    process = subprocess.Popen(nginx(conf, "-g", "daemon off;"))
    base = f"https://127.0.0.1:{ports['https']}"
    try:
        _wait_for_port(ports["https"], process)
        yield {"base": base, "http": f"http://127.0.0.1:{ports['http']}", "media": media}
    finally:
        process.terminate()
        process.wait(timeout=15)


def _wait_for_port(port: int, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while process.poll() is None and time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nginx did not start listening on {port}")


def fetch(url: str):
    """GET url (our throwaway certificate is not checked); the response, whatever its status."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    request = urllib.request.Request(url, headers={"Host": HOST})
    opener = urllib.request.build_opener(
        urllib.request.HTTPSHandler(context=context), _NoRedirect()
    )
    try:
        return opener.open(request, timeout=10)
    except urllib.error.HTTPError as error:
        return error


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_the_production_file_passes_nginx_t(tmp_path):
    media = tmp_path / "media"
    media.mkdir()
    conf = production_conf(tmp_path, https=8443, http=8080, upstream=8000, media=media)
    result = subprocess.run(nginx(conf, "-t"), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


@pytest.mark.django_db
def test_an_uploaded_image_is_served_through_nginx(site):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "teal").save(buffer, format="PNG")
    article = make_article(lead_image_alt="A teal square")
    article.lead_image.save("lead.png", ContentFile(buffer.getvalue()))

    response = fetch(site["base"] + article.lead_image.url)

    assert response.status == 200
    assert response.read() == buffer.getvalue()
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_uploads_kept_for_an_editors_next_try_are_not_served(site):
    kept = site["media"] / "pending-uploads" / "0123456789abcdef" / "draft.png"
    kept.parent.mkdir(parents=True)
    kept.write_bytes(b"not for the public")

    assert fetch(site["base"] + "/media/pending-uploads/0123456789abcdef/draft.png").status == 404


def test_plain_http_is_sent_to_https(site):
    response = fetch(site["http"] + "/issues/")
    assert response.status == 301
    assert response.headers["Location"] == f"https://{HOST}/issues/"


def test_when_the_app_does_not_answer_an_editor_is_told_what_to_do(site):
    response = fetch(site["base"] + "/admin/articles/article/1/change/")

    assert response.status == 503
    assert response.headers["Retry-After"] == "30"
    page = response.read().decode()
    assert "it was not saved unless you see it when you reload the page" in page


REDIS_URL = os.environ.get("JHOP_CHECK_REDIS_URL", "redis://127.0.0.1:6379/2")


@pytest.mark.proxy
@pytest.mark.django_db(transaction=True)
def test_an_article_pages_image_is_served_through_the_production_nginx(tmp_path, settings):
    """The deployment: gunicorn in production mode behind the shipped nginx.conf."""
    if connection.vendor != "postgresql":
        pytest.skip("the app server shares the test database: run with DATABASE_URL=postgres://…")
    media = tmp_path / "media"
    settings.MEDIA_ROOT = media
    buffer = io.BytesIO()
    Image.new("RGB", (1000, 600), "teal").save(buffer, format="JPEG")
    article = make_article(title="With a chart", lead_image_alt="A teal chart")
    article.lead_image.save("chart.jpg", ContentFile(buffer.getvalue()))

    db = settings.DATABASES["default"]
    env = servers.production_env(
        database_url=f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        f"/{db['NAME']}",
        cache_url=REDIS_URL,
        ALLOWED_HOSTS=HOST,
        MEDIA_ROOT=str(media),
        CONN_MAX_AGE="0",  # the test database is dropped at the end: hold no connection
    )
    servers.collect_static(env)
    taken: set[int] = set()
    app = servers.Gunicorn(port=servers.free_port(taken), env=env, workers=1)
    conf = production_conf(
        tmp_path,
        https=servers.free_port(taken),
        http=servers.free_port(taken),
        upstream=app.port,
        media=media,
    )
    https = int(re.search(r"listen 127\.0\.0\.1:(\d+) ssl", conf.read_text())[1])
    proxy = subprocess.Popen(nginx(conf, "-g", "daemon off;"))
    try:
        _wait_for_port(https, proxy)
        base = f"https://127.0.0.1:{https}"
        page = fetch(base + article.get_absolute_url())
        assert page.status == 200
        image_url = re.search(r'<img src="(/media/[^"]+)"', page.read().decode())[1]

        image = fetch(base + image_url)

        assert image.status == 200
        assert image.headers["Content-Type"] == "image/jpeg"
        assert image.read()[:3] == b"\xff\xd8\xff"  # a JPEG, as the app wrote it
    finally:
        proxy.terminate()
        proxy.wait(timeout=15)
        app.stop()
