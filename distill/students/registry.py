"""The one registry of students: the names users choose, and what each one builds.

A name ("tree", "pixel-tree") is a preset of a student class: the class and the settings
that make the preset. The class's ``kind`` ("tree") is the one identifier everything else is
keyed by: saved files, explanations (:mod:`distill.explain`) and the dashboard's views.
Adding a student kind is a class and an entry here; its parameters' bounds, words and demo
caps come from the class's ``PARAMS`` table, its defaults from its ``__init__``.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field

from ..params import Param, ParamError
from .base import Student
from .flat import BernoulliNBStudent, GaussianNBStudent, LinearStudent, MultinomialNBStudent
from .soft_tree import SoftTreeStudent
from .tree import TreeStudent

CLASSES: dict[str, type[Student]] = {cls.kind: cls for cls in (
    TreeStudent, SoftTreeStudent, GaussianNBStudent, BernoulliNBStudent, MultinomialNBStudent,
    LinearStudent)}
# parameters set by the run, never by a user
RUN_SET = ("n_classes", "random_state")


@dataclass(frozen=True)
class StudentSpec:
    """A selectable student: a class, the settings that make this preset, and its words."""

    name: str
    cls: type[Student]
    title: str
    short: str
    help: str
    preset: dict = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return self.cls.kind

    def defaults(self) -> dict:
        """Every user-settable parameter's value when nothing is asked: the class's
        ``__init__`` defaults, then this preset's."""
        signature = inspect.signature(self.cls.__init__).parameters
        base = {k: p.default for k, p in signature.items() if k != "self" and k not in RUN_SET}
        return {**base, **self.preset}

    def param(self, name: str) -> Param:
        try:
            return self.cls.PARAMS[name]
        except KeyError:
            valid = ", ".join(sorted(self.defaults()))
            raise ParamError(f"student {self.name!r} has no parameter {name}; it takes: "
                             f"{valid}") from None

    def form_params(self) -> dict[str, Param]:
        """The parameters the Train form offers, in the class's order."""
        return {k: p for k, p in self.cls.PARAMS.items() if p.form}

    def parse(self, name: str, text: str):
        """A parameter value from command-line text, checked by type and bounds."""
        return self.param(name).parse(name, text, self.name)

    def hosted_problems(self, params: dict) -> list[str]:
        """What a public demo refuses in this student with ``params`` (preset and defaults
        filled in)."""
        values = {**self.defaults(), **params}
        return [problem for k, p in self.cls.PARAMS.items()
                if (problem := p.hosted_problem(k, values.get(k), self.short.lower()))]


STUDENTS: dict[str, StudentSpec] = {spec.name: spec for spec in [
    StudentSpec("tree", TreeStudent, "Decision tree (regions)", "Region tree",
                "A CART tree whose questions are about the mean ink in rectangles of the "
                "image."),
    StudentSpec("pixel-tree", TreeStudent, "Decision tree (pixels)", "Pixel tree",
                "A classic CART tree whose questions are about single pixels.",
                {"features": "pixels", "criterion": "gini", "algorithm": "exact"}),
    StudentSpec("soft-tree", SoftTreeStudent, "Soft decision tree", "Soft tree",
                "Frosst & Hinton 2017: every node is a learned filter over the image, every "
                "leaf a class distribution; follows the network closely with few leaves. "
                "Reads 28x28 digits straightened (upright and centred) by default."),
    StudentSpec("gaussian-nb", GaussianNBStudent, "Gaussian naive Bayes", "Gaussian NB",
                "Per-class pixel means and variances."),
    StudentSpec("bernoulli-nb", BernoulliNBStudent, "Bernoulli naive Bayes", "Bernoulli NB",
                "Per-class probability that each pixel is inked."),
    StudentSpec("multinomial-nb", MultinomialNBStudent, "Multinomial naive Bayes",
                "Multinomial NB", "Per-class share of the ink that falls on each pixel."),
    StudentSpec("linear", LinearStudent, "Logistic regression", "Logistic regression",
                "One weight per pixel and class: the linear reference."),
]}
DEFAULT_STUDENTS = ("tree", "gaussian-nb", "bernoulli-nb", "multinomial-nb")


def spec_of(name: str) -> StudentSpec:
    try:
        return STUDENTS[name]
    except KeyError:
        raise ParamError(f"unknown student {name!r}; choose from: {', '.join(STUDENTS)}") from None


def make_student(name: str, n_classes: int | None = None, random_state: int = 0,
                 **params) -> Student:
    """Build the student called ``name``: its defaults overridden by ``params``, checked."""
    spec = spec_of(name)
    for key in params:
        spec.param(key)  # unknown names are refused with the list of known ones
    values = {**spec.preset, **params}
    if "random_state" in spec.cls.PARAMS:
        values["random_state"] = random_state
    student = spec.cls(n_classes=n_classes, **values)
    student.check_params()
    return student


def class_for(saved: dict) -> type[Student]:
    """The class of a saved student from its file's metadata: ``kind``, or for files written
    before kinds were saved, the class name."""
    if "kind" in saved and saved["kind"] in CLASSES:
        return CLASSES[saved["kind"]]
    by_name = {cls.__name__: cls for cls in CLASSES.values()}
    if saved.get("class") in by_name:
        return by_name[saved["class"]]
    raise KeyError(f"unknown student {saved.get('kind') or saved.get('class')!r}")
