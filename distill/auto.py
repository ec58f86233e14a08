"""``--method auto``: each student learns the way that makes it agree most with the teacher.

No one method is best for every student and data set: a tree gains from a transfer set of
bent strokes, naive Bayes loses on one and gains on a neighbour-swapped one, a clothes picture
must not be bent at all (bench/results/gain.md). So the run asks each student: a stratified
part of the training images is held out, the student is fitted under every candidate (the
true labels, the teacher's labels, its probabilities, a transfer set of each generator that
suits the data set) on a sample of the rest, and the candidate whose student agrees with the
teacher most often on the held-out images is refitted on the whole training set.

The true labels are the fallback, and a candidate replaces them only when it wins clearly:
on the held-out images it must agree with the teacher where the true-label fit does not more
often than the reverse, by more than one and a half standard deviations of that paired count
(McNemar's comparison; ``CLEAR_WIN``). A win smaller than the held-out part can tell from luck
would let a student distilled from the network agree with it less than its baseline on the
test set.

The candidates' fits use a capped sample (``fit_cap`` training images and as many synthetic
copies of each as ``PIXEL_CAP`` allows, ``held_cap`` held out) so that choosing costs a
bounded, reported time whatever the data set's size: what is compared is the kind of targets,
not their amount (bench/results/gain.md has the choices this makes and the test figures
beside them). The share of synthetic images is the final fit's, though, wherever the cap
allows: how many copies stand beside each real image changes what a student learns, not only
how much (with fewer copies than its final fit, munge won logistic regression's screen on
mnist5k and lost at full size). The teacher labels only the synthetic images a fit reads
(:class:`Answers`).

What wins on a thousand images need not win on sixty thousand: a transfer set helps a tree
that has few images and can cost it when it has many (Fashion-MNIST, bench/results/gain.md).
So where the training set is much larger than the sample (``CONFIRM_FROM``), the winner is
confirmed at full size: it and the true labels are each fitted on every image but the held-out
ones and compared on those again, by a stricter bar (``CONFIRM_WIN``: on 60,000 images a
student gains little from the teacher, and a win by luck would cost the gain); the winner's
fit is kept only if it still wins clearly, and otherwise the student keeps the true labels
(:func:`confirms`).

What is too small to sample is cross-validated instead (:func:`auto_splits`): where the whole
training set is about the sample's size (``FOLD_PIXELS``: 8x8 digits, not mnist5k), one part would
be a few hundred images, too few to tell candidates apart (a digit is 0.35 points of 287), so
the images are cut into ``FOLDS`` stratified folds, each candidate is fitted once per fold on
the others, and every training image judges once. The paired count is then taken over all the
images, by the same bar: the folds' fits share most of their images, so their answers are not
independent and the count's simple standard deviation understates its spread (Bengio and
Grandvalet, 2004: k-fold cross-validation has no unbiased estimate of its variance), one more
reason the bar is one and a half standard deviations, not one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .distillation import BASELINE, Targets, fit_student
from .progress import Reporter, StopCheck, check_stop, never, silent

HELD_SHARE = 0.2  # of the training images, held out to compare candidates
HELD_CAP = 1000  # held-out images at most
FIT_CAP = 1000  # training images (before their synthetic copies) a candidate is fitted on
# pixels a transfer candidate is fitted on at most, as synthetic copies of those images: six
# 28x28 images for each (mnist5k's five copies, as many as its final fit reads: module
# docstring), every copy of an 8x8 digit set
PIXEL_CAP = 6 * 28 * 28 * FIT_CAP
# standard deviations of the paired count a candidate must win by: four or five candidates
# face the true labels, and at one a student none of whose candidates is better could pass one
# by luck about every other time (a loss on mnist5k: bench/results/gain.md); over folds, whose
# fits share most of their images, the count's spread is understated besides
CLEAR_WIN = 1.5
# ... and at full size, where a small true edge is worth little and a false one costs the gain
CONFIRM_WIN = 2.0
# training images beside the held-out part from which a choice is confirmed at full size
CONFIRM_FROM = 10 * FIT_CAP
FOLDS = 5  # folds of a training set small enough to cross-validate
FOLD_PIXELS = 3 * 28 * 28 * FIT_CAP  # ... one of at most this many pixels in all (not mnist5k)


@dataclass(frozen=True)
class Candidate:
    """One way a student can learn: a method, and for ``transfer`` its generator."""

    method: str  # ground-truth, hard, soft, transfer
    transfer: str | None = None

    @property
    def label(self) -> str:
        if self.method == "transfer":
            return f"transfer ({self.transfer})"
        return {BASELINE: "true labels", "hard": "teacher's labels",
                "soft": "teacher's probabilities"}[self.method]


def candidates(generators: tuple[str, ...] | list[str]) -> list[Candidate]:
    """Every candidate of a run, the true labels first (the fallback)."""
    return [Candidate(BASELINE), Candidate("hard"), Candidate("soft"),
            *(Candidate("transfer", g) for g in generators)]


@dataclass(frozen=True)
class Split:
    """Indices into the training set: what candidates fit on, and what judges them."""

    fit: np.ndarray
    held: np.ndarray


def held_size(n: int, held_share: float = HELD_SHARE, held_cap: int = HELD_CAP) -> int:
    """How many of ``n`` training images are held out to judge candidates."""
    return int(min(held_cap, max(1, round(n * held_share))))


def confirms(n_train: int, held: int) -> bool:
    """Whether a choice is confirmed at full size (module docstring): when the images beside
    the ``held`` out ones are many times the sample the candidates were fitted on."""
    return n_train - held >= CONFIRM_FROM


def holdout_split(y: np.ndarray, seed: int, held_share: float = HELD_SHARE,
                  held_cap: int = HELD_CAP, fit_cap: int = FIT_CAP) -> Split:
    """A stratified held-out part of ``y`` (every class in proportion, where each has two
    images), and a sample of the rest to fit on; both seeded."""
    from sklearn.model_selection import train_test_split
    n = len(y)
    held = held_size(n, held_share, held_cap)
    counts = np.bincount(y)
    stratify = y if counts[counts > 0].min() >= 2 and held >= len(counts[counts > 0]) else None
    rest, held_idx = train_test_split(np.arange(n), test_size=held, random_state=seed,
                                      stratify=stratify)
    rng = np.random.default_rng(seed)
    fit = np.sort(rng.choice(rest, size=min(fit_cap, len(rest)), replace=False))
    return Split(fit, np.sort(held_idx))


def auto_splits(y: np.ndarray, seed: int, pixels: int) -> list[Split]:
    """How a training set of labels ``y`` and images of ``pixels`` pixels judges candidates:
    ``FOLDS`` stratified folds when it is small enough (module docstring) and every class
    has an image in each, else one held-out part (:func:`holdout_split`)."""
    from sklearn.model_selection import StratifiedKFold
    counts = np.bincount(y)
    if len(y) * pixels > FOLD_PIXELS or counts[counts > 0].min() < FOLDS:
        return [holdout_split(y, seed)]
    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=seed).split(np.zeros(len(y)), y)
    return [Split(np.sort(fit), np.sort(held)) for fit, held in folds]


def transfer_set_apart(x: np.ndarray, held: list[np.ndarray], kind: str, k: int, seed: int,
                       progress: Reporter = silent, should_stop: StopCheck = never) -> np.ndarray:
    """``k`` synthetic copies of each of ``x`` (copy j of image i at row j * N + i, as
    :func:`distill.transfer.make_transfer_set` lays them out), the copies of each ``held``
    part (a split's held-out rows) made from that part alone, and those of the rows no split
    holds out from them alone: mixup blends an image with another and munge swaps pixels with
    its nearest neighbour's, and a held-out image inside a candidate's copies would let it
    learn the very images that judge it (that favoured mixup on held-out digits and lost on
    the test set: bench/results/gain.md)."""
    from .transfer import DRAWS_ON_OTHERS, make_transfer_set
    if kind not in DRAWS_ON_OTHERS:  # each copy is its own image's: nothing to keep apart
        return make_transfer_set(x, kind, k, seed, progress, should_stop)
    out = np.empty((k * len(x), *x.shape[1:]), dtype=np.float32)
    part = np.zeros(len(x), dtype=int)  # 0: held out by no split
    for number, rows in enumerate(held, 1):
        part[rows] = number
    for group in (np.flatnonzero(part == number) for number in np.unique(part)):
        if len(group):
            made = make_transfer_set(x[group], kind, k, seed, progress, should_stop)
            out[(group[None, :] + len(x) * np.arange(k)[:, None]).ravel()] = made
    return out


class Answers:
    """The teacher's probabilities at temperature T for rows of ``x``, each row asked once."""

    def __init__(self, teacher, x: np.ndarray, temperature: float):
        self.teacher, self.x, self.temperature = teacher, x, temperature
        self._proba: np.ndarray | None = None
        self._known = np.zeros(len(x), dtype=bool)

    def __call__(self, rows: np.ndarray | None = None) -> np.ndarray:
        rows = np.arange(len(self.x)) if rows is None else np.asarray(rows)
        missing = rows[~self._known[rows]]
        if len(missing):
            proba = self.teacher.predict_proba(self.x[missing], self.temperature)
            if self._proba is None:
                self._proba = np.zeros((len(self.x), proba.shape[1]), dtype=proba.dtype)
            self._proba[missing] = proba
            self._known[missing] = True
        return self._proba[rows]


@dataclass
class Pool:
    """What candidates draw on: the training set, its synthetic copies by generator (K copies
    of image i at rows i, N + i, ...), and the teacher's answers for both."""

    x: np.ndarray
    y: np.ndarray
    copies: dict[str, np.ndarray]
    teacher: object
    temperature: float
    transfer_labels: str = "auto"
    answers: dict[str, Answers] = field(default_factory=dict)

    def __post_init__(self):
        self.answers = {"train": Answers(self.teacher, self.x, self.temperature),
                        **{g: Answers(self.teacher, c, self.temperature)
                           for g, c in self.copies.items()}}

    def targets(self, candidate: Candidate, rows: np.ndarray | None = None,
                copies: int | None = None) -> Targets:
        """``candidate``'s targets on training rows ``rows`` (all by default) and, for a
        transfer set, their synthetic copies (the first ``copies`` of each; all by default)."""
        rows = np.arange(len(self.x)) if rows is None else rows
        t = self.temperature
        if candidate.method == BASELINE:
            return Targets(self.x[rows], self.y[rows])
        proba = self.answers["train"](rows)
        if candidate.method == "hard":
            return Targets(self.x[rows], proba.argmax(1))
        if candidate.method == "soft":
            return Targets(self.x[rows], proba, temperature=t)
        made = self.copies[candidate.transfer]
        k = min(len(made) // len(self.x), copies or len(made))
        extra = (rows[None, :] + len(self.x) * np.arange(k)[:, None]).ravel()  # (K * len(rows),)
        x = np.concatenate([self.x[rows], made[extra]])
        y = np.concatenate([proba, self.answers[candidate.transfer](extra)])
        if self.transfer_labels == "hard":
            return Targets(x, y.argmax(1))
        return Targets(x, y, argmax_for_others=self.transfer_labels == "auto", temperature=t)


@dataclass
class Choice:
    """What auto chose for one student, and why."""

    candidate: Candidate
    heldout: dict[str, float]  # candidate label -> held-out agreement with the teacher
    held: int  # held-out images (over every fold)
    fitted_on: int  # training images each candidate fitted on (before synthetic copies)
    seconds: float
    confirmed: dict | None = None  # the winner against the true labels at full size
    folds: int = 1  # held-out parts: one, or the folds of a small training set

    def confirm(self, teacher_says: np.ndarray, true_said: np.ndarray, chosen_said: np.ndarray,
                fitted_on: int, seconds: float) -> bool:
        """Judge the winner again by its fit on ``fitted_on`` images against the true labels'
        (their predictions on the held-out images; ``seconds``: what the true labels' fit
        took); the student keeps the true labels unless it still wins by ``CONFIRM_WIN``.
        Whether it did."""
        winner, base = self.candidate, Candidate(BASELINE)
        kept = clear_winner(teacher_says, {base: true_said, winner: chosen_said},
                            CONFIRM_WIN) == winner
        self.confirmed = {"candidate": winner.label, "fitted_on": fitted_on, "kept": kept,
                          "heldout": {winner.label: _agreement(chosen_said, teacher_says),
                                      base.label: _agreement(true_said, teacher_says)},
                          "seconds": round(seconds, 2)}
        self.candidate = winner if kept else base
        return kept

    def to_dict(self) -> dict:
        return {"method": self.candidate.method, "transfer": self.candidate.transfer,
                "label": self.candidate.label, "heldout": self.heldout, "held_out": self.held,
                "fitted_on": self.fitted_on, "seconds": round(self.seconds, 2),
                **({"folds": self.folds} if self.folds > 1 else {}),
                **({"confirmed": self.confirmed} if self.confirmed else {})}


def _agreement(said: np.ndarray, teacher_says: np.ndarray) -> float:
    return round(float(np.mean(said == teacher_says)), 4)


def clear_winner(teacher_says: np.ndarray, answers: dict[Candidate, np.ndarray],
                 clear_win: float = CLEAR_WIN) -> Candidate:
    """The candidate that agrees with the teacher most, among those that beat the true labels
    clearly (module docstring); the true labels when none does. ``answers``: each candidate's
    predicted classes on the held-out images, the true labels' first."""
    base = next(c for c in answers if c.method == BASELINE)
    base_right = answers[base] == teacher_says
    best, best_score = base, base_right.mean()
    for candidate, said in answers.items():
        right = said == teacher_says
        wins, losses = int(np.sum(right & ~base_right)), int(np.sum(base_right & ~right))
        if wins - losses > clear_win * np.sqrt(wins + losses) and right.mean() > best_score:
            best, best_score = candidate, right.mean()
    return best


def copies_within(made: int, n_fit: int, pixels: int, pixel_cap: int = PIXEL_CAP) -> int:
    """How many synthetic copies of each of ``n_fit`` images of ``pixels`` pixels a transfer
    candidate fits on: as many as were ``made``, within ``pixel_cap`` pixels (at least one)."""
    return int(max(1, min(made, pixel_cap // max(1, n_fit * pixels) - 1)))


def copies_for(pool: Pool, n_fit: int) -> int:
    """:func:`copies_within` for ``pool``'s transfer sets."""
    made = min((len(c) // len(pool.x) for c in pool.copies.values()), default=0)
    return copies_within(made, n_fit, int(np.prod(pool.x.shape[1:])))


def choose(make_students: dict[str, Callable[[], object]], pool: Pool, splits: list[Split],
           options: list[Candidate], leaves: str = "teacher", progress: Reporter = silent,
           should_stop: StopCheck = never) -> dict[str, Choice]:
    """For each named student (a function making a fresh one), fit it under every candidate on
    each split's ``fit`` rows and choose by agreement with the teacher on every split's
    ``held`` rows together (one split, or the folds of :func:`auto_splits`). The teacher
    labels every candidate's images first; then the fits, independent of one another, share
    the cores (:mod:`distill.parallel`: a small tree's split search is single-threaded)."""
    from concurrent.futures import as_completed

    from .parallel import pool as threads
    held = np.concatenate([s.held for s in splits])  # the judged rows, split after split
    teacher_says = pool.answers["train"](held).argmax(1)
    copies = copies_for(pool, max(len(s.fit) for s in splits))
    targets = {(i, c): pool.targets(c, s.fit, copies)
               for i, s in enumerate(splits) for c in options}

    def fit_one(i: int, candidate: Candidate, name: str) -> tuple[np.ndarray, float]:
        check_stop(should_stop)
        start = time.perf_counter()
        student = make_students[name]()
        fit_student(student, targets[i, candidate], silent, should_stop, leaves)
        return student.predict(pool.x[splits[i].held]), time.perf_counter() - start

    said: dict[str, dict] = {name: {} for name in make_students}  # (split, candidate) -> said
    seconds = dict.fromkeys(make_students, 0.0)
    with threads() as workers:
        fits = {workers.submit(fit_one, i, c, name): (i, c, name)
                for name in make_students for i in range(len(splits)) for c in options}
        for done, fit in enumerate(as_completed(fits), 1):
            i, candidate, name = fits[fit]
            said[name][i, candidate], spent = fit.result()
            seconds[name] += spent
            progress({"fraction": done / len(fits), "message": f"{name}: {candidate.label}"})
    return {name: _choice(by_split, splits, options, teacher_says, seconds[name])
            for name, by_split in said.items()}


def _choice(by_split: dict, splits: list[Split], options: list[Candidate],
            teacher_says: np.ndarray, seconds: float) -> Choice:
    """One student's choice from its answers on each split's held-out rows (``by_split``:
    (split, candidate) -> predicted classes), over every split's held-out rows together."""
    answers = {c: np.concatenate([by_split[i, c] for i in range(len(splits))])
               for c in options}
    return Choice(clear_winner(teacher_says, answers, CLEAR_WIN),
                  {c.label: _agreement(answers[c], teacher_says) for c in options},
                  len(teacher_says), max(len(s.fit) for s in splits), seconds,
                  folds=len(splits))
