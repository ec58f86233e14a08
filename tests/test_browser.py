"""The main journeys in a real browser: Debian's chromium driven by Playwright.

Each test starts the dashboard on a free port with its own runs folder, saves a screenshot
of what it saw under artifacts/screenshots/, and fails on any console or page error.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from distill.runs import PROJECT_DIR, Run
from distill.testing import (
    CHROMIUM,
    PICTURES,
    AppServer,
    PageErrors,
    choose_option,
    chromium,
    draw_seven,
    draw_seven_by_touch,
    start_tiny_training,
)
from distill.testing import settle as wait_idle

pytestmark = pytest.mark.browser
SHOTS = PROJECT_DIR / "artifacts" / "screenshots"

if not Path(CHROMIUM).exists():
    pytest.skip("Debian's chromium is not installed (make browser-deps)", allow_module_level=True)


@pytest.fixture
def server(tiny_mnist_run, tmp_path):
    runs = tmp_path / "runs"
    shutil.copytree(tiny_mnist_run.path, runs / "mnist-run")
    srv = AppServer(runs).wait()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 1400})
    pg = context.new_page()
    errors = PageErrors().watch(pg)
    yield pg
    context.close()
    assert errors == [], errors


def grid_cell(page, index: int):
    """A digit of the Explore grid (a custom component, inside its shadow root)."""
    return page.locator(f".st-key-digit_grid button[data-index='{index}']")


def settle(page, timeout: float = 60_000) -> None:
    """Wait until the script has finished running, and check it raised nothing."""
    wait_idle(page, timeout)
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


def test_a_deep_link_on_a_fresh_plain_server_opens_the_digit(tiny_mnist_run, tmp_path, page):
    """A plain ``streamlit run app.py`` (Community Cloud) has no warm-up, so this deep link is
    its first session: pages/_frame.py's workaround has to put the frame around it. (Through
    serve.py, every test below that opens /explore on a fresh server is a deep link.)"""
    runs = tmp_path / "runs"
    shutil.copytree(tiny_mnist_run.path, runs / "mnist-run")
    server = AppServer(runs, script="app.py").wait()
    try:
        page.goto(server.url + "/explore?run=mnist-run&sample=17")
        settle(page)
        page.get_by_text("Digit #17").first.wait_for()
        assert page.get_by_role("link", name="Overview").count() >= 1  # the frame's navigation
    finally:
        page.goto("about:blank")  # leave before the server goes, or the page's retries log
        server.stop()


def test_a_damaged_newest_run_leaves_every_page_on_the_newest_healthy_run(server, tmp_path,
                                                                          page):
    import json
    import time
    runs = tmp_path / "runs"
    broken = runs / "broken-run"
    shutil.copytree(runs / "mnist-run", broken)
    meta = json.loads((broken / "meta.json").read_text())
    (broken / "meta.json").write_text(json.dumps({**meta, "created": time.time() + 3600,
                                                  "title": "Newest but broken"}))
    (broken / "metrics.json").write_text("{ damaged")
    for path, words in (("", "Teacher accuracy"), ("/explore?sample=5", "Digit #5"),
                        ("/compare", "Compare"), ("/draw", "Draw"), ("/runs", "Runs")):
        page.goto(server.url + path)
        settle(page)
        page.get_by_text(words).first.wait_for()
        assert page.locator("[data-testid='stAlertContentError']").count() == 0, path
        assert "run=mnist-run" in page.url, path
    page.goto(server.url)
    settle(page)
    choose_option(page, "run", "Newest but broken (damaged)")  # listed, marked, opens on demand
    settle(page)
    error = page.locator("[data-testid='stAlertContentError']").first
    error.wait_for()
    assert "run broken-run: metrics.json is damaged" in error.inner_text()
    assert str(tmp_path) not in page.content()
    shot(page, "damaged-run-chosen")


PHONE = {"width": 390, "height": 844}


def test_a_shared_link_on_a_phone_shows_the_digit_first(server, browser):
    """A phone (390 x 844, touch): the sidebar starts collapsed, the page never scrolls
    sideways, each page's main content is on screen on arrival, a tap on a grid digit opens
    it, a finger draws on Draw; no console or page error."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    errors = PageErrors().watch(page)

    def arrived(words: str) -> None:
        settle(page)
        target = page.locator("[data-testid='stMain']").get_by_text(words).first
        target.wait_for()
        box = target.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        assert box["y"] + box["height"] <= PHONE["height"], f"{words!r} is below the fold"
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert page.locator("[data-testid='stSidebar'][data-collapsed='false']").count() == 0

    try:
        page.goto(server.url)
        arrived("Teacher accuracy")
        shot(page, "phone-overview")
        page.goto(server.url + "/explore?run=mnist-run&sample=5")
        arrived("Digit #5")
        shot(page, "phone-explore")
        grid_cell(page, 9).tap()
        page.get_by_text("Digit #9").first.wait_for()
        settle(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.goto(server.url + "/draw")
        arrived("Draw")
        draw_seven_by_touch(page)
        page.get_by_text("agrees with the teacher").first.wait_for(timeout=60_000)
        settle(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        shot(page, "phone-draw")
    finally:
        context.close()
    assert errors == [], errors


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


def test_train_a_tiny_job_and_see_the_new_run(server, page, tmp_path):
    # one method for every student: the journey, not auto's choosing (which the journey on
    # your own folder below takes, cross-validated, and test_auto checks figure by figure)
    start_tiny_training(page, server.url, epochs=2, method="transfer")
    page.get_by_text("Train the teacher").first.wait_for(timeout=60_000)
    shot(page, "train-progress")
    page.get_by_text("It is now the current run").wait_for(timeout=180_000)
    settle(page)
    shot(page, "train-done")
    page.get_by_role("link", name="Overview").first.click()
    settle(page)
    assert page.get_by_text("digits test images").count() >= 1  # the new run is current
    new = [Run(p) for p in (tmp_path / "runs").iterdir() if p.name != "mnist-run"]
    assert [(r.config["teacher"]["epochs"], r.config["transfer_size"]) for r in new] == [(2, 1)]


def test_distil_your_network_on_your_folder_from_the_train_page(server, page, tmp_path,
                                                                tiny_mnist_run):
    """The journey of a user with a network and a folder of images: both chosen on Train (by
    path, as on a laptop), the network's accuracy shown first, the run trained, and every
    page opening on it without an error."""
    from distill.teacher import export_onnx
    from tests.conftest import digit_folder
    onnx = export_onnx(tiny_mnist_run.load_teacher(), tmp_path / "shop-net.onnx")
    folder = digit_folder(tmp_path / "shop-digits", n_train=120, n_test=40)
    page.goto(server.url + "/train")
    settle(page)
    choose_option(page, "dataset", "Your own data…")
    settle(page)
    page.locator(".st-key-own_data_path input").fill(str(folder))
    page.locator(".st-key-own_data_path input").press("Enter")
    settle(page)
    page.get_by_role("button", name="Import").click()
    page.get_by_text("Imported").first.wait_for(timeout=60_000)
    settle(page)
    page.locator(".st-key-teacher").get_by_text("Your own network (ONNX)").click()
    settle(page)
    page.locator(".st-key-own_teacher_path input").fill(str(onnx))
    page.locator(".st-key-own_teacher_path input").press("Enter")
    page.get_by_text("Your network reads").first.wait_for(timeout=60_000)
    settle(page)
    page.locator(".st-key-size").get_by_role("slider").press("Home")  # the smallest set
    settle(page)
    shot(page, "train-your-network")
    page.get_by_role("button", name="Start training").click()
    ended = page.get_by_text("It is now the current run").or_(page.get_by_text(
        "Training failed"))
    ended.first.wait_for(timeout=240_000)
    shot(page, "train-your-network-done")
    assert page.get_by_text("Training failed").count() == 0, page.locator(
        "[data-testid='stAlertContentError']").first.inner_text()
    settle(page)
    for path, words in (("/", "Teacher accuracy"), ("/compare", "Where they differ"),
                        ("/explore?sample=3", "Digit #3"), ("/draw", "Draw"),
                        ("/runs", "Teacher (ONNX)")):
        page.goto(server.url + path)
        settle(page)
        page.get_by_text(words).first.wait_for()
        assert page.locator("[data-testid='stAlertContentError']").count() == 0, path
        assert page.get_by_text("shop-net.onnx").count() >= 1 or path != "/", path
    shot(page, "runs-your-network")


@pytest.fixture
def soft_server(tiny_soft_run, tmp_path):
    runs = tmp_path / "runs"
    shutil.copytree(tiny_soft_run.path, runs / "soft-run")
    srv = AppServer(runs).wait()
    yield srv
    srv.stop()


def test_explore_a_soft_tree(soft_server, page):
    page.goto(soft_server.url + "/explore?run=soft-run&student=soft-tree.transfer&sample=3")
    settle(page)
    page.get_by_text("Why the Soft decision tree").wait_for()
    page.get_by_text("filter × digit").first.wait_for()
    page.get_by_text("The tree reads the digit straightened").wait_for()
    assert page.locator(".js-plotly-plot").count() == 1  # the whole tree, depth 4
    assert page.locator(PICTURES).count() >= 3
    page.get_by_role("button", name="Find the smallest edit").click()  # the search, on demand
    page.get_by_text("pixels (ink added").first.wait_for()
    settle(page)  # the edit's words arrive before its pictures
    assert page.locator(PICTURES).count() >= 5
    shot(page, "explore-soft-tree")


def test_draw_a_digit_with_the_mouse(server, page):
    page.goto(server.url + "/draw")
    settle(page)
    draw_seven(page)
    page.get_by_text("exactly what the models see").wait_for(timeout=30_000)
    settle(page)
    assert page.get_by_text("agrees with the teacher").count() >= 1
    page.get_by_text("Why the Decision tree (regions)").wait_for()
    page.locator("[data-testid='stGraphVizChart'] svg").wait_for()
    shot(page, "draw")
    page.locator(".st-key-pad button.clear").click()
    page.get_by_text("Draw a digit in the square").wait_for(timeout=30_000)


@pytest.fixture
def hosted_server(tiny_run, tmp_path):
    runs = tmp_path / "runs"
    shutil.copytree(tiny_run.path, runs / "digits-run")
    srv = AppServer(runs, env={"DISTILL_HOSTED": "1"}).wait()
    yield srv
    srv.stop()


def test_a_job_link_gives_another_browser_nothing(hosted_server, browser, page):
    """Alice starts a job; Bob, in another browser, opens its link: no details, no Cancel.
    Alice reloads and still has her job (it is hers by a cookie, not by the link)."""
    page.goto(hosted_server.url + "/train")
    settle(page)
    choose_option(page, "dataset", "Digits 8x8")
    settle(page)
    page.get_by_role("button", name="Start training").click()
    page.get_by_role("button", name="Cancel").wait_for(timeout=60_000)
    link = page.url
    assert "job=job-" in link
    job_id = link.split("job=")[1].split("&")[0]

    bob_context = browser.new_context(viewport={"width": 1440, "height": 1000})
    bob = bob_context.new_page()
    bob_errors = PageErrors().watch(bob)
    bob.goto(link)
    settle(bob)
    bob.get_by_text("started in another browser").first.wait_for()
    assert bob.get_by_role("button", name="Cancel").count() == 0
    assert bob.get_by_text(job_id).count() == 0
    shot(bob, "job-link-in-another-browser")
    bob_context.close()
    assert bob_errors == [], bob_errors

    page.reload()
    settle(page)
    page.get_by_role("button", name="Cancel").click()
    page.get_by_text("cancelled").first.wait_for(timeout=30_000)


@pytest.fixture
def sweep_server(tiny_sweep_run, tmp_path):
    runs = tmp_path / "runs"
    shutil.copytree(tiny_sweep_run.path, runs / "sweep-run")
    srv = AppServer(runs).wait()
    yield srv
    srv.stop()


def test_a_click_on_the_frontier_opens_that_student_on_explore(sweep_server, page):
    page.goto(sweep_server.url + "/compare?run=sweep-run")
    settle(page)
    page.get_by_text("How small can the student be?").first.wait_for()
    point = page.locator(".js-plotly-plot .scatterlayer .trace").first.locator(".point").last
    box = point.bounding_box()  # plotly's drag layer takes the click at the point's place
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.get_by_role("heading", name="Explore").wait_for(timeout=30_000)
    settle(page)
    assert "student=" in page.url and "sweep-run" in page.url
    name = page.url.split("student=")[1].split("&")[0]
    assert name.split(".")[0] in ("tree-4", "tree-16")
    page.get_by_text("Why the Decision tree (regions) tree-").first.wait_for()
    shot(page, "frontier-click-to-explore")


def test_the_report_opens_offline_with_every_picture(tiny_mnist_run, tmp_path, page, cli):
    """The report is one file: opened from disk with the network cut off, every image
    renders and the console stays quiet."""
    out = tmp_path / "report.html"
    assert cli("report", str(tiny_mnist_run.path), "-o", str(out), "--gallery", "4"
               ).returncode == 0
    page.context.route("**/*", lambda route: route.abort()
                       if not route.request.url.startswith(("file:", "data:")) else
                       route.continue_())
    page.goto(out.as_uri())
    page.wait_for_load_state("load")
    images = page.evaluate("Array.from(document.images).map(i => [i.complete, i.naturalWidth])")
    assert len(images) >= 1 + 4 * 3 and all(done and width > 0 for done, width in images)
    assert page.locator(".card").count() == 4
    assert page.locator("table.matrix").count() >= 1
    shot(page, "report")
