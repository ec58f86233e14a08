"""What a run asks for: data set, teacher, students, method; checked before any work starts.

Plain dataclasses with no torch import, so pages and the job queue can build, validate and
serialise configurations cheaply. Defaults live in the dataclasses; bounds, words and the
public demo's caps in the two :class:`~distill.params.Param` tables beside them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from .boundary import BUDGET_S, ROUNDS, SOURCES
from .boundary import SAMPLE as BOUNDARY_SAMPLE
from .data import DEFAULT_DATASET, DataError, info_or_none, require_available
from .dataset import DatasetInfo
from .distillation import (
    AUTO_METHOD,
    BASELINE,
    BOUNDARY,
    LEAVES,
    METHOD_HELP,
    METHODS,
    TRANSFER_LABELS,
    TRANSFER_METHODS,
)
from .params import Param, ParamError, check_all
from .students import DEFAULT_STUDENTS, STUDENTS, make_student
from .transfer import AUTO, DEFAULT_TRANSFER, GENERATORS


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
# test digits each student's local fidelity is measured on (distill.explain.local_fidelity)
LOCAL_FIDELITY_SAMPLE = 200
SEED = Param("int", 0, 2**31 - 1, label="seed", help="Same seed and settings, same numbers.")

TEACHER_PARAMS: dict[str, Param] = {
    "arch": Param("choice", options=tuple(NETS), label="teacher network"),
    "epochs": Param("int", 1, 200, label="teacher epochs", hosted_high=6,
                    help="Passes over the training images."),
    "batch_size": Param("int", 1, 4096, label="batch size"),
    "lr": Param("float", 1e-5, 1.0, label="teacher learning rate",
                help="Peak of the warm-up/cosine schedule."),
    "weight_decay": Param("float", 0.0, 1.0, label="weight decay"),
    "augment": Param("bool", label="augment",
                     help="Random small rotations, scalings and shifts of training images."),
    "label_smoothing": Param("float", 0.0, 0.5, label="label smoothing"),
    "seed": SEED,
}

RUN_PARAMS: dict[str, Param] = {
    "method": Param("choice", options=METHODS, label="method",
                    help="; ".join(f"{k}: {v}" for k, v in METHOD_HELP.items())),
    "temperature": Param("float", 0.1, 20.0, label="temperature",
                         help="Softens the teacher's probabilities: a higher T shows more of "
                         "what it thinks the runners-up are."),
    "transfer": Param("choice", options=(AUTO, *GENERATORS), label="transfer set",
                      help="auto: the ones that suit the data set (measured; your own "
                      "images: munge and mixup); elastic: smooth local distortions of strokes; "
                      "munge: pixels swapped with a neighbour's; jitter: rotate and shift; "
                      "mixup: blends of two images; shift-mirror: whole-pixel shifts and "
                      "mirror images (clothes)."),
    "transfer_size": Param("int", 1, 50, label="transfer-set size", hosted_high=5,
                           help="Synthetic copies of every training image."),
    "transfer_labels": Param("choice", options=TRANSFER_LABELS, label="transfer labels",
                             help="auto: the teacher's probabilities at T for trees, its top "
                             "class for the others (measured best); soft: probabilities for "
                             "all; hard: the top class for all."),
    "leaves": Param("choice", options=LEAVES, label="leaf probabilities",
                    help="teacher: a distilled tree's leaves hold the teacher's own "
                    "probabilities over the digits that reach them (what a reader expects); "
                    "fitted: the softened targets the tree was grown on."),
    "rounds": Param("int", 0, 20, label="boundary rounds", hosted_high=3,
                    help="Method boundary: rounds of edits to the student's boundary, each "
                    "labelled by the teacher and followed by a fit."),
    "boundary_sample": Param("int", 1, 100_000, label="edits a round", hosted_high=300,
                             help="Method boundary: training images edited to the student's "
                             "boundary each round."),
    "boundary_seconds": Param("float", 0.1, 3600.0, label="seconds of edits a round",
                              hosted_high=60.0, help="Method boundary: a round stops finding "
                              "edits after this long (a student whose edits are dear)."),
    "boundary_source": Param("choice", options=SOURCES, label="boundary images",
                             help="Method boundary: student: the student's smallest edits to "
                             "its runner-up (any teacher); teacher: the teacher's own gradient "
                             "walk to its runner-up, the points either side of where it changes "
                             "its mind (a network trained here); both."),
    "local_fidelity": Param("int", 0, 10_000, label="local-fidelity digits", hosted_high=200,
                            help="Test digits on which each student's smallest edit to its "
                            "runner-up is shown to the network: how often the network follows "
                            f"(local fidelity), measured while training: seconds to minutes a "
                            f"student. 0 (default): measured on {LOCAL_FIDELITY_SAMPLE} digits "
                            "in the background when the run is first viewed, and kept."),
    "max_train": Param("int", 20, 10_000_000, label="max train", none="all"),
    "max_test": Param("int", 20, 10_000_000, label="max test", none="all"),
    "seed": SEED,
}


class ConfigError(ValueError):
    """A run configuration that cannot be trained, with the reason in words."""


@dataclass
class TeacherConfig:
    arch: str = DEFAULT_NET
    epochs: int = 6
    batch_size: int = 64
    lr: float = 4e-3  # peak of the one-cycle schedule
    weight_decay: float = 5e-4
    augment: bool = True  # random affine jitter: rotate, scale, shift
    label_smoothing: float = 0.1
    seed: int = 0

    def validate(self) -> None:
        problems = check_all(TEACHER_PARAMS, asdict(self))
        if problems:
            raise ConfigError("; ".join(problems))


def data_defaults(student: str, dataset: str) -> dict:
    """Student parameters whose best value depends on the data set: straightening digits
    (``deskew``) where the data set's handwriting leans (bench/results/ has the measurements)."""
    info = info_or_none(dataset)
    if info is not None and student in STUDENTS and "deskew" in STUDENTS[student].cls.PARAMS:
        on = info.deskew if isinstance(info.deskew, bool) else student in info.deskew
        return {"deskew": on}
    return {}


def teacher_epochs(dataset: str) -> int:
    """The teacher's default epochs on ``dataset``: the usual, or the data set's own where one
    pass over it teaches less (Fashion-MNIST; bench/results/fidelity.md)."""
    info = info_or_none(dataset)
    return info.teacher_epochs if info and info.teacher_epochs else TeacherConfig().epochs


def transfer_size_for(dataset: str) -> int:
    """The default transfer set's size on ``dataset``: the usual, or the data set's own where
    the usual would not fit a laptop (full MNIST; bench/results/mnist.md)."""
    info = info_or_none(dataset)
    return info.transfer_size if info and info.transfer_size else RunConfig.transfer_size


@dataclass
class StudentChoice:
    """A student to train: a registry name, parameter overrides, and an optional label."""

    name: str
    params: dict = field(default_factory=dict)
    label: str | None = None


def params_for(choice: StudentChoice, dataset: str) -> dict:
    """The parameters a choice trains with on ``dataset``: data defaults, then the user's."""
    return {**data_defaults(choice.name, dataset), **choice.params}


@dataclass(frozen=True)
class Model:
    """One student of a run under one method, named as metrics.json names it."""

    name: str  # "tree.transfer"
    label: str
    choice: StudentChoice
    method: str

    @property
    def trains_in_epochs(self) -> bool:  # with torch: it would share the teacher's threads
        return STUDENTS[self.choice.name].cls.reports_progress


@dataclass
class RunConfig:
    dataset: str = DEFAULT_DATASET
    data_dir: str | None = None
    max_train: int | None = None  # stratified subsets, for quick runs and tests
    max_test: int | None = None
    teacher: TeacherConfig = field(default_factory=TeacherConfig)
    students: list[StudentChoice] = field(
        default_factory=lambda: [StudentChoice(n) for n in DEFAULT_STUDENTS])
    method: str = AUTO_METHOD
    temperature: float = 4.0
    transfer: str = DEFAULT_TRANSFER
    transfer_size: int = 10
    transfer_labels: str = "auto"
    leaves: str = "teacher"
    rounds: int = ROUNDS  # method boundary (distill.boundary)
    boundary_sample: int = BOUNDARY_SAMPLE
    boundary_seconds: float = BUDGET_S
    boundary_source: str = "student"
    local_fidelity: int = 0  # digits measured while training; 0: later, in the background
    seed: int = 0
    title: str | None = None
    # your own network: an ONNX file is the teacher (none is trained), given pixels as it was
    # trained on them (distill.teachers.parse_input), its class scores read from one output
    teacher_file: str | None = None
    teacher_input: str = "0-1"
    teacher_output: str | None = None
    insist: bool = False  # distil even a teacher that reads the test images at chance

    def models(self) -> list[Model]:
        """Every student the run fits, under each method, in the order it fits, reports and
        saves them."""
        return [Model(f"{label}.{method}", label, choice, method) for method in self.methods()
                for choice, label in zip(self.students, self.labels())]

    def labels(self) -> list[str]:
        """Unique labels: the student's name, numbered when a name repeats."""
        seen: dict[str, int] = {}
        out = []
        for s in self.students:
            base = s.label or s.name
            seen[base] = seen.get(base, 0) + 1
            out.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
        return out

    @property
    def needs_teacher(self) -> bool:
        """Only a run on the true labels alone trains no network."""
        return self.method != BASELINE

    def generators(self) -> tuple[str, ...]:
        """The transfer sets the run makes: the one ``transfer`` names, or with ``auto`` the
        data set's suitable ones (DatasetInfo.transfer_sets): all of them as ``--method
        auto``'s candidates, the first for ``--method transfer``."""
        if self.method not in (*TRANSFER_METHODS, AUTO_METHOD):
            return ()
        if self.transfer != AUTO:
            return (self.transfer,)
        info = info_or_none(self.dataset)
        suitable = info.transfer_sets if info else DatasetInfo.transfer_sets
        return tuple(suitable) if self.method == AUTO_METHOD else tuple(suitable[:1])

    def methods(self) -> list[str]:
        """The chosen method, then the ground-truth baseline (once)."""
        return [self.method] if self.method == BASELINE else [self.method, BASELINE]

    def validate(self) -> None:
        """Raise ConfigError with every problem found, before any work starts."""
        problems = []
        try:
            require_available(self.dataset, self.data_dir)
        except DataError as err:
            problems.append(str(err))
        problems += self._teacher_file_problems()
        problems += check_all(TEACHER_PARAMS, asdict(self.teacher))
        problems += check_all(RUN_PARAMS, asdict(self))
        if not self.students:
            problems.append("choose at least one student")
        for s in self.students:
            try:
                make_student(s.name, **s.params)
            except (ParamError, ValueError, TypeError) as err:
                problems.append(str(err))
        if problems:
            raise ConfigError("; ".join(dict.fromkeys(problems)))

    def _teacher_file_problems(self) -> list[str]:
        """What is wrong with the teacher file, found without running it (the pipeline loads
        and checks it before any work)."""
        if self.teacher_file is None:
            return []
        from .teachers import TeacherFileError, parse_input
        path = Path(self.teacher_file).expanduser()
        problems = []
        if path.suffix.lower() != ".onnx":
            problems.append(f"{path.name}: the teacher must be an ONNX file (.onnx); pickles "
                            "and TorchScript files can run any code and are never loaded")
        elif not path.is_file():
            problems.append(f"{path.name}: no such teacher file")
        if self.method == BASELINE:
            problems.append("a run on the true labels alone has no teacher; choose another "
                            "method to distil your network")
        if self.method == BOUNDARY and self.boundary_source != "student":
            problems.append("the teacher's own walk to its boundary needs a network trained "
                            "here (a network from a file only answers); use boundary images "
                            "from the student")
        try:
            parse_input(self.teacher_input)
        except TeacherFileError as err:
            problems.append(str(err))
        return problems

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> RunConfig:
        d = dict(d)
        d["teacher"] = TeacherConfig(**d.get("teacher", {}))
        d["students"] = [StudentChoice(**s) for s in d.get("students", [])]
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in d.items() if k in known})


def plan(cfg: RunConfig) -> list[str]:
    """The stage names of a run, in order, for progress displays."""
    network = cfg.needs_teacher
    return ["data", *["teacher"] * network, "targets", *["choose"] * (cfg.method == AUTO_METHOD),
            *[f"student:{m.name}" for m in cfg.models()], "evaluate",
            *["local fidelity"] * (network and cfg.local_fidelity > 0), *["saliency"] * network,
            "save"]
