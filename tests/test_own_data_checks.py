"""Every refusal of a user's own data, with its whole message, and the bounds each check must
let through (distill.datafiles): a person reads these lines instead of a stack trace, so a
word or a number wrong is a bug. Cases from mutation testing (bench/results/mutation.md)."""

import gzip
import hashlib
import os
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from distill.data import DataError
from distill.datafiles import ReadOptions, _first_line, copy_atomically, read_path, sha256_of
from tests.test_own_data import arrays, save_npz, write_folder, write_idx, zip_folder


def refused(path, options=None) -> str:
    with pytest.raises(DataError) as err:
        read_path(path, options)
    return str(err.value)


def test_a_path_that_is_not_there_or_not_data_is_named():
    assert refused(Path("/nowhere/mine.npz")) == "mine.npz: no such file or folder"


def test_a_file_of_another_kind_is_named_with_what_is_read(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    assert refused(tmp_path / "notes.txt") == (
        "notes.txt: not a data set this app reads (an .npz, .csv or .zip file, or a folder "
        "of images or of IDX files)")


# --------------------------------------------------------------------------------------
# the checks every reader ends with: classes, sizes, counts, a class in each split


def npz_of(tmp_path, classes=3, side=(8, 8), n_train=30, n_test=20, **overrides):
    rng = np.random.default_rng(0)
    h, w = side
    data = {"x_train": rng.integers(0, 255, (n_train, h, w)).astype(np.uint8),
            "y_train": np.arange(n_train) % classes,
            "x_test": rng.integers(0, 255, (n_test, h, w)).astype(np.uint8),
            "y_test": np.arange(n_test) % classes, **overrides}
    return save_npz(tmp_path / "d.npz", **data)


@pytest.mark.parametrize("classes, side", [(2, (8, 8)), (100, (8, 8)), (3, (64, 64)),
                                           (3, (8, 64)), (3, (64, 8))])
def test_the_bounds_of_classes_and_sizes_are_taken(tmp_path, classes, side):
    data = read_path(npz_of(tmp_path, classes, side, n_train=max(30, classes),
                            n_test=max(20, classes)))
    assert (data.n_classes, data.image_shape, data.name) == (classes, side, "d")


@pytest.mark.parametrize("classes, side, message", [
    (1, (8, 8), "1 classes; this app takes 2 to 100"),
    (3, (8, 65), "images are 8x65; this app takes 8x8 to 64x64 (--resize HxW resizes "
                 "image files)"),
    (3, (65, 8), "images are 65x8; this app takes 8x8 to 64x64 (--resize HxW resizes "
                 "image files)"),
])
def test_classes_and_sizes_beyond_the_bounds_are_refused(tmp_path, classes, side, message):
    assert refused(npz_of(tmp_path, classes, side)) == f"d.npz: {message}"


def test_every_problem_of_a_data_set_gets_its_own_line(tmp_path):
    assert refused(npz_of(tmp_path, 1, (4, 4))).splitlines() == [
        "d.npz: 1 classes; this app takes 2 to 100",
        "d.npz: images are 4x4; this app takes 8x8 to 64x64 (--resize HxW resizes image "
        "files)"]


def test_a_hosted_limit_on_images_counts_both_splits(tmp_path):
    path = npz_of(tmp_path)  # 30 + 20
    assert refused(path, ReadOptions(max_images=49)) == (
        "d.npz: 50 images, over the limit of 49 here")
    assert len(read_path(path, ReadOptions(max_images=50)).x_test) == 20


@pytest.mark.parametrize("split_name, present, shown", [
    ("train", 6, "no train image of class '6'"),
    ("test", 5, "no test image of class '5', '6'"),
    ("test", 2, "no test image of class '2', '3', '4', '5', '6'"),
    ("test", 1, "no test image of class '1', '2', '3', '4', '5' and 1 more"),
    ("test", 0, "no test image of class '1', '2', '3', '4', '5' and 1 more"),
])
def test_a_class_missing_from_a_split_is_named_the_first_five_then_counted(
        tmp_path, split_name, present, shown):
    y = {"train": np.arange(30) % 7, "test": np.arange(20) % 7}
    y[split_name] = np.arange(len(y[split_name])) % max(present, 1)
    path = npz_of(tmp_path, y_train=y["train"], y_test=y["test"])
    assert refused(path) == f"d.npz: {shown}; every class needs at least one image in each split"


def test_seven_missing_classes_leave_two_counted(tmp_path):
    path = npz_of(tmp_path, classes=8, y_test=np.zeros(20, int))
    assert refused(path).endswith("'1', '2', '3', '4', '5' and 2 more; every class needs at "
                                  "least one image in each split")


# --------------------------------------------------------------------------------------
# npz


def test_an_npz_names_every_array_it_lacks(tmp_path):
    path = save_npz(tmp_path / "d.npz", y_train=None, y_test=None)
    assert refused(path) == ("d.npz: no y_train, y_test (an .npz needs x_train, y_train, "
                             "x_test, y_test, and may have class_names)")


def test_a_file_that_is_not_a_zip_of_arrays_is_not_called_pickled(tmp_path):
    (tmp_path / "d.npz").write_text("hello, not arrays")
    assert refused(tmp_path / "d.npz") == ("d.npz: not a readable .npz file (not a zip of "
                                           "arrays; save them with numpy.savez)")


def test_an_npz_with_a_damaged_array_says_what_numpy_found(tmp_path):
    save_npz(tmp_path / "d.npz")
    with zipfile.ZipFile(tmp_path / "d.npz", "a") as z:
        z.writestr("class_names.npy", b"\x93NUMPY\x01\x00 a damaged header")
    assert re.fullmatch(r"d\.npz: not a readable \.npz file \(EOF: reading array header, "
                        r"expected \d+ bytes got \d+\)", refused(tmp_path / "d.npz"))


def test_an_npz_whose_archive_is_damaged_says_so(tmp_path):
    save_npz(tmp_path / "d.npz")
    raw = bytearray((tmp_path / "d.npz").read_bytes())
    start = raw.index(b"x_train.npy") + 200  # inside the first array's packed bytes
    raw[start:start + 50] = b"\xff" * 50
    (tmp_path / "d.npz").write_bytes(bytes(raw))
    assert refused(tmp_path / "d.npz") == "d.npz: not a readable .npz file (BadZipFile)"


def test_class_names_may_come_as_a_row_or_a_column(tmp_path):
    for shape in ((1, 3), (3, 1)):
        data = read_path(save_npz(tmp_path / "d.npz", class_names=np.array(
            ["ant", "bee", "cat"]).reshape(shape)))
        assert data.class_names == ["ant", "bee", "cat"]


def test_class_names_fewer_than_the_labels_are_refused(tmp_path):
    path = save_npz(tmp_path / "d.npz", class_names=np.array(["ant", "bee"]))
    assert refused(path) == "class_names has 2 names, but labels go up to 2"


def test_splits_of_two_sizes_are_refused(tmp_path):
    path = npz_of(tmp_path, x_test=np.zeros((20, 10, 12), np.uint8))
    assert refused(path) == ("d.npz: train images are (8, 8), test images (10, 12); both "
                             "splits need one size")


def test_a_split_with_the_wrong_number_of_labels_is_named(tmp_path):
    assert refused(npz_of(tmp_path, y_test=np.zeros(19, int))) == (
        "d.npz: y_test: 19 labels for 20 images")


def test_images_of_colour_or_too_many_dimensions_are_refused_in_full(tmp_path):
    path = npz_of(tmp_path, x_train=np.zeros((30, 8, 8, 3), np.uint8))
    assert refused(path) == ("d.npz: x_train: shape (30, 8, 8, 3); images must be (N, H, W), "
                             "(N, H, W, 1) or (N, H*W)")


def test_whole_float_labels_are_class_numbers():
    from distill.datafiles import to_labels
    y, _ = to_labels(np.array([0.0, 1.0, 2.0, 3.0]), 4, "x", None)
    assert y.tolist() == [0, 1, 2, 3]


# --------------------------------------------------------------------------------------
# CSV


def write_csv(path: Path, header: list[str], rows: list[list]) -> Path:
    path.write_text("\n".join([",".join(header), *(",".join(map(str, r)) for r in rows)])
                    + "\n")
    return path


def csv_rows(n=40, classes=2, pixels=64, labels=None):
    x = np.random.default_rng(0).integers(0, 255, (n, pixels))
    labels = labels if labels is not None else np.arange(n) % classes
    return [[c, *row] for c, row in zip(labels, x)]


def test_a_csv_without_a_usual_label_name_takes_its_first_column(tmp_path):
    rows = csv_rows(classes=3)
    path = write_csv(tmp_path / "t.csv", ["digit", *(f"p{i}" for i in range(64))], rows)
    data = read_path(path)
    assert sorted(np.concatenate([data.y_train, data.y_test]).tolist()) == sorted(
        r[0] for r in rows)
    assert data.name == "t" and data.class_names == ["0", "1", "2"]


def test_a_csv_with_string_labels_names_its_classes_by_them(tmp_path):
    rows = csv_rows(labels=np.array(["dog", "cat"] * 20))
    data = read_path(write_csv(tmp_path / "t.csv", ["label", *(f"p{i}" for i in range(64))],
                               rows))
    assert data.class_names == ["cat", "dog"]
    assert any(n.startswith("split here into 32 train and 8 test images (80/20, stratified, "
                            "seeded)") for n in data.notes)


def test_a_csv_of_another_image_size_reads_with_it(tmp_path):
    path = write_csv(tmp_path / "t.csv", ["label", *(f"p{i}" for i in range(128))],
                     csv_rows(pixels=128))
    assert refused(path) == ("t.csv: rows of 128 pixels; give the image size with "
                             "--image-shape HxW")
    assert read_path(path, ReadOptions(image_shape=(8, 16))).image_shape == (8, 16)


CSV_REFUSALS = {  # the file's text, read options, the whole message
    "empty": ("", None, "t.csv: not a readable CSV table (No columns to parse from file)"),
    "one column": ("label\n1\n0\n", None, "t.csv: 1 column(s); a CSV needs a label column "
                                          "and one column per pixel"),
    "two columns": ("label,p\n" + "".join(f"{i % 2},{i}\n" for i in range(10)), None,
                    "t.csv: images are 1x1; this app takes 8x8 to 64x64 (--resize HxW "
                    "resizes image files)"),
    "no such column": ("label,p\n1,2\n", ReadOptions(label_column="lbl"),
                       "t.csv: no column 'lbl'"),
    "half labels": ("label," + ",".join(f"p{i}" for i in range(64)) + "\n"
                    + "".join("1.5," + ",".join(["0"] * 64) + "\n" for _ in range(4)), None,
                    "t.csv: label: labels must be whole class numbers"),
    "a lone image": ("label," + ",".join(f"p{i}" for i in range(64)) + "\n"
                     + "".join(f"{c}," + ",".join(["0"] * 64) + "\n" for c in (0, 0, 1)), None,
                     "t.csv: class '1' has 1 image(s); a split into train and test needs at "
                     "least 2 of each"),
}


@pytest.mark.parametrize("case", list(CSV_REFUSALS))
def test_each_csv_refusal_has_its_own_whole_message(tmp_path, case):
    text, options, message = CSV_REFUSALS[case]
    (tmp_path / "t.csv").write_text(text)
    assert refused(tmp_path / "t.csv", options) == message


def test_a_class_with_just_two_images_can_be_split(tmp_path):
    labels = np.array([0] * 4 + [1] * 4 + [2] * 2)
    data = read_path(write_csv(tmp_path / "t.csv", ["label", *(f"p{i}" for i in range(64))],
                               csv_rows(labels=labels)))
    assert sorted(set(data.y_test.tolist())) == [0, 1, 2]


def test_an_error_reads_as_its_first_line_or_its_kind():
    assert _first_line(ValueError("first\nsecond")) == "first"
    assert _first_line(KeyError()) == "KeyError"
    assert _first_line(OSError("y" * 300)) == "y" * 120


# --------------------------------------------------------------------------------------
# IDX


def idx_folder(tmp_path, names=("train-img", "train-lab", "test-img", "test-lab"),
               n_train=30, n_test=20) -> Path:
    x_tr, y_tr, x_te, y_te = arrays(n_train=n_train, n_test=n_test)
    folder = tmp_path / "letters"
    folder.mkdir(exist_ok=True)
    for name, a in zip(names, (x_tr, y_tr, x_te, y_te)):
        if name:
            write_idx(folder / name, a)
    return folder


def test_mnists_own_file_names_put_t10k_in_the_test_split(tmp_path):
    folder = idx_folder(tmp_path, ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                   "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"))
    data = read_path(folder)
    assert (len(data.x_train), len(data.x_test), data.name) == (30, 20, "letters")
    assert data.y_train.dtype == np.int64 and data.class_names == ["0", "1", "2"]


@pytest.mark.parametrize("names, images, labels", [
    ((None, "train-lab", None, "test-lab"), 0, 2),
    (("train-img", None, "test-img", None), 2, 0),
    (("train-img", None, None, "test-lab"), 1, 1),
    (("train-img", "train-lab", None, "test-lab"), 1, 2),
])
def test_an_idx_folder_needs_two_files_of_each_kind(tmp_path, names, images, labels):
    assert refused(idx_folder(tmp_path, names)) == (
        f"letters: {images} IDX image file(s) and {labels} label file(s); a folder needs two "
        "of each (train, and test named 'test' or 't10k')")


def test_an_idx_test_split_without_the_trains_last_class_is_refused(tmp_path):
    folder = idx_folder(tmp_path)
    write_idx(folder / "train-lab", np.arange(30) % 4)
    assert refused(folder) == ("letters: no test image of class '3'; every class needs at "
                               "least one image in each split")


def test_idx_images_and_labels_of_two_lengths_are_refused(tmp_path):
    folder = idx_folder(tmp_path)
    write_idx(folder / "train-lab", np.arange(29) % 3)
    assert refused(folder) == "train-img: 30 images, but train-lab has 29 labels"


def test_an_idx_file_without_images_is_named(tmp_path):
    folder = idx_folder(tmp_path)
    write_idx(folder / "train-img", np.zeros((0, 8, 8)))
    write_idx(folder / "train-lab", np.zeros(0))
    assert refused(folder) == "train-img: no images"


def test_a_cut_short_compressed_idx_file_is_named(tmp_path):
    folder = idx_folder(tmp_path)
    data = gzip.compress((folder / "test-img").read_bytes())
    (folder / "test-img").unlink()
    (folder / "test-img.gz").write_bytes(data[:len(data) // 2])
    assert refused(folder) == "test-img.gz: cannot be read (EOFError)"


def test_files_that_only_look_like_idx_do_not_make_a_folder_idx(tmp_path):
    root = write_folder(tmp_path / "pets")
    (root / "matrix.idx").write_bytes(bytes([0, 0, 8, 2, 0, 0, 0, 1, 0, 0, 0, 1, 7]))
    (root / "zip-like").write_bytes(b"PK\x08\x03 and more")
    assert read_path(root).class_names == ["ant", "bee", "cat"]


# --------------------------------------------------------------------------------------
# zips


def test_a_zip_of_class_folders_without_a_top_folder_reads_like_the_folder(tmp_path):
    root = write_folder(tmp_path / "pets", layout="flat")
    with zipfile.ZipFile(tmp_path / "pets.zip", "w") as z:
        for p in sorted(root.rglob("*.png")):
            z.write(p, p.relative_to(root))
    data, folder = read_path(tmp_path / "pets.zip"), read_path(root)
    assert data.class_names == folder.class_names == ["ant", "bee", "cat"]
    np.testing.assert_array_equal(data.x_test, folder.x_test)
    assert data.name == "pets"


def test_a_zip_from_a_mac_with_its_folder_entries_reads_like_the_folder(tmp_path):
    """Finder's zips list folders as entries (nested ones before their parents, here) and add
    a __MACOSX folder beside the data."""
    root = write_folder(tmp_path / "pets")
    with zipfile.ZipFile(tmp_path / "pets.zip", "w") as z:
        z.writestr("pets/train/ant/", b"")
        z.writestr("pets/", b"")
        z.writestr("pets/train/", b"")  # made already, with train/ant/
        for p in sorted(root.rglob("*.png")):
            z.write(p, Path("pets") / p.relative_to(root))
            z.writestr(f"__MACOSX/pets/{p.relative_to(root).parent}/._{p.name}", b"fork")
    data = read_path(tmp_path / "pets.zip")
    np.testing.assert_array_equal(data.x_train, read_path(root).x_train)


def test_a_file_that_is_not_a_zip_is_named(tmp_path):
    (tmp_path / "pets.zip").write_text("not a zip")
    assert refused(tmp_path / "pets.zip") == ("pets.zip: not a readable zip file (File is not "
                                              "a zip file)")


def test_a_zip_at_its_limits_is_read(tmp_path):
    path = zip_folder(write_folder(tmp_path / "pets"), tmp_path / "pets.zip")
    with zipfile.ZipFile(path) as z:
        entries, size = len(z.infolist()), sum(e.file_size for e in z.infolist())
    data = read_path(path, ReadOptions(max_files=entries, max_bytes=size))
    assert len(data.x_train) == 30
    assert refused(path, ReadOptions(max_bytes=size - 1)).startswith("pets.zip: unpacks to")


def test_problems_inside_a_zip_are_named_by_the_zip(tmp_path):
    root = write_folder(tmp_path / "pets")
    (root / "train" / "ant" / "notes.txt").write_text("hello")
    path = zip_folder(root, tmp_path / "pets.zip")
    assert refused(path) == "pets.zip: train/ant/notes.txt: not an image (PNG, JPEG or BMP)"


def _symlink_entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = (0o120777 << 16)  # a symbolic link, as zip -y stores one
    return info


@pytest.mark.parametrize("entry", ["C:/evil.png", "pets\\..\\..\\evil.png", "link"])
def test_entries_that_reach_outside_by_drive_backslash_or_link_are_refused(tmp_path, entry):
    root = write_folder(tmp_path / "pets")
    path = zip_folder(root, tmp_path / "pets.zip")
    with zipfile.ZipFile(path, "a") as z:
        z.writestr(_symlink_entry(entry) if entry == "link" else entry, b"/etc/passwd")
    assert refused(path) == f"pets.zip: entry {entry!r} points outside the archive; refused"


# --------------------------------------------------------------------------------------
# image folders


def test_a_train_or_test_folder_alone_is_refused_saying_which_is_missing(tmp_path):
    root = write_folder(tmp_path / "pets")
    os.rename(root / "test", tmp_path / "elsewhere")
    assert refused(root) == "pets: has a train/ folder but no test/ folder beside it"
    os.rename(root / "train", root / "test")
    assert refused(root) == "pets: has a test/ folder but no train/ folder beside it"


def test_a_folder_without_class_folders_says_how_to_lay_them_out(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "a.png").write_bytes(b"")
    assert refused(tmp_path / "empty") == (
        "empty: no class folders; put each class's images in a folder named after it "
        "(train/<class>/ and test/<class>/, or <class>/)")


@pytest.mark.parametrize("empty", ["train", "test"])
def test_a_split_whose_class_folders_hold_no_image_is_named(tmp_path, empty):
    root = write_folder(tmp_path / "pets")
    for p in (root / empty).rglob("*.png"):
        p.unlink()
    assert refused(root) == f"pets: the {empty} folder holds no image"


def test_a_lone_folder_of_classes_is_split_under_its_own_name(tmp_path):
    root = write_folder(tmp_path / "my.pets", layout="flat")
    for p in list((root / "bee").glob("*.png"))[1:]:
        p.unlink()
    assert refused(root) == ("my.pets: class 'bee' has 1 image(s); a split into train and "
                             "test needs at least 2 of each")
    (root / "bee" / "extra.png").write_bytes(next((root / "ant").glob("*.png")).read_bytes())
    data = read_path(root)
    assert data.name == "my.pets" and data.y_train.dtype == np.int64


def test_a_guessed_class_order_says_so_in_full(tmp_path):
    data = read_path(write_folder(tmp_path / "pets"))
    assert data.notes == [
        "class order: the folder names sorted, as torchvision's ImageFolder does; give a "
        "labels.txt (one class a line, in the order of the network's outputs) if your network "
        "was trained with another order"]


def test_a_labels_file_naming_a_class_twice_is_refused_with_its_other_problems(tmp_path):
    root = write_folder(tmp_path / "pets")
    (root / "labels.txt").write_text("ant\nant\nbee\ncat\ncow\n")
    assert refused(root).splitlines() == ["pets: labels.txt: a class is named twice",
                                          "pets: labels.txt: no folder for class 'cow'"]


def test_a_dozen_problems_are_listed_and_the_rest_counted(tmp_path):
    root = write_folder(tmp_path / "pets")
    for i in range(12):
        (root / "train" / "ant" / f"note{i:02d}.txt").write_text("x")
    assert len(refused(root).splitlines()) == 12
    (root / "train" / "ant" / "note12.txt").write_text("x")
    lines = refused(root).splitlines()
    assert len(lines) == 13 and lines[-1] == "... and 1 more"


def test_an_image_of_too_deep_pixels_is_named(tmp_path):
    root = write_folder(tmp_path / "pets")
    deep = root / "train" / "ant" / "001.png"
    Image.fromarray(np.full((8, 8), 40000, np.uint16)).save(deep)
    mode = Image.open(deep).mode
    assert refused(root) == (f"pets: train/ant/001.png: {mode} pixels; give 8-bit grey or "
                             "colour images")


def test_a_broken_image_gives_the_readers_reason(tmp_path):
    root = write_folder(tmp_path / "pets")
    (root / "test" / "bee" / "broken.png").write_bytes(b"not a png")
    assert re.fullmatch(r"pets: test/bee/broken\.png: not a readable image \(cannot identify "
                        r"image file .+\)", refused(root))


def test_black_and_white_images_are_not_called_colour(tmp_path):
    root = write_folder(tmp_path / "pets")
    for p in root.rglob("*.png"):
        Image.open(p).convert("1").save(p)
    assert not any("colour" in n for n in read_path(root).notes)


def _oblong_folder(root: Path, first=(8, 10), other=(8, 8)) -> Path:
    """Three classes, two images each in each split: the first image (H, W) = ``first``, one
    other image ``other``, the rest like the first."""
    rng = np.random.default_rng(1)
    for split in ("train", "test"):
        for c in ("a", "b", "c"):
            (root / split / c).mkdir(parents=True)
            for i in range(2):
                size = other if (split, c, i) == ("train", "b", 0) else first
                Image.fromarray(rng.integers(0, 255, size).astype(np.uint8)).save(
                    root / split / c / f"{i}.png")
    return root


def test_a_size_mismatch_names_the_first_images_size_as_height_by_width(tmp_path):
    root = _oblong_folder(tmp_path / "shapes")
    assert refused(root) == ("shapes: train/b/0.png: 8x8, but shapes: train/a/0.png is 8x10; "
                             "give --resize HxW")


def test_resizing_makes_every_image_the_size_asked_bilinearly(tmp_path):
    root = _oblong_folder(tmp_path / "shapes")
    data = read_path(root, ReadOptions(resize=(12, 16)))
    assert data.image_shape == (12, 16)
    assert "12 image(s) resized to 12x16" in data.notes
    with Image.open(root / "train" / "b" / "0.png") as im:
        expected = np.asarray(im.resize((16, 12), Image.BILINEAR), np.float32) / 255.0
    np.testing.assert_array_equal(data.x_train[2], expected)  # classes sorted: a, a, b, ...


# --------------------------------------------------------------------------------------
# fingerprints and copies of imported files


def test_a_files_fingerprint_is_the_sha256_of_its_bytes(tmp_path):
    (tmp_path / "d.npz").write_bytes(b"x" * 3_000_000)
    assert sha256_of(tmp_path / "d.npz") == hashlib.sha256(b"x" * 3_000_000).hexdigest()


def test_a_folders_fingerprint_covers_its_files_names_and_bytes_in_order(tmp_path):
    folder = tmp_path / "pets"
    (folder / "b").mkdir(parents=True)
    (folder / "a.txt").write_bytes(b"one")
    (folder / "b" / "c.txt").write_bytes(b"two")
    expected = hashlib.sha256(b"a.txt\0one" + b"b/c.txt\0two").hexdigest()
    assert sha256_of(folder) == expected


def test_a_copy_is_whole_and_leaves_no_part_file(tmp_path):
    (tmp_path / "src.bin").write_bytes(b"payload")
    (tmp_path / "out").mkdir()
    copy_atomically(tmp_path / "src.bin", tmp_path / "out" / "d.bin")
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["d.bin"]
    assert (tmp_path / "out" / "d.bin").read_bytes() == b"payload"
