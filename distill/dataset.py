"""What a data set is: its images and labels, already split (:class:`Dataset`), and what is
known of it without loading it (:class:`DatasetInfo`). The types every reader shares: the
named data sets (:mod:`distill.data`), a user's files (:mod:`distill.datafiles`) and the
imported ones (:mod:`distill.datastore`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

SPLIT_SEED = 0  # the train/test split never depends on the training seed
DIGIT_NAMES = [str(d) for d in range(10)]


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
    # the default transfer set's size here (None: the usual): on 60,000 images a 10x set
    # needs about 16 GB and 20 minutes on 2 cores and adds nothing (bench/results/mnist.md)
    transfer_size: int | None = None
    # the transfer-set generators that suit its images (distill.transfer), best first: the
    # first is --method transfer's, all are --method auto's candidates. Measured per built-in
    # data set (bench/results/gain.md); your own images get two that assume nothing of their
    # geometry (munge: a neighbour's pixels; mixup: blends), and --transfer picks another
    transfer_sets: tuple[str, ...] = ("munge", "mixup")


@dataclass
class Dataset:
    """Images (N, H, W) in [0, 1], integer labels and class names, already split."""

    name: str
    x_train: np.ndarray  # (N_train, H, W) float32
    y_train: np.ndarray  # (N_train,) int64
    x_test: np.ndarray  # (N_test, H, W) float32
    y_test: np.ndarray  # (N_test,) int64
    class_names: list[str] = field(default_factory=lambda: list(DIGIT_NAMES))
    notes: list[str] = field(default_factory=list)  # what a reader decided for the user

    @property
    def image_shape(self) -> tuple[int, int]:
        return tuple(self.x_train.shape[1:])  # type: ignore[return-value]

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    def summary(self) -> str:
        h, w = self.image_shape
        return f"{self.name}: {len(self.x_train)} train / {len(self.x_test)} test, {h}x{w}"
