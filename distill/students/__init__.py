"""Interpretable students with the scikit-learn estimator API.

One module a concept: :mod:`.base` (the contract every student keeps), :mod:`.tree` and its
grower :mod:`.hist_tree`, :mod:`.flat` (naive Bayes and logistic regression),
:mod:`.soft_tree` with its network :mod:`.soft_tree_net`, and :mod:`.registry`, the one list
of names a user can choose.
"""

from .base import Student
from .flat import (
                   BernoulliNBStudent,
                   FlatStudent,
                   GaussianNBStudent,
                   LinearStudent,
                   MultinomialNBStudent,
)
from .registry import (
                   CLASSES,
                   DEFAULT_STUDENTS,
                   STUDENTS,
                   StudentSpec,
                   class_for,
                   make_student,
                   spec_of,
)
from .soft_tree import SoftTreeStudent, epochs_for
from .tree import TreeStudent, walk

__all__ = ["Student", "FlatStudent", "GaussianNBStudent", "BernoulliNBStudent",
           "MultinomialNBStudent", "LinearStudent", "TreeStudent", "SoftTreeStudent",
           "StudentSpec", "STUDENTS", "CLASSES", "DEFAULT_STUDENTS", "make_student", "spec_of",
           "class_for", "epochs_for", "walk"]
