"""serve.py's warm-up (pages/_warm.py): the landing page runs once in a session without a
browser, and the other pages' imports wait until the process has been idle for a while."""

import asyncio
import logging
import re
import tempfile
import time
from pathlib import Path

import pytest

from pages import _warm


class FakeClock:
    """A CPU clock the test drives: ``busy`` CPU seconds pass for every second slept."""

    def __init__(self, busy: float):
        self.now, self.busy, self.slept = 0.0, busy, 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += self.busy * seconds
        self.slept += seconds
        await asyncio.sleep(0)


def wait_with(clock: FakeClock) -> asyncio.Future:
    return asyncio.ensure_future(_warm.wait_for_quiet(clock, clock.sleep))


async def spin(task, turns: int = 50) -> None:
    for _ in range(turns):
        if task.done():
            return
        await asyncio.sleep(0)


def test_an_idle_process_is_quiet_after_one_stretch():
    async def scenario():
        clock = FakeClock(busy=0.0)
        task = wait_with(clock)
        await spin(task)
        assert task.done() and clock.slept == _warm.QUIET_S

    asyncio.run(scenario())


def test_a_busy_process_is_not_quiet_until_it_idles():
    async def scenario():
        clock = FakeClock(busy=2 * _warm.IDLE_CPU_S / _warm.QUIET_S)  # two clicks a stretch
        task = wait_with(clock)
        await spin(task)
        assert not task.done(), "a busy server was taken for a quiet one"
        clock.busy = 0.0  # the viewers have gone
        await spin(task)
        assert task.done()

    asyncio.run(scenario())


def test_the_imports_wait_for_a_quiet_moment():
    events = []

    async def quiet():
        events.append("quiet")

    asyncio.run(_warm.import_when_quiet(modules=("a", "b"), load=events.append, quiet=quiet))
    assert events == ["quiet", "a", "b"]


def test_a_failed_warm_up_is_logged_and_does_not_raise():
    """Without a Streamlit runtime in this process the warm-up cannot connect a session: the
    server must still start (the first viewer pays the start-up work)."""
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    _warm.LOG.addHandler(handler)
    try:
        asyncio.run(_warm._warm())
    finally:
        _warm.LOG.removeHandler(handler)
    assert [r.getMessage() for r in records] == [
        "warm-up failed; the first viewer pays the start-up work"]
    assert records[0].exc_info is not None


def warm_line(log: Path) -> str | None:
    """The server's line saying the warm-up is over, waited for (60 s at most)."""
    for _ in range(600):
        line = next((x for x in log.read_text().splitlines() if "warm: " in x), None)
        if line:
            return line
        time.sleep(0.1)
    return None


@pytest.mark.parametrize("hosted", [False, True])
def test_the_server_runs_the_landing_page_before_any_viewer_and_then_imports(hosted):
    """A real ``streamlit run serve.py``: its log says the landing page ran without a browser,
    sent its elements and showed no error (also hosted, where the page reads the browser's
    cookies), and that the other pages' imports were done; nobody connected."""
    from distill.testing import AppServer

    log = Path(tempfile.mkdtemp()) / "server.log"
    env = {"DISTILL_WARM_IMPORTS": "1", **({"DISTILL_HOSTED": "1"} if hosted else {})}
    server = AppServer(Path(tempfile.mkdtemp()) / "runs", bundled=True, log=log, env=env).wait()
    try:
        line = warm_line(log)
    finally:
        server.stop()
    assert line is not None, log.read_text()
    found = re.search(r"landing page [\d.]+ s \((\d+) messages, (\d+) errors\), the other "
                      r"pages' imports and Explore's thumbnails done", line)
    assert found, line
    assert int(found.group(1)) > 10  # the overview's elements, not an empty script
    assert found.group(2) == "0", log.read_text()


def test_the_imports_can_be_left_to_the_first_page_that_needs_them(monkeypatch):
    monkeypatch.setenv("DISTILL_WARM_IMPORTS", "0")
    assert not _warm.imports_wanted()
    monkeypatch.setenv("DISTILL_WARM_IMPORTS", "1")
    assert _warm.imports_wanted()
    monkeypatch.delenv("DISTILL_WARM_IMPORTS")
    assert _warm.imports_wanted()  # the default: a warm server


def test_streamlit_still_scans_packages_for_components_where_serve_py_skips_it():
    """pages/_warm.skip_component_package_scan replaces one function of Streamlit's: fail
    loudly if Streamlit moves it, or stops calling it when the runtime starts."""
    import inspect

    from streamlit.components.v2 import component_manager, manifest_scanner

    assert callable(getattr(manifest_scanner, "scan_component_manifests", None)), (
        "Streamlit moved scan_component_manifests: update pages/_warm.py")
    source = inspect.getsource(component_manager.BidiComponentManager
                               .discover_and_register_components)
    assert "scan_component_manifests()" in source, (
        "Streamlit no longer looks up scan_component_manifests when the runtime starts: "
        "check what the start-up scans now and update pages/_warm.py")


def test_skipping_the_scan_registers_no_package_components(monkeypatch):
    from streamlit.components.v2 import manifest_scanner
    from streamlit.components.v2.component_manager import BidiComponentManager

    monkeypatch.setattr(manifest_scanner, "scan_component_manifests",
                        manifest_scanner.scan_component_manifests)  # restored afterwards
    assert _warm.skip_component_package_scan() is True
    assert manifest_scanner.scan_component_manifests() == []
    manager = BidiComponentManager()
    manager.discover_and_register_components(start_file_watching=False)  # returns at once


def test_explore_is_ready_for_a_room_arriving_by_digit_links(tiny_mnist_run, tmp_path,
                                                            monkeypatch):
    """The warm-up makes the landing run's thumbnails, so the first viewers' deep links to
    Explore encode none."""
    import shutil

    from distill import runs as R
    from pages import _components as comp
    from pages import _digits, _ui
    shutil.copytree(tiny_mnist_run.path, tmp_path / "runs" / "mnist-run")
    monkeypatch.setenv("DISTILL_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setattr(R, "BUNDLED_RUNS_DIR", tmp_path / "no-bundled-runs")
    assert _warm.explore_ready() == "mnist-run"
    made = []
    monkeypatch.setattr(comp, "png_data_uri", lambda x: made.append(1))
    uris = _digits.thumbnails(_ui.run_key(_ui.get_run("mnist-run")))
    assert len(uris) == 100 and made == []  # every test digit, none encoded again


def test_explore_ready_with_no_run_does_nothing(tmp_path, monkeypatch):
    from distill import runs as R
    monkeypatch.setenv("DISTILL_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setattr(R, "BUNDLED_RUNS_DIR", tmp_path / "no-bundled-runs")
    assert _warm.explore_ready() is None


def test_the_warm_up_leaves_a_runs_measurement_to_its_first_viewer(tiny_mnist_run, tmp_path):
    """A replica starting on a run saved without local fidelity (minutes of CPU to measure)
    starts no measurement in its warm session: the process stays free for its viewers and
    quiet for the imports, and metrics.json is as it was."""
    import shutil

    from distill.testing import AppServer
    from tests.conftest import forget_local_fidelity
    runs = tmp_path / "runs"
    shutil.copytree(tiny_mnist_run.path, runs / "mnist-run")
    metrics = forget_local_fidelity(runs / "mnist-run") / "metrics.json"
    saved = metrics.read_bytes()
    log = tmp_path / "server.log"
    server = AppServer(runs, bundled=False, log=log, env={"DISTILL_WARM_IMPORTS": "1"}).wait()
    try:
        line = warm_line(log)
    finally:
        server.stop()
    assert line is not None, log.read_text()  # the imports found a quiet moment
    assert "started in the background" not in log.read_text()
    assert metrics.read_bytes() == saved


def test_background_work_starts_outside_the_warm_session_only(tiny_run, monkeypatch):
    """The same call starts the work (once, and says so in the log) for a viewer's script,
    and nothing in the warm-up's session."""
    import threading
    from types import SimpleNamespace

    from pages import _ui
    monkeypatch.setattr(_ui, "_BACKGROUND", {})
    started = threading.Event()
    viewer = SimpleNamespace(session_id="viewer")
    monkeypatch.setattr("streamlit.runtime.scriptrunner.get_script_run_ctx", lambda: viewer)
    monkeypatch.setattr(_warm, "WARM_SESSIONS", {"warm"})
    messages = []
    monkeypatch.setattr(_ui.LOG, "info", lambda msg, *args: messages.append(msg % args))
    viewer.session_id = "warm"
    state = _ui.in_background("job", tiny_run, lambda run, report: started.set())
    assert not state["done"] and _ui._BACKGROUND == {} and messages == []
    viewer.session_id = "viewer"
    state = _ui.in_background("job", tiny_run, lambda run, report: started.set())
    assert started.wait(10) and list(_ui._BACKGROUND) == [("job", *_ui.run_key(tiny_run))]
    assert messages == [f"job of run {tiny_run.id}: started in the background"]
