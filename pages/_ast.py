"""One ``ast.parse`` at a time in this process.

Python 3.11 before 3.11.8 keeps the depth counter of its syntax-tree converter in state that
every thread shares, so two threads parsing at once can fail with ``SystemError: AST
constructor recursion depth mismatch`` (CPython issue gh-106905). Streamlit parses each page
script (its "magic") on the thread of the session that first opens it: two viewers opening
pages on a fresh server, or a test beside a background thread, can hit it. A lock around
``ast.parse`` costs nothing measurable (each script is parsed once, then cached). Once per
process, from app.py.
"""

from __future__ import annotations

import ast
import functools
import threading

_LOCK = threading.RLock()


def serialize_ast_parse() -> None:
    """Make ``ast.parse`` take a process-wide lock (once; later calls do nothing)."""
    if getattr(ast.parse, "serialized", False):
        return
    parse = ast.parse

    @functools.wraps(parse)
    def locked(*args, **kwargs):
        with _LOCK:
            return parse(*args, **kwargs)

    locked.serialized = True
    ast.parse = locked
