"""Dashboard speed in a real browser (Playwright driving Debian's chromium).

    python bench/ui.py [--clicks 50] [--sessions 20] [--session-clicks 10]

Measures, on the bundled demo run:
- cold start: from launching `streamlit run serve.py` (what `make run` does) to the overview
  drawn and idle in a browser tab opened before (a person's browser is already running), and
  the same page's time in a new tab when the server is already warm; Explore's first opening;
- one session clicking digits on Explore: time from the click to the new digit's
  explanation drawn (p50/p95 over --clicks clicks);
- --sessions browser sessions clicking at once: the same latency, and the server's peak
  memory (resident set of the server process).
Prints a Markdown table. Targets: first paint <= 3 s; click p95 <= 250 ms alone and
<= 500 ms with 20 sessions; server memory <= 1.5 GB.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from distill.testing import CHROMIUM, CHROMIUM_ARGS, IDLE, AppServer, cpu_seconds, rss_mb

# Clicks a digit of the grid and waits, inside the page, until its explanation is drawn: the
# header names the digit, the tree drawing is there and the app is idle. Timed with the
# page's own clock, so the test driver's round trips are not counted.
CLICK = """async ([i]) => {
  const host = document.querySelector('.st-key-digit_grid');
  let button = null;
  for (const el of [host, ...host.querySelectorAll('*')]) {
    const root = el.shadowRoot || el;
    button = root.querySelector && root.querySelector(`button[data-index="${i}"]`);
    if (button) break;
  }
  const t0 = performance.now();
  button.click();
  const named = new RegExp(`Digit #${i}(?!\\d)`);
  const drawn = () =>
    [...document.querySelectorAll('[data-testid="stMarkdownContainer"] strong')]
      .some((e) => named.test(e.textContent))
    && document.querySelector("[data-testid='stGraphVizChart'] svg")
    && document.querySelector("[data-test-script-state='notRunning']");
  while (!drawn()) { await new Promise((r) => requestAnimationFrame(r)); }
  return performance.now() - t0;
}"""
GRID_READY = """() => {
  const host = document.querySelector('.st-key-digit_grid');
  if (!host) return false;
  for (const el of [host, ...host.querySelectorAll('*')]) {
    const root = el.shadowRoot || el;
    if (root.querySelector && root.querySelector('button[data-index]')) return true;
  }
  return false;
}"""
VIEWPORT = {"width": 1440, "height": 1000}


class MemoryWatch(threading.Thread):
    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.running = pid, 0.0, True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, rss_mb(self.pid))
            time.sleep(0.1)


async def open_overview(browser, url: str, page=None) -> tuple[float, float]:
    """Open the overview in ``page`` (a new tab if None): seconds from asking for it to drawn
    and idle, and the moment (``time.perf_counter``) it was."""
    ctx = None
    if page is None:
        ctx = await browser.new_context(viewport=VIEWPORT)
        page = await ctx.new_page()
    t0 = time.perf_counter()
    await page.goto(url)
    await page.get_by_text("Teacher accuracy").wait_for(timeout=60_000)
    await page.wait_for_selector(IDLE, timeout=60_000)
    idle_at = time.perf_counter()
    await (ctx or page.context).close()
    return idle_at - t0, idle_at


async def clicking_session(browser, url: str, clicks: int, offset: int, think_ms: int,
                           everyone_ready: asyncio.Barrier | None = None
                           ) -> tuple[float, list[float]]:
    """Open Explore, wait until every session has (so page loads are not timed as clicks),
    then click ``clicks`` digits, looking at each for ``think_ms``; the seconds Explore took
    to open, and each click's milliseconds."""
    ctx = await browser.new_context(viewport={"width": 1440, "height": 1200})
    page = await ctx.new_page()
    t0 = time.perf_counter()
    await page.goto(url + "/explore")
    await page.get_by_text("Digit #").first.wait_for(timeout=300_000)
    await page.wait_for_selector(IDLE, timeout=300_000)
    await page.wait_for_function(GRID_READY, timeout=300_000)
    opened = time.perf_counter() - t0
    if everyone_ready is not None:
        await everyone_ready.wait()
        await page.wait_for_timeout(offset * 37 % max(think_ms, 1))  # people do not click in step
    times = []
    for k in range(clicks):
        i = (offset + k) % 23 + 1  # never the digit already open (0 at the start)
        times.append(await page.evaluate(CLICK, [i]))
        await page.wait_for_timeout(think_ms)  # a person looks before the next click
    await ctx.close()
    return opened, times


async def main_async(args) -> None:
    from playwright.async_api import async_playwright
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        # the viewer's tab is open before the server starts, as a person's browser is
        tab = await (await browser.new_context(viewport=VIEWPORT)).new_page()
        server = AppServer(Path(tempfile.mkdtemp()) / "runs", bundled=True)  # the demo run only
        url = server.url
        try:
            server.wait()
            health = time.perf_counter() - server.started
            first_page, drawn_at = await open_overview(browser, url, tab)
            cold = drawn_at - server.started
            warm, _ = await open_overview(browser, url)
            watch = MemoryWatch(server.pid)
            watch.start()
            cpu0 = cpu_seconds(server.pid)
            explore_opened, alone = await clicking_session(browser, url, args.clicks, 0,
                                                           args.think_ms)
            cpu_alone = cpu_seconds(server.pid) - cpu0  # includes opening Explore once
            ready = asyncio.Barrier(args.sessions)
            crowd = await asyncio.gather(*[
                clicking_session(browser, url, args.session_clicks, 3 * s,
                                 args.crowd_think_ms, ready)
                for s in range(args.sessions)])
            watch.running = False
            cpu_crowd = cpu_seconds(server.pid) - cpu0 - cpu_alone
            crowd_times = [t for _, ts in crowd for t in ts]
        finally:
            server.stop()
        await browser.close()

    def pct(xs, q):
        return f"{np.percentile(xs, q):.0f} ms"

    print("| measure | value | target |\n|---|---|---|")
    print(f"| server launch to health check | {health:.1f} s | |")
    print(f"| cold start: launch to overview drawn and idle | {cold:.1f} s | |")
    print(f"| first page on the fresh server (first paint, cold) | {first_page:.1f} s | <= 3 s |")
    print(f"| overview on a warm server | {warm:.1f} s | <= 3 s |")
    print(f"| Explore, its first opening on this server | {explore_opened:.1f} s | |")
    print(f"| click to explanation, 1 session, p50 ({len(alone)} clicks, {args.think_ms} ms "
          f"apart) | {pct(alone, 50)} | |")
    print(f"| click to explanation, 1 session, p95 | {pct(alone, 95)} | <= 250 ms |")
    print(f"| click to explanation, {args.sessions} sessions, p50 ({len(crowd_times)} clicks, "
          f"each session's {args.crowd_think_ms} ms apart) "
          f"| {pct(crowd_times, 50)} | |")
    print(f"| click to explanation, {args.sessions} sessions, p95 | {pct(crowd_times, 95)} "
          "| <= 500 ms |")
    print(f"| server CPU per click, 1 session (incl. opening Explore) | "
          f"{1000 * cpu_alone / len(alone):.0f} ms | |")
    print(f"| server CPU per click, {args.sessions} sessions (incl. opening Explore) | "
          f"{1000 * cpu_crowd / len(crowd_times):.0f} ms | |")
    print(f"| server peak memory (RSS) | {watch.peak:.0f} MB | <= 1,536 MB |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clicks", type=int, default=50)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--session-clicks", type=int, default=10)
    parser.add_argument("--think-ms", type=int, default=200,
                        help="pause after each click, one session")
    parser.add_argument("--crowd-think-ms", type=int, default=1000,
                        help="pause after each click, each of the concurrent sessions")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
