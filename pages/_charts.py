"""Plotly figures for the pages, built from engine data (no engine logic here)."""

from __future__ import annotations

from html import escape

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

TEACHER = "#4c4c4c"
DISTILLED = "#d62728"
BASELINE = "#9ecae1"
FONT = dict(family="Inter, Helvetica, Arial, sans-serif", size=12)


def _layout(fig: go.Figure, height: int, **kw) -> go.Figure:
    kw.setdefault("margin", dict(l=10, r=10, t=40, b=10))
    fig.update_layout(height=height, font=FONT, plot_bgcolor="white", paper_bgcolor="white",
                      **kw)
    return fig


def agreement_bars(pairs: list[dict], teacher_accuracy: float | None,
                   metric: str = "agreement",
                   title: str = "Agreement with the teacher") -> go.Figure:
    """Grouped bars: each student trained on the true labels beside the distilled one.

    ``pairs``: [{"label", "distilled": entry or None, "baseline": entry or None}]."""
    labels = [p["label"] for p in pairs]
    fig = go.Figure()
    for key, name, colour in (("baseline", "true labels (baseline)", BASELINE),
                              ("distilled", "distilled", DISTILLED)):
        values = [p[key][metric] if p.get(key) else None for p in pairs]
        fig.add_bar(x=labels, y=values, name=name, marker_color=colour,
                    text=[f"{v:.1%}" if v is not None else "" for v in values],
                    textposition="outside", hovertemplate="%{x}: %{y:.1%}<extra>" + name +
                    "</extra>")
    if metric == "test_accuracy" and teacher_accuracy is not None:
        fig.add_hline(y=teacher_accuracy, line_dash="dot", line_color=TEACHER,
                      annotation_text=f"teacher {teacher_accuracy:.1%}",
                      annotation_position="top left")
    fig.update_yaxes(tickformat=".0%", range=[0, 1.08], title=None, gridcolor="#eee")
    return _layout(fig, 360, title=title, barmode="group",
                   legend=dict(orientation="h", y=1.12, x=1, xanchor="right"))


def confusion_heatmap(matrix: np.ndarray, rows: list[str], cols: list[str], title: str,
                      row_title: str, col_title: str) -> go.Figure:
    fig = go.Figure(go.Heatmap(
        z=matrix, x=cols, y=rows, colorscale="Blues", showscale=False,
        text=matrix, texttemplate="%{text}",
        hovertemplate=f"{row_title} %{{y}}, {col_title} %{{x}}: %{{z}} digits<extra></extra>"))
    fig.update_xaxes(title=col_title, side="bottom", type="category")
    fig.update_yaxes(title=row_title, autorange="reversed", type="category")
    return _layout(fig, 380, title=title)


def per_class_lines(series: dict[str, list[float | None]], class_names: list[str]) -> go.Figure:
    fig = go.Figure()
    for name, values in series.items():
        fig.add_scatter(x=class_names, y=values, mode="lines+markers", name=name,
                        hovertemplate="class %{x}: %{y:.1%}<extra>" + name + "</extra>")
    fig.update_yaxes(tickformat=".0%", title="agreement with the teacher", gridcolor="#eee")
    fig.update_xaxes(title="true class", type="category")
    return _layout(fig, 340, title="Fidelity per class",
                   legend=dict(orientation="h", y=-0.25))


def _agreement_scatter(rows: list[dict], x: str, hover: str) -> go.Figure:
    """Every student's agreement against its ``x`` (rows without one left out), the
    true-label baselines and the distilled students as two coloured groups."""
    fig = go.Figure()
    for baseline, colour in ((True, BASELINE), (False, DISTILLED)):
        pts = [r for r in rows if r["kind"] != "teacher" and r.get(x) is not None
               and (r["method"] == "ground-truth") == baseline]
        if pts:
            fig.add_scatter(x=[r[x] for r in pts], y=[r["agreement"] for r in pts],
                            mode="markers+text", text=[r["model"].split(".")[0] for r in pts],
                            textposition="top center", marker=dict(size=11, color=colour),
                            name="true labels" if baseline else "distilled",
                            hovertemplate=hover + "<extra></extra>")
    return fig


def tradeoff_scatter(rows: list[dict]) -> go.Figure:
    """Agreement against model size (parameters, log scale)."""
    fig = _agreement_scatter(rows, "parameters", "%{text}: %{y:.1%} with %{x:,} parameters")
    fig.update_xaxes(type="log", title="model size (parameters, log scale)", gridcolor="#eee")
    fig.update_yaxes(tickformat=".0%", title="agreement with the teacher", gridcolor="#eee")
    return _layout(fig, 360, title="Fidelity against size")


def local_fidelity_scatter(rows: list[dict]) -> go.Figure:
    """Agreement against local fidelity: answers shared against reasons shared."""
    fig = _agreement_scatter(rows, "local_fidelity", "%{text}: agrees %{y:.1%}, the network "
                             "follows %{x:.0%} of its edits")
    fig.update_xaxes(tickformat=".0%", title="local fidelity (the network follows its edit)",
                     gridcolor="#eee", rangemode="tozero")
    fig.update_yaxes(tickformat=".0%", title="agreement with the teacher", gridcolor="#eee")
    return _layout(fig, 360, title="Same answers, same reasons?")


def training_curves(curve: dict) -> go.Figure:
    """Teacher loss per logged batch and accuracy (train batches, test per epoch)."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("loss", "accuracy"))
    fig.add_scatter(x=curve.get("step", []), y=curve.get("loss", []), mode="lines",
                    name="train loss", line=dict(color=DISTILLED), row=1, col=1)
    fig.add_scatter(x=curve.get("step", []), y=curve.get("accuracy", []), mode="lines",
                    name="train batch accuracy", line=dict(color=BASELINE), row=1, col=2)
    fig.add_scatter(x=curve.get("epoch", []), y=curve.get("test_accuracy", []),
                    mode="lines+markers", name="test accuracy", line=dict(color=TEACHER),
                    row=1, col=2)
    fig.update_xaxes(title="epoch", gridcolor="#eee")
    fig.update_yaxes(gridcolor="#eee")
    fig.update_yaxes(tickformat=".0%", row=1, col=2)
    return _layout(fig, 280, legend=dict(orientation="h", y=-0.3))


def _diverging_rgb(image: np.ndarray) -> np.ndarray:
    """(H, W) values -> (H, W, 3) uint8: blue below zero, white at zero, red above."""
    m = float(np.abs(image).max()) or 1.0
    v = np.clip(image / m, -1, 1)[..., None]
    red, blue, white = np.array([178, 24, 43]), np.array([33, 102, 172]), np.array([255] * 3)
    rgb = np.where(v > 0, white + (red - white) * v, white + (blue - white) * (-v))
    return rgb.astype(np.uint8)


def soft_tree_drawing(filters: np.ndarray, leaves: np.ndarray, layout: dict, path: list[int],
                      leaf: int, names: list[str]) -> go.Figure:
    """The whole soft tree: filter images in tree layout, the path in red, leaves as labels."""
    n_inner = len(filters)
    depth = int(np.log2(n_inner + 1))
    h, w = filters.shape[1:]
    cell_w, cell_h = w + 8, h + 30
    n_leaves = 2 ** depth
    width, height = n_leaves * cell_w, (depth + 1) * cell_h
    canvas = np.full((height, width, 3), 255, np.uint8)
    centre = {n: ((x + 0.5) * cell_w, level * cell_h + h / 2 + 4)
              for n, (x, level) in layout.items()}
    fig = go.Figure()
    for n in range(n_inner):
        cx, cy = centre[n]
        top, left = int(cy - h / 2), int(cx - w / 2)
        canvas[top:top + h, left:left + w] = _diverging_rgb(filters[n])
    fig.add_trace(go.Image(z=canvas, hoverinfo="skip"))
    lit = set(path) | {leaf + n_inner}
    for n in range(n_inner):
        for child in (2 * n + 1, 2 * n + 2):
            on = n in lit and child in lit
            (x0, y0), (x1, y1) = centre[n], centre[child]
            fig.add_shape(type="line", x0=x0, y0=y0 + h / 2, x1=x1, y1=y1 - h / 2,
                          line=dict(color=DISTILLED if on else "#bbb", width=3 if on else 1))
        if n in lit:
            cx, cy = centre[n]
            fig.add_shape(type="rect", x0=cx - w / 2 - 1.5, x1=cx + w / 2 + 1.5,
                          y0=cy - h / 2 - 1.5, y1=cy + h / 2 + 1.5,
                          line=dict(color=DISTILLED, width=3))
    for j in range(n_leaves):
        node = n_inner + j
        cx, cy = centre[node]
        k = int(leaves[j].argmax())
        fig.add_annotation(x=cx, y=cy - h / 2 + 4, showarrow=False,
                           text=f"<b>{names[k]}</b><br>{leaves[j][k]:.0%}",
                           font=dict(size=10, color=DISTILLED if node in lit else "#444"))
    fig.update_xaxes(visible=False, range=[0, width])
    fig.update_yaxes(visible=False, range=[height, 0], scaleanchor="x")
    return _layout(fig, max(260, int(height * 900 / width) + 40),
                   margin=dict(l=0, r=0, t=10, b=0))


def agreement_bars_html(pairs: list[dict], metric: str = "agreement") -> str:
    """The overview's chart as plain HTML bars: drawn at once, no charting library to load
    (plotly's browser bundle alone delays the first paint noticeably)."""
    rows = []
    for p in pairs:
        cells = []
        for key, colour, name in (("baseline", "#9ecae1", "true labels"),
                                  ("distilled", DISTILLED, "distilled")):
            entry = p.get(key)
            if entry is None:
                continue
            if entry.get("method") == "ground-truth":  # a run without a teacher
                name = "true labels"
            v = entry[metric]
            cells.append(
                f'<div class="bar-row"><span class="bar-name">{name}</span>'
                f'<span class="bar-track"><span class="bar" style="width:{100 * v:.1f}%;'
                f'background:{colour}"></span></span><span class="bar-value">{v:.1%}</span></div>')
        rows.append(f'<div class="bar-group"><div class="bar-label">{escape(p["label"])}</div>'
                    f'{"".join(cells)}</div>')
    style = """<style>
      .bars { font: 14px/1.4 sans-serif; color: #333; }
      .bar-group { display: grid; grid-template-columns: 14em 1fr; align-items: center;
                   padding: 6px 0; border-bottom: 1px solid #eee; }
      .bar-label { font-weight: 600; }
      .bar-row { display: grid; grid-template-columns: 6.5em 1fr 4em; align-items: center;
                 gap: 8px; grid-column: 2; }
      .bar-name { color: #777; font-size: 12px; text-align: right; }
      .bar-track { background: #f3f3f3; border-radius: 3px; height: 14px; position: relative; }
      .bar { display: block; height: 100%; border-radius: 3px; }
      .bar-value { font-variant-numeric: tabular-nums; }
    </style>"""
    return style + '<div class="bars">' + "".join(rows) + "</div>"


KIND_COLOURS = {"tree": "#d62728", "pixel-tree": "#ff7f0e", "soft-tree": "#1f77b4",
                "linear": "#2ca02c", "gaussian-nb": "#9467bd", "bernoulli-nb": "#8c564b",
                "multinomial-nb": "#e377c2"}


def frontier(rows: list[dict], teacher_accuracy: float, metric: str = "agreement",
             size: str = "leaves", baseline: str = "ground-truth") -> go.Figure:
    """A sweep's students: ``metric`` against ``size`` (log axis), one line per student and
    method (distilled solid, true labels dashed), the mean over seeds with its spread, and the
    teacher on top. Each point carries the name of one of its students, for a click."""
    fig = go.Figure()
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in rows:
        if r.get(size):
            groups.setdefault((r["student"], r["method"]), []).append(r)
    for (student, method), points in sorted(groups.items()):
        points.sort(key=lambda r: r[size])
        distilled = method != baseline
        colour = KIND_COLOURS.get(student, TEACHER)
        fig.add_scatter(
            x=[r[size] for r in points], y=[r[metric] for r in points],
            error_y=dict(type="data", array=[r[f"{metric}_sd"] for r in points],
                         visible=True, thickness=1, width=3),
            mode="lines+markers", name=f"{student} · {'distilled' if distilled else method}",
            line=dict(color=colour, dash="solid" if distilled else "dash",
                      width=2 if distilled else 1.5),
            marker=dict(size=8 if distilled else 6, symbol="circle" if distilled else
                        "circle-open"),
            customdata=[[r["names"][0], r["label"], r["seeds"]] for r in points],
            hovertemplate="%{customdata[1]} (" + method + "): %{y:.1%} ± %{error_y.array:.1%}"
                          " over %{customdata[2]} seeds, " + size + " %{x:,}<extra></extra>")
    top = 1.0 if metric == "agreement" else teacher_accuracy
    fig.add_hline(y=top, line_dash="dot", line_color=TEACHER,
                  annotation_text="the teacher" + ("" if metric == "agreement"
                                                   else f" {teacher_accuracy:.1%}"),
                  annotation_position="bottom right")
    fig.update_xaxes(type="log", title=f"size ({size}, log scale)", gridcolor="#eee")
    title = "agreement with the teacher" if metric == "agreement" else "test accuracy"
    fig.update_yaxes(tickformat=".0%", title=title, gridcolor="#eee")
    return _layout(fig, 440, title="How small can the student be?",
                   legend=dict(orientation="h", y=-0.22), clickmode="event+select")
