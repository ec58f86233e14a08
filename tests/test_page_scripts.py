"""Streamlit executes app.py and every page script afresh at each full run (a deep link, a new
viewer, a widget outside a fragment): a cache defined there starts empty every time. Caches
belong in modules imported once (pages/_*.py, distill/)."""

import ast
from pathlib import Path

import pytest

from distill.runs import PROJECT_DIR

# decorators and calls that make a cache living as long as the function object
CACHE_MAKERS = {"memo", "lru_cache", "cache", "cached_property"}


def script_files() -> list[Path]:
    """The files Streamlit runs as scripts: the entry point and each page."""
    pages = sorted(p for p in (PROJECT_DIR / "pages").glob("*.py") if not p.name.startswith("_"))
    return [PROJECT_DIR / "app.py", *pages]


def caches_defined(source: str) -> list[str]:
    """``name:line`` of every cache a script's source makes (Streamlit's own ``st.cache_*``
    keep their entries across reruns, so they are allowed)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in CACHE_MAKERS:
                found.append(f"{name}:{node.lineno}")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for dec in node.decorator_list:
                name = dec.attr if isinstance(dec, ast.Attribute) else getattr(dec, "id", "")
                if name in CACHE_MAKERS:
                    found.append(f"{name}:{dec.lineno}")
    return found


@pytest.mark.parametrize("source, expected", [
    ("@ui.memo(max_entries=8)\ndef f(key):\n    return key\n", ["memo:1"]),
    ("import functools\n@functools.lru_cache\ndef f(k):\n    return k\n", ["lru_cache:2"]),
    ("from functools import cache\n@cache\ndef f(k):\n    return k\n", ["cache:2"]),
    ("g = ui.memo(max_entries=4)(len)\n", ["memo:1"]),
    ("@st.cache_data\ndef f(k):\n    return k\n", []),
    ("def f(k):\n    return k\n", []),
])
def test_the_check_finds_a_cache_in_a_script(source, expected):
    assert caches_defined(source) == expected


@pytest.mark.parametrize("script", script_files(), ids=lambda p: p.name)
def test_no_page_script_defines_a_cache(script):
    assert caches_defined(script.read_text()) == [], (
        f"{script.name} defines a cache that every full run starts empty: move it into a "
        "module the page imports (pages/_*.py)")

