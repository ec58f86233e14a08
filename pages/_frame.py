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
import time
from contextlib import contextmanager

import streamlit as st

FRAME = threading.local()  # FRAME.active: app.py's frame is running this page (per thread)


class _Activity:
    """How many page runs are under way in this process, and when the last one ended: the
    warm-up (pages/_warm.py) waits for a quiet moment rather than compete with a viewer."""

    def __init__(self):
        self.lock, self.running, self.last_end = threading.Lock(), 0, time.monotonic()

    def quiet_for(self) -> float:
        """Seconds since the last page run ended; 0 while one runs."""
        with self.lock:
            return 0.0 if self.running else time.monotonic() - self.last_end


ACTIVITY = _Activity()


@contextmanager
def running_page():
    """app.py runs each page inside this: pages know they are framed, the warm-up knows
    the app is busy."""
    with ACTIVITY.lock:
        ACTIVITY.running += 1
    FRAME.active = True
    try:
        yield
    finally:
        FRAME.active = False
        with ACTIVITY.lock:
            ACTIVITY.running -= 1
            ACTIVITY.last_end = time.monotonic()


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
