"""Plotly figures for the pages, built from engine data (no engine logic here)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

TEACHER = "#4c4c4c"
DISTILLED = "#d62728"
BASELINE = "#9ecae1"
INK = "Greys"
DIVERGING = "RdBu_r"
FONT = dict(family="Inter, Helvetica, Arial, sans-serif", size=12)


def _layout(fig: go.Figure, height: int, **kw) -> go.Figure:
    kw.setdefault("margin", dict(l=10, r=10, t=40, b=10))
    fig.update_layout(height=height, font=FONT, plot_bgcolor="white", paper_bgcolor="white",
                      **kw)
    return fig


def agreement_bars(pairs: list[dict], teacher_accuracy: float, metric: str = "agreement",
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
    if metric == "test_accuracy":
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


def tradeoff_scatter(rows: list[dict]) -> go.Figure:
    """Agreement against model size (parameters, log scale)."""
    fig = go.Figure()
    for method, colour in (("ground-truth", BASELINE), (None, DISTILLED)):
        pts = [r for r in rows if r["kind"] != "teacher" and
               ((r["method"] == "ground-truth") == (method == "ground-truth"))]
        if not pts:
            continue
        fig.add_scatter(x=[r["parameters"] for r in pts], y=[r["agreement"] for r in pts],
                        mode="markers+text", text=[r["model"].split(".")[0] for r in pts],
                        textposition="top center", marker=dict(size=11, color=colour),
                        name="true labels" if method else "distilled",
                        hovertemplate="%{text}: %{y:.1%} with %{x:,} parameters<extra></extra>")
    fig.update_xaxes(type="log", title="model size (parameters, log scale)", gridcolor="#eee")
    fig.update_yaxes(tickformat=".0%", title="agreement with the teacher", gridcolor="#eee")
    return _layout(fig, 360, title="Fidelity against size")


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


def proba_bars(teacher: np.ndarray, student: np.ndarray, class_names: list[str],
               student_name: str = "student", teacher_name: str = "teacher",
               title: str = "Probabilities") -> go.Figure:
    fig = go.Figure()
    for values, name, colour in ((teacher, teacher_name, TEACHER),
                                 (student, student_name, DISTILLED)):
        fig.add_bar(x=class_names, y=values, name=name, marker_color=colour,
                    hovertemplate="%{x}: %{y:.1%}<extra>" + name + "</extra>")
    fig.update_yaxes(tickformat=".0%", range=[0, 1.05], gridcolor="#eee")
    fig.update_xaxes(type="category")
    return _layout(fig, 260, barmode="group", title=title,
                   legend=dict(orientation="h", y=-0.2, x=1, xanchor="right"))


def _image_axes(fig: go.Figure, h: int, w: int, **kw) -> None:
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False, range=[-0.5, w - 0.5],
                     constrain="domain", **kw)
    fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False,
                     range=[h - 0.5, -0.5], scaleanchor="x", constrain="domain", **kw)


def digit_with_regions(image: np.ndarray, overlay: list[dict], height: int = 360) -> go.Figure:
    """The digit (dark ink) with each split's rectangle drawn and numbered in path order;
    orange where the digit had more ink than the threshold, blue where it had less."""
    h, w = image.shape
    fig = go.Figure(go.Heatmap(z=image, colorscale=INK, zmin=0, zmax=1, showscale=False,
                               hovertemplate="row %{y}, column %{x}: ink %{z:.0%}"
                               "<extra></extra>"))
    for o in overlay:
        t, l, b, r = o["region"]
        colour = "#ff7f0e" if o["more_ink"] else "#1f77b4"
        fig.add_shape(type="rect", x0=l - 0.5, x1=r - 0.5, y0=t - 0.5, y1=b - 0.5,
                      line=dict(color=colour, width=2.5), fillcolor=colour, opacity=0.18)
        fig.add_annotation(x=l - 0.5, y=t - 0.5, text=str(o["order"]), showarrow=False,
                           xanchor="left", yanchor="top", font=dict(color="white", size=11),
                           bgcolor=colour, borderpad=1)
    _image_axes(fig, h, w)
    return _layout(fig, height, margin=dict(l=0, r=0, t=10, b=0))


def image_map(values: np.ndarray, title: str = "", diverging: bool = True, height: int = 300,
              colorbar: str = "", zmax: float | None = None) -> go.Figure:
    """One H x W map; diverging maps are centred on zero (red pushes for, blue against)."""
    h, w = values.shape
    kw = dict(colorscale=DIVERGING if diverging else INK)
    if diverging:
        m = zmax or float(np.abs(values).max()) or 1.0
        kw.update(zmin=-m, zmax=m, zmid=0)
    fig = go.Figure(go.Heatmap(z=values, colorbar=dict(title=colorbar, thickness=10), **kw,
                               hovertemplate="row %{y}, column %{x}: %{z:.3f}<extra></extra>"))
    _image_axes(fig, h, w)
    return _layout(fig, height, title=title, margin=dict(l=0, r=0, t=30 if title else 5, b=0))


def small_multiples(maps: np.ndarray, names: list[str], title: str, diverging: bool = True,
                    columns: int = 5, highlight: list[int] | None = None) -> go.Figure:
    """One small map per class in a grid, sharing one colour scale.

    The scale is robust (1st-99th percentile): a few extreme pixels, such as the never-inked
    border in log-odds maps, would otherwise wash out every class's shape.
    """
    c, h, w = maps.shape
    rows = int(np.ceil(c / columns))
    fig = make_subplots(rows=rows, cols=columns, subplot_titles=[
        f"<b>{n}</b>" if highlight and i in highlight else n for i, n in enumerate(names)],
        horizontal_spacing=0.02, vertical_spacing=0.08)
    if diverging:
        m = float(np.percentile(np.abs(maps), 99)) or 1.0
        scale = dict(colorscale=DIVERGING, zmin=-m, zmax=m, zmid=0)
    else:
        lo, hi = np.percentile(maps, [1, 99])
        scale = dict(colorscale="Viridis", zmin=float(lo), zmax=float(hi) if hi > lo else lo + 1)
    for i in range(c):
        fig.add_trace(go.Heatmap(z=maps[i], showscale=i == 0, **scale,
                                 colorbar=dict(thickness=10, len=0.9),
                                 hovertemplate=f"{names[i]}: row %{{y}}, column %{{x}}: "
                                 "%{z:.2f}<extra></extra>"),
                      row=i // columns + 1, col=i % columns + 1)
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False)
    fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False, autorange="reversed")
    for i in range(c):
        axis = "" if i == 0 else str(i + 1)
        fig.layout[f"yaxis{axis}"].scaleanchor = f"x{axis}"
    return _layout(fig, 150 * rows + 50, title=title)


def soft_path_cards(filters: np.ndarray, evidence: np.ndarray, steps: list[dict]) -> go.Figure:
    """The max path as a row of cards: each node's filter above its filter x digit evidence."""
    depth = len(steps)
    titles = [f"node {s['node']}<br>{s['response']:+.2f} → p={s['p_right']:.2f} "
              f"{'right' if s['goes'] == 'right' else 'left'}" for s in steps]
    fig = make_subplots(rows=2, cols=depth, subplot_titles=titles + [""] * depth,
                        horizontal_spacing=0.01, vertical_spacing=0.04,
                        row_titles=["filter", "filter × digit"])
    for i in range(depth):
        for row, maps in ((1, filters), (2, evidence)):
            m = float(np.abs(maps[i]).max()) or 1.0
            fig.add_trace(go.Heatmap(z=maps[i], colorscale=DIVERGING, zmin=-m, zmax=m, zmid=0,
                                     showscale=False, hovertemplate="row %{y}, column %{x}: "
                                     "%{z:.3f}<extra></extra>"), row=row, col=i + 1)
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False)
    fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False, autorange="reversed")
    for i in range(2 * depth):
        axis = "" if i == 0 else str(i + 1)
        fig.layout[f"yaxis{axis}"].scaleanchor = f"x{axis}"
    fig.update_annotations(font_size=10)
    return _layout(fig, 300, margin=dict(l=10, r=30, t=50, b=0))


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
