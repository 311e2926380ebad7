"""Run the site as production runs it, on loopback: gunicorn app servers and nginx in front.

Used by tests/test_reverse_proxy.py (the CI check of deploy/nginx) and bench/web.py.
Every process is started here, listens on 127.0.0.1 only, and is stopped by its own PID.
nginx runs as a plain process with its own prefix, temp and cache folders under a
temporary folder, not as the system service.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def _ports() -> range:
    """This project's loopback port range for throwaway servers (8200-8299), split between
    pytest-xdist's processes: a port found free is only bound later (by nginx, gunicorn),
    so two processes scanning the same range would both take its first free port."""
    first, last = 8200, 8300
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # gw0, gw1, ...
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if not worker.startswith("gw") or count < 2:
        return range(first, last)
    n, width = int(worker[2:]), (last - first) // count
    return range(first + n * width, first + (n + 1) * width)


PORTS = _ports()


def free_port(taken: set[int] | None = None) -> int:
    for port in PORTS:
        if taken and port in taken:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            if taken is not None:
                taken.add(port)
            return port
    raise RuntimeError(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


def wait_until_up(url: str, *, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


class Server:
    process: subprocess.Popen

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def worker_pids(self) -> list[int]:
        return children(self.process.pid)


class Gunicorn(Server):
    """One app server: `gunicorn jhop.wsgi` with sync workers, environment env."""

    def __init__(self, *, port: int, env: dict[str, str], workers: int = 2):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        gunicorn = Path(sys.executable).parent / "gunicorn"
        self.process = subprocess.Popen(
            [
                str(gunicorn),
                "jhop.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--worker-class",
                "sync",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env={**os.environ, **env},
        )
        wait_until_up(f"{self.url}/healthz")


NGINX_CONF = """\
daemon off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    log_format upstream
        '$request_method $request_uri $status $upstream_addr $upstream_cache_status';
    access_log {tmp}/access.log upstream;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    upstream jhop_app {{
{servers}
        keepalive 16;
    }}
    proxy_cache_path {tmp}/cache levels=1:2 keys_zone=jhop_pages:10m max_size=256m
                     inactive=1h use_temp_path=off;
    server {{
        listen 127.0.0.1:{port};
        server_name localhost;
        include {root}/deploy/nginx/jhop-proxy.conf;
    }}
}}
"""


class Nginx(Server):
    """nginx on 127.0.0.1:port in front of the app servers, with deploy/nginx's config."""

    def __init__(self, *, port: int, upstreams: list[int]):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.tmp = Path(tempfile.mkdtemp(prefix="jhop-nginx-"))
        self.tmp.chmod(0o755)  # nginx workers run as an unprivileged user when started by root
        servers = "\n".join(f"        server 127.0.0.1:{p};" for p in upstreams)
        conf = self.tmp / "nginx.conf"
        conf.write_text(NGINX_CONF.format(tmp=self.tmp, port=port, servers=servers, root=ROOT))
        command = [NGINX, "-p", str(self.tmp), "-c", str(conf), "-e", str(self.tmp / "error.log")]
        subprocess.run([*command, "-t", "-q"], check=True)
        self.process = subprocess.Popen(command)
        wait_until_up(f"{self.url}/healthz")

    def log(self) -> list[list[str]]:
        """The access log so far: method, URI, status, upstream address, cache status."""
        path = self.tmp / "access.log"
        return [line.split() for line in path.read_text().splitlines()] if path.exists() else []

    def stop(self) -> None:
        super().stop()
        shutil.rmtree(self.tmp, ignore_errors=True)


def _static_sources() -> str:
    """What collectstatic's output follows: our static files, the settings, the packages."""
    import hashlib
    import sysconfig

    digest = hashlib.sha256((ROOT / "jhop" / "settings.py").read_bytes())
    for path in sorted((ROOT / "static").rglob("*")):
        if path.is_file():
            stat = path.stat()
            digest.update(f"{path.relative_to(ROOT)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    # A package installed, removed or upgraded changes its folder's entries (dist-info names).
    packages = Path(sysconfig.get_paths()["purelib"])
    digest.update(f"{packages}:{sorted(p.name for p in packages.iterdir())}".encode())
    return digest.hexdigest()


def collect_static(env: dict[str, str]) -> None:
    """Production serves hashed static files from STATIC_ROOT (WhiteNoise): build them.

    Compressing every file costs about 15 s of CPU, so a build made from the same sources
    (recorded beside the manifest) is reused by the next server in the run.
    """
    marker = ROOT / "staticfiles" / ".built-from"
    sources = _static_sources()
    built = (ROOT / "staticfiles" / "staticfiles.json").exists() and marker.exists()
    if built and marker.read_text() == sources:
        return
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env={**os.environ, **env},
        check=True,
    )
    marker.write_text(sources)


def production_env(*, database_url: str, cache_url: str, **extra: str) -> dict[str, str]:
    """What an app host of a production deployment has, minus HTTPS (loopback only)."""
    return {
        "DJANGO_ENV": "production",
        "DJANGO_SETTINGS_MODULE": "jhop.settings",
        "SECRET_KEY": "loopback-check-secret-key-shared-by-both-app-hosts",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": database_url,
        "CACHE_URL": cache_url,
        "SITE_URL": "https://www.jhoponline.example",
        "SUBSCRIPTIONS_SUPPRESSION_KEY": "loopback-check-suppression-key",
        "DEFAULT_FROM_EMAIL": "JHOP <newsletter@jhoponline.com>",
        "SERVER_EMAIL": "errors@jhoponline.com",
        "SECURE_SSL_REDIRECT": "false",
        "TRUSTED_PROXY_COUNT": "1",
        "EMAIL_URL": "consolemail://",
        "LOG_LEVEL": "WARNING",
        **extra,
    }
