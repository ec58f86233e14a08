"""What a run asks for: data set, teacher, students, method; checked before any work starts.

Plain dataclasses with no torch import, so pages and the job queue can build, validate and
serialise configurations cheaply.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from .data import DATASETS, DEFAULT_DATASET, DataError, find_idx_files
from .distillation import BASELINE, check_method
from .students import DEFAULT_STUDENTS, make_student, soft_tree_epochs
from .transfer import DEFAULT_TRANSFER


@dataclass(frozen=True)
class NetInfo:
    name: str
    title: str
    description: str


NETS: dict[str, NetInfo] = {
    "cnn": NetInfo("cnn", "Small CNN (default)", "Three conv blocks with batch norm and dropout; "
                   "fast and accurate."),
    "lenet5": NetInfo("lenet5", "LeNet-5", "LeCun et al. 1998: two conv/pool layers, three dense "
                      "layers."),
    "resnet": NetInfo("resnet", "Small ResNet", "Residual blocks with batch norm; the most "
                      "capacity, the slowest."),
    "mlp": NetInfo("mlp", "MLP", "Flatten, dense 128, dense 10: the seed's baseline network."),
}
DEFAULT_NET = "cnn"


@dataclass
class TeacherConfig:
    arch: str = DEFAULT_NET
    epochs: int = 10
    batch_size: int = 64
    lr: float = 4e-3  # peak of the one-cycle schedule
    weight_decay: float = 5e-4
    augment: bool = True  # random affine jitter: rotate, scale, shift
    label_smoothing: float = 0.1
    seed: int = 0

    def validate(self) -> None:
        if self.arch not in NETS:
            raise ValueError(f"unknown teacher {self.arch!r}; choose one of: {', '.join(NETS)}")
        if not 1 <= self.epochs <= 200:
            raise ValueError("teacher epochs must be between 1 and 200")
        if not 1e-5 <= self.lr <= 1.0:
            raise ValueError("teacher learning rate must be between 1e-5 and 1")
        if not 1 <= self.batch_size <= 4096:
            raise ValueError("batch size must be between 1 and 4096")


def data_defaults(student: str, dataset: str) -> dict:
    """Student parameters whose best value depends on the data set. The soft tree
    straightens 28x28 handwriting only: deskewing lifts mnist5k agreement from 94.8% to 96.2%
    (depth 8), lowers Fashion-MNIST accuracy from 85.7% to 84.8% (clothes do not lean) and
    8x8 digits' agreement from 95.1% to 94.2% (depth 6, three seeds: a shear of 8 pixels
    blurs more than it straightens)."""
    info = DATASETS.get(dataset)
    if student == "soft-tree" and info is not None:
        return {"deskew": info.deskew}
    return {}


def params_for(choice: "StudentChoice", dataset: str) -> dict:
    """The parameters a choice trains with on ``dataset``: data defaults, then the user's."""
    return {**data_defaults(choice.name, dataset), **choice.params}


class ConfigError(ValueError):
    """A run configuration that cannot be trained, with the reason in words."""


@dataclass
class StudentChoice:
    """A student to train: a registry name, parameter overrides, and an optional label."""

    name: str
    params: dict = field(default_factory=dict)
    label: str | None = None


@dataclass
class RunConfig:
    dataset: str = DEFAULT_DATASET
    data_dir: str | None = None
    max_train: int | None = None  # stratified subsets, for quick runs and tests
    max_test: int | None = None
    teacher: TeacherConfig = field(default_factory=TeacherConfig)
    students: list[StudentChoice] = field(
        default_factory=lambda: [StudentChoice(n) for n in DEFAULT_STUDENTS])
    method: str = "transfer"
    temperature: float = 4.0
    transfer: str = DEFAULT_TRANSFER
    transfer_size: int = 10
    transfer_labels: str = "auto"
    seed: int = 0
    title: str | None = None

    def labels(self) -> list[str]:
        """Unique labels: the student's name, numbered when a name repeats."""
        seen: dict[str, int] = {}
        out = []
        for s in self.students:
            base = s.label or s.name
            seen[base] = seen.get(base, 0) + 1
            out.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
        return out

    def methods(self) -> list[str]:
        """The chosen method, then the ground-truth baseline (once)."""
        return [self.method] if self.method == BASELINE else [self.method, BASELINE]

    def validate(self) -> None:
        """Raise ConfigError with every problem found, before any work starts."""
        problems = []
        if self.dataset not in DATASETS:
            problems.append(f"unknown data set {self.dataset!r}; choose one of: "
                            f"{', '.join(DATASETS)}")
        elif not DATASETS[self.dataset].bundled:
            try:
                find_idx_files(self.dataset, self.data_dir)
            except DataError as err:
                problems.append(str(err))
        try:
            self.teacher.validate()
        except ValueError as err:
            problems.append(str(err))
        try:
            check_method(self.method, self.temperature, self.transfer, self.transfer_size,
                         self.transfer_labels)
        except ValueError as err:
            problems.append(str(err))
        if not self.students:
            problems.append("choose at least one student")
        for s in self.students:
            try:
                make_student(s.name, **s.params)
            except (ValueError, TypeError) as err:
                problems.append(str(err))
        for limit, what in ((self.max_train, "max_train"), (self.max_test, "max_test")):
            if limit is not None and limit < 20:
                problems.append(f"{what} must be at least 20")
        if not 0 <= self.seed < 2**31:
            problems.append("seed must be between 0 and 2147483647")
        if problems:
            raise ConfigError("; ".join(problems))

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "RunConfig":
        d = dict(d)
        d["teacher"] = TeacherConfig(**d.get("teacher", {}))
        d["students"] = [StudentChoice(**s) for s in d.get("students", [])]
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in d.items() if k in known})


def plan(cfg: RunConfig) -> list[str]:
    """The stage names of a run, in order, for progress displays."""
    models = [f"{label}.{m}" for m in cfg.methods() for label in cfg.labels()]
    return ["data", "teacher", "targets", *[f"student:{m}" for m in models], "evaluate", "save"]


# Seconds per unit of work on 2 CPU cores, measured on mnist5k; only ETAs depend on them.
_EPOCH_SECONDS_PER_MPIXEL = {"cnn": 0.70, "lenet5": 0.13, "mlp": 0.03, "resnet": 2.7}
_STUDENT_SECONDS_PER_MPIXEL = {"tree": 0.9, "pixel-tree": 0.06, "linear": 0.5,
                               "soft-tree": 0.09}  # the soft tree's is per epoch
_DESKEW_SECONDS_PER_MPIXEL = 0.1  # straightening the soft tree's images, once


def estimate_seconds(cfg: RunConfig) -> dict[str, float]:
    """A rough time for each stage, for the overall progress bar and its ETA."""
    info = {"mnist5k": (4000, 784), "digits": (1437, 64), "fashion-mnist": (60000, 784),
            "mnist": (60000, 784)}.get(cfg.dataset, (4000, 784))
    n = min(info[0], cfg.max_train or info[0])
    mpix = n * info[1] / 1e6
    fit = {m: mpix * (1 + cfg.transfer_size if m == "transfer" else 1) for m in cfg.methods()}
    est = {"data": 1.0, "evaluate": 1.0, "save": 1.0,
           "teacher": 2.0 + cfg.teacher.epochs * mpix * _EPOCH_SECONDS_PER_MPIXEL.get(
               cfg.teacher.arch, 1.0),
           "targets": 0.5 + (fit["transfer"] * 0.15 if "transfer" in fit else 0.2)}
    for method in cfg.methods():
        for choice, label in zip(cfg.students, cfg.labels()):
            per = _STUDENT_SECONDS_PER_MPIXEL.get(choice.name, 0.01)
            if choice.name == "soft-tree":
                n_fit = round(fit[method] * 1e6 / info[1])
                per *= soft_tree_epochs(choice.params.get("epochs", 10), n_fit)
                per += _DESKEW_SECONDS_PER_MPIXEL * params_for(choice, cfg.dataset).get(
                    "deskew", True)
            est[f"student:{label}.{method}"] = 0.2 + per * fit[method]
    return est


