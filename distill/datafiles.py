"""A user's own images read into a :class:`~distill.data.Dataset`: an npz file, an image folder
(or a zip of one), a CSV table, or IDX files under any name.

Every reader ends in the same checks (:func:`check_dataset`), and a refusal is a
:class:`~distill.data.DataError` whose lines each name a file and what is wrong with it. Nothing
is unpickled: npz files are read with ``allow_pickle=False``. What a reader decided on the
user's behalf (the class order, colour made grey, a split made here) is kept in
``Dataset.notes``, for the run to say.
"""

from __future__ import annotations

import gzip
import os
import shutil
import stat
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np

from .dataset import SPLIT_SEED, DataError, Dataset

MIN_CLASSES, MAX_CLASSES = 2, 100
MIN_SIDE, MAX_SIDE = 8, 64
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")
NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")
LABELS_FILE = "labels.txt"
TEST_SHARE = 0.2  # a folder or table without its own test split: 80/20, stratified, seeded
MAX_PROBLEMS = 12  # lines of a refusal: the first problems found, then a count


@dataclass(frozen=True)
class ReadOptions:
    """How to read what a file does not say itself."""

    image_shape: tuple[int, int] | None = None  # flat rows (N, H*W) -> (N, H, W)
    labels: str | Path | None = None  # a labels.txt: the teacher's class order
    resize: tuple[int, int] | None = None  # images of another size are resized to this
    label_column: str | None = None  # CSV: the column with the labels
    max_files: int = 200_000  # a zip's entries
    max_bytes: int = 2 * 1024 ** 3  # a zip's unpacked size
    max_images: int | None = None  # every split together (hosted uploads are capped)


def parse_shape(text: str | None) -> tuple[int, int] | None:
    """"28x28" -> (28, 28); None stays None."""
    if text is None:
        return None
    try:
        h, w = (int(p) for p in str(text).lower().split("x"))
    except ValueError:
        raise DataError(f"{text!r} is not an image size; write it as HxW, e.g. 28x28") from None
    return h, w


def read_path(path: str | Path, options: ReadOptions | None = None) -> Dataset:
    """The data set in ``path``: a .npz, .zip or .csv file, or a folder of images or IDX files."""
    path, options = Path(path).expanduser(), options or ReadOptions()
    if not path.exists():
        raise DataError(f"{path.name}: no such file or folder")
    name = path.stem if path.is_file() else path.name
    if path.is_dir():
        data = (_read_idx_folder(path, name) if _idx_files(path)
                else _read_image_folder(path, name, options))
    elif path.suffix.lower() == ".npz":
        data = _read_npz(path, name, options)
    elif path.suffix.lower() == ".csv":
        data = _read_csv(path, name, options)
    elif path.suffix.lower() == ".zip":
        with tempfile.TemporaryDirectory(prefix="distill-zip-") as tmp:
            root = unzip_safely(path, Path(tmp), options.max_files, options.max_bytes)
            data = _read_image_folder(root, name, options, shown=path.name)
    else:
        raise DataError(f"{path.name}: not a data set this app reads (an .npz, .csv or .zip "
                        "file, or a folder of images or of IDX files)")
    return check_dataset(data, path.name, options.max_images)


# --------------------------------------------------------------------------------------
# the checks every reader ends with


def check_dataset(data: Dataset, shown: str, max_images: int | None = None) -> Dataset:
    """Refuse a data set this app cannot distil, saying why; returns it unchanged."""
    h, w = data.image_shape
    problems = []
    if not MIN_CLASSES <= data.n_classes <= MAX_CLASSES:
        problems.append(f"{data.n_classes} classes; this app takes {MIN_CLASSES} to "
                        f"{MAX_CLASSES}")
    if not (MIN_SIDE <= h <= MAX_SIDE and MIN_SIDE <= w <= MAX_SIDE):
        problems.append(f"images are {h}x{w}; this app takes {MIN_SIDE}x{MIN_SIDE} to "
                        f"{MAX_SIDE}x{MAX_SIDE} (--resize HxW resizes image files)")
    total = len(data.x_train) + len(data.x_test)
    if max_images is not None and total > max_images:
        problems.append(f"{total:,} images, over the limit of {max_images:,} here")
    for part, y in (("train", data.y_train), ("test", data.y_test)):
        missing = sorted(set(range(data.n_classes)) - set(np.unique(y).tolist()))
        if missing:
            names = ", ".join(repr(data.class_names[c]) for c in missing[:5])
            problems.append(f"no {part} image of class {names}"
                            + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
                            + "; every class needs at least one image in each split")
    if problems:
        raise DataError("\n".join(f"{shown}: {p}" for p in problems))
    return data


def _refuse(problems: list[str]) -> None:
    """One line a problem, the first :data:`MAX_PROBLEMS` of them."""
    if problems:
        more = len(problems) - MAX_PROBLEMS
        lines = problems[:MAX_PROBLEMS] + ([f"... and {more} more"] if more > 0 else [])
        raise DataError("\n".join(lines))


def to_images(array: np.ndarray, where: str, image_shape: tuple[int, int] | None
              ) -> np.ndarray:
    """An array of images as float32 (N, H, W) in [0, 1]: from (N, H, W), (N, H, W, 1) or
    flat rows (N, H*W); bytes 0-255 or floats 0-1."""
    x = np.asarray(array)
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim == 2:
        side = int(round(np.sqrt(x.shape[1])))
        shape = image_shape or ((side, side) if side * side == x.shape[1] else None)
        if shape is None or shape[0] * shape[1] != x.shape[1]:
            raise DataError(f"{where}: rows of {x.shape[1]} pixels; give the image size "
                            "with --image-shape HxW")
        x = x.reshape(len(x), *shape)
    if x.ndim != 3:
        raise DataError(f"{where}: shape {x.shape}; images must be (N, H, W), (N, H, W, 1) "
                        "or (N, H*W)")
    return scale_pixels(x, where)


def scale_pixels(x: np.ndarray, where: str) -> np.ndarray:
    """Pixels as float32 in [0, 1]: whole numbers 0-255 are divided by 255, floats in [0, 1]
    kept; anything else refused with the range found."""
    if x.size == 0:
        raise DataError(f"{where}: no images")
    if x.dtype.kind not in "uif":
        raise DataError(f"{where}: pixels of type {x.dtype}, not numbers")
    lo, hi = float(np.min(x)), float(np.max(x))
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise DataError(f"{where}: pixels include NaN or infinity")
    if x.dtype.kind in "ui":
        if lo < 0 or hi > 255:
            raise DataError(f"{where}: pixel values run from {lo:g} to {hi:g}; give bytes "
                            "0-255 or floats in [0, 1]")
        return (x.astype(np.float32) / 255.0)
    if lo < 0 or hi > 1:
        raise DataError(f"{where}: pixel values run from {lo:g} to {hi:g}; give bytes 0-255 "
                        "or floats in [0, 1]")
    return x.astype(np.float32)


def to_labels(array: np.ndarray, n: int, where: str, names: list[str] | None
              ) -> tuple[np.ndarray, list[str] | None]:
    """Labels as int64 class numbers: whole numbers 0..K-1, or strings named in ``names``
    (or, without names, sorted). Returns the labels and the names strings gave."""
    y = np.asarray(array)
    if y.ndim != 1 or len(y) != n:
        raise DataError(f"{where}: {y.shape[0] if y.ndim else 'no'} labels for {n} images")
    if y.dtype.kind in "US":
        y = y.astype(str)
        names = names or sorted(set(y.tolist()))
        index = {c: i for i, c in enumerate(names)}
        unknown = sorted(set(y.tolist()) - set(index))
        if unknown:
            raise DataError(f"{where}: labels {unknown[:5]} are not among the class names")
        return np.array([index[c] for c in y], np.int64), names
    if y.dtype.kind == "f" and not np.all(np.mod(y, 1) == 0):
        raise DataError(f"{where}: labels must be whole class numbers")
    if y.dtype.kind not in "uif":
        raise DataError(f"{where}: labels of type {y.dtype}, not class numbers")
    if len(y) and y.min() < 0:
        raise DataError(f"{where}: label {int(y.min())} is negative")
    return y.astype(np.int64), names


def split(name: str, x: np.ndarray, y: np.ndarray, names: list[str], notes: list[str],
          shown: str) -> Dataset:
    """A train/test split of a source that has none: stratified, seeded, 80/20."""
    from sklearn.model_selection import train_test_split
    counts = np.bincount(y, minlength=len(names))
    rare = [names[c] for c in np.flatnonzero(counts < 2)]
    if rare:
        raise DataError(f"{shown}: class {rare[0]!r} has {int(counts[names.index(rare[0])])} "
                        "image(s); a split into train and test needs at least 2 of each")
    test = max(len(names), int(round(TEST_SHARE * len(y))))
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=test, stratify=y,
                                              random_state=SPLIT_SEED)
    return Dataset(name, x_tr, y_tr, x_te, y_te, names,
                   notes + [f"split here into {len(y_tr):,} train and {len(y_te):,} test "
                            "images (80/20, stratified, seeded)"])


def _names_for(y_all: list[np.ndarray], given: list[str] | None) -> list[str]:
    n = max(int(y.max()) + 1 for y in y_all if len(y))
    if given is not None:
        if len(given) < n:
            raise DataError(f"class_names has {len(given)} names, but labels go up to {n - 1}")
        return list(given)
    return [str(c) for c in range(n)]


# --------------------------------------------------------------------------------------
# npz


def _read_npz(path: Path, name: str, options: ReadOptions) -> Dataset:
    if not zipfile.is_zipfile(path):  # numpy would try it as a pickle: a misleading refusal
        raise DataError(f"{path.name}: not a readable .npz file (not a zip of arrays; save "
                        "them with numpy.savez)")
    try:
        with np.load(path, allow_pickle=False) as z:
            missing = [k for k in NPZ_KEYS if k not in z.files]
            if missing:
                raise DataError(f"{path.name}: no {', '.join(missing)} (an .npz needs "
                                f"{', '.join(NPZ_KEYS)}, and may have class_names)")
            arrays = {k: z[k] for k in (*NPZ_KEYS, "class_names") if k in z.files}
    except ValueError as err:
        if "pickle" in str(err):
            raise DataError(f"{path.name}: holds Python objects (pickled data), which this app "
                            "never loads; save plain arrays with numpy.savez") from None
        raise DataError(f"{path.name}: not a readable .npz file ({_first_line(err)})") from None
    except (OSError, zipfile.BadZipFile, EOFError) as err:
        raise DataError(f"{path.name}: not a readable .npz file ({type(err).__name__})") from None
    given = None
    if "class_names" in arrays:
        given = [str(c) for c in np.asarray(arrays["class_names"]).reshape(-1).tolist()]
    x_tr = to_images(arrays["x_train"], f"{path.name}: x_train", options.image_shape)
    x_te = to_images(arrays["x_test"], f"{path.name}: x_test", options.image_shape)
    if x_tr.shape[1:] != x_te.shape[1:]:
        raise DataError(f"{path.name}: train images are {x_tr.shape[1:]}, test images "
                        f"{x_te.shape[1:]}; both splits need one size")
    y_tr, given = to_labels(arrays["y_train"], len(x_tr), f"{path.name}: y_train", given)
    y_te, given = to_labels(arrays["y_test"], len(x_te), f"{path.name}: y_test", given)
    names = _names_for([y_tr, y_te], given)  # a name for every label, or refused
    return Dataset(name, x_tr, y_tr, x_te, y_te, names)


# --------------------------------------------------------------------------------------
# CSV


def _read_csv(path: Path, name: str, options: ReadOptions) -> Dataset:
    import pandas as pd
    try:
        table = pd.read_csv(path)
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as err:
        raise DataError(f"{path.name}: not a readable CSV table ({_first_line(err)})") from None
    if table.shape[1] < 2:
        raise DataError(f"{path.name}: {table.shape[1]} column(s); a CSV needs a label column "
                        "and one column per pixel")
    column = options.label_column or next(
        (c for c in table.columns if str(c).strip().lower() in ("label", "labels", "class",
                                                                 "target", "y")),
        table.columns[0])
    if column not in table.columns:
        raise DataError(f"{path.name}: no column {column!r}")
    pixels = table.drop(columns=[column])
    bad = [c for c in pixels.columns if pixels[c].dtype.kind not in "uif"]
    if bad:
        raise DataError(f"{path.name}: column {bad[0]!r} is not numbers; every column but the "
                        f"label ({column!r}) must be a pixel")
    x = to_images(pixels.to_numpy(), path.name, options.image_shape)
    labels = table[column].to_numpy()
    if labels.dtype == object:  # pandas keeps text as objects: class names
        labels = labels.astype(str)
    y, names = to_labels(labels, len(x), f"{path.name}: {column}", None)
    names = _names_for([y], names)
    return split(name, x, y, names, [], path.name)


def _first_line(err: BaseException) -> str:
    return str(err).splitlines()[0][:120] if str(err) else type(err).__name__


# --------------------------------------------------------------------------------------
# IDX files under any name


IDX_IMAGES, IDX_LABELS = 0x0803, 0x0801  # unsigned bytes, 3 and 1 dimensions


def _idx_kind(path: Path) -> int | None:
    """The IDX type of a file (images or labels), from its first four bytes; None if not."""
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as f:
            head = f.read(4)
    except (OSError, EOFError):
        return None
    if len(head) < 4 or head[:2] != b"\0\0":
        return None
    kind = int.from_bytes(head[2:], "big")
    return kind if kind in (IDX_IMAGES, IDX_LABELS) else None


def _idx_files(folder: Path) -> dict[int, list[Path]]:
    found: dict[int, list[Path]] = {}
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        kind = _idx_kind(path)
        if kind is not None:
            found.setdefault(kind, []).append(path)
    return found


def read_idx(path: Path) -> np.ndarray:
    """An IDX file's array (uint8), its header checked against its length."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as err:
        raise DataError(f"{path.name}: cannot be read ({type(err).__name__})") from None
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    body = raw[4 + 4 * ndim:]
    if len(body) != int(np.prod(dims)):
        raise DataError(f"{path.name}: the header promises {int(np.prod(dims)):,} bytes, the "
                        f"file holds {len(body):,}: it is truncated or damaged")
    return np.frombuffer(body, np.uint8).reshape(dims)


def _test_first(paths: list[Path]) -> list[Path]:
    """Two files of a kind: the test one (named test or t10k) second."""
    def is_test(p: Path) -> bool:
        return "t10k" in p.name.lower() or "test" in p.name.lower()
    return sorted(paths, key=is_test)


def _read_idx_folder(folder: Path, name: str) -> Dataset:
    files = _idx_files(folder)
    images, labels = files.get(IDX_IMAGES, []), files.get(IDX_LABELS, [])
    if len(images) != 2 or len(labels) != 2:
        raise DataError(f"{folder.name}: {len(images)} IDX image file(s) and {len(labels)} "
                        "label file(s); a folder needs two of each (train, and test named "
                        "'test' or 't10k')")
    (tr_x, te_x), (tr_y, te_y) = _test_first(images), _test_first(labels)
    parts = []
    for xp, yp in ((tr_x, tr_y), (te_x, te_y)):
        x, y = read_idx(xp), read_idx(yp)
        if len(x) != len(y):
            raise DataError(f"{xp.name}: {len(x):,} images, but {yp.name} has {len(y):,} "
                            "labels")
        parts += [scale_pixels(x, xp.name), y.astype(np.int64)]
    names = _names_for([parts[1], parts[3]], None)
    return Dataset(name, *parts, names)


# --------------------------------------------------------------------------------------
# image folders and zips of them


def unzip_safely(path: Path, dest: Path, max_files: int, max_bytes: int) -> Path:
    """Unpack a zip into ``dest``, refusing entries that point outside it (absolute, ``..``,
    links), too many entries and too many bytes (counted while unpacking: a zip bomb's
    header may lie); returns the folder holding the data (a lone top folder is stepped into)."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as err:
        raise DataError(f"{path.name}: not a readable zip file ({_first_line(err)})") from None
    with archive:
        entries = archive.infolist()
        if len(entries) > max_files:
            raise DataError(f"{path.name}: {len(entries):,} entries, over the limit of "
                            f"{max_files:,}")
        for entry in entries:
            _check_entry(path, entry)
        written = 0
        for entry in entries:
            target = dest / entry.filename
            if entry.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(entry) as src, open(target, "wb") as out:
                while chunk := src.read(1 << 20):
                    written += len(chunk)
                    if written > max_bytes:
                        raise DataError(f"{path.name}: unpacks to more than "
                                        f"{max_bytes / 1024 ** 2:,.0f} MB, the limit here "
                                        "(a zip bomb?)")
                    out.write(chunk)
    tops = [p for p in dest.iterdir() if not _hidden(p)]
    return tops[0] if len(tops) == 1 and tops[0].is_dir() else dest


def _check_entry(path: Path, entry: zipfile.ZipInfo) -> None:
    name = entry.filename
    parts = PurePosixPath(name).parts
    mode = entry.external_attr >> 16
    if (name.startswith(("/", "\\")) or "\\" in name or ".." in parts
            or (parts and ":" in parts[0]) or stat.S_ISLNK(mode)):
        raise DataError(f"{path.name}: entry {name!r} points outside the archive; refused")


def _hidden(p: Path) -> bool:
    return p.name.startswith((".", "__MACOSX")) or p.name in ("Thumbs.db", "desktop.ini")


def _class_folders(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and not _hidden(p))


def _read_image_folder(root: Path, name: str, options: ReadOptions,
                       shown: str | None = None) -> Dataset:
    """``root/train/<class>/*`` and ``root/test/<class>/*``, or ``root/<class>/*`` split here;
    classes in the order of a labels file (the teacher's output order), else sorted."""
    shown = shown or root.name
    splits = {s: root / s for s in ("train", "test") if (root / s).is_dir()}
    if splits and len(splits) != 2:
        raise DataError(f"{shown}: has a {next(iter(splits))}/ folder but no "
                        f"{'test' if 'train' in splits else 'train'}/ folder beside it")
    folders = {s: _class_folders(p) for s, p in splits.items()} or {"all": _class_folders(root)}
    found = sorted({p.name for fs in folders.values() for p in fs})
    if not found:
        raise DataError(f"{shown}: no class folders; put each class's images in a folder "
                        "named after it (train/<class>/ and test/<class>/, or <class>/)")
    names, notes = _class_order(root, found, options, shown)
    read = _ImageReader(options, shown, root)
    parts = {}
    for split_name, class_folders in folders.items():
        xs, ys = [], []
        for folder in class_folders:
            for image in read.folder(folder):
                xs.append(image)
                ys.append(names.index(folder.name))
        parts[split_name] = (xs, ys)
    _refuse(read.problems)
    notes += read.notes()
    if "all" in parts:
        xs, ys = parts["all"]
        return split(name, np.stack(xs), np.array(ys, np.int64), names, notes, shown)
    (x_tr, y_tr), (x_te, y_te) = parts["train"], parts["test"]
    if not x_tr or not x_te:
        raise DataError(f"{shown}: the {'train' if not x_tr else 'test'} folder holds no image")
    return Dataset(name, np.stack(x_tr), np.array(y_tr, np.int64), np.stack(x_te),
                   np.array(y_te, np.int64), names, notes)


def _class_order(root: Path, found: list[str], options: ReadOptions, shown: str
                 ) -> tuple[list[str], list[str]]:
    """The class names in the teacher's order, and a note when the order was guessed."""
    file = Path(options.labels) if options.labels else root / LABELS_FILE
    if options.labels and not file.is_file():
        raise DataError(f"{file.name}: no such labels file")
    if not file.is_file():
        return found, ["class order: the folder names sorted, as torchvision's ImageFolder "
                       "does; give a labels.txt (one class a line, in the order of the "
                       "network's outputs) if your network was trained with another order"]
    names = [line.strip() for line in file.read_text().splitlines() if line.strip()]
    problems = []
    if len(set(names)) != len(names):
        problems.append(f"{file.name}: a class is named twice")
    problems += [f"{file.name}: no folder for class {n!r}" for n in names if n not in found]
    problems += [f"{file.name}: does not name the folder {n!r}" for n in found if n not in names]
    _refuse([f"{shown}: {p}" for p in problems])
    return names, [f"class order: as {file.name} gives it"]


class _ImageReader:
    """Reads image files as grey float32 arrays of one size, noting problems per file."""

    def __init__(self, options: ReadOptions, shown: str, root: Path):
        self.options, self.shown, self.root = options, shown, root
        self.size: tuple[int, int] | None = options.resize  # (H, W) once known
        self.first: str | None = None
        self.problems: list[str] = []
        self.converted = 0
        self.resized = 0

    def folder(self, folder: Path):
        for path in sorted(p for p in folder.iterdir() if not _hidden(p)):
            image = self.read(path)
            if image is not None:
                yield image

    def _where(self, path: Path) -> str:
        return f"{self.shown}: {path.relative_to(self.root).as_posix()}"

    def read(self, path: Path) -> np.ndarray | None:
        from PIL import Image, UnidentifiedImageError
        if path.is_dir() or path.suffix.lower() not in IMAGE_SUFFIXES:
            self.problems.append(f"{self._where(path)}: not an image (PNG, JPEG or BMP)")
            return None
        try:
            with Image.open(path) as im:
                im.load()
                if im.mode not in ("1", "L", "P", "RGB", "RGBA", "LA", "CMYK"):
                    self.problems.append(f"{self._where(path)}: {im.mode} pixels; give 8-bit "
                                         "grey or colour images")
                    return None
                if im.mode not in ("1", "L"):
                    self.converted += 1
                grey = im.convert("L")
        except (UnidentifiedImageError, OSError, ValueError) as err:
            self.problems.append(f"{self._where(path)}: not a readable image "
                                 f"({_first_line(err)})")
            return None
        h, w = grey.height, grey.width
        if self.size is None:
            self.size, self.first = (h, w), self._where(path)
        if (h, w) != self.size:
            if self.options.resize is None:
                self.problems.append(f"{self._where(path)}: {h}x{w}, but {self.first} is "
                                     f"{self.size[0]}x{self.size[1]}; give --resize HxW")
                return None
            grey = grey.resize((self.size[1], self.size[0]), Image.BILINEAR)
            self.resized += 1
        return np.asarray(grey, np.float32) / 255.0

    def notes(self) -> list[str]:
        notes = []
        if self.converted:
            notes.append(f"{self.converted:,} colour image(s) converted to grey")
        if self.resized:
            notes.append(f"{self.resized:,} image(s) resized to {self.size[0]}x{self.size[1]}")
        return notes


# --------------------------------------------------------------------------------------
# helpers for tests and the command line


def sha256_of(path: Path) -> str:
    """The sha256 of a file, or of a folder's files (names and contents, in order)."""
    import hashlib
    digest = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for f in files:
        if path.is_dir():
            digest.update(f.relative_to(path).as_posix().encode() + b"\0")
        with open(f, "rb") as src:
            while chunk := src.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()


def copy_atomically(src: Path, target: Path) -> None:
    tmp = target.with_name(f".{target.name}.{os.getpid()}.part")
    shutil.copyfile(src, tmp)
    os.replace(tmp, target)
