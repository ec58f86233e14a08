"""Screenshots of every page on the bundled demo run, for the README.

    python bench/screenshots.py [--out assets/screenshots]

Starts the dashboard, drives it with Playwright in Debian's chromium, and saves PNGs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.ui import ARGS, CHROMIUM, IDLE, ROOT, free_port, start_server, wait_health  # noqa: E402


def settle(page) -> None:
    for _ in range(3):
        page.wait_for_selector(IDLE, timeout=60_000)
        page.wait_for_timeout(700)


def draw_seven(page) -> None:
    canvas = page.locator(".st-key-pad canvas")
    box = canvas.bounding_box()
    x, y, w = box["x"], box["y"], box["width"]
    page.mouse.move(x + 0.28 * w, y + 0.2 * w)
    page.mouse.down()
    for k in range(1, 11):
        page.mouse.move(x + (0.28 + 0.044 * k) * w, y + 0.2 * w)
    for k in range(1, 13):
        page.mouse.move(x + (0.72 - 0.027 * k) * w, y + (0.2 + 0.057 * k) * w)
    page.mouse.up()


def start_training(page) -> None:
    """Start the default job and let the teacher train a few epochs, so the curves show."""
    page.get_by_role("button", name="Start training").click()
    page.get_by_text("Train the teacher").first.wait_for(timeout=60_000)
    page.wait_for_timeout(16_000)


def cancel_training(page) -> None:
    page.get_by_role("button", name="Cancel").click()
    page.get_by_text("cancelled").first.wait_for(timeout=30_000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default=str(ROOT / "assets" / "screenshots"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_server(port)
    # (name, path, what to do before the shot, what to do after it, viewport height)
    shots = [("overview", "/", None, None, 1000),
             ("explore-tree", "/explore?sample=8", None, None, 1900),
             ("explore-soft-tree", "/explore?sample=8&student=soft-tree.transfer", None, None,
              1450),
             ("explore-naive-bayes", "/explore?sample=8&student=bernoulli-nb.transfer", None,
              None, 1300),
             ("compare", "/compare", None, None, 1600),
             ("train", "/train", start_training, cancel_training, 1900),
             ("draw", "/draw", draw_seven, None, 1500)]
    try:
        wait_health(url)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for name, path, action, after, height in shots:
                page = browser.new_page(viewport={"width": 1440, "height": height})
                page.goto(url + path)
                settle(page)
                if action:
                    action(page)
                    settle(page)
                page.screenshot(path=str(out / f"{name}.png"))
                print(f"saved {out / name}.png")
                if after:
                    after(page)
                page.close()
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
