"""Where things live on disk: the project, the runs folder (and the data sets imported into
it), the cache. One source for each, read from the environment when asked (tests and
replicas point them elsewhere)."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


def runs_dir() -> Path:
    """Where user runs live: $DISTILL_RUNS_DIR, else ``runs/`` in the project folder."""
    return Path(os.environ.get("DISTILL_RUNS_DIR") or PROJECT_DIR / "runs").expanduser()


def imported_data_dir() -> Path:
    """Where imported data sets are kept: ``data/`` in the runs folder (the only state the
    app's replicas share), so a run's data set is found wherever its runs are."""
    return runs_dir() / "data"


def cache_dir() -> Path:
    """What can be made again (unpacked IDX files, full MNIST as npz): $XDG_CACHE_HOME/distill."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "distill"


def teachers_dir() -> Path:
    """Where networks uploaded on the Train page wait for their job: ``teachers/`` in the
    runs folder, named by their sha256 (a run copies its own into its folder)."""
    return runs_dir() / "teachers"
