"""The one workaround this app's ``pages/`` folder needs, in one place.

The design keeps the views in a folder named ``pages/``. Streamlit still treats such a folder
as old-style multipage app ("MPA v1") until some session has run ``st.navigation``: on a
fresh server, a first visit to ``/explore`` would run ``pages/explore.py`` bare, without
app.py's frame (navigation, sidebar). Streamlit decides this with one private class flag,
``PagesManager.uses_pages_directory``; :func:`use_navigation` turns it off, and a page that
finds itself outside the frame does that and reruns (:func:`require_frame`).

``tests/test_frame.py`` fails loudly if a Streamlit upgrade renames that flag or stops
consulting it.
"""

from __future__ import annotations

import threading

import streamlit as st

FRAME = threading.local()  # FRAME.active: app.py's frame is running this page (per thread)


def use_navigation() -> bool:
    """Make Streamlit take pages from ``st.navigation`` only; False if the flag is gone."""
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:
        return False
    if "uses_pages_directory" not in vars(PagesManager):
        return False
    PagesManager.uses_pages_directory = False
    return True


def require_frame() -> None:
    """Make sure app.py's frame runs around this page, also for a deep link."""
    if getattr(FRAME, "active", False):
        return
    if use_navigation():
        st.rerun()
