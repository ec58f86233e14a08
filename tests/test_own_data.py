"""Your own data set: npz, image folders (and zips of them), CSV and IDX files under any name,
read into the same Dataset, every refusal one line naming the file, imported once by name."""

import gzip
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from distill.data import DataError, known_datasets, load_dataset
from distill.datafiles import ReadOptions, read_path
from distill.datastore import import_dataset, imported
from distill.places import imported_data_dir


def arrays(n_train=30, n_test=20, classes=3, side=8, seed=0):
    """Images whose class is readable (class c lights row band c), labels cycling."""
    rng = np.random.default_rng(seed)

    def make(n):
        y = np.arange(n) % classes
        x = rng.integers(0, 40, (n, side, side)).astype(np.uint8)
        for i, c in enumerate(y):
            x[i, c * 2:c * 2 + 2] = 250
        return x, y
    (x_tr, y_tr), (x_te, y_te) = make(n_train), make(n_test)
    return x_tr, y_tr, x_te, y_te


def save_npz(path: Path, **overrides) -> Path:
    x_tr, y_tr, x_te, y_te = arrays()
    data = {"x_train": x_tr, "y_train": y_tr, "x_test": x_te, "y_test": y_te, **overrides}
    np.savez(path, **{k: v for k, v in data.items() if v is not None})
    return path


def write_folder(root: Path, layout: str = "split", colour: bool = False,
                 sizes: dict | None = None, names=("cat", "ant", "bee")) -> Path:
    """An ImageFolder tree of PNGs: train/<class>/, test/<class>/ ("split") or <class>/."""
    x_tr, y_tr, x_te, y_te = arrays(classes=len(names))
    parts = ({"train": (x_tr, y_tr), "test": (x_te, y_te)} if layout == "split"
             else {"": (np.concatenate([x_tr, x_te]), np.concatenate([y_tr, y_te]))})
    for part, (x, y) in parts.items():
        for i, (image, c) in enumerate(zip(x, y)):
            folder = root / part / names[c]
            folder.mkdir(parents=True, exist_ok=True)
            im = Image.fromarray(image)
            if colour:
                im = im.convert("RGB")
            size = (sizes or {}).get((part, i))
            if size:
                im = im.resize(size)
            im.save(folder / f"{i:03d}.png")
    return root


# --------------------------------------------------------------------------------------
# npz


@pytest.mark.parametrize("form", ["nhw", "nhw1", "flat", "float"])
def test_npz_in_each_form_reads_the_same_images(tmp_path, form):
    x_tr, y_tr, x_te, y_te = arrays()
    shaped = {"nhw": lambda x: x, "nhw1": lambda x: x[..., None],
              "flat": lambda x: x.reshape(len(x), -1), "float": lambda x: x / 255.0}[form]
    path = save_npz(tmp_path / "d.npz", x_train=shaped(x_tr), x_test=shaped(x_te))
    data = read_path(path)
    assert data.x_train.shape == (30, 8, 8) and data.x_train.dtype == np.float32
    np.testing.assert_allclose(data.x_train, x_tr / 255.0, atol=1e-6)
    assert data.y_test.tolist() == y_te.tolist() and data.class_names == ["0", "1", "2"]


def test_npz_class_names_and_string_labels(tmp_path):
    x_tr, y_tr, x_te, y_te = arrays()
    names = np.array(["zero", "one", "two"])
    data = read_path(save_npz(tmp_path / "d.npz", y_train=names[y_tr], y_test=names[y_te],
                              class_names=np.array(["two", "one", "zero"])))
    assert data.class_names == ["two", "one", "zero"]  # the file's order: the network's
    assert data.y_train.tolist() == (2 - y_tr).tolist()


def test_flat_rows_of_another_shape_need_the_image_shape(tmp_path):
    x_tr, _, x_te, _ = arrays(side=8)
    wide = {"x_train": np.tile(x_tr, (1, 1, 2)).reshape(30, -1),
            "x_test": np.tile(x_te, (1, 1, 2)).reshape(20, -1)}  # 8x16 as 128 columns
    path = save_npz(tmp_path / "d.npz", **wide)
    with pytest.raises(DataError, match=r"^d\.npz: x_train: rows of 128 pixels; give the image "
                                        r"size with --image-shape HxW$"):
        read_path(path)
    assert read_path(path, ReadOptions(image_shape=(8, 16))).image_shape == (8, 16)


@pytest.mark.parametrize("override, message", [
    ({"x_train": np.full((30, 8, 8), 2.5)},
     r"^d\.npz: x_train: pixel values run from 2\.5 to 2\.5; give bytes 0-255 or floats in "
     r"\[0, 1\]$"),
    ({"x_test": np.full((20, 8, 8), 300)}, r"x_test: pixel values run from 300 to 300"),
    ({"y_test": None}, r"^d\.npz: no y_test \(an \.npz needs x_train, y_train, x_test, "
                       r"y_test, and may have class_names\)$"),
    ({"y_train": np.arange(29) % 3}, r"^d\.npz: y_train: 29 labels for 30 images$"),
    ({"x_train": np.zeros((30, 8, 8, 3))}, r"shape \(30, 8, 8, 3\); images must be"),
    ({"y_test": np.zeros(20, int)}, r"^d\.npz: no test image of class '1', '2'; every class "
                                    r"needs at least one image in each split$"),
    ({"x_train": np.zeros((30, 4, 4), np.uint8), "x_test": np.zeros((20, 4, 4), np.uint8)},
     r"^d\.npz: images are 4x4; this app takes 8x8 to 64x64"),
    ({"y_train": np.arange(30), "y_test": np.arange(20) % 3},
     r"^d\.npz: no test image of class '3', '4', '5', '6', '7' and 22 more; every class "
     r"needs at least one image in each split$"),
])
def test_a_bad_npz_is_refused_with_one_line_naming_it(tmp_path, override, message):
    with pytest.raises(DataError, match=message):
        read_path(save_npz(tmp_path / "d.npz", **override))


def test_an_npz_with_python_objects_is_never_unpickled(tmp_path):
    path = save_npz(tmp_path / "d.npz", class_names=np.array([{"evil": 1}], dtype=object))
    with pytest.raises(DataError, match=r"^d\.npz: holds Python objects \(pickled data\), "
                                        r"which this app never loads"):
        read_path(path)


def test_too_many_classes_are_refused(tmp_path):
    x_tr, _, x_te, _ = arrays(n_train=101 * 2, n_test=101)
    y = np.arange(101)
    with pytest.raises(DataError, match=r"^d\.npz: 101 classes; this app takes 2 to 100$"):
        read_path(save_npz(tmp_path / "d.npz", x_train=x_tr, y_train=np.tile(y, 2),
                           x_test=x_te, y_test=y))


# --------------------------------------------------------------------------------------
# image folders and zips


def test_an_image_folder_reads_in_the_order_labels_txt_gives(tmp_path):
    root = write_folder(tmp_path / "pets")
    (root / "labels.txt").write_text("bee\ncat\nant\n")
    data = read_path(root)
    assert data.class_names == ["bee", "cat", "ant"]
    assert data.image_shape == (8, 8) and len(data.x_train) == 30 and len(data.x_test) == 20
    # image 0 of train is class "cat" (names[0] in write_folder): index 1 in labels.txt
    x_tr, y_tr, _, _ = arrays()
    first_cat = np.flatnonzero(data.y_train == 1)[0]
    np.testing.assert_allclose(data.x_train[first_cat], x_tr[0] / 255.0, atol=1e-6)
    assert data.notes == ["class order: as labels.txt gives it"]


def test_without_labels_the_order_is_sorted_and_the_run_says_so(tmp_path):
    data = read_path(write_folder(tmp_path / "pets"))
    assert data.class_names == ["ant", "bee", "cat"]
    assert "sorted, as torchvision's ImageFolder does" in data.notes[0]


def test_a_labels_file_that_disagrees_with_the_folders_is_refused(tmp_path):
    root = write_folder(tmp_path / "pets")
    (root / "labels.txt").write_text("bee\ncat\ndog\n")
    with pytest.raises(DataError) as err:
        read_path(root)
    assert str(err.value).splitlines() == ["pets: labels.txt: no folder for class 'dog'",
                                           "pets: labels.txt: does not name the folder 'ant'"]


def test_colour_images_become_grey_and_the_run_says_so(tmp_path):
    data = read_path(write_folder(tmp_path / "pets", colour=True))
    assert "50 colour image(s) converted to grey" in data.notes
    assert data.x_train.ndim == 3


def test_images_of_another_size_are_named_or_resized(tmp_path):
    root = write_folder(tmp_path / "pets", sizes={("train", 4): (10, 12)})
    with pytest.raises(DataError, match=r"^pets: train/ant/004\.png: 12x10, but pets: "
                                        r"train/\w+/\d+\.png is 8x8; give --resize HxW$"):
        read_path(root)
    data = read_path(root, ReadOptions(resize=(8, 8)))
    assert data.image_shape == (8, 8) and "1 image(s) resized to 8x8" in data.notes


def test_every_file_that_is_not_an_image_gets_its_line(tmp_path):
    root = write_folder(tmp_path / "pets")
    (root / "train" / "ant" / "notes.txt").write_text("hello")
    (root / "test" / "bee" / "broken.png").write_bytes(b"not a png")
    (root / "train" / "cat" / ".DS_Store").write_bytes(b"ignored")
    with pytest.raises(DataError) as err:
        read_path(root)
    lines = str(err.value).splitlines()
    assert lines[0] == "pets: train/ant/notes.txt: not an image (PNG, JPEG or BMP)"
    assert lines[1].startswith("pets: test/bee/broken.png: not a readable image")
    assert len(lines) == 2


def test_one_folder_of_classes_is_split_80_20_stratified(tmp_path):
    data = read_path(write_folder(tmp_path / "pets", layout="flat"))
    assert len(data.x_train) == 40 and len(data.x_test) == 10
    assert np.bincount(data.y_test).tolist() in ([4, 3, 3], [3, 4, 3], [3, 3, 4])
    assert any("80/20, stratified, seeded" in n for n in data.notes)
    again = read_path(tmp_path / "pets")
    assert np.array_equal(again.x_test, data.x_test)  # seeded: the same split every time


def zip_folder(root: Path, target: Path, extra: dict | None = None) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
        for p in sorted(root.rglob("*")):
            if p.is_file():
                z.write(p, Path(root.name) / p.relative_to(root))
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return target


def test_a_zip_of_a_folder_reads_like_the_folder(tmp_path):
    root = write_folder(tmp_path / "pets")
    data = read_path(zip_folder(root, tmp_path / "pets.zip"))
    folder = read_path(root)
    assert np.array_equal(data.x_train, folder.x_train) and data.class_names == ["ant", "bee",
                                                                                 "cat"]


@pytest.mark.parametrize("entry", ["../evil.png", "/etc/evil.png", "pets/../../evil.png"])
def test_a_zip_entry_that_points_outside_is_refused_and_nothing_is_left(tmp_path, entry,
                                                                        monkeypatch):
    import tempfile
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    root = write_folder(tmp_path / "pets")
    path = zip_folder(root, tmp_path / "pets.zip", {entry: b"x"})
    with pytest.raises(DataError, match=rf"^pets\.zip: entry {entry!r} points outside the "
                                        r"archive; refused$"):
        read_path(path)
    assert not (tmp_path / "evil.png").exists() and list((tmp_path / "tmp").iterdir()) == []


def test_a_zip_bomb_is_stopped_while_unpacking(tmp_path):
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("pets/ant/zeros.png", b"\0" * (20 * 1024 ** 2))  # 20 MB, a few KB packed
    assert bomb.stat().st_size < 100_000
    with pytest.raises(DataError, match=r"^bomb\.zip: unpacks to more than 1 MB, the limit "
                                        r"here \(a zip bomb\?\)$"):
        read_path(bomb, ReadOptions(max_bytes=1024 ** 2))


def test_a_zip_with_too_many_entries_is_refused(tmp_path):
    path = zip_folder(write_folder(tmp_path / "pets"), tmp_path / "pets.zip")
    with pytest.raises(DataError, match=r"^pets\.zip: 5\d entries, over the limit of 10$"):
        read_path(path, ReadOptions(max_files=10))


# --------------------------------------------------------------------------------------
# CSV and IDX


def test_a_kaggle_style_csv_reads_with_its_label_column(tmp_path):
    x_tr, y_tr, x_te, y_te = arrays()
    x, y = np.concatenate([x_tr, x_te]).reshape(50, -1), np.concatenate([y_tr, y_te])
    header = "label," + ",".join(f"pixel{i}" for i in range(64))
    rows = [",".join(map(str, [c, *row])) for c, row in zip(y, x)]
    (tmp_path / "train.csv").write_text("\n".join([header, *rows]) + "\n")
    data = read_path(tmp_path / "train.csv")
    assert data.image_shape == (8, 8) and len(data.x_train) + len(data.x_test) == 50
    assert sorted(np.concatenate([data.y_train, data.y_test]).tolist()) == sorted(y.tolist())


def test_a_csv_with_a_column_that_is_not_pixels_is_refused(tmp_path):
    (tmp_path / "t.csv").write_text("label,a,b\n1,x,3\n0,y,4\n")
    with pytest.raises(DataError, match=r"^t\.csv: column 'a' is not numbers; every column "
                                        r"but the label \('label'\) must be a pixel$"):
        read_path(tmp_path / "t.csv")


def write_idx(path: Path, array: np.ndarray, gz: bool = False) -> None:
    kind = 0x08
    head = bytes([0, 0, kind, array.ndim]) + b"".join(
        int(d).to_bytes(4, "big") for d in array.shape)
    data = head + array.astype(np.uint8).tobytes()
    if gz:
        path.write_bytes(gzip.compress(data))
    else:
        path.write_bytes(data)


def test_idx_files_under_any_name_read_as_a_data_set(tmp_path):
    x_tr, y_tr, x_te, y_te = arrays()
    folder = tmp_path / "letters"
    folder.mkdir()
    write_idx(folder / "my-train-images.idx", x_tr)
    write_idx(folder / "my-train-labels.idx", y_tr)
    write_idx(folder / "my-test-images.idx.gz", x_te, gz=True)
    write_idx(folder / "my-test-labels.idx", y_te)
    data = read_path(folder)
    assert data.x_train.shape == (30, 8, 8) and data.y_test.tolist() == y_te.tolist()
    np.testing.assert_allclose(data.x_test, x_te / 255.0, atol=1e-6)


def test_a_truncated_idx_file_is_named(tmp_path):
    x_tr, y_tr, x_te, y_te = arrays()
    folder = tmp_path / "letters"
    folder.mkdir()
    for name, a in (("train-img", x_tr), ("train-lab", y_tr), ("test-img", x_te),
                    ("test-lab", y_te)):
        write_idx(folder / name, a)
    (folder / "test-img").write_bytes((folder / "test-img").read_bytes()[:-10])
    with pytest.raises(DataError, match=r"^test-img: the header promises 1,280 bytes, the "
                                        r"file holds 1,270: it is truncated or damaged$"):
        read_path(folder)


# --------------------------------------------------------------------------------------
# imported once, then listed by name


def test_a_data_set_is_imported_once_and_listed_by_name(tmp_path):
    root = write_folder(tmp_path / "My Pets")
    info = import_dataset(root)
    assert info.name == "my-pets" and info.n_train == 30 and info.image_shape == (8, 8)
    card = json.loads((imported_data_dir() / "my-pets.json").read_text())
    assert card["source"] == "My Pets" and len(card["sha256"]) == 64
    assert "my-pets" in known_datasets() and "mnist5k" in known_datasets()
    again = import_dataset(root)  # the same source: the copy already kept
    assert again.name == "my-pets" and sorted(imported()) == ["my-pets"]
    data, original = load_dataset("my-pets"), read_path(root)
    assert np.array_equal(data.x_train, original.x_train)
    assert data.class_names == original.class_names and data.notes == original.notes


def test_a_refused_import_leaves_nothing_behind(tmp_path):
    with pytest.raises(DataError):
        import_dataset(save_npz(tmp_path / "bad.npz", x_train=np.full((30, 8, 8), 7.0)))
    folder = imported_data_dir()
    assert not folder.exists() or list(folder.iterdir()) == []


def test_the_cli_imports_and_lists_your_data(tmp_path, cli):
    path = save_npz(tmp_path / "shapes.npz")
    r = cli("data", "--data", path, "--title", "Shapes")
    assert r.returncode == 0 and "imported as 'shapes'" in r.stdout
    listed = cli("data")
    line = next(x for x in listed.stdout.splitlines() if x.startswith("shapes"))
    assert "yes" in line and "30 train / 20 test images, 8x8, 3 classes" in line
    bad = cli("data", "--data", tmp_path / "missing.npz")
    assert bad.returncode == 2 and bad.stderr.strip() == "error: missing.npz: no such file or " \
                                                         "folder"


def test_a_labels_file_given_apart_overrides_the_folders_own(tmp_path):
    root = write_folder(tmp_path / "pets")
    (root / "labels.txt").write_text("ant\nbee\ncat\n")
    mine = tmp_path / "order.txt"
    mine.write_text("cat\nant\nbee\n")
    data = read_path(root, ReadOptions(labels=mine))
    assert data.class_names == ["cat", "ant", "bee"]
    assert data.notes[0] == "class order: as order.txt gives it"
    with pytest.raises(DataError, match=r"^missing\.txt: no such labels file$"):
        read_path(root, ReadOptions(labels=tmp_path / "missing.txt"))


# --------------------------------------------------------------------------------------
# pixels and labels: each refusal by its exact message, each bound on both sides


@pytest.mark.parametrize("pixels, words", [
    (np.zeros((0, 2, 2)), "no images"),
    (np.array([["a"]]), "pixels of type <U1, not numbers"),
    (np.array([[0.5, np.nan]]), "pixels include NaN or infinity"),
    (np.array([[0.5, np.inf]]), "pixels include NaN or infinity"),
    (np.array([[-np.inf, 0.5]]), "pixels include NaN or infinity"),
    (np.array([[0, 256]]), "pixel values run from 0 to 256; give bytes 0-255 or floats in "
                           r"\[0, 1\]"),
    (np.array([[-1, 3]], np.int16), "pixel values run from -1 to 3; give bytes 0-255 or "),
    (np.array([[0.0, 1.5]]), r"pixel values run from 0 to 1.5; give bytes 0-255 or floats in "
                             r"\[0, 1\]"),
    (np.array([[-0.25, 1.0]]), "pixel values run from -0.25 to 1; "),
])
def test_pixels_out_of_range_are_refused_in_words(pixels, words):
    from distill.datafiles import scale_pixels
    with pytest.raises(DataError, match=f"^images.npz: {words}"):
        scale_pixels(pixels, "images.npz")


def test_pixels_at_their_bounds_are_kept_and_scaled():
    from distill.datafiles import scale_pixels
    bytes_ = scale_pixels(np.array([[0, 255]], np.uint8), "x")
    assert bytes_.dtype == np.float32 and bytes_.tolist() == [[0.0, 1.0]]
    assert scale_pixels(np.array([[0, 51]], np.int64), "x").ravel() == pytest.approx([0.0, 0.2])
    floats = scale_pixels(np.array([[0.0, 1.0]]), "x")
    assert floats.dtype == np.float32 and floats.tolist() == [[0.0, 1.0]]
    assert scale_pixels(np.array([7], np.uint8), "x").tolist() == pytest.approx([7 / 255])


@pytest.mark.parametrize("labels, n, words", [
    (np.array([0, 1]), 3, "2 labels for 3 images"),
    (np.array(4), 1, "no labels for 1 images"),
    (np.array([["a"], ["b"]]), 2, "2 labels for 2 images"),
    (np.array(["cat", "dog", "emu", "fox", "gnu", "hen", "yak"]), 7,
     r"labels \['dog', 'emu', 'fox', 'gnu', 'hen'\] are not among the class names"),
    (np.array([0.0, 1.5]), 2, "labels must be whole class numbers"),
    (np.array([True, False]), 2, "labels of type bool, not class numbers"),
    (np.array([2, -3, 0]), 3, "label -3 is negative"),
])
def test_labels_that_are_not_class_numbers_are_refused_in_words(labels, n, words):
    from distill.datafiles import to_labels
    names = ["cat"] if labels.dtype.kind == "U" else None
    with pytest.raises(DataError, match=f"^labels.csv: {words}$"):
        to_labels(labels, n, "labels.csv", names)


def test_labels_become_class_numbers():
    from distill.datafiles import to_labels
    y, names = to_labels(np.array(["b", "a", "b"]), 3, "x", None)
    assert y.dtype == np.int64 and y.tolist() == [1, 0, 1] and names == ["a", "b"]
    y, names = to_labels(np.array(["b", "a"]), 2, "x", ["b", "a", "c"])
    assert y.tolist() == [0, 1] and names == ["b", "a", "c"]
    y, names = to_labels(np.array([2.0, 0.0]), 2, "x", None)
    assert y.dtype == np.int64 and y.tolist() == [2, 0] and names is None
    assert to_labels(np.array([3, 1], np.uint8), 2, "x", None)[0].dtype == np.int64


# --------------------------------------------------------------------------------------
# cases found by mutation testing (bench/results/mutation.md)


def test_what_a_mac_or_windows_adds_to_a_folder_is_not_a_class_or_an_image(tmp_path):
    root = write_folder(tmp_path / "pets")
    (root / "__MACOSX" / "cat").mkdir(parents=True)
    (root / "train" / ".hidden").mkdir()
    for junk in ("Thumbs.db", "desktop.ini", ".DS_Store"):
        (root / "train" / "cat" / junk).write_bytes(b"junk")
    data = read_path(root)
    assert data.class_names == ["ant", "bee", "cat"] and len(data.x_train) == 30
    assert not any("Thumbs" in n or "desktop" in n or "DS_Store" in n for n in data.notes)


@pytest.mark.parametrize("column", ["label", "Labels", " class ", "TARGET", "y"])
def test_a_csv_finds_its_label_column_by_its_usual_names_anywhere(tmp_path, column):
    x_tr, y_tr, _, _ = arrays()
    header = ",".join(["p0", column, *(f"p{i}" for i in range(1, 64))])
    rows = [",".join(map(str, [row[0], c, *row[1:]])) for c, row in zip(y_tr,
                                                                           x_tr.reshape(30, -1))]
    (tmp_path / "t.csv").write_text("\n".join([header, *rows]) + "\n")
    data = read_path(tmp_path / "t.csv")
    assert sorted(np.concatenate([data.y_train, data.y_test]).tolist()) == sorted(y_tr.tolist())
    assert data.image_shape == (8, 8)


@pytest.mark.parametrize("mode", ["1", "L", "P", "RGB", "RGBA", "LA", "CMYK"])
def test_every_common_image_mode_reads_as_grey(tmp_path, mode):
    """One image saved in ``mode``: the folder reads, and where the mode keeps grey exactly,
    to the very images of the untouched folder."""
    untouched = read_path(write_folder(tmp_path / "plain"))
    root = write_folder(tmp_path / "pets")
    first = root / "train" / "cat" / "000.png"
    converted = Image.open(first).convert(mode)
    first.unlink()
    converted.save(first.with_suffix(".jpg" if mode == "CMYK" else ".png"))
    data = read_path(root)
    assert len(data.x_train) == 30 and data.x_train.min() >= 0 and data.x_train.max() <= 1
    if mode in ("L", "RGB", "RGBA", "LA"):
        np.testing.assert_allclose(data.x_train, untouched.x_train, atol=1 / 255)


@pytest.mark.parametrize("text, shape", [("28x28", (28, 28)), ("8X16", (8, 16)),
                                         (None, None)])
def test_image_sizes_are_read_as_height_by_width(text, shape):
    from distill.datafiles import parse_shape
    assert parse_shape(text) == shape


@pytest.mark.parametrize("text", ["28", "28x", "axb", "28x28x1"])
def test_an_image_size_that_is_not_hxw_is_refused_in_words(text):
    from distill.datafiles import parse_shape
    with pytest.raises(DataError, match=rf"^{text!r} is not an image size; write it as HxW, "
                                        r"e\.g\. 28x28$"):
        parse_shape(text)


def test_a_class_named_but_without_images_cannot_be_split(tmp_path):
    from distill.datafiles import split
    x = np.zeros((6, 2, 2), np.float32)
    with pytest.raises(DataError, match=r"^pets: class 'cow' has 0 image\(s\); a split into "
                                        r"train and test needs at least 2 of each$"):
        split("pets", x, np.array([0, 0, 0, 1, 1, 1]), ["ant", "bee", "cow"], [], "pets")
