"""Starting the dashboard and a real browser against it: one harness for the browser tests,
the UI and load benchmarks and the README's screenshots.

The app runs as ``streamlit run serve.py`` in a child process on a free port of 127.0.0.1; the
browser is Debian's chromium driven by Playwright (never a downloaded browser). Nothing here
imports streamlit or playwright at module level.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from .runs import PROJECT_DIR

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
IDLE = "[data-test-script-state='notRunning']"
# every picture of a page: st.image's, and those drawn inline (pages._ui.inline_picture)
PICTURES = "[data-testid='stImage'] img, [data-testid='stHtml'] figure img"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_health(url: str, timeout: float = 60, proc: subprocess.Popen | None = None) -> None:
    """Wait until ``url``'s health check answers; fail early if ``proc`` has died."""
    end = time.time() + timeout
    while time.time() < end:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the server exited with status {proc.returncode}")
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=1)
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer its health check within {timeout:.0f} s")


class AppServer:
    """``streamlit run serve.py`` (app.py, warmed at start) on a free port, with its own runs
    folder and settings; ``script="app.py"`` runs the plain app, as Community Cloud does."""

    def __init__(self, runs: Path | None = None, env: dict | None = None,
                 bundled: bool = False, port: int | None = None, log: Path | None = None,
                 script: str = "serve.py"):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        full = {**os.environ, **(env or {})}
        if runs is not None:
            full["DISTILL_RUNS_DIR"] = str(runs)
        if not bundled:
            full["DISTILL_BUNDLED_RUNS_DIR"] = str(Path(runs or "/nonexistent").parent /
                                                   "no-bundled-runs")
        out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 (kept open)
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(PROJECT_DIR / script),
             "--server.port", str(self.port), "--server.address", "127.0.0.1",
             "--server.headless", "true"],
            cwd=PROJECT_DIR, env=full, stdout=out, stderr=subprocess.STDOUT)

    def wait(self, timeout: float = 60) -> AppServer:
        try:
            wait_health(self.url, timeout, self.proc)
        except RuntimeError:
            self.stop()
            raise
        return self

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


# --------------------------------------------------------------------------------------
# the server's process, from /proc


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far: from its CPU clock where the kernel
    has one (nanoseconds, exited threads included: fine enough for one click), else from
    /proc in clock ticks."""
    try:
        return time.clock_gettime(((~pid) << 3) | 2)  # Linux's clock_getcpuclockid(pid)
    except (OSError, OverflowError):
        pass
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------------------------
# the browser


@contextmanager
def chromium():
    """Debian's chromium under Playwright (sync API)."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


# Streamlit's frontend, opened on a deep link such as /explore, first looks for the server
# under that path (/explore/_stcore/host-config, /explore/_stcore/health) and, on a 404, at
# the root. Those two 404s are its way of finding its base path, not errors of the app.
BASE_PATH_PROBE = re.compile(r"https?://[^/]+/[^_][^?#]*/_stcore/(host-config|health)$")


class PageErrors(list):
    """Console errors and uncaught page errors of a page, collected as they happen."""

    def watch(self, page) -> PageErrors:
        page.on("pageerror", lambda e: self.append(f"page error: {e}"))
        page.on("console", self._console)
        return self

    def _console(self, message) -> None:
        if message.type != "error":
            return
        url = message.location.get("url", "")
        if "404" in message.text and BASE_PATH_PROBE.match(url):
            return
        self.append(f"console error: {message.text} ({url or 'no url'})")


def settle(page, timeout: float = 60_000, rounds: int = 2, pause: int = 400) -> None:
    """Wait until the app's script has finished running (``rounds`` times, to let reruns land)."""
    for _ in range(rounds):
        page.wait_for_selector(IDLE, timeout=timeout)
        page.wait_for_timeout(pause)


def draw_seven(page, key: str = "pad") -> None:
    """Draw a 7 on the drawing pad with the mouse: the bar, then the stem."""
    canvas = page.locator(f".st-key-{key} canvas")
    canvas.wait_for()
    box = canvas.bounding_box()
    x, y, w = box["x"], box["y"], box["width"]
    page.mouse.move(x + 0.28 * w, y + 0.2 * w)
    page.mouse.down()
    for k in range(1, 11):
        page.mouse.move(x + (0.28 + 0.044 * k) * w, y + 0.2 * w)
    for k in range(1, 13):
        page.mouse.move(x + (0.72 - 0.027 * k) * w, y + (0.2 + 0.057 * k) * w)
    page.mouse.up()


def draw_seven_by_touch(page, key: str = "pad") -> None:
    """Draw a 7 on the drawing pad with a finger: touch events, as a phone sends them
    (through the DevTools protocol: Playwright's touchscreen only taps)."""
    canvas = page.locator(f".st-key-{key} canvas")
    canvas.wait_for()
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    x, y, w = box["x"], box["y"], box["width"]
    points = ([(0.28 + 0.044 * k, 0.2) for k in range(11)]
              + [(0.72 - 0.027 * k, 0.2 + 0.057 * k) for k in range(1, 13)])
    cdp = page.context.new_cdp_session(page)
    for i, (fx, fy) in enumerate(points):
        kind = "touchStart" if i == 0 else "touchMove"
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [
            {"x": x + fx * w, "y": y + fy * w}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def choose_option(page, key: str, option: str, tries: int = 3) -> None:
    """Pick ``option`` in the select box ``key``. A rerun landing as the list opens (a fresh
    server's first page reruns once to put the run in the URL) closes it again, so the list
    is opened again, a bounded number of times."""
    wanted = page.get_by_role("option", name=option)
    for attempt in range(tries):
        page.locator(f".st-key-{key}").click()
        try:
            wanted.wait_for(timeout=10_000)
            break
        except Exception:  # noqa: BLE001 (Playwright's timeout): open it again
            if attempt == tries - 1:
                raise
            settle(page)
    wanted.click()


def start_tiny_training(page, url: str, epochs: int = 1, method: str | None = None) -> None:
    """On Train, start the smallest real job a user can choose: 8x8 digits, ``epochs`` passes,
    the smallest transfer set, the default students and ``method`` (default: the page's); a
    browser test's job then takes seconds."""
    page.goto(url + "/train")
    settle(page)
    choose_option(page, "dataset", "Digits 8x8")
    settle(page)
    page.locator(".st-key-epochs input").fill(str(epochs))
    page.locator(".st-key-epochs input").press("Enter")
    settle(page)
    page.locator(".st-key-size").get_by_role("slider").press("Home")  # the smallest size
    settle(page)
    if method:
        page.locator(".st-key-method").get_by_role("radio", name=method, exact=True).click()
        settle(page)
    page.get_by_role("button", name="Start training").click()
