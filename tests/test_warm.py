"""serve.py's warm-up (pages/_warm.py): the landing page runs once in a session without a
browser, and the other pages' imports wait until no page is running."""

import asyncio
import logging
import re
import tempfile
import time
from pathlib import Path

from pages import _warm
from pages._frame import ACTIVITY, FRAME, running_page


def test_running_page_marks_the_frame_and_the_app_busy_until_it_ends():
    assert not getattr(FRAME, "active", False)
    with running_page():
        assert FRAME.active
        assert ACTIVITY.quiet_for() == 0.0
    assert not FRAME.active
    assert 0.0 <= ACTIVITY.quiet_for() < 60


def test_imports_wait_while_a_page_runs(monkeypatch):
    imported = []
    monkeypatch.setattr(_warm, "QUIET_S", 0.05)
    monkeypatch.setattr(_warm, "POLL_S", 0.01)

    async def scenario():
        with running_page():  # a viewer's page is running
            task = asyncio.create_task(_warm.import_when_quiet(load=imported.append))
            await asyncio.sleep(0.3)
            assert imported == [], "an import started while a page was running"
        await asyncio.wait_for(task, 60)

    asyncio.run(scenario())
    assert imported == list(_warm.MODULES)


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


def test_the_server_runs_the_landing_page_before_any_viewer_and_then_imports():
    """A real ``streamlit run serve.py``: its log says the landing page ran without a browser
    (and sent its elements) and that the other pages' imports were done; nobody connected."""
    from distill.testing import AppServer

    log = Path(tempfile.mkdtemp()) / "server.log"
    server = AppServer(Path(tempfile.mkdtemp()) / "runs", bundled=True, log=log).wait()
    try:
        line = None
        for _ in range(600):  # bounded: 60 s
            line = next((x for x in log.read_text().splitlines() if "warm" in x), None)
            if line:
                break
            time.sleep(0.1)
    finally:
        server.stop()
    assert line is not None, log.read_text()
    found = re.search(r"landing page [\d.]+ s \((\d+) messages\), the other pages' imports done",
                      line)
    assert found, line
    assert int(found.group(1)) > 10  # the overview's elements, not an empty script


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
