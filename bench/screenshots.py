"""Screenshots of every page on the bundled demo run, for the README.

    python bench/screenshots.py [--out assets/screenshots]

Starts the dashboard, drives it with Playwright in Debian's chromium, and saves PNGs.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from distill.runs import PROJECT_DIR
from distill.testing import AppServer, chromium, draw_seven
from distill.testing import settle as wait_idle


def settle(page) -> None:
    wait_idle(page, rounds=3, pause=700)


def start_training(page) -> None:
    """Start the default job and let the teacher train a few epochs, so the curves show."""
    page.get_by_role("button", name="Start training").click()
    page.get_by_text("Train the teacher").first.wait_for(timeout=60_000)
    page.wait_for_timeout(16_000)


def find_the_edit(page) -> None:
    """Ask Explore for the smallest edit, so the shot shows what would change its mind."""
    page.get_by_role("button", name="Find the smallest edit").click()
    page.get_by_text("pixels (ink added").first.wait_for(timeout=60_000)


def cancel_training(page) -> None:
    page.get_by_role("button", name="Cancel").click()
    page.get_by_text("cancelled").first.wait_for(timeout=30_000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default=str(PROJECT_DIR / "assets" / "screenshots"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    server = AppServer(Path(tempfile.mkdtemp()) / "runs", bundled=True)
    url = server.url
    # (name, path, what to do before the shot, what to do after it, viewport height)
    shots = [("overview", "/", None, None, 1000),
             ("explore-tree", "/explore?sample=8", find_the_edit, None, 2900),
             ("explore-whole", "/explore?look=The+whole+model", None, None, 2200),
             ("explore-soft-tree", "/explore?sample=8&student=soft-tree.transfer", None, None,
              1450),
             ("explore-naive-bayes", "/explore?sample=8&student=bernoulli-nb.transfer", None,
              None, 1300),
             ("compare", "/compare", None, None, 1600),
             ("compare-sweep", "/compare?run=demo-sweep", None, None, 2000),
             ("train", "/train", start_training, cancel_training, 1900),
             ("draw", "/draw", draw_seven, None, 1500)]
    try:
        server.wait()
        with chromium() as browser:
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
    finally:
        server.stop()


if __name__ == "__main__":
    main()
