"""The main journeys in a real browser: Debian's chromium driven by Playwright.

Each test starts the dashboard on a free port with its own runs folder, and saves a
screenshot of what it saw under artifacts/screenshots/.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from distill.runs import PROJECT_DIR

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
SHOTS = PROJECT_DIR / "artifacts" / "screenshots"
IDLE = "[data-test-script-state='notRunning']"

if not Path(CHROMIUM).exists():
    pytest.skip("Debian's chromium is not installed (make browser-deps)", allow_module_level=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, runs: Path, env: dict | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        full_env = {**os.environ, "DISTILL_RUNS_DIR": str(runs),
                    "DISTILL_BUNDLED_RUNS_DIR": str(runs.parent / "no-bundled"), **(env or {})}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(PROJECT_DIR / "app.py"),
             "--server.port", str(self.port), "--server.headless", "true"],
            cwd=PROJECT_DIR, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.url + "/_stcore/health", timeout=1)
                return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("the dashboard did not start")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture
def server(tiny_mnist_run, tmp_path):
    runs = tmp_path / "runs"
    shutil.copytree(tiny_mnist_run.path, runs / "mnist-run")
    srv = Server(runs)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 1400})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    context.close()


def grid_cell(page, index: int):
    """A digit of the Explore grid (a custom component, inside its shadow root)."""
    return page.locator(f".st-key-digit_grid button[data-index='{index}']")


def settle(page, timeout: float = 60_000) -> None:
    """Wait until the script has finished running (twice, to let reruns land)."""
    for _ in range(2):
        page.wait_for_selector(IDLE, timeout=timeout)
        page.wait_for_timeout(400)
    assert page.locator("[data-testid='stException']").count() == 0


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_open_the_app_and_read_the_overview(server, page):
    page.goto(server.url)
    settle(page)
    page.get_by_text("Teacher accuracy").wait_for()
    assert page.get_by_text("agrees with it on").count() >= 1
    assert page.locator(".bars .bar-group").count() == 5  # one bar pair per distilled student
    assert page.locator(".js-plotly-plot").count() == 0  # no charting bundle on first paint
    shot(page, "overview")


def test_a_deep_link_on_a_fresh_server_opens_the_digit(server, page):
    page.goto(server.url + "/explore?run=mnist-run&sample=17")
    settle(page)
    page.get_by_text("Digit #17").first.wait_for()
    assert page.get_by_role("link", name="Overview").count() >= 1  # the frame's navigation


def test_explore_click_a_digit_see_the_path_then_naive_bayes(server, page):
    page.goto(server.url + "/explore")
    settle(page)
    grid_cell(page, 5).click()
    settle(page)
    page.get_by_text("Digit #5").first.wait_for()
    graph = page.locator("[data-testid='stGraphVizChart'] svg")
    graph.wait_for()
    assert graph.locator("path[stroke='#d62728']").count() >= 1  # the lit path
    assert page.get_by_text("predicts").count() >= 1
    shot(page, "explore-tree")
    page.locator(".st-key-next button").first.click()
    settle(page)
    page.get_by_text("Digit #6").first.wait_for()
    page.locator(".st-key-student").click()
    page.get_by_role("option", name="Bernoulli naive Bayes · transfer").click()
    settle(page)
    page.get_by_text("Evidence:").first.wait_for()
    assert page.locator("[data-testid='stGraphVizChart']").count() == 0
    assert page.get_by_text("log-odds of ink").count() >= 1
    shot(page, "explore-naive-bayes")


def test_train_a_tiny_job_and_see_the_new_run(server, page):
    page.goto(server.url + "/train")
    settle(page)
    page.locator(".st-key-dataset").click()
    page.get_by_role("option", name="Digits 8x8").click()
    settle(page)
    page.locator(".st-key-epochs input").fill("2")
    page.locator(".st-key-epochs input").press("Enter")
    settle(page)
    page.get_by_role("button", name="Start training").click()
    page.get_by_text("Train the teacher").first.wait_for(timeout=60_000)
    shot(page, "train-progress")
    page.get_by_text("It is now the current run").wait_for(timeout=180_000)
    settle(page)
    shot(page, "train-done")
    runs = [p for p in Path(server.proc.args[0]).parent.glob("*")]  # noqa: F841
    page.get_by_role("link", name="Overview").first.click()
    settle(page)
    assert page.get_by_text("digits test images").count() >= 1  # the new run is current


def test_explore_a_soft_tree(tiny_soft_run, tmp_path, page):
    runs = tmp_path / "runs"
    shutil.copytree(tiny_soft_run.path, runs / "soft-run")
    srv = Server(runs)
    try:
        page.goto(srv.url + "/explore?run=soft-run&student=soft-tree.transfer&sample=3")
        settle(page)
        page.get_by_text("Why the Soft decision tree").wait_for()
        page.get_by_text("filter × digit").first.wait_for()
        page.get_by_text("The tree reads the digit straightened").wait_for()
        assert page.locator(".js-plotly-plot").count() == 1  # the whole tree, depth 4
        assert page.locator("[data-testid='stImage']").count() >= 5
        shot(page, "explore-soft-tree")
    finally:
        srv.stop()


def test_draw_a_digit_with_the_mouse(server, page):
    page.goto(server.url + "/draw")
    settle(page)
    canvas = page.locator(".st-key-pad canvas")
    canvas.wait_for()
    box = canvas.bounding_box()
    x, y, w = box["x"], box["y"], box["width"]
    page.mouse.move(x + 0.3 * w, y + 0.2 * w)
    page.mouse.down()
    for k in range(1, 11):  # the bar of a 7
        page.mouse.move(x + (0.3 + 0.04 * k) * w, y + 0.2 * w)
    for k in range(1, 13):  # and its stem
        page.mouse.move(x + (0.7 - 0.025 * k) * w, y + (0.2 + 0.055 * k) * w)
    page.mouse.up()
    page.get_by_text("exactly what the models see").wait_for(timeout=30_000)
    settle(page)
    assert page.get_by_text("agrees with the teacher").count() >= 1
    page.get_by_text("Why the Decision tree (regions)").wait_for()
    page.locator("[data-testid='stGraphVizChart'] svg").wait_for()
    shot(page, "draw")
    page.locator(".st-key-pad button.clear").click()
    page.get_by_text("Draw a digit in the square").wait_for(timeout=30_000)
