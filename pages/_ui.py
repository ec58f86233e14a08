"""What every page shares: the current run, cached loaders, the job manager, error guarding,
and small drawing helpers. Engine work stays in ``distill``; this module only adapts it to
Streamlit (caching, session state, widgets)."""

from __future__ import annotations

import contextlib
import functools
import inspect
import os
import re
import secrets
import sys
import threading
import traceback
from collections import OrderedDict
from pathlib import Path

import numpy as np
import streamlit as st
from streamlit.logger import get_logger
from streamlit.runtime.scriptrunner_utils.exceptions import ScriptControlException

from distill.progress import Cancelled
from distill.runs import Run, RunError, RunGone, list_runs, load_run
from distill.switches import uploads_allowed
from pages._frame import FRAME, require_frame  # noqa: F401  (every page calls it)
from pages._warm import in_warm_session

LOG = get_logger(__name__)  # Streamlit's logging settings apply

PAGES = {}  # filled by app.py: name -> st.Page, for links between pages


SERVER_PATH = re.compile(r"(?<![\w:/.~])(?:~/|/)(?:[^\s/'\"`]+/)+")


def public(text: object) -> str:
    """A message as a stranger may read it: every folder of the server's file system left
    out (a file keeps its own name: "run x: metrics.json is damaged"); hosted demos show
    pages' messages to anyone."""
    return SERVER_PATH.sub("", str(text))


def sentence(text: str) -> str:
    """Text with its first letter made upper case, and nothing else changed (not
    ``str.capitalize``, which lowers "PNG" and "C")."""
    return text[:1].upper() + text[1:]


# --------------------------------------------------------------------------------------
# settings


def hosted() -> bool:
    """Public-demo mode: bounded training, a shared queue, no deleting (see distill.hosting)."""
    if os.environ.get("DISTILL_HOSTED", "").lower() in ("1", "true", "yes"):
        return True
    try:
        return bool(st.secrets.get("hosted", False))
    except Exception:  # no secrets file is the normal case
        return False


# --------------------------------------------------------------------------------------
# errors: never a traceback on the page


@contextlib.contextmanager
def guard(what: str = "this page"):
    """Show any error as a friendly ``st.error`` with what to do, never a traceback."""
    try:
        yield
    except ScriptControlException:
        raise  # st.rerun / st.stop use exceptions; let them through
    except RunGone as err:
        st.warning(f"{sentence(public(err))}. Pick one of the current runs in the sidebar.",
                   icon=":material/info:")
        if st.button("Show the newest run", key=f"gone-{what}"):
            st.session_state.pop("run", None)
            st.rerun()
    except RunError as err:
        st.error(f"This run cannot be shown: {public(err)}. Pick another run in the sidebar, or "
                 "delete this one on the Runs page.", icon=":material/error:")
    except Exception as err:  # the last line of defence for the user
        traceback.print_exc()  # the server log keeps the details
        st.error(f"Something went wrong while drawing {what}: {type(err).__name__}: "
                 f"{public(err)}. "
                 "Try another run or digit; if it persists, report it with the server log.",
                 icon=":material/error:")


# --------------------------------------------------------------------------------------
# runs, cached per run (a run never changes once saved; the key carries its mtime)


def memo(max_entries: int):
    """A bounded cache, shared by every session of this process, of what a function computes
    from a run: the least recently used result goes first, each result is computed once at a
    time, and arguments named with a leading underscore are not part of the key (an image,
    named by its digest in another argument).

    In place of ``st.cache_data``/``st.cache_resource`` on what a click asks for: those hash
    every argument (looking each positional one's name up with ``inspect.signature``) and
    copy a cached value out by unpickling, which cost a click several milliseconds of server
    CPU (bench/results/load.md); here a hit is a dictionary lookup. Results are shared, not
    copied: callers only read them."""
    def decorate(fn):
        names = list(inspect.signature(fn).parameters)
        keyed = [n for n in names if not n.startswith("_")]
        store: OrderedDict = OrderedDict()
        computing: dict = {}
        lock = threading.Lock()

        @functools.wraps(fn)
        def call(*args, **kwargs):
            bound = {**dict(zip(names, args)), **kwargs}
            key = tuple(bound[n] for n in keyed)
            with lock:
                if key in store:
                    store.move_to_end(key)
                    return store[key]
                one = computing.setdefault(key, threading.Lock())
            with one:  # a second caller of the same key waits for the first one's result
                with lock:
                    if key in store:
                        return store[key]
                try:
                    value = fn(**bound)
                finally:
                    with lock:
                        computing.pop(key, None)
                with lock:
                    store[key] = value
                    while len(store) > max_entries:
                        store.popitem(last=False)
            return value

        def clear() -> None:
            with lock:
                store.clear()
        call.clear = clear
        return call
    return decorate


def _stamp(run: Run) -> tuple[str, float]:
    """What identifies a saved run's contents: its folder and when it was written."""
    try:
        return str(run.path.absolute()), (run.path / "metrics.json").stat().st_mtime
    except OSError:
        return str(run.path), 0.0


@memo(max_entries=16)
def _load_run(path: str, stamp: tuple[str, float]) -> Run:
    run = load_run(Path(path))
    run.metrics, run.predictions  # noqa: B018  read once, shared by every session
    run.key = stamp  # the cache key of everything computed from it, without a stat a click
    return run


def all_runs() -> list[Run]:
    """Every run this browser may see: on a demo that takes uploads, runs on another
    browser's uploaded data are left out (their test images are that browser's)."""
    runs = list_runs()
    if not (hosted() and uploads_allowed(True)):
        return runs
    from distill.datastore import owner_of
    me = owner()
    return [r for r in runs if r.problem() or owner_of(r.metrics["dataset"]) in (None, me)]


def run_key(run: Run) -> tuple[str, float]:
    """A cache key for anything computed from a run's saved files."""
    return getattr(run, "key", None) or _stamp(run)


def run_from_key(key: tuple[str, float]) -> Run:
    return _load_run(key[0], key)


def get_run(run_id: str) -> Run:
    found = load_run(run_id)
    run = _load_run(str(found.path), _stamp(found))
    run.bundled = found.bundled
    return run


@memo(max_entries=64)
def _load_student(stamp: tuple[str, float], name: str):
    return load_run(Path(stamp[0])).load_student(name)


def get_student(run: Run, name: str):
    return _load_student(run_key(run), name)


@memo(max_entries=8)
def _load_teacher(stamp: tuple[str, float]):
    import torch
    torch.set_num_threads(1)  # one digit at a time: extra threads only fight the server's
    return load_run(Path(stamp[0])).load_teacher()


def get_teacher(run: Run):
    return _load_teacher(run_key(run))


_BACKGROUND: dict[tuple, dict] = {}
_BACKGROUND_LOCK = threading.Lock()


def in_background(what: str, run: Run, work) -> dict:
    """Start ``work(run, progress)`` in a thread, once a process for ``what`` of this run, so
    no click waits for it; returns its state to poll: {"fraction", "done", "error"}. The work
    stops at its next progress report once :func:`stop_background` is called."""
    if in_warm_session():  # nobody is looking: the first viewer's page starts it
        return {"fraction": 0.0, "done": False, "error": None}
    key = (what, *run_key(run))
    with _BACKGROUND_LOCK:
        state = _BACKGROUND.get(key)
        if state is not None:
            return state
        state = _BACKGROUND[key] = {"fraction": 0.0, "done": False, "error": None}
    LOG.info("%s of run %s: started in the background", what, run.id)
    stop = state["stop"] = threading.Event()

    def report(event: dict) -> None:
        if stop.is_set():
            raise Cancelled("stopped")
        state.update(fraction=float(event.get("fraction") or 0))

    def target() -> None:
        try:
            work(run, report)
        except Cancelled:
            state["error"] = "stopped before it finished"
        except Exception as err:  # shown on the page that asked
            state["error"] = f"{type(err).__name__}: {public(err)}"
        finally:
            state["done"] = True

    threading.Thread(target=target, name=what, daemon=True).start()
    return state


def stop_background() -> None:
    """Stop every background computation of this process and forget them (a test's end; the
    next page that needs one starts it again)."""
    with _BACKGROUND_LOCK:
        for state in _BACKGROUND.values():
            state["stop"].set()
        _BACKGROUND.clear()


@st.fragment(run_every=1.0)
def background_progress(what: str, run: Run, work, doing: str) -> None:
    """Progress of ``work`` (:func:`in_background`), ``doing`` in words; the page redraws
    itself when it is done."""
    state = in_background(what, run, work)
    if state["error"]:
        st.error(f"{doing} failed: {state['error']}", icon=":material/error:")
    elif state["done"]:
        st.rerun()
    else:
        st.progress(state["fraction"], text=f"{doing}… {state['fraction']:.0%}")


def local_fidelity_progress(run: Run) -> None:
    """Measure the local fidelity of a run saved without it (kept in its metrics.json)."""
    background_progress("local fidelity", run, lambda r, report: r.ensure_local_fidelity(report),
                        "Measuring local fidelity: each student's smallest edits, shown to "
                        "the network")


def store_saliency_in_background(run: Run) -> None:
    """Compute and keep the teacher's maps of every test digit of a run saved before they
    were stored."""
    in_background("saliency", run, lambda r, report: r.ensure_saliency(report))


def current_run() -> Run | None:
    """The run picked in the sidebar (None when there is none); RunError when it is damaged,
    so the page says so instead of pretending there is no run."""
    run_id = st.session_state.get("run")
    return get_run(run_id) if run_id else None


def select_run(run_id: str) -> None:
    """Make ``run_id`` current everywhere (applied before the picker is drawn next time)."""
    st.session_state["pending_run"] = run_id
    st.query_params["run"] = run_id


def run_label(run: Run) -> str:
    if run.problem():
        return f"{run.title} (damaged)"
    return run.title + (" · demo" if run.bundled else "")


def seed_from_url(key: str, options: list, default) -> str | None:
    """Give widget ``key`` its value before it is drawn: a pending choice, else ?key= from the
    URL (a shared link or a reload), else what it had, else ``default``.

    Streamlit can bind a widget to the URL, but then the URL holds the displayed label; here
    the URL holds the id (a run id, a student name), and labels stay readable. Returns why
    ``default`` was taken instead of what was asked: "link" (the URL named something not
    there) or "gone" (what this session showed is no longer there); None otherwise.
    """
    pending = st.session_state.pop(f"pending_{key}", None)
    url = st.query_params.get(key)
    had = st.session_state.get(key)
    if pending in options:
        st.session_state[key] = pending
    elif key not in st.session_state and url in options:
        st.session_state[key] = url
    elif had not in options:
        st.session_state[key] = default
        if had is not None:
            return "gone"
        if url is not None:
            return "link"
    return None


def keep_in_url(key: str) -> None:
    value = st.session_state.get(key)
    if value is not None and st.query_params.get(key) != str(value):
        st.query_params[key] = str(value)


def unique_labels(labels: dict[str, str]) -> dict[str, str]:
    """Labels that tell runs apart: a title two runs share gets each run's id beside it (a
    picker that shows one label twice cannot say which was meant)."""
    shown = list(labels.values())
    return {i: f"{label} · {i}" if shown.count(label) > 1 else label
            for i, label in labels.items()}


def newest_healthy(runs: list[Run]) -> Run:
    """Where a newcomer lands: the newest run that loads (a damaged one stays listed, marked,
    and opens only when chosen); the newest run when none loads."""
    return next((r for r in runs if not r.problem()), runs[0])


def run_picker() -> Run | None:
    """Sidebar: choose the current run (newest first); kept in the URL as ?run=."""
    runs = all_runs()
    if not runs:
        st.caption("No runs yet: train one on the Train page.")
        return None
    ids = [r.id for r in runs]
    asked = st.session_state.get("run") or st.query_params.get("run")
    labels = unique_labels({r.id: run_label(r) for r in runs})  # reads each run's small files
    why = seed_from_url("run", ids, newest_healthy(runs).id)
    if why:
        how = ("was deleted" if why == "gone" else
               "is not here: it was deleted, or the link is from another server")
        st.warning(f"The run {asked!r} {how}. Showing the newest run instead.",
                   icon=":material/info:")
    st.selectbox("Run", ids, key="run", format_func=lambda i: labels.get(i, i),
                 help="The run every page shows. Newest first; the bundled demo run is "
                 "always there; a damaged run is marked and opens only when chosen.")
    keep_in_url("run")
    from distill.summary import headline
    try:
        run = current_run()
        st.caption(headline(run.metrics))
        return run
    except (RunError, KeyError) as err:
        st.caption(f":red[This run cannot be read: {public(err)}]")
        return None


# --------------------------------------------------------------------------------------
# jobs


OWNER_COOKIE = "distill_owner"
OWNER_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


@st.cache_resource
def job_manager():
    from distill.hosting import LIMITS
    from distill.jobs import get_manager
    if hosted():
        return get_manager(max_running=1, max_jobs_per_owner=1, private=True,
                           memory_budget=LIMITS.memory_budget)
    return get_manager(max_running=LIMITS.local_parallel_jobs)


def owner() -> str:
    """This browser's owner token: jobs it starts belong to it. Kept in a cookie, so a reload
    (or another tab of the same browser) still owns them; another browser never does."""
    token = st.session_state.get("owner")
    if token is None:
        cookie = st.context.cookies.get(OWNER_COOKIE)
        token = cookie if isinstance(cookie, str) and OWNER_TOKEN.match(cookie) else None
        st.session_state["owner_cookie_missing"] = token is None
        st.session_state["owner"] = token = token or secrets.token_urlsafe(18)
    return token


def keep_owner_in_cookie() -> None:
    """On a first visit, give the browser its owner token to keep (app.py, once a run)."""
    token = owner()
    if st.session_state.get("owner_cookie_missing"):
        from pages._components import set_cookie
        set_cookie(OWNER_COOKIE, token)


# --------------------------------------------------------------------------------------
# pictures


def student_title(run: Run, name: str) -> str:
    entry = run.student_entry(name)
    method = "true labels" if entry["method"] == "ground-truth" else entry["method"]
    if "seed" in entry:  # a sweep's student: which size, and which seed
        return (f"{entry.get('title', entry['label'])} {entry['label']} · {method} · "
                f"seed {entry['seed']}")
    return f"{entry.get('title', entry['label'])} · {method}"


def open_student_on_explore(run: Run, name: str) -> None:
    """Go to Explore with this run and student chosen."""
    st.session_state["pending_student"] = name
    st.switch_page(PAGES["explore"], query_params={"run": run.id, "student": name})


def open_in_draw(run: Run, image, label: str) -> None:
    """Go to Draw with ``image`` on the pad, to be edited by hand (a copy: the cached edit it
    came from stays as found)."""
    st.session_state["draw_start"] = {"run": run.id, "label": label,
                                      "image": np.array(image, np.float32)}
    st.switch_page(PAGES["draw"], query_params={"run": run.id})


def report_download(run: Run, where=st, key: str = "report") -> None:
    """A button that makes the run's HTML report when clicked (:mod:`distill.report`)."""
    from distill.report import build_report
    where.download_button(
        "Report (HTML)", lambda: build_report(run), f"{run.id}-report.html", "text/html",
        icon=":material/summarize:", key=key,
        help="One self-contained file to keep or send: the story, the model table with 95% "
        "intervals, the charts, the agreement matrices and the best student's disagreements "
        "with their explanations and counterfactuals. Opens offline; takes a few seconds.")


def page_link(name: str, label: str, icon: str | None = None, **query) -> None:
    page = PAGES.get(name)
    if page is not None:
        st.page_link(page, label=label, icon=icon, query_params=query or None)


def _started_manager():
    """The job queue if any page has started one; None without importing anything (the jobs
    package pulls in scikit-learn, which the overview does not need)."""
    jobs = sys.modules.get("distill.jobs")
    return None if jobs is None else jobs.started_manager()


def visible_jobs() -> list[dict]:
    """Hosted: this browser's jobs only. On a laptop: every job of this server."""
    manager = _started_manager()
    if manager is None:
        return []
    return manager.jobs(owner()) if hosted() else manager.jobs()


def linked_job() -> dict | None:
    """The job a link names (?job=...), if this browser may see it; a notice if it may not."""
    job_id = st.query_params.get("job")
    manager = _started_manager()
    if not job_id or manager is None:
        return None
    from distill.jobs import JobAccessError
    try:
        return manager.snapshot(job_id, owner())
    except JobAccessError as err:
        st.warning(f"The link names a training job started in another browser: {err}.",
                   icon=":material/lock:")
        return None


def active_job() -> dict | None:
    jobs = visible_jobs()
    if not jobs:
        return None  # no manager yet: nothing to import (jobs pulls in scikit-learn)
    from distill.jobs import ACTIVE
    return next((j for j in jobs if j["state"] in ACTIVE), None)


def remember_job(job_id: str) -> None:
    """A job this session started: its run becomes current here when it is saved."""
    st.session_state.setdefault("started_jobs", []).append(job_id)
    st.query_params["job"] = job_id


def adopt_finished_jobs() -> None:
    """When a job this browser started has saved a run, make that run current (once)."""
    seen = st.session_state.setdefault("adopted", set())
    mine = set(st.session_state.get("started_jobs", []))
    for job in visible_jobs():
        started_here = job["id"] in mine or (hosted() and job["owner"] == owner())
        if job["state"] == "done" and job["id"] not in seen and started_here:
            seen.add(job["id"])
            select_run(job["run_id"])
            st.session_state["just_finished"] = job["run_id"]
            st.rerun()


def job_badge() -> None:
    """Sidebar: the running job's progress on every page; applies a finished run."""
    adopt_finished_jobs()
    if active_job() is not None:
        _job_badge()


@st.fragment(run_every=1.5)
def _job_badge() -> None:
    adopt_finished_jobs()
    job = active_job()
    if job is None:
        st.rerun()  # the job ended: redraw the whole app once, and stop polling
    if job["state"] == "queued":
        st.caption(f":material/hourglass_top: Training job waiting (place {job['position']})")
    else:
        eta = f" · about {job['eta']:.0f} s left" if job.get("eta") is not None else ""
        st.progress(job["overall"], text=f"Training: {job['overall']:.0%}{eta}")


def inline_picture(uri: str, caption: str | None = None, alt: str = "") -> None:
    """A picture made here (a ``data:`` URI) drawn in the page itself. ``st.image`` would store
    it as a media file that the browser then fetches over HTTP, work the server does again for
    each digit a viewer opens; inline it travels in the element, and the browser's cache of
    elements serves it again."""
    from html import escape
    caption_html = (f'<figcaption style="font-size:0.875rem;color:rgba(49,51,63,0.6);'
                    f'margin-top:0.25rem">{escape(caption)}</figcaption>' if caption else "")
    st.html(f'<figure style="margin:0"><img src="{uri}" alt="{escape(alt)}" '
            f'style="width:100%;height:auto">{caption_html}</figure>')
