"""Drawings of a decision tree as DOT text, laid out by Graphviz's ``dot`` (in the browser by
d3-graphviz, or by the ``dot`` program for files).

Three views, each with an image's path lit (colour and pen width) when one is given:
- ``path``: the path alone, every branch it did not take collapsed into one summary node;
  readable for trees of hundreds of leaves;
- ``top``: the first levels of the whole tree, deeper branches collapsed;
- ``whole``: every node, for files, in compact words; every other leaf one row lower, and
  "no" drawn as a dashed edge instead of a word, which keeps a 256-leaf tree a few
  thousand points wide (measured in bench/results/).

:func:`render` turns a drawing into SVG, PDF or PNG with the ``dot`` program (Debian's
``graphviz`` package); DOT text and plain-text rules need no program.
"""

from __future__ import annotations

import re
import textwrap
from functools import lru_cache

from ..features import describe_rect
from ..students import TreeStudent
from .tree import TreePath, leaf_info, percent, question, rules, subtree_leaves, subtree_summary

HIGHLIGHT = "#d62728"
HIGHLIGHT_FILL = "#fde0dd"
MUTED = "#8a8a8a"
CLASS_TINTS = ["#e8f1fa", "#fdebd3", "#e3f4e1", "#fbe3e3", "#efe8f6",
               "#f3e9e6", "#fbe9f4", "#eeeeee", "#f5f5dc", "#e0f5f7"]
VIEWS = ("path", "top", "whole")
FORMATS = ("svg", "pdf", "png")  # drawn by the dot program
STAGGER = 2  # rows the leaves of a whole tree alternate over
INSTALL_HINT = ("Graphviz's dot program is not installed: `sudo apt-get install graphviz` (or "
                "`make graphviz`); DOT text and rules work without it")


class RenderError(RuntimeError):
    """A drawing could not be rendered to a file format, said in words."""


def dot_available() -> bool:
    """Whether Graphviz's ``dot`` program is installed (SVG, PDF and PNG need it)."""
    import shutil
    return shutil.which("dot") is not None


def _names(tree: TreeStudent, class_names: list[str] | None) -> list[str]:
    return class_names or [str(c) for c in tree.classes_]


def leaf_label(tree: TreeStudent, node: int, names: list[str]) -> str:
    leaf = leaf_info(tree, node)
    return (f"predicts {names[leaf.prediction]} ({leaf.probability:.0%})\n"
            f"{leaf.samples:.0f} samples")


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


def short_label(tree: TreeStudent, node: int, names: list[str]) -> str:
    """A node in few words, for the whole tree: the region and threshold on three lines, or a
    leaf's class, share and samples."""
    if tree.children_left_[node] < 0:
        leaf = leaf_info(tree, node)
        return f"{names[leaf.prediction]} · {leaf.probability:.0%}\n{leaf.samples:.0f}"
    where = describe_rect(tree.rects_[tree.feature_[node]], tree.image_shape_)
    where = where.replace("the whole ", "").replace("columns", "cols").replace(", ", "\n")
    return f"{where}\n> {percent(tree.threshold_[node])}?"


# DOT as the ``graphviz`` package writes it (the same quoting, attributes in sorted order),
# without its per-call checks: Explore draws a new path on every click
_HTML = re.compile(r"<.*>$", re.DOTALL)
_ID = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*|-?(\.[0-9]+|[0-9]+(\.[0-9]*)?))$")
_KEYWORDS = {"node", "edge", "graph", "digraph", "subgraph", "strict"}
_QUOTE = re.compile(r"(?P<escaped>(?:\\{2})*)\\?(?P<quote>\")")


@lru_cache(maxsize=4096)  # most texts repeat: attribute values, names, a tree's labels
def _quote(text: str) -> str:
    """A DOT identifier: as it is when it may stand bare (or is an HTML label), else quoted."""
    if _HTML.match(text):
        return text
    if not _ID.match(text) or text.lower() in _KEYWORDS:
        return '"' + _QUOTE.sub(r"\g<escaped>\\\g<quote>", text) + '"'
    return text


def _attrs(attrs: dict[str, str], label: str | None = None) -> str:
    items = [f"label={_quote(label)}"] if label is not None else []
    return " ".join(items + [f"{k}={_quote(v)}" for k, v in sorted(attrs.items())])


class _Drawing:
    """A DOT digraph with this project's looks; ``key`` prefixes every node name.
    ``compact``: small nodes, and "no" as a dashed edge rather than a word."""

    def __init__(self, title: str, key: str = "", compact: bool = False):
        self.key = key
        self.compact = compact
        self.lines = ["digraph tree {"]
        self.attr("graph", rankdir="TB", nodesep="0.08" if compact else "0.2",
                  ranksep="0.25" if compact else "0.3", label=title, labelloc="t",
                  fontname="Helvetica", fontsize="12")
        self.attr("node", shape="box", style="rounded,filled", fontname="Helvetica",
                  fontsize="10" if compact else "11", fillcolor="white", color=MUTED,
                  penwidth="1", **({"margin": "0.04,0.02"} if compact else {}))
        self.attr("edge", fontname="Helvetica", fontsize="10", color=MUTED, arrowsize="0.6")

    def attr(self, kind: str, **attrs: str) -> None:
        self.lines.append(f"\t{kind} [{_attrs(attrs)}]")

    @property
    def source(self) -> str:
        return "\n".join([*self.lines, "}", ""])

    def node(self, name: str, label: str, lit: bool = False, fill: str = "white",
             dashed: bool = False, group: str | None = None) -> None:
        attrs = {"style": "rounded,filled" + (",dashed" if dashed else "")}
        if group:
            attrs["group"] = group  # same group: graphviz keeps the chain straight
        if lit:
            attrs.update(color=HIGHLIGHT, penwidth="3", fillcolor=HIGHLIGHT_FILL)
        else:
            attrs["fillcolor"] = fill
        self.lines.append(f"\t{_quote(self.key + name)} [{_attrs(attrs, label)}]")

    def edge(self, a: str, b: str, label: str, lit: bool = False, weight: int = 1,
             minlen: int = 1) -> None:
        worded = None if self.compact else label
        attrs = {"style": "dashed"} if self.compact and label == "no" else {}
        if minlen != 1:
            attrs["minlen"] = str(minlen)
        if lit:
            attrs.update(color=HIGHLIGHT, penwidth="3", fontcolor=HIGHLIGHT)
        if weight != 1:
            attrs["weight"] = str(weight)
        listed = f" [{_attrs(attrs, worded)}]" if attrs or worded is not None else ""
        self.lines.append(f"\t{_quote(self.key + a)} -> {_quote(self.key + b)}{listed}")


def tree_dot(tree: TreeStudent, path: TreePath | None = None, view: str = "path",
             max_depth: int = 3, class_names: list[str] | None = None, key: str = "") -> str:
    """The tree with ``path`` lit, as DOT text; ``view`` is one of VIEWS.

    ``key`` prefixes every node name (nodes are ``n<id>``, collapsed subtrees ``c<id>``). The
    browser's d3-graphviz, given a new drawing whose nodes share names with the last one,
    samples every pair of matching outlines pixel by pixel to animate between them (a large
    share of a click's time in chromium, with no animation shown); a key per digit avoids it.
    """
    if view not in VIEWS:
        raise ValueError(f"view must be one of {', '.join(VIEWS)}")
    if view == "path" and path is None:
        raise ValueError("the path view needs a path")
    if key and not key.replace("_", "").isalnum():
        raise ValueError("key must be letters, digits and underscores")
    names = _names(tree, class_names)
    on_path = {s.node for s in path.steps} | {path.leaf.node} if path else set()
    if view == "path":
        title = f"Decision path → predicts {names[path.prediction]}"
    elif view == "top":
        title = f"Top {max_depth} levels of a tree with {tree.n_leaves_} leaves"
    else:
        title = (f"A tree with {tree.n_leaves_} leaves: each question asks about the mean ink "
                 "of a region; solid edges are yes, dashed edges no; leaves show the class, its "
                 "share and the training samples")
    drawing = _Drawing(title, key, compact=view == "whole")
    if view == "path":
        _draw_path(drawing, tree, path, names)
    else:
        depth = max_depth if view == "top" else 10_000
        leaves = {leaf: i for i, leaf in enumerate(subtree_leaves(tree, 0))}
        _draw_top(drawing, tree, 0, 0, depth, on_path, names, path, leaves)
    return drawing.source


def render(dot: str, fmt: str) -> bytes:
    """DOT text as SVG, PDF or PNG bytes, laid out by the ``dot`` program."""
    import graphviz
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    try:
        return graphviz.Source(dot).pipe(format=fmt, engine="dot")
    except graphviz.ExecutableNotFound:
        raise RenderError(INSTALL_HINT) from None
    except graphviz.CalledProcessError as err:
        raise RenderError(f"Graphviz could not draw the tree: {err.stderr!r}") from None


def _draw_node(drawing: _Drawing, tree: TreeStudent, node: int, names: list[str], lit: bool,
               group: str | None = None) -> None:
    if drawing.compact:
        fill = (CLASS_TINTS[int(tree.value_[node].argmax()) % len(CLASS_TINTS)]
                if tree.children_left_[node] < 0 else "white")
        drawing.node(f"n{node}", short_label(tree, node, names), lit=lit, fill=fill)
    elif tree.children_left_[node] < 0:
        pred = int(tree.value_[node].argmax())
        drawing.node(f"n{node}", leaf_label(tree, node, names), lit=lit,
                     fill=CLASS_TINTS[pred % len(CLASS_TINTS)], group=group)
    else:
        drawing.node(f"n{node}", _wrapped(question(tree, node)), lit=lit, group=group)


@lru_cache(maxsize=4096)  # a tree's questions repeat from digit to digit
def _wrapped(text: str) -> str:
    return textwrap.fill(text, 26)


def _draw_path(drawing: _Drawing, tree: TreeStudent, path: TreePath, names: list[str]) -> None:
    """The path as a straight column; each branch not taken is one node beside it."""
    for step in path.steps:
        _draw_node(drawing, tree, step.node, names, lit=True, group="path")
        left, right = int(tree.children_left_[step.node]), int(tree.children_right_[step.node])
        taken, other = (left, right) if step.goes == "left" else (right, left)
        if tree.children_left_[other] < 0:
            _draw_node(drawing, tree, other, names, lit=False)
            other_name = f"n{other}"
        else:
            other_name = f"c{other}"
            drawing.node(other_name, collapsed_label(tree, other, names), dashed=True,
                         fill="#f7f7f7")
        for child, answer in ((left, "no"), (right, "yes")):
            target = f"n{child}" if child == taken else other_name
            drawing.edge(f"n{step.node}", target, answer, lit=child == taken,
                         weight=10 if child == taken else 1)
    _draw_node(drawing, tree, path.leaf.node, names, lit=True, group="path")


def _draw_top(drawing: _Drawing, tree: TreeStudent, node: int, depth: int, max_depth: int,
              on_path: set[int], names: list[str], path: TreePath | None,
              leaf_order: dict[int, int]) -> str:
    lit = node in on_path
    if tree.children_left_[node] >= 0 and depth >= max_depth:
        name = f"c{node}"
        drawing.node(name, collapsed_label(tree, node, names, path), lit=lit, dashed=True,
                     fill="#f7f7f7")
        return name
    _draw_node(drawing, tree, node, names, lit)
    if tree.children_left_[node] >= 0:
        for child, answer in ((int(tree.children_left_[node]), "no"),
                              (int(tree.children_right_[node]), "yes")):
            target = _draw_top(drawing, tree, child, depth + 1, max_depth, on_path, names, path,
                               leaf_order)
            stagger = 1 + leaf_order.get(child, 0) % STAGGER if drawing.compact else 1
            drawing.edge(f"n{node}", target, answer, lit=lit and child in on_path,
                         minlen=stagger)
    return f"n{node}"


EXPORTS = ("svg", "pdf", "png", "dot", "rules")


def export_tree(tree: TreeStudent, fmt: str, path: TreePath | None = None,
                class_names: list[str] | None = None) -> bytes:
    """A tree as a file: the whole tree, or with ``path`` one digit's path view. SVG, PDF and
    PNG are drawn by ``dot`` (:class:`RenderError` says how to get it); DOT text and rules
    need nothing."""
    if fmt not in EXPORTS:
        raise ValueError(f"format must be one of {', '.join(EXPORTS)}")
    if fmt == "rules":
        return (rules(tree, class_names) + "\n").encode()
    dot = tree_dot(tree, path, view="path" if path else "whole", class_names=class_names)
    return dot.encode() if fmt == "dot" else render(dot, fmt)
