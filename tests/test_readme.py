"""The README's deployment path names what exists and says what the site does."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import get_commands

from jhop import periodic

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_every_command_the_readme_names_exists():
    named = set(re.findall(r"manage\.py (\w+)", README)) | set(re.findall(r"`(\w+) --", README))
    missing = {name for name in named if name not in get_commands()}
    missing -= {job.name for job in periodic.SCHEDULE if not job.is_installed}
    assert not missing


def test_every_file_the_readme_names_exists():
    paths = set(re.findall(r"`((?:deploy|docs|bench|jhop|tests|articles)/[\w./-]+)`", README))
    paths |= set(re.findall(r"\]\(((?:docs|bench)/[\w./-]+)\)", README))
    assert len(paths) > 15
    assert [p for p in sorted(paths) if not (ROOT / p).exists()] == []


def test_the_periodic_jobs_table_is_the_schedule():
    rows = re.findall(r"^\| `([^`]+)` \| (minute|day|week|\d+ minutes) \|", README, re.MULTILINE)
    every = {"minute": timedelta(minutes=1), "day": timedelta(days=1), "week": timedelta(days=7)}
    table = {run: every.get(when) or timedelta(minutes=int(when.split()[0])) for run, when in rows}
    assert table == {job.run: job.every for job in periodic.SCHEDULE}


@pytest.mark.django_db
def test_the_cache_control_the_readme_quotes_is_what_a_public_page_sends(client):
    quoted = re.search(r"`Cache-Control: (public, max-age=\d+,\s+s-maxage=\d+)`", README)
    assert client.get("/issues/")["Cache-Control"] == re.sub(r"\s+", " ", quoted[1])
