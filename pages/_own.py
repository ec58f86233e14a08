"""The Train page's "your own data" and "your own network": an upload (or, on a laptop, a path),
imported or kept by the engine, and the network's accuracy on the data set's test split shown
before anything trains (a mismatch of layout, scale or class order shows here first).

On a public demo these are off unless DISTILL_ALLOW_UPLOADS=1; then with the demo's caps, and
what a browser uploads is listed for that browser only.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import streamlit as st

from distill.data import DataError, load_dataset
from distill.datafiles import ReadOptions, parse_shape
from distill.hosting import LIMITS
from pages import _ui as ui

KEEP = {"persist_state": "session"}
DATA_TYPES = ["npz", "zip", "csv"]
INPUT_SCALES = {"0-1": "0 to 1 (as this app gives them)", "0-255": "0 to 255 (bytes)",
                "mnist": "normalised with MNIST's mean and std (0.1307, 0.3081)",
                "custom": "normalised with another mean and std"}
SCALE_TEXT = {"0-1": "0-1", "0-255": "0-255", "mnist": "0.1307,0.3081"}
CHECK_IMAGES = 1000  # test images the form's check of a network reads


@dataclass
class OwnTeacher:
    """A network chosen on the form: its kept file and how to feed it."""

    path: str
    input_scale: str
    output: str | None
    insist: bool


def read_options(hosted: bool) -> ReadOptions:
    """How to read the files (the form's fields), with the demo's caps when hosted."""
    c1, c2 = st.columns(2)
    shape = c1.text_input("Image size of flat rows (HxW)", key="own_shape", **KEEP,
                          placeholder="e.g. 28x28", help="For an .npz or CSV whose rows are "
                          "flat pixels of a non-square image.")
    resize = c2.text_input("Resize images to (HxW)", key="own_resize", **KEEP,
                           placeholder="all one size already",
                           help="For an image folder whose images differ in size.")
    caps = {}
    if hosted:
        caps = dict(max_files=LIMITS.upload_files, max_bytes=LIMITS.upload_unpacked_bytes,
                    max_images=LIMITS.upload_images)
    return ReadOptions(image_shape=parse_shape(shape or None),
                       resize=parse_shape(resize or None), **caps)


def own_data(hosted: bool, owner: str | None) -> str | None:
    """Import the user's data set; the name of the one just imported, else None."""
    st.caption("An **.npz** with x_train, y_train, x_test, y_test (and class_names); a "
               "**.zip** of an image folder (train/<class>/*.png and test/<class>/*.png, or "
               "<class>/*.png split 80/20; a labels.txt gives the class order of your "
               "network's outputs); a **.csv** with a label column and one column a pixel.")
    upload = st.file_uploader("Your data set", type=DATA_TYPES, key="own_data_file",
                              help=f"Up to {LIMITS.upload_bytes / 1024 ** 2:.0f} MB on the demo."
                              if hosted else "Also a folder of images or IDX files, by path, "
                              "below.")
    path = None if hosted else st.text_input(
        "…or a file or folder on this machine", key="own_data_path", **KEEP,
        placeholder="/path/to/my-digits", help="A folder of images (or of IDX files), or an "
        ".npz, .zip or .csv file.")
    try:
        options = read_options(hosted)
    except DataError as err:
        st.error(ui.public(err), icon=":material/block:")
        return None
    if not st.button("Import", icon=":material/upload:", key="own_import",
                     disabled=upload is None and not path):
        return None
    try:
        with st.spinner("Reading your images…"):
            info = import_upload(upload, path, options, hosted, owner)
    except DataError as err:
        lines = ui.public(err).splitlines()
        st.error("Not imported (nothing was kept):\n\n" + "\n".join(f"- {x}" for x in lines),
                 icon=":material/block:")
        return None
    st.session_state["imported_note"] = f"Imported **{info.title}** as `{info.name}`."
    return info.name


def import_upload(upload, path: str | None, options: ReadOptions, hosted: bool,
                  owner: str | None):
    """Import an upload (through a temporary file, removed after) or a local path."""
    from distill.data import DATASETS
    from distill.datastore import import_dataset
    if upload is None:
        return import_dataset(Path(path).expanduser(), options, reserved=tuple(DATASETS))
    if hosted and upload.size > LIMITS.upload_bytes:
        raise DataError(f"{upload.name}: {upload.size / 1024 ** 2:.1f} MB, over the demo's "
                        f"limit of {LIMITS.upload_bytes / 1024 ** 2:.0f} MB")
    with tempfile.TemporaryDirectory(prefix="distill-upload-") as tmp:
        file = Path(tmp) / Path(upload.name).name
        file.write_bytes(upload.getvalue())
        return import_dataset(file, options, reserved=tuple(DATASETS), source=upload.name,
                              owner=owner if hosted else None)


def own_teacher(dataset: str, hosted: bool) -> OwnTeacher | None:
    """The user's network: an ONNX upload (or a path), how its pixels were prepared, and
    its accuracy on the data set's test split, measured before anything starts."""
    from distill.teachers import TeacherFileError, keep_teacher_file
    upload = st.file_uploader("Your network (ONNX)", type=["onnx"], key="own_teacher_file",
                              help="Exported from PyTorch (torch.onnx.export), Keras "
                              "(tf2onnx), scikit-learn (skl2onnx) or anything else; one file, "
                              "grey images in, class scores out. Never a pickle.")
    path = None if hosted else st.text_input("…or an ONNX file on this machine",
                                             key="own_teacher_path", **KEEP)
    c1, c2 = st.columns(2)
    scale = c1.selectbox("Its input pixels", list(INPUT_SCALES), key="own_scale", **KEEP,
                         format_func=INPUT_SCALES.get,
                         help="How the images were prepared when your network was trained.")
    text = SCALE_TEXT.get(scale) or c1.text_input("Mean, std", "0.5,0.5", key="own_meanstd",
                                                  **KEEP)
    output = c2.text_input("Output with the class scores", key="own_output", **KEEP,
                           placeholder="the only one", help="Only for networks with several "
                           "float outputs.") or None
    insist = st.toggle("Distil it even if it reads the test images at chance", key="own_insist",
                       **KEEP, help="Normally such a run stops first: wrong preprocessing is "
                       "the usual cause.")
    if upload is None and not path:
        st.caption("Choose your network to see how well it reads this data set.")
        return None
    try:
        if upload is not None:
            limit = LIMITS.upload_bytes if hosted else None
            if limit and upload.size > limit:
                raise TeacherFileError(f"{upload.name}: {upload.size / 1024 ** 2:.1f} MB, over "
                                       f"the demo's limit of {limit / 1024 ** 2:.0f} MB")
            kept = keep_teacher_file(upload.getvalue(), upload.name, **(
                {"max_bytes": limit} if limit else {}))
        else:
            kept = Path(path).expanduser()
        accuracy = teacher_check(str(kept), dataset, text, output)
    except (TeacherFileError, DataError) as err:
        st.error(ui.public(err), icon=":material/block:")
        return None
    words = f"Your network reads **{accuracy:.1%}** of the {dataset} test images right"
    if accuracy < 0.5:
        st.warning(words + ": check its input pixels, its layout and its class order "
                   "(labels.txt) before distilling.", icon=":material/warning:")
    else:
        st.success(words + ".", icon=":material/check_circle:")
    return OwnTeacher(str(kept), text, output, insist)


@ui.memo(max_entries=32)
def teacher_check(path: str, dataset: str, scale: str, output: str | None) -> float:
    """The network's accuracy on (up to) the first CHECK_IMAGES test images of the data set."""
    from distill.teachers import OnnxTeacher
    data = load_dataset(dataset, max_test=None)
    teacher = OnnxTeacher(path, scale, output, image_shape=data.image_shape)
    teacher.check_data(data.image_shape, data.n_classes)
    x, y = data.x_test[:CHECK_IMAGES], data.y_test[:CHECK_IMAGES]
    return float(np.mean(teacher.predict(x) == y))
