"""What a user may set, described once: type, bounds, words, and the public demo's cap.

Every tunable number of the engine (a student's parameters, the teacher's epochs, the
transfer-set size) has one :class:`Param`. Validation, parsing from the command line, the
Train form's widgets, the CLI's help and the hosted caps all read it, so a bound is written
in one place. Defaults are not here: they live in the signature of the class they configure
(a student's ``__init__``, a config dataclass), as scikit-learn's estimator contract asks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real

KINDS = ("int", "float", "bool", "choice")


class ParamError(ValueError):
    """A parameter value of the wrong type or out of bounds, said in words."""


@dataclass(frozen=True)
class Param:
    """One settable parameter.

    ``none`` names what None means where None is allowed ("no limit"); ``hosted_high`` is the
    largest value a public demo accepts (None stands for unbounded, so it is refused there);
    ``form`` puts the parameter on the Train form.
    """

    kind: str
    low: float | None = None
    high: float | None = None
    options: tuple = ()
    label: str = ""
    help: str = ""
    none: str | None = None
    hosted_high: float | None = None
    form: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown parameter kind {self.kind!r}")

    # ---- checking --------------------------------------------------------------------
    def check(self, name: str, value, owner: str = ""):
        """``value`` if it fits, else :class:`ParamError` saying what would."""
        what = f"{owner} {self.label or name}".strip()
        if value is None:
            if self.none is None:
                raise ParamError(f"{what} must be {self.describe()}")
            return value
        if self.kind == "bool":
            # numpy's bool (from a form or an array) too: "bool_" before numpy 2, "bool" since
            if not isinstance(value, bool) and type(value).__name__ not in ("bool_", "bool"):
                raise ParamError(f"{what} must be true or false, not {value!r}")
            return bool(value)
        if self.kind == "choice":
            if value not in self.options:
                raise ParamError(f"{what} must be one of {', '.join(map(str, self.options))}, "
                                 f"not {value!r}")
            return value
        number_type = Integral if self.kind == "int" else Real
        if isinstance(value, bool) or not isinstance(value, number_type):
            raise ParamError(f"{what} must be {self.describe()}, not {value!r}")
        if isinstance(value, float) and not math.isfinite(value):
            raise ParamError(f"{what} must be {self.describe()}, not {value!r}")
        if (self.low is not None and value < self.low) or (
                self.high is not None and value > self.high):
            raise ParamError(f"{what} must be {self.describe()}, not {value!r}")
        return value

    def describe(self) -> str:
        """The allowed values in words: "a whole number from 2 to 4096, or none (no limit)"."""
        if self.kind == "bool":
            text = "true or false"
        elif self.kind == "choice":
            text = "one of " + ", ".join(map(str, self.options))
        else:
            noun = "a whole number" if self.kind == "int" else "a number"
            text = f"{noun} from {_num(self.low)} to {_num(self.high)}"
        return text + (f", or none ({self.none})" if self.none else "")

    # ---- parsing ---------------------------------------------------------------------
    def parse(self, name: str, text: str, owner: str = ""):
        """A value from command-line text, checked: '64' -> 64, 'none' -> None."""
        what = f"{owner} {self.label or name}".strip()
        raw = text.strip()
        low = raw.lower()
        if low in ("none", "null", "unlimited", ""):
            return self.check(name, None, owner)
        if self.kind == "bool":
            if low in ("true", "yes", "on", "1"):
                return True
            if low in ("false", "no", "off", "0"):
                return False
            raise ParamError(f"{what} must be true or false, not {raw!r}")
        if self.kind == "choice":
            return self.check(name, raw, owner)
        try:
            value = int(raw) if self.kind == "int" else float(raw)
        except ValueError:
            raise ParamError(f"{what} must be {self.describe()}, not {raw!r}") from None
        return self.check(name, value, owner)

    # ---- the public demo -------------------------------------------------------------
    def hosted_problem(self, name: str, value, owner: str = "") -> str | None:
        """Why a public demo refuses ``value`` (None when it accepts it)."""
        if self.hosted_high is None:
            return None
        what = f"{owner} {self.label or name}".strip().lower()
        if value is None or value > self.hosted_high:
            return f"the demo allows {what} of at most {_num(self.hosted_high)}"
        return None

    def upper(self, hosted: bool) -> float | None:
        """The largest value a form may offer."""
        return self.hosted_high if hosted and self.hosted_high is not None else self.high


def _num(value) -> str:
    if value is None:
        return "any"
    if float(value).is_integer() and abs(value) >= 1:
        return f"{int(value):,}".replace(",", "")
    return f"{value:g}"


def check_all(table: dict[str, Param], values: dict, owner: str = "") -> list[str]:
    """Every problem with ``values`` against ``table`` (names not in the table are ignored)."""
    problems = []
    for name, param in table.items():
        if name in values:
            try:
                param.check(name, values[name], owner)
            except ParamError as err:
                problems.append(str(err))
    return problems
