"""Distill Explorer's engine: distil a teacher network into interpretable students and explain
them.

A plain library (no streamlit). Heavy dependencies (torch, onnxruntime) are imported where
used, so that reading saved runs stays fast; the names below load on first use:

    from distill import Teacher, distill, load_dataset
"""

__version__ = "0.1.0"

_LAZY = {"load_dataset": ("distill.data", "load_dataset"),
         "Teacher": ("distill.teacher", "Teacher"),
         "distill": ("distill.api", "distill"),
         "load_run": ("distill.runs", "load_run")}
__all__ = list(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        import importlib
        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'distill' has no attribute {name!r}")
