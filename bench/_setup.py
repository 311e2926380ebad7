"""Shared set-up for the benchmarks: a throwaway database filled with a large archive."""

import os
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))


def configure(db_name: str) -> Path:
    """Point Django at a fresh database (a temp SQLite file unless DATABASE_URL is set)."""
    workdir = Path(tempfile.mkdtemp(prefix="jhop-bench-"))
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir / db_name}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jhop.settings")
    os.environ["DEBUG"] = "false"  # measure what production runs, without the query log
    os.environ["MEDIA_ROOT"] = str(workdir / "media")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    return workdir


def fill_archive(n_articles: int, *, seed: int = 7) -> None:
    """A journal-sized archive: issues, sections, topics, authors, articles with everything
    (authors, topics, references, picked and ranked related items), written in bulk by
    bench/archive.py: 100,000 articles take a few minutes on PostgreSQL."""
    from archive import build

    build(n_articles, seed=seed)
