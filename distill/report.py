"""A report to keep: one self-contained HTML file for a run.

``python -m distill report RUN -o report.html`` and the download buttons on Compare and Runs
write the same file: the run's story, the model table with 95% intervals, a chart of
accuracy and agreement with their intervals, whether the teacher follows the students'
edits, the agreement matrices, and a gallery of the best student's disagreements, each with
its explanation and its counterfactual. Every picture is inline (SVG and PNG ``data:``
URIs) and the page has no script: it opens anywhere, offline, and prints.
"""

from __future__ import annotations

import time
from html import escape
from pathlib import Path

import numpy as np

from .explain.counterfactual import NoCounterfactual, counterfactual
from .explain.figures import counterfactual_card, evidence_figure, soft_tree_figure, tree_figure
from .facts import RunFacts
from .metrics import confusion
from .pictures import diverging, ink, svg_uri
from .progress import Reporter, silent
from .summary import (
    LOCAL_FIDELITY_HELP,
    auto_cost,
    cell,
    choice_phrase,
    headline,
    model_rows,
    story,
)

GALLERY = 12  # disagreements shown with their explanation and counterfactual
TABLE_COLUMNS = ["model", "method", "accuracy", "accuracy_ci", "agreement", "agreement_ci",
                 "gain", "local_fidelity", "top2_agreement", "kl", "leaves", "depth",
                 "parameters"]
HEADINGS = {"accuracy_ci": "accuracy 95% CI", "agreement_ci": "agreement 95% CI",
            "top2_agreement": "top-2", "local_fidelity": "local fidelity"}

STYLE = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222;
       max-width: 1100px; margin: 2em auto; padding: 0 1em; }
h1 { margin-bottom: 0; } h2 { border-bottom: 1px solid #ccc; margin-top: 2em; }
.sub { color: #666; margin-top: .2em; }
table { border-collapse: collapse; font-size: 13px; margin: 1em 0; }
th, td { padding: 3px 8px; border-bottom: 1px solid #eee; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.matrices { display: flex; flex-wrap: wrap; gap: 24px; }
.matrix td { width: 26px; text-align: center; border: 1px solid #fff; }
.card { border: 1px solid #ddd; border-radius: 10px; padding: 12px; margin: 14px 0;
        display: grid; grid-template-columns: 170px 1fr 1fr; gap: 16px;
        page-break-inside: avoid; }
.card img { max-width: 100%; } .card h3 { margin: 0 0 .4em; font-size: 15px; }
.card ol { margin: 0; padding-left: 1.3em; font-size: 12.5px; }
.small { font-size: 12.5px; color: #555; } .yes { color: #2a7a2a; } .no { color: #b35900; }
"""


def build_report(run, gallery: int = GALLERY, progress: Reporter = silent) -> str:
    """The report of ``run`` as one HTML document."""
    m = run.metrics
    names = m["class_names"]
    facts = RunFacts(m)
    parts = [f"<h1>{escape(run.title)}</h1>",
             f'<p class="sub">{escape(headline(m))} · {m["n_test"]:,} test images · made '
             f'{time.strftime("%Y-%m-%d", time.localtime(run.created))}</p>',
             f"<p>{escape(story(m)).replace('**', '')}</p>",
             "<h2>Models</h2>", _table(model_rows(m)),
             '<p class="small">Intervals: 95% bootstrap over the test digits. Agreement: the '
             "share of test digits where the model gives the teacher's answer (fidelity). Gain: "
             "agreement over the same model trained on the true labels. "
             f"{escape(LOCAL_FIDELITY_HELP)}"
             + ("" if run.has_local_fidelity or not run.has_teacher else
                " Not measured for this run yet: make the report with <code>python -m distill "
                "report RUN --follows</code>.") + "</p>",
             f'<img alt="accuracy and agreement with their intervals" '
             f'src="{_interval_chart(model_rows(m))}">']
    if m.get("auto"):
        parts += ["<h2>How each student chose to learn</h2><ul>",
                  *(f"<li><b>{escape(e['label'])}</b> {escape(choice_phrase(e))}</li>"
                    for e in m["students"] if e.get("chosen")),
                  f'</ul><p class="small">{escape(auto_cost(m))}</p>']
    if run.has_teacher:
        parts += _follows(run)
        shown = [e["name"] for e in facts.distilled][:6] if not facts.is_sweep else \
            [e["name"] for e in facts.distilled[:3]]
        parts += ["<h2>Where they differ</h2>",
                  '<p class="small">Rows: the teacher\'s answer; columns: the student\'s. '
                  "Off the diagonal, they disagree.</p>",
                  '<div class="matrices">', *(_matrix(run, n, names) for n in shown), "</div>"]
        if facts.best is not None:
            parts += _gallery(run, facts.best["name"], gallery, progress)
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{escape(run.title)} · Distill Explorer report</title>"
            f"<style>{STYLE}</style></head><body>{''.join(parts)}"
            '<p class="small">Made by Distill Explorer.</p></body></html>')


def write_report(run, path: Path, gallery: int = GALLERY, progress: Reporter = silent) -> Path:
    path = Path(path)
    html = build_report(run, gallery, progress)
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)
    return path


def _table(rows: list[dict]) -> str:
    head = "".join(f"<th>{escape(HEADINGS.get(c, c))}</th>" for c in TABLE_COLUMNS)
    body = "".join("<tr>" + "".join(f"<td>{escape(cell(r.get(c), c))}</td>"
                                    for c in TABLE_COLUMNS) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _interval_chart(rows: list[dict], width: int = 760) -> str:
    """Accuracy (grey) and agreement (red) of every model, each with its 95% interval."""
    left, row_h, top = 250, 20, 30
    lo = min(min(r["accuracy_ci"][0], (r["agreement_ci"] or (1, 1))[0]) for r in rows)
    lo = max(0.0, np.floor(lo * 20) / 20)
    span = (width - left - 20) / (1 - lo or 1)

    def x(v: float) -> float:
        return left + (v - lo) * span

    out = [f'<text x="{left}" y="16" font-size="12" fill="#555">accuracy (grey) and agreement '
           "(red), 95% intervals</text>"]
    for tick in np.arange(lo, 1.0001, 0.05):
        out.append(f'<line x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{top - 4}" '
                   f'y2="{top + row_h * len(rows)}" stroke="#eee"/>'
                   f'<text x="{x(tick):.1f}" y="{top + row_h * len(rows) + 14}" font-size="11" '
                   f'text-anchor="middle" fill="#777">{tick:.0%}</text>')
    for i, r in enumerate(rows):
        y = top + row_h * i + row_h / 2
        out.append(f'<text x="{left - 8}" y="{y + 4}" font-size="12" text-anchor="end">'
                   f'{escape(r["model"])}</text>')
        for key, colour, dy in (("accuracy", "#777", -3), ("agreement", "#d62728", 3)):
            interval = r.get(f"{key}_ci")
            if interval is None:
                continue
            out.append(f'<line x1="{x(interval[0]):.1f}" x2="{x(interval[1]):.1f}" '
                       f'y1="{y + dy}" y2="{y + dy}" stroke="{colour}" stroke-width="2"/>'
                       f'<circle cx="{x(r[key]):.1f}" cy="{y + dy}" r="3.5" fill="{colour}"/>')
    height = top + row_h * len(rows) + 24
    return svg_uri(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
                   f'font-family="Helvetica, Arial, sans-serif">{"".join(out)}</svg>')


def _follows(run) -> list[str]:
    data = run.follows
    if data is None:
        return ["<h2>Does the teacher follow the students' edits?</h2>",
                '<p class="small">Not measured for this run yet: open Compare in the dashboard, '
                "or make the report with <code>python -m distill report RUN --follows</code>."
                "</p>"]
    rows = "".join(
        f"<tr><td>{escape(name)}</td><td>{_share(g['disagreements'])}</td>"
        f"<td>{_share(g['agreements'])}</td></tr>" for name, g in data["students"].items())
    return ["<h2>Does the teacher follow the students' edits?</h2>",
            "<p class='small'>Each student's smallest edit that changes its answer, shown to "
            "the teacher. Disagreements: the student edited to the teacher's answer; does the "
            "teacher keep it? Agreements: the student edited to its runner-up; does the teacher "
            f"change its mind the same way? Up to {data['per_group']} digits a group.</p>",
            "<table><tr><th>student</th><th>keeps (disagreements)</th>"
            f"<th>follows (agreements)</th></tr>{rows}</table>"]


def _share(group: dict) -> str:
    if not group["edits"]:
        return "-"
    return f"{group['follows'] / group['edits']:.0%} of {group['edits']}"


def _matrix(run, name: str, names: list[str]) -> str:
    counts = confusion(run.teacher_answers, run.student_answers(name), len(names))
    top = counts.max() or 1
    rows = []
    for i, row in enumerate(counts):
        cells = []
        for j, v in enumerate(row):
            shade = 1 - 0.8 * (np.log1p(v) / np.log1p(top))
            colour = (f"rgb({int(255 * shade)},{int(255 * shade)},{int(255 * shade)})" if i == j
                      else f"rgb(255,{int(255 * shade)},{int(255 * shade)})")
            text = "#fff" if shade < 0.5 else "#222"
            cells.append(f'<td style="background:{colour};color:{text}">{v or ""}</td>')
        rows.append(f"<tr><th>{escape(names[i])}</th>{''.join(cells)}</tr>")
    head = "".join(f"<th>{escape(n)}</th>" for n in names)
    return (f'<div><b>{escape(name)}</b><table class="matrix"><tr><th></th>{head}</tr>'
            f"{''.join(rows)}</table></div>")


def _gallery(run, name: str, limit: int, progress: Reporter) -> list[str]:
    """The best student's disagreements: the digit and the teacher's evidence, the student's
    reasons, and the smallest edit to the teacher's answer with the teacher's verdict."""
    p = run.predictions
    names = run.metrics["class_names"]
    teacher_pred, student_pred = run.teacher_answers, run.student_answers(name)
    indices = np.flatnonzero(teacher_pred != student_pred)[:limit]
    student = run.load_student(name)
    teacher = run.load_teacher() if run.teacher_saved else None  # a function's is not kept
    saliency = run.saliency
    out = [f"<h2>Disagreements of the {escape(name)}</h2>",
           f'<p class="small">The first {len(indices)} of '
           f"{int((teacher_pred != student_pred).sum())} test digits where it parts ways with "
           "the teacher.</p>"]
    for k, i in enumerate(indices):
        image = p["x_test"][i]
        evidence = ("" if saliency is None else
                    f'<img alt="teacher evidence" src="{diverging(saliency[i].astype(float), 5)}">'
                    "<div class='small'>the teacher's evidence</div>")
        out.append(f'<div class="card"><div><h3>Digit #{i}</h3>'
                   f'<img alt="digit {i}" src="{ink(image, 5)}"><div class="small">true '
                   f"{escape(names[p['y_true'][i]])} · teacher {escape(names[teacher_pred[i]])}"
                   f" · student {escape(names[student_pred[i]])}</div>{evidence}</div>"
                   f"<div>{_reasons(student, image, names)}</div>"
                   f"<div>{_edit(student, teacher, image, names)}</div></div>")
        progress({"stage": "report", "fraction": (k + 1) / max(1, len(indices))})
    return out


def _reasons(student, image: np.ndarray, names: list[str]) -> str:
    if student.kind == "tree":
        f = tree_figure(student, image, names)
        lines = "".join(f"<li>{escape(line.split('. ', 1)[-1])}</li>" for line in f["lines"][:-1])
        return (f"<h3>Why it said so</h3><img alt='regions' src=\"{f['regions']}\" width='160'>"
                f"<ol>{lines}</ol><div class='small'>{escape(f['lines'][-1])}</div>")
    if student.kind == "soft-tree":
        f = soft_tree_figure(student, image, names)
        return (f"<h3>Why it said so</h3><img alt='path' src=\"{f['cards']}\">"
                f"<div class='small'>leaf {f['e']['leaf']['index']}: predicts "
                f"{escape(names[f['e']['prediction']])}</div>")
    f = evidence_figure(student, image)
    return (f"<h3>Why it said so</h3><img alt='evidence' src=\"{f['picture']}\" width='160'>"
            f"<div class='small'>{escape(names[f['prediction']])} over "
            f"{escape(names[f['versus']])}: log-odds {f['log_odds']:.2f} = prior "
            f"{f['prior']:.2f} + pixels {f['sum']:.2f}</div>")


def _edit(student, teacher, image: np.ndarray, names: list[str]) -> str:
    try:
        edit = counterfactual(student, image, teacher=teacher)
    except NoCounterfactual as err:
        return f"<h3>What would change its mind</h3><div class='small'>{escape(str(err))}</div>"
    if edit.teacher_follows is None:
        verdict = "the teacher was not saved with the run to ask"
    else:
        verdict = (f"<span class='yes'>the teacher reads the edit as "
                   f"{escape(names[edit.teacher_prediction])} too</span>" if edit.teacher_follows
                   else f"<span class='no'>the teacher reads the edit as "
                   f"{escape(names[edit.teacher_prediction])}</span>")
    return (f"<h3>What would change its mind</h3><img alt='edit' "
            f"src=\"{counterfactual_card(image, edit, names)}\"><div class='small'>change "
            f"{edit.changed} pixels ({edit.l1:.2f} ink in all) and it says "
            f"{escape(names[edit.student_prediction])}; {verdict}</div>")
