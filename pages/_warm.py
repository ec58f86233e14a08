"""A server that is warm before its first viewer comes (used by ``serve.py``).

A fresh Streamlit process pays, on its first session, for everything it has not done yet:
compiling the page scripts, importing the engine, reading the run, Streamlit's own first-use
work. The first viewer waits for it (the overview's first run is several times a warm one), and
the first to open Explore or Draw on a fresh replica waits for scikit-learn and SciPy to
import. :func:`warm_up` does that work while the server starts and the browser is
still loading Streamlit's frontend: it runs the landing page once in a session without a
browser, inside this process (Streamlit's ``Runtime`` API: connect, rerun, close), then, at a
quiet moment, imports what the other pages need. The landing page only reads the run: the
warm session starts no work of its own (the Overview's background measurement waits for a
viewer; Explore and Compare, which can start work, are imported, not run).
``bench/results/ui.md`` has the measurements.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import time
from contextlib import asynccontextmanager

from streamlit.logger import get_logger
from streamlit.runtime.session_manager import SessionClient

LOG = get_logger(__name__)  # Streamlit's logging settings (logger.level) apply
PAGE_TIMEOUT_S = 60
QUIET_S = 2.0  # an import waits for this long a stretch in which the process was idle,
IDLE_CPU_S = 0.02  # using at most this much CPU (one click costs about as much; idle: none)
# what Explore, Compare and Draw import beyond the landing page (not torch: only Draw needs
# it, and it would add its memory to every replica)
WARM_SESSIONS: set[str] = set()  # the ids of run_page's sessions (no browser) while they run
MODULES = ("distill.students", "distill.explain", "distill.explain.whole", "distill.browse",
           "distill.sketch", "distill.sweep", "pandas")


def imports_wanted() -> bool:
    """DISTILL_WARM_IMPORTS=0 leaves those imports to the first page that needs them: a
    replica then stays smaller until someone opens Explore (the test suite's servers, which
    mostly never do, skip them too)."""
    return os.environ.get("DISTILL_WARM_IMPORTS", "1") != "0"


class _Sink(SessionClient):
    """A session's client that keeps nothing: it counts the messages and the errors shown,
    and notices the script's last finish. No browser: no headers, no cookies (the inherited
    ``client_context`` is None, as for a session whose request is unknown)."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop, self.finished, self.messages, self.errors = loop, asyncio.Event(), 0, 0

    def write_forward_msg(self, msg) -> None:
        self.messages += 1
        kind = msg.WhichOneof("type")
        if kind == "delta" and msg.delta.new_element.WhichOneof("type") == "exception":
            self.errors += 1
        if kind == "script_finished" and msg.script_finished != msg.FINISHED_EARLY_FOR_RERUN:
            self.loop.call_soon_threadsafe(self.finished.set)


async def run_page(page_name: str = "") -> tuple[int, int]:
    """Run one page of the app in a session without a browser; how many messages it sent,
    and how many of them were errors shown on the page."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.runtime import Runtime

    runtime = Runtime.instance()
    sink = _Sink(asyncio.get_running_loop())
    session = runtime.connect_session(client=sink, user_info={})
    WARM_SESSIONS.add(session)
    try:
        rerun = BackMsg()
        rerun.rerun_script.page_name = page_name
        runtime.handle_backmsg(session, rerun)
        await asyncio.wait_for(sink.finished.wait(), PAGE_TIMEOUT_S)
    finally:
        runtime.close_session(session)
        WARM_SESSIONS.discard(session)
    return sink.messages, sink.errors


def in_warm_session() -> bool:
    """True while the script runs in the warm-up's own session. It starts no background work:
    a measurement it started (a run's local fidelity takes minutes) would keep the fresh
    process busy, and never quiet for the imports, before anyone asked for it."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx
    ctx = get_script_run_ctx()
    return ctx is not None and ctx.session_id in WARM_SESSIONS


async def wait_for_quiet(clock=time.process_time, sleep=asyncio.sleep) -> None:
    """Return after :data:`QUIET_S` seconds in which this process used at most
    :data:`IDLE_CPU_S` of CPU (every thread: pages, fragment reruns, pictures, background
    work): nobody is waiting for the server."""
    while True:
        used = clock()
        await sleep(QUIET_S)
        if clock() - used <= IDLE_CPU_S:
            return


async def import_when_quiet(modules=MODULES, load=importlib.import_module,
                            quiet=wait_for_quiet) -> None:
    """Import ``modules`` at a quiet moment: an import holds the GIL, and a viewer's page or
    click should not wait for it (scikit-learn is nearly all of the time; the rest follow)."""
    def load_all() -> None:
        for name in modules:
            load(name)

    await quiet()
    await asyncio.to_thread(load_all)


def explore_ready() -> str | None:
    """Make what every viewer of the landing run's Explore page shares (its thumbnails), so
    a room arriving by digit links finds it made; the run's id, None with no run."""
    from distill.runs import list_runs
    from pages import _digits, _ui
    runs = list_runs()
    if not runs:
        return None
    run = _ui.get_run(_ui.newest_healthy(runs).id)
    _digits.thumbnails(_ui.run_key(run))
    return run.id


async def _warm() -> None:
    start = time.perf_counter()
    try:
        messages, errors = await run_page()
        landing = time.perf_counter() - start
        if errors:
            LOG.warning("warm-up: the landing page showed %d error(s) without a browser", errors)
        if imports_wanted():
            await import_when_quiet()
            await asyncio.to_thread(explore_ready)
        LOG.info("warm: landing page %.2f s (%d messages, %d errors), the other pages' imports "
                 "and Explore's thumbnails %s %.2f s later", landing, messages, errors,
                 "done" if imports_wanted() else "skipped", time.perf_counter() - start - landing)
    except Exception:  # a failed warm-up only means a slower first viewer
        LOG.exception("warm-up failed; the first viewer pays the start-up work")


def skip_component_package_scan() -> bool:
    """Spare the start-up Streamlit's scan of every installed package for components: this app's
    components are inline (pages/_components.py) and it installs no component packages, and the
    scan parses the metadata of every package in the environment (torch, Ray and the rest), a
    sizeable part of the time to the first health check. False if Streamlit moved the scan
    (``tests/test_warm.py`` then fails loudly)."""
    try:
        from streamlit.components.v2 import manifest_scanner
    except ImportError:
        return False
    if not hasattr(manifest_scanner, "scan_component_manifests"):
        return False
    manifest_scanner.scan_component_manifests = lambda max_workers=None: []
    return True


@asynccontextmanager
async def warm_up(_app):
    """st.App lifespan: warm the server in the background while it starts serving."""
    task = asyncio.create_task(_warm())
    yield
    task.cancel()
