"""deploy/: the gunicorn configuration and the systemd units are valid as shipped."""

import os
import re
import runpy
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import get_commands, load_command_class

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))


def _exec_start(unit: Path) -> list[str]:
    line = re.search(r"^ExecStart=(.+)$", unit.read_text(), re.MULTILINE).group(1)
    return shlex.split(line)


def test_gunicorn_conf_preloads_and_binds_to_loopback_unless_told(monkeypatch):
    for name in ("GUNICORN_BIND", "GUNICORN_WORKERS", "GUNICORN_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    conf = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    assert conf["preload_app"] is True
    assert conf["bind"] == ["127.0.0.1:8000"]
    assert conf["accesslog"] == "-"
    assert conf["graceful_timeout"] < conf["timeout"]

    monkeypatch.setenv("GUNICORN_BIND", "unix:/run/jhop/gunicorn.sock")
    monkeypatch.setenv("GUNICORN_WORKERS", "3")
    conf = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    assert conf["bind"] == ["unix:/run/jhop/gunicorn.sock"] and conf["workers"] == 3


def test_gunicorn_accepts_the_conf_and_loads_the_app():
    gunicorn = Path(sys.executable).parent / "gunicorn"
    result = subprocess.run(
        [str(gunicorn), "--check-config", "-c", "deploy/gunicorn.conf.py", "jhop.wsgi:application"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "jhop.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def test_the_units_run_the_shipped_config_and_the_worker_with_periodic_jobs(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    web, worker = (DEPLOY / "systemd" / n for n in ("jhop-web.service", "jhop-worker.service"))
    assert sorted([web, worker]) == UNITS
    command = _exec_start(web)
    assert command[command.index("-c") + 1] == "deploy/gunicorn.conf.py"
    assert (ROOT / "deploy" / "gunicorn.conf.py").exists()

    _, manage, name, *arguments = _exec_start(worker)
    assert (manage, name) == ("manage.py", "run_worker")
    parser = load_command_class(get_commands()[name], name).create_parser("manage.py", name)
    assert parser.parse_args(arguments).reload is False
    for unit in UNITS:
        text = unit.read_text()
        assert "Restart=always" in text and "EnvironmentFile=/etc/jhop/jhop.env" in text


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze not installed")
def test_systemd_accepts_the_units(tmp_path):
    # Pointed at this checkout, as root, so that every path and user it checks exists.
    (tmp_path / "jhop.env").write_text("DJANGO_ENV=production\n")
    for unit in UNITS:
        text = unit.read_text().replace("/srv/jhop", str(ROOT))
        text = text.replace("/etc/jhop/jhop.env", str(tmp_path / "jhop.env"))
        text = text.replace("User=jhop", "User=root").replace("Group=jhop", "Group=root")
        (tmp_path / unit.name).write_text(text)
    result = subprocess.run(
        ["systemd-analyze", "verify", *(str(tmp_path / u.name) for u in UNITS)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0 and result.stderr == "", result.stderr
