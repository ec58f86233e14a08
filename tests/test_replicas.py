"""Two app processes behind nginx on 127.0.0.1, driven by two real browser sessions."""

from __future__ import annotations

import os
import shutil
import signal
import time
from pathlib import Path

import pytest

from distill.testing import (
    CHROMIUM,
    PICTURES,
    PageErrors,
    chromium,
    settle,
    start_tiny_training,
)
from tests.test_browser import grid_cell
from tests.test_pages import png_of

pytestmark = pytest.mark.browser

if not Path(CHROMIUM).exists() or not shutil.which("nginx"):
    pytest.skip("needs Debian's chromium and nginx (make test installs them)",
                allow_module_level=True)


@pytest.fixture
def deployment(tiny_mnist_run, tmp_path):
    from distill.serving import Deployment
    runs = tmp_path / "runs"
    shutil.copytree(tiny_mnist_run.path, runs / "mnist-run")
    served = Deployment(2, runs=runs, bundled=False).start()
    yield served
    served.stop()


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def on_replica(browser, deployment, index: int):
    """A browser session pinned to replica ``index`` by the proxy's affinity cookie."""
    context = browser.new_context(viewport={"width": 1440, "height": 1200})
    context.add_cookies([{"name": "distill_replica", "value": f"127.0.0.1:"
                          f"{deployment.replicas[index].port}", "url": deployment.url}])
    page = context.new_page()
    return context, page, PageErrors().watch(page)


def test_two_sessions_on_two_replicas_share_one_runs_folder(deployment, browser,
                                                            tiny_mnist_run):
    sessions = [on_replica(browser, deployment, i) for i in (0, 1)]
    for _, page, _ in sessions:  # both see the run, and Explore clicks draw explanations
        page.goto(deployment.url + "/explore?run=mnist-run")
        settle(page)
        grid_cell(page, 3).click()
        page.get_by_text("Digit #3").first.wait_for()
        settle(page)
        page.locator("[data-testid='stGraphVizChart'] svg").wait_for()
        images = page.locator(PICTURES)
        assert images.count() >= 2
        assert all(images.nth(i).evaluate("img => img.complete && img.naturalWidth > 0")
                   for i in range(images.count()))  # every picture loaded
    # an upload goes to the session's own replica, through the proxy
    _, alice, _ = sessions[0]
    alice.goto(deployment.url + "/draw?run=mnist-run")
    settle(alice)
    upload = Path(os.environ.get("TMPDIR", "/tmp")) / "digit-for-upload.png"
    upload.write_bytes(png_of(tiny_mnist_run.predictions["x_test"][0]))
    alice.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(upload))
    alice.get_by_text("exactly what the models see").wait_for(timeout=30_000)
    settle(alice)
    # a run trained through one replica is listed by the other (one method: the job is quick)
    start_tiny_training(alice, deployment.url, method="transfer")
    alice.get_by_text("It is now the current run").wait_for(timeout=180_000)
    new_run = next(p.name for p in deployment.runs.iterdir() if p.name != "mnist-run")
    _, bob, _ = sessions[1]
    bob.goto(f"{deployment.url}/?run={new_run}")  # his replica knows the run: it opens
    settle(bob)
    bob.get_by_text("digits test images").first.wait_for()
    assert bob.get_by_text("is not here").count() == 0
    for context, _, errors in sessions:
        context.close()
        assert errors == [], errors


def test_a_dead_replica_is_restarted_and_its_neighbour_keeps_serving(deployment, browser):
    context, page, errors = on_replica(browser, deployment, 1)
    page.goto(deployment.url + "/explore?run=mnist-run")
    settle(page)
    dead = deployment.replicas[0]
    os.kill(dead.pid, signal.SIGKILL)
    grid_cell(page, 4).click()  # the session on the other replica goes on as if nothing
    page.get_by_text("Digit #4").first.wait_for()
    deadline = time.time() + 120
    while deployment.replicas[0] is dead and time.time() < deadline:
        time.sleep(0.5)
    assert deployment.replicas[0] is not dead and deployment.restarts == 1
    deployment.replicas[0].wait()  # the restarted replica serves again, on its old port
    fresh, new_page, new_errors = on_replica(browser, deployment, 0)
    new_page.goto(deployment.url + "/explore?run=mnist-run")
    settle(new_page)
    new_page.get_by_text("Digit #0").first.wait_for()
    for c, e in ((context, errors), (fresh, new_errors)):
        c.close()
        assert e == [], e
