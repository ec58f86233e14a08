"""Drawings of a decision tree: DOT (drawn in the browser by graphviz) and a standalone SVG.

Two DOT views, both with an image's path lit (colour and pen width):
- ``path``: the path alone, every branch it did not take collapsed into one summary node;
  readable for trees of hundreds of leaves;
- ``top``: the first levels of the whole tree, deeper branches collapsed.
The SVG export lays out the whole tree itself, so no ``dot`` binary is needed anywhere.
"""

from __future__ import annotations

from html import escape

from ..students import TreeStudent
from .tree import TreePath, leaf_info, question, subtree_summary

HIGHLIGHT = "#d62728"
HIGHLIGHT_FILL = "#fde0dd"
MUTED = "#8a8a8a"
CLASS_TINTS = ["#e8f1fa", "#fdebd3", "#e3f4e1", "#fbe3e3", "#efe8f6",
               "#f3e9e6", "#fbe9f4", "#eeeeee", "#f5f5dc", "#e0f5f7"]


def _q(text: str) -> str:
    """A DOT string literal (line breaks as \\n)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _wrap(text: str, width: int = 26) -> str:
    words, lines, line = text.split(), [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    return "\n".join(lines + [line])


def _names(tree: TreeStudent, class_names: list[str] | None) -> list[str]:
    return class_names or [str(i) for i in range(tree.n_classes_)]


def leaf_label(tree: TreeStudent, node: int, names: list[str]) -> str:
    leaf = leaf_info(tree, node)
    return f"predicts {names[leaf.prediction]}\n{leaf.purity:.0%} pure · {leaf.samples:.0f} samples"


def collapsed_label(tree: TreeStudent, node: int, names: list[str],
                    path: TreePath | None = None) -> str:
    """A branch drawn as one node: its size and majority, or where the path goes on."""
    nodes = [st.node for st in path.steps] if path else []
    if node in nodes:
        more = len(nodes) - nodes.index(node)
        return (f"path continues: {more} more split{'s' * (more != 1)}\n"
                f"→ predicts {names[path.prediction]}")
    s = subtree_summary(tree, node)
    return f"{s['leaves']} leaves\nmostly {names[s['majority']]} ({s['share']:.0%})"


class _Dot:
    """Collects nodes and edges; writes the DOT text. ``key`` is prepended to every node name."""

    def __init__(self, title: str, key: str = ""):
        self.key = key
        self.lines = [
            "digraph tree {",
            f"  graph [rankdir=TB, nodesep=0.2, ranksep=0.3, label={_q(title)}, labelloc=t, "
            'fontname="Helvetica", fontsize=12];',
            '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11, '
            f'fillcolor=white, color="{MUTED}", penwidth=1];',
            f'  edge [fontname="Helvetica", fontsize=10, color="{MUTED}", arrowsize=0.6];',
        ]

    def node(self, name: str, label: str, lit: bool = False, fill: str = "white",
             shape: str = "box", dashed: bool = False, group: str | None = None) -> None:
        style = "rounded,filled" + (",dashed" if dashed else "")
        attrs = [f"label={_q(label)}", f'shape={shape}', f'style="{style}"']
        if group:
            attrs.append(f"group={group}")  # same group: graphviz keeps the chain straight
        if lit:
            attrs += [f'color="{HIGHLIGHT}"', "penwidth=3", f'fillcolor="{HIGHLIGHT_FILL}"']
        else:
            attrs.append(f'fillcolor="{fill}"')
        self.lines.append(f"  {self.key}{name} [{', '.join(attrs)}];")

    def edge(self, a: str, b: str, label: str, lit: bool = False, weight: int = 1) -> None:
        attrs = [f"label={_q(label)}"]
        if lit:
            attrs += [f'color="{HIGHLIGHT}"', "penwidth=3", f'fontcolor="{HIGHLIGHT}"']
        if weight != 1:
            attrs.append(f"weight={weight}")
        self.lines.append(f"  {self.key}{a} -> {self.key}{b} [{', '.join(attrs)}];")

    def text(self) -> str:
        return "\n".join(self.lines + ["}"])


def tree_dot(tree: TreeStudent, path: TreePath | None = None, view: str = "path",
             max_depth: int = 3, class_names: list[str] | None = None, key: str = "") -> str:
    """DOT text of the tree with ``path`` lit; ``view`` is "path" or "top".

    ``key`` prefixes every node name (nodes are ``n<id>``, collapsed subtrees ``c<id>``). The
    browser's d3-graphviz, given a new drawing whose nodes share names with the last one,
    samples every pair of matching outlines pixel by pixel to animate between them (a large
    share of a click's time in chromium, with no animation shown); a key per digit avoids it.
    """
    if view not in ("path", "top"):
        raise ValueError("view must be 'path' or 'top'")
    if view == "path" and path is None:
        raise ValueError("the path view needs a path")
    if key and not key.replace("_", "").isalnum():
        raise ValueError("key must be letters, digits and underscores")
    names = _names(tree, class_names)
    on_path = {s.node for s in path.steps} | {path.leaf.node} if path else set()
    title = (f"Decision path → predicts {names[path.prediction]}" if view == "path" and path
             else f"Top {max_depth} levels of a tree with {tree.n_leaves_} leaves")
    dot = _Dot(title, key)
    if view == "path":
        _draw_path(dot, tree, path, names)
    else:
        _draw_top(dot, tree, 0, 0, max_depth, on_path, names, path)
    return dot.text()


def _draw_node(dot: _Dot, tree: TreeStudent, node: int, names: list[str], lit: bool,
               group: str | None = None) -> None:
    if tree.children_left_[node] < 0:
        pred = int(tree.value_[node].argmax())
        dot.node(f"n{node}", leaf_label(tree, node, names), lit=lit,
                 fill=CLASS_TINTS[pred % len(CLASS_TINTS)], group=group)
    else:
        dot.node(f"n{node}", _wrap(question(tree, node)), lit=lit, group=group)


def _draw_path(dot: _Dot, tree: TreeStudent, path: TreePath, names: list[str]) -> None:
    """The path as a straight column; each branch not taken is one node beside it."""
    for step in path.steps:
        _draw_node(dot, tree, step.node, names, lit=True, group="path")
        left, right = int(tree.children_left_[step.node]), int(tree.children_right_[step.node])
        taken, other = (left, right) if step.goes == "left" else (right, left)
        if tree.children_left_[other] < 0:
            _draw_node(dot, tree, other, names, lit=False)
            other_name = f"n{other}"
        else:
            other_name = f"c{other}"
            dot.node(other_name, collapsed_label(tree, other, names), dashed=True, fill="#f7f7f7")
        for child, answer in ((left, "no"), (right, "yes")):
            target = f"n{child}" if child == taken else other_name
            dot.edge(f"n{step.node}", target, answer, lit=child == taken,
                     weight=10 if child == taken else 1)
    _draw_node(dot, tree, path.leaf.node, names, lit=True, group="path")


def _draw_top(dot: _Dot, tree: TreeStudent, node: int, depth: int, max_depth: int,
              on_path: set[int], names: list[str], path: TreePath | None) -> str:
    lit = node in on_path
    if tree.children_left_[node] >= 0 and depth >= max_depth:
        name = f"c{node}"
        dot.node(name, collapsed_label(tree, node, names, path), lit=lit, dashed=True,
                 fill="#f7f7f7")
        return name
    _draw_node(dot, tree, node, names, lit)
    if tree.children_left_[node] >= 0:
        for child, answer in ((int(tree.children_left_[node]), "no"),
                              (int(tree.children_right_[node]), "yes")):
            target = _draw_top(dot, tree, child, depth + 1, max_depth, on_path, names, path)
            dot.edge(f"n{node}", target, answer, lit=lit and child in on_path)
    return f"n{node}"


# --------------------------------------------------------------------------------------
# SVG of the whole tree, laid out here (leaves side by side, parents centred above)


def tree_svg(tree: TreeStudent, path: TreePath | None = None,
             class_names: list[str] | None = None, column: int = 150, row: int = 90) -> str:
    names = _names(tree, class_names)
    on_path = {s.node for s in path.steps} | {path.leaf.node} if path else set()
    x: dict[int, float] = {}
    depth = tree.node_depths()
    next_leaf = [0]

    def place(node: int) -> float:
        if tree.children_left_[node] < 0:
            x[node] = next_leaf[0]
            next_leaf[0] += 1
        else:
            x[node] = (place(int(tree.children_left_[node]))
                       + place(int(tree.children_right_[node]))) / 2
        return x[node]

    place(0)
    width, height = next_leaf[0] * column + 20, (int(depth.max()) + 1) * row + 20
    pos = {n: (10 + column * (x[n] + 0.5), 10 + row * depth[n] + 25) for n in x}
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height}" '
             f'viewBox="0 0 {width:.0f} {height}" font-family="Helvetica, Arial, sans-serif" '
             'font-size="10">', '<rect width="100%" height="100%" fill="white"/>']
    for n in x:
        if tree.children_left_[n] < 0:
            continue
        for child, answer in ((int(tree.children_left_[n]), "no"),
                              (int(tree.children_right_[n]), "yes")):
            lit = n in on_path and child in on_path
            (x1, y1), (x2, y2) = pos[n], pos[child]
            colour, pen = (HIGHLIGHT, 3) if lit else (MUTED, 1)
            parts.append(f'<line x1="{x1:.1f}" y1="{y1 + 18}" x2="{x2:.1f}" y2="{y2 - 18}" '
                         f'stroke="{colour}" stroke-width="{pen}"/>')
            parts.append(f'<text x="{(x1 + x2) / 2:.1f}" y="{(y1 + y2) / 2:.1f}" '
                         f'fill="{colour}" text-anchor="middle">{answer}</text>')
    for n, (cx, cy) in pos.items():
        leaf = tree.children_left_[n] < 0
        text = leaf_label(tree, n, names) if leaf else _wrap(question(tree, n), 24)
        lit = n in on_path
        fill = HIGHLIGHT_FILL if lit else (
            CLASS_TINTS[int(tree.value_[n].argmax()) % len(CLASS_TINTS)] if leaf else "white")
        stroke, pen = (HIGHLIGHT, 3) if lit else (MUTED, 1)
        parts.append(f'<rect x="{cx - column / 2 + 6:.1f}" y="{cy - 18}" width="{column - 12}" '
                     f'height="36" rx="6" fill="{fill}" stroke="{stroke}" stroke-width="{pen}"/>')
        lines = text.split("\n")
        for i, line in enumerate(lines):
            dy = (i - (len(lines) - 1) / 2) * 11 + 3.5
            parts.append(f'<text x="{cx:.1f}" y="{cy + dy:.1f}" text-anchor="middle">'
                         f'{escape(line)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)
