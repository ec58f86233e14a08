"""Tables of a run's numbers: one row per model, shared by the CLI, the dashboard and exports."""

from __future__ import annotations

import csv
import io
import math

from .distillation import BOUNDARY, TRANSFER_METHODS
from .facts import RunFacts
from .layout import LOCAL_FIDELITY, LOCAL_FIDELITY_DETAIL
from .metrics import bootstrap_interval

COLUMNS = ["model", "kind", "method", "accuracy", "agreement", "gain", "local_fidelity",
           "top2_agreement", "kl", "leaves", "depth", "parameters", "seconds"]


IMPORTED = ("onnx", "function")  # teachers made elsewhere (distill.teachers)


def teacher_label(t: dict) -> str:
    """A teacher in a few words: the architecture it was trained as, or the user's network
    by its file (or function) name."""
    if t.get("kind") == "onnx":
        return f"your network {t.get('name', 'teacher.onnx')}"
    if t.get("kind") == "function":
        return f"your function {t.get('name', '')}".strip()
    return t["arch"]


EVIDENCE = {  # how the teacher's evidence map was drawn, in words (distill.explain.saliency)
    "integrated-gradients": "integrated gradients, how much each pixel's ink raised (red) or "
                            "lowered (blue) the teacher's score for its answer",
    "occlusion": "occlusion, how much blacking out each small patch of the digit lowered "
                 "(red) or raised (blue) the teacher's score for its answer (a network given "
                 "as a file answers but shows no gradients)",
}


def evidence_words(t: dict | None) -> str:
    return EVIDENCE[(t or {}).get("evidence", "integrated-gradients")]


def teacher_help(t: dict) -> str:
    """What a teacher is, for a help text."""
    if t.get("kind") in IMPORTED:
        return (f"{teacher_label(t)}, {t.get('parameters', 0):,} parameters; trained elsewhere: "
                "its accuracy is measured here, on this data set's test split")
    return (f"{t['arch']} network, {t.get('parameters', 0):,} parameters, trained "
            f"{t.get('epochs', 0)} epochs in {t.get('train_seconds', 0):.0f} s")


LOCAL_FIDELITY_HELP = (
    "Local fidelity: on sampled test digits where the student agrees with the network, the "
    "share of the student's smallest edits to its runner-up class (Explore's counterfactuals) "
    "that make the network answer that class too. Agreement says the student gives "
    "the network's answers; this says whether it gives them for the network's reasons.")


def local_fidelity_phrase(entry: dict) -> str:
    """A student's local fidelity in a few words: "local fidelity 12% (95% CI 8%–17%)"."""
    if LOCAL_FIDELITY not in entry:
        return "local fidelity: not measured yet"
    share, detail = entry[LOCAL_FIDELITY], entry.get(LOCAL_FIDELITY_DETAIL) or {}
    if share is None:
        return ("local fidelity: no edits to measure" if detail else
                "local fidelity: none (no exact edits for this kind)")
    low, high = detail["interval"]
    return f"local fidelity {share:.0%} (95% CI {low:.0%}–{high:.0%})"


def model_rows(metrics: dict) -> list[dict]:
    """The teacher, then every student; ``gain`` is agreement over the ground-truth twin's;
    ``accuracy_ci`` and ``agreement_ci`` are 95% bootstrap intervals over the test digits."""
    t = metrics["teacher"]
    n = metrics["n_test"]
    rows = [] if t is None else [
        {"model": f"teacher ({teacher_label(t)})", "kind": "teacher", "method": "true labels",
         "accuracy": t["test_accuracy"], "agreement": 1.0, "gain": None,
         "local_fidelity": None, "local_fidelity_ci": None, "top2_agreement": 1.0,
         "kl": 0.0, "leaves": None, "depth": None, "parameters": t.get("parameters"),
         "seconds": t.get("train_seconds"),
         "accuracy_ci": bootstrap_interval(t["test_accuracy"], n), "agreement_ci": None}]
    facts = RunFacts(metrics)
    for s in metrics["students"]:
        method = s["method"] + (f": {s['chosen']['label']}" if s.get("chosen") else "")
        rows.append({"model": s["name"], "kind": s["kind"], "method": method,
                     "accuracy": s["test_accuracy"], "agreement": s["agreement"],
                     "gain": facts.gain(s), "local_fidelity": s.get(LOCAL_FIDELITY),
                     "local_fidelity_ci": (s.get(LOCAL_FIDELITY_DETAIL) or {}).get("interval"),
                     "top2_agreement": s.get("top2_agreement"), "kl": s.get("kl"),
                     "leaves": s.get("leaves"), "depth": s.get("depth"),
                     "parameters": s.get("parameters"), "seconds": s.get("fit_seconds"),
                     "accuracy_ci": bootstrap_interval(s["test_accuracy"], n),
                     "agreement_ci": (None if s["agreement"] is None else
                                      bootstrap_interval(s["agreement"], n))})
    return rows


def cell(value, column: str) -> str:
    """One value as the tables print it: percentages, gains in points, '-' for none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, str):  # already formatted
        return value
    if column in ("accuracy", "agreement", "top2_agreement", "local_fidelity"):
        return f"{value:.1%}"
    if column.endswith("_ci"):
        return f"{value[0]:.1%} – {value[1]:.1%}"
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
    cells = [[cell(r.get(c), c) for c in columns] for r in rows]
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
    best = RunFacts(metrics).best
    if t is None:
        return (f"{metrics['dataset']}: no teacher (true labels only); best student "
                f"{best['label']} {best['test_accuracy']:.1%} accurate")
    text = f"{metrics['dataset']}: teacher {teacher_label(t)} {t['test_accuracy']:.1%}"
    if best is not None:
        text += f"; best student {best['label']} agrees {best['agreement']:.1%}"
    return text


def markdown_table(rows: list[dict], columns: list[str] | None = None) -> str:
    """The same cells as :func:`format_table`, as a Markdown table (for the README)."""
    if columns is None:
        columns = list(rows[0]) if rows else []
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    lines += ["| " + " | ".join(cell(r.get(c), c) for c in columns) + " |" for r in rows]
    return "\n".join(lines)


def method_phrase(metrics: dict) -> str:
    """How the students learned, in words: "an elastic transfer set (10x, soft labels, T=4)"."""
    method = metrics["method"]
    if method == "auto":
        chosen = [f"{s['label']} from {s['chosen']['label']}" for s in metrics["students"]
                  if s.get("chosen")]
        return ("the way that agreed best with the teacher on held-out training images, "
                f"each student its own ({'; '.join(chosen)})")
    if method in TRANSFER_METHODS:
        labels = metrics.get("transfer_labels", "hard")
        detail = {"soft": f"soft labels, T={metrics['temperature']:g}",
                  "auto": f"soft labels at T={metrics['temperature']:g} for trees",
                  "hard": "hard labels"}.get(labels, labels)
        kind = metrics["transfer"]
        article = "an" if kind[0] in "aeiou" else "a"
        return (f"{article} {kind} transfer set ({metrics['transfer_size']}x the train set, "
                f"{detail})" + (f", then {metrics.get('rounds', 0)} rounds of their smallest "
                                "edits labelled by the teacher" if method == BOUNDARY else ""))
    if method == "soft":
        return f"the teacher's probabilities at T={metrics['temperature']:g}"
    if method == "hard":
        return "the teacher's predicted labels"
    return "the true labels only"


def choice_phrase(entry: dict) -> str | None:
    """Why ``--method auto`` taught a student as it did: "chose transfer (munge): 85.5%
    held-out agreement vs 84.5% true labels"; None for a student of another method."""
    chosen = entry.get("chosen")
    if not chosen:
        return None
    heldout, judged = chosen["heldout"], judged_on(chosen)
    mine, base = heldout[chosen["label"]], heldout["true labels"]
    confirmed = chosen.get("confirmed")
    if confirmed and not confirmed["kept"]:
        return (f"kept the true labels: {confirmed['candidate']} won when fitted on "
                f"{chosen['fitted_on']:,} training images, not on {confirmed_figures(chosen)}")
    if chosen["method"] == "ground-truth":
        return (f"kept the true labels: no way of learning from the teacher beat them clearly "
                f"on {judged} ({mine:.1%} agreement)")
    also = f"; confirmed fitted on {confirmed_figures(chosen)}" if confirmed else ""
    return (f"chose {chosen['label']}: {mine:.1%} held-out agreement vs {base:.1%} true labels "
            f"({judged}{also})")


def judged_on(chosen: dict) -> str:
    """What judged a choice (or all of a run's), in words: "287 held-out images", or "1,437
    held-out images in 5 folds, each training image once"."""
    folds = chosen.get("folds", 1)
    return f"{chosen['held_out']:,} held-out images" + (
        f" in {folds} folds, each training image once" if folds > 1 else "")


def confirmed_figures(chosen: dict) -> str:
    """The full-size check of a choice in words: "59,000 (82.1% vs 82.9% true labels)"."""
    confirmed = chosen["confirmed"]
    heldout = confirmed["heldout"]
    return (f"{confirmed['fitted_on']:,} ({heldout[confirmed['candidate']]:.1%} vs "
            f"{heldout['true labels']:.1%} true labels)")


def choice_rows(metrics: dict) -> list[dict]:
    """One row per ``--method auto`` student: what it chose, then every candidate's held-out
    agreement with the teacher (the table Compare and the report show)."""
    return [{"student": e["label"], "chose": e["chosen"]["label"], **e["chosen"]["heldout"]}
            for e in metrics["students"] if e.get("chosen")]


def auto_cost(metrics: dict) -> str:
    """What choosing cost, in words."""
    a = metrics["auto"]
    copies = a.get("copies")
    return (f"Each candidate was fitted on {a['fitted_on']:,} training images (a transfer "
            f"set's with {copies or 'its'} synthetic cop{'y' if copies == 1 else 'ies'} of "
            f"each) and judged on {judged_on(a)}; choosing took "
            f"{a['seconds']:.0f} s of the run's {metrics.get('total_seconds', 0):.0f} s."
            + (f" Each winner was then checked against the true labels, both fitted on "
               f"{a['confirmed_on']:,} images ({a['confirm_seconds']:.0f} s more)."
               if a.get("confirmed_on") else ""))


def story(metrics: dict) -> str:
    """The run in two sentences, for the overview."""
    t = metrics["teacher"]
    if t is None:
        best = RunFacts(metrics).best
        title = best.get("title", best["label"])
        return (f"No teacher: these students learned from the true labels of "
                f"{metrics['dataset']} only, so there is nothing to follow. The best, the "
                f"{title[0].lower() + title[1:]}, reads the test images with "
                f"{best['test_accuracy']:.1%} accuracy.")
    text = (f"The teacher ({teacher_label(t)}{'' if t.get('kind') in IMPORTED else ' network'}"
            f") reads the {metrics['dataset']} test images with {t['test_accuracy']:.1%} "
            "accuracy.")
    sweep = metrics.get("sweep")
    if sweep:
        kinds = len({s["student"] for s in metrics["students"]})
        sizes = len({s["label"] for s in metrics["students"]})
        text += (f" This sweep fitted {len(metrics['students'])} students: {kinds} kinds in "
                 f"{sizes} sizes, {len(sweep['methods'])} methods, {sweep['seeds']} seed"
                 f"{'s' * (sweep['seeds'] != 1)}.")
    facts = RunFacts(metrics)
    best = facts.best
    if best is None:
        return text
    title = best.get("title", best["label"])
    text += (f" Taught with {method_phrase(metrics)}, the {title[0].lower() + title[1:]}"
             f" agrees with it on {best['agreement']:.1%} of test images")
    gain = facts.gain(best)
    if gain is not None:
        side = "above" if gain >= 0 else "below"
        text += f", {abs(gain) * 100:.1f} points {side} the same model trained on the true labels"
    return text + "."


def rows_csv(metrics: dict) -> str:
    """The model table as CSV text (raw numbers, not formatted)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(model_rows(metrics))
    return buf.getvalue()
