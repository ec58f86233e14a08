"""How much memory a run will need, estimated before it starts, and whether it fits.

A big transfer set on a big data set (50 copies of 60,000 images) needs more memory than a
laptop has, and would die with a numpy memory error after minutes of training. The estimate
adds up the arrays a run holds at its peak: the data set, the transfer set and the teacher's
labels for it, and the working set of the hungriest student fit (region features, float64
copies for scikit-learn, torch tensors). It is a rough upper bound, checked against peaks
measured on real runs in bench/results/.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .config import ConfigError, RunConfig, params_for
from .data import dataset_info
from .features import make_rects
from .students import STUDENTS

GB = 1024 ** 3
# the interpreter with torch and scikit-learn loaded, and what torch's allocator keeps after
# training the teacher (measured on 2 cores, bench/results/)
BASE_BYTES = int(1.6 * GB)
HISTOGRAM_CHUNK = 96  # features per histogram pass of the tree grower (hist_tree.CHUNK)


@dataclass(frozen=True)
class MemoryEstimate:
    peak: int  # bytes at the hungriest moment
    parts: dict[str, int]  # what makes it up

    def words(self) -> str:
        return f"about {self.peak / GB:.1f} GB"


def estimate(cfg: RunConfig) -> MemoryEstimate:
    """The memory ``cfg`` needs at its peak, and its parts."""
    info = dataset_info(cfg.dataset)
    h, w = info.image_shape
    pixels, c = h * w, info.n_classes
    n = min(info.n_train, cfg.max_train or info.n_train)
    n_all = info.n_train + info.n_test
    sets = len(cfg.generators())  # transfer sets: one, or auto's candidates
    fit = n * (1 + cfg.transfer_size) if sets else n
    parts = {"libraries": BASE_BYTES,
             "data set": n_all * pixels * (4 + 1),  # float32 images and the raw bytes
             "teacher": n * pixels * 4 * 2}  # its copy of the images, and a batch's work
    if sets:
        # the synthetic images (auto: every candidate generator's), and the training set
        # joined to one set's with the teacher's probabilities (auto's students take turns)
        parts["transfer set" if sets == 1 else "transfer sets"] = (
            sets * n * cfg.transfer_size * pixels * 4 + fit * pixels * 4 + fit * c * 8)
    parts["largest student fit"] = max(
        (_fit_bytes(s.name, {**STUDENTS[s.name].defaults(), **params_for(s, cfg.dataset)},
                    fit, (h, w), c, cfg) for s in cfg.students), default=0)
    return MemoryEstimate(sum(parts.values()), parts)


def _fit_bytes(name: str, params: dict, m: int, shape: tuple[int, int], c: int,
               cfg: RunConfig) -> int:
    """The working set of one student fitted on ``m`` images."""
    pixels = shape[0] * shape[1]
    kind = STUDENTS[name].kind
    copies = params.get("deskew", False) * m * pixels * 4  # the straightened images
    if kind == "tree":
        features = len(make_rects(params["features"], shape))
        if params["algorithm"] == "exact":  # scikit-learn sorts float32 features, with indices
            return copies + m * features * (4 + 8 + 4)
        # float32 features, their uint8 bins, and one chunk of histogram codes and weights
        return copies + m * features * (4 + 1) + m * HISTOGRAM_CHUNK * (4 + 8) * 2
    if kind == "soft-tree":  # float32 images as a tensor, targets, a batch's activations
        return copies + m * pixels * 4 + m * c * 4 * 2
    cls = STUDENTS[name].cls
    expanded = (cfg.method in ("soft", "transfer", "auto") and cfg.transfer_labels == "soft"
                and not (cls.accepts_soft_targets or cls.weighs_by_probabilities))
    rows = m * c if expanded else m  # probabilities become one weighted copy per class
    if kind == "linear":  # float64 pixels, and the optimiser's copies of them
        return copies + rows * pixels * 8 * 3
    return copies + rows * pixels * 8 * 2  # naive Bayes: float64 pixels, binarised or squared


def available_bytes() -> int:
    """Memory this process may still use: what the system has free, within a cgroup's limit."""
    free = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                free = int(line.split()[1]) * 1024
    except OSError:
        pass
    if free is None:
        free = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
    limit = _cgroup_room()
    return min(free, limit) if limit is not None else free


def _cgroup_room() -> int | None:
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if limit == "max":
            return None
        used = int(Path("/sys/fs/cgroup/memory.current").read_text())
        return max(0, int(limit) - used)
    except (OSError, ValueError):
        return None


def check_memory(cfg: RunConfig, budget: int | None = None) -> MemoryEstimate:
    """Refuse, before it starts, a configuration that would not fit in ``budget`` bytes
    (default: $DISTILL_MEMORY_GB if set, else the memory available now); say what it needs
    and what would fit."""
    need = estimate(cfg)
    if budget is None:
        limit = os.environ.get("DISTILL_MEMORY_GB")
        budget = int(float(limit) * GB) if limit else available_bytes() + BASE_BYTES
    if need.peak <= budget:
        return need
    advice = _what_fits(cfg, budget)
    raise ConfigError(f"this run needs {need.words()} of memory and {budget / GB:.1f} GB "
                      f"{'are' if budget != 1 else 'is'} available; {advice}")


def _what_fits(cfg: RunConfig, budget: int) -> str:
    from dataclasses import replace
    if cfg.generators():
        for size in range(cfg.transfer_size - 1, 0, -1):
            if estimate(replace(cfg, transfer_size=size)).peak <= budget:
                return f"the largest transfer set that fits is {size}x the train set"
    n_train = dataset_info(cfg.dataset).n_train
    n = min(n_train, cfg.max_train or n_train)
    while n > 100:
        n //= 2
        if estimate(replace(cfg, max_train=n, transfer_size=1 if cfg.generators()
                            else cfg.transfer_size)).peak <= budget:
            return f"train on a subset instead (max_train {n} fits)"
    return "choose a smaller data set or fewer students"
