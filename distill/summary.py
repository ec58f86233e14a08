"""Tables of a run's numbers: one row per model, shared by the CLI, the dashboard and exports."""

from __future__ import annotations

import math

COLUMNS = ["model", "kind", "method", "accuracy", "agreement", "gain", "top2_agreement", "kl",
           "leaves", "depth", "parameters", "seconds"]


def model_rows(metrics: dict) -> list[dict]:
    """The teacher, then every student; ``gain`` is agreement over the ground-truth twin's."""
    t = metrics["teacher"]
    rows = [{"model": f"teacher ({t['arch']})", "kind": "teacher", "method": "true labels",
             "accuracy": t["test_accuracy"], "agreement": 1.0, "gain": None,
             "top2_agreement": 1.0, "kl": 0.0, "leaves": None, "depth": None,
             "parameters": t.get("parameters"), "seconds": t.get("train_seconds")}]
    by_label = {(s.get("label"), s["method"]): s for s in metrics["students"]}
    for s in metrics["students"]:
        base = by_label.get((s.get("label"), "ground-truth"))
        gain = (s["agreement"] - base["agreement"]
                if base is not None and s["method"] != "ground-truth" else None)
        rows.append({"model": s["name"], "kind": s["kind"], "method": s["method"],
                     "accuracy": s["test_accuracy"], "agreement": s["agreement"], "gain": gain,
                     "top2_agreement": s.get("top2_agreement"), "kl": s.get("kl"),
                     "leaves": s.get("leaves"), "depth": s.get("depth"),
                     "parameters": s.get("parameters"), "seconds": s.get("fit_seconds")})
    return rows


def _cell(value, column: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if column in ("accuracy", "agreement", "top2_agreement"):
        return f"{value:.1%}"
    if column == "gain":
        return f"{value * 100:+.1f} pt"
    if column == "kl":
        return f"{value:.3f}"
    if column == "seconds":
        return f"{value:.1f}"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def format_table(rows: list[dict], columns: list[str] | None = None) -> str:
    """A plain-text table with aligned columns (numbers right-aligned)."""
    if columns is None:
        columns = list(rows[0]) if rows else []
    cells = [[_cell(r.get(c), c) for c in columns] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    numeric = [all(isinstance(r.get(c), (int, float)) or r.get(c) is None for r in rows)
               for c in columns]

    def line(values):
        return "  ".join(v.rjust(w) if num else v.ljust(w)
                         for v, w, num in zip(values, widths, numeric)).rstrip()

    return "\n".join([line(columns), line(["-" * w for w in widths])] + [line(r) for r in cells])


def headline(metrics: dict) -> str:
    """One line: data set, teacher accuracy, best distilled student's agreement."""
    t = metrics["teacher"]
    distilled = [s for s in metrics["students"] if s["method"] == metrics["method"]]
    best = max(distilled, key=lambda s: s["agreement"], default=None)
    text = f"{metrics['dataset']}: teacher {t['arch']} {t['test_accuracy']:.1%}"
    if best is not None:
        text += f"; best student {best['label']} agrees {best['agreement']:.1%}"
    return text


def markdown_table(rows: list[dict], columns: list[str] | None = None) -> str:
    """The same cells as :func:`format_table`, as a Markdown table (for the README)."""
    if columns is None:
        columns = list(rows[0]) if rows else []
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    lines += ["| " + " | ".join(_cell(r.get(c), c) for c in columns) + " |" for r in rows]
    return "\n".join(lines)
