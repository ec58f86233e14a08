"""Data sets imported from a user's files: read once (:mod:`distill.datafiles`), kept as an
npz with a JSON card beside it in the runs folder's ``data/``, then listed and loaded by name
like the built-in ones.

The card keeps what the app needs without loading the images (sizes, classes, the reader's
notes) and where they came from (the source's file name and sha256), so importing the same
file again finds the copy already there.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import numpy as np

from .datafiles import ReadOptions, read_path, sha256_of
from .dataset import DataError, Dataset, DatasetInfo
from .places import imported_data_dir

NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,60}$")
BUILT_IN: frozenset[str] = frozenset()  # names an import may not take (distill.data fills it)


def slug(text: str) -> str:
    """A data set name from a file's name: lower case letters, digits, '.', '_', '-'."""
    name = re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-._")[:60]
    return name or "data"


def import_dataset(path: str | Path, options: ReadOptions | None = None,
                   name: str | None = None, title: str | None = None,
                   reserved: tuple[str, ...] = (), owner: str | None = None,
                   source: str | None = None) -> DatasetInfo:
    """Read a user's data set and keep it under a name; the same source imported again (same
    sha256 and options) returns the copy already kept. ``reserved``: names it may not take;
    ``owner``: on a public demo, the browser it belongs to (only it lists it); ``source``:
    the name to remember it by (an upload's file name, not the temporary file's)."""
    path, options = Path(path).expanduser(), options or ReadOptions()
    if not path.exists():
        raise DataError(f"{path.name}: no such file or folder")
    digest = sha256_of(path)
    for info in imported(owner).values():
        card = read_card(info.name)
        if (card.get("sha256") == digest and card.get("options") == _options_json(options)
                and card.get("owner") == owner):
            return info
    data = read_path(path, options)
    wanted = slug(name or data.name)
    if name is not None and not NAME.match(name):
        raise DataError(f"{name!r} is not a data set name (lower case letters, digits, '.', "
                        "'_', '-')")
    name = _free_name(wanted, reserved)
    card = {"name": name, "title": title or data.name, "source": source or path.name,
            "owner": owner, "sha256": digest,
            "options": _options_json(options), "imported": time.time(),
            "n_train": len(data.x_train), "n_test": len(data.x_test),
            "image_shape": list(data.image_shape), "class_names": data.class_names,
            "notes": data.notes}
    save(data, card)
    return info_from_card(card)


def keep_dataset(data: Dataset, title: str | None = None,
                 reserved: tuple[str, ...] = ()) -> DatasetInfo:
    """Keep a data set made in Python (a notebook's arrays) like an imported one, so runs on it
    can name it; the same arrays kept again find their copy."""
    import hashlib

    from .datafiles import check_dataset
    check_dataset(data, data.name)
    digest = hashlib.sha256()
    for array in (data.x_train, data.y_train, data.x_test, data.y_test):
        digest.update(np.ascontiguousarray(array).tobytes())
    digest.update("\n".join(data.class_names).encode())
    for info in imported().values():
        if read_card(info.name).get("sha256") == digest.hexdigest():
            return info
    name = _free_name(slug(data.name), reserved)
    card = {"name": name, "title": title or data.name, "source": "Python", "options": {},
            "sha256": digest.hexdigest(), "imported": time.time(),
            "n_train": len(data.x_train), "n_test": len(data.x_test),
            "image_shape": list(data.image_shape), "class_names": list(data.class_names),
            "notes": list(data.notes)}
    save(data, card)
    return info_from_card(card)


def _options_json(options: ReadOptions) -> dict:
    return {"image_shape": options.image_shape and list(options.image_shape),
            "labels": options.labels and Path(options.labels).name,
            "resize": options.resize and list(options.resize),
            "label_column": options.label_column}


def _free_name(wanted: str, reserved: tuple[str, ...]) -> str:
    taken = set(imported()) | set(reserved) | BUILT_IN
    name, k = wanted, 1
    while name in taken:
        k += 1
        name = f"{wanted}-{k}"
    return name


def save(data: Dataset, card: dict) -> None:
    """The images (uint8 when they are whole steps of 1/255, else float32) and the card,
    each written atomically; the card last, since its presence lists the data set."""
    folder = imported_data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {"y_train": data.y_train, "y_test": data.y_test}
    for split in ("train", "test"):
        x = getattr(data, f"x_{split}")
        as_bytes = np.round(x * 255)
        exact = np.allclose(as_bytes / 255, x, atol=1e-6)
        arrays[f"x_{split}"] = as_bytes.astype(np.uint8) if exact else x.astype(np.float32)
    tmp = folder / f".{card['name']}.{os.getpid()}.npz"
    try:
        np.savez_compressed(tmp, **arrays)
        os.replace(tmp, folder / f"{card['name']}.npz")
    finally:
        tmp.unlink(missing_ok=True)
    text = folder / f".{card['name']}.{os.getpid()}.json"
    text.write_text(json.dumps(card, indent=2))
    os.replace(text, folder / f"{card['name']}.json")


def read_card(name: str) -> dict:
    path = imported_data_dir() / f"{name}.json"
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise DataError(f"no imported data set {name!r}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise DataError(f"the imported data set {name!r} is damaged ({err}); import it "
                        "again") from None


def info_from_card(card: dict) -> DatasetInfo:
    h, w = card["image_shape"]
    notes = "; ".join(card.get("notes") or [])
    description = (f"Your data: {card['n_train']:,} train / {card['n_test']:,} test images, "
                   f"{h}x{w}, {len(card['class_names'])} classes, from {card['source']}"
                   + (f" ({notes})" if notes else "") + ".")
    return DatasetInfo(card["name"], card["title"], description, True, card["n_train"],
                       card["n_test"], (h, w), len(card["class_names"]))


def imported(owner: str | None = None) -> dict[str, DatasetInfo]:
    """Every imported data set whose card reads, by name (sorted); those uploaded on a public
    demo only for their ``owner``."""
    folder = imported_data_dir()
    if not folder.is_dir():
        return {}
    out = {}
    for card_path in sorted(folder.glob("*.json")):
        if card_path.name.startswith("."):
            continue
        try:
            card = read_card(card_path.stem)
            if card.get("owner") in (None, owner):
                out[card_path.stem] = info_from_card(card)
        except (DataError, KeyError, TypeError, ValueError):
            continue  # a damaged card: that data set is not offered
    return out


def find(name: str) -> DatasetInfo | None:
    """An imported data set by name, whoever it belongs to (a job loads its owner's data by
    name; only the listing is private); None if there is none."""
    if not NAME.match(name or "") or not (imported_data_dir() / f"{name}.json").is_file():
        return None
    try:
        return info_from_card(read_card(name))
    except (DataError, KeyError, TypeError, ValueError):
        return None


def owner_of(name: str) -> str | None:
    """The browser an uploaded data set belongs to (None: everyone's)."""
    try:
        return read_card(name).get("owner") if find(name) is not None else None
    except DataError:
        return None


def load_imported(name: str) -> Dataset:
    card = read_card(name)
    path = imported_data_dir() / f"{name}.npz"
    try:
        with np.load(path, allow_pickle=False) as z:
            x = {s: z[f"x_{s}"] for s in ("train", "test")}
            y = {s: z[f"y_{s}"].astype(np.int64) for s in ("train", "test")}
    except (OSError, ValueError, KeyError) as err:
        raise DataError(f"the imported data set {name!r} is damaged ({type(err).__name__}); "
                        "import it again") from None
    images = {s: a.astype(np.float32) / 255.0 if a.dtype == np.uint8 else a.astype(np.float32)
              for s, a in x.items()}
    return Dataset(name, images["train"], y["train"], images["test"], y["test"],
                   list(card["class_names"]), list(card.get("notes") or []))
