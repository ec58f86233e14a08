"""Load without browsers: many viewers clicking digits on Explore, each one a websocket that
speaks Streamlit's own protocol (the BackMsg/ForwardMsg protobufs in ``streamlit.proto``).

    python bench/load.py --sessions 20 --interval 1            # starts one app on the demo run
    python bench/load.py --replicas 2 --sessions 50 --interval 3   # two apps behind nginx
    python bench/load.py --url http://127.0.0.1:8501 --pids 1234 ...   # a server of yours
    python bench/load.py --scenario arrive --sessions 20 --interval 5   # a room arrives
    python bench/load.py --scenario links --sessions 20 --interval 2    # links, full runs
    python bench/load.py --scenario full-runs                  # CPU of each page's full run
    python bench/load.py --table                               # the README's scenarios
    python bench/load.py --check-browser                       # one click, also in chromium

A session does what a browser does: fetches the page (keeping its cookies, which a proxy uses
for affinity), opens ``/_stcore/stream``, asks for the Explore page, then clicks ``--clicks``
digits of the grid ``--interval`` seconds apart (with jitter), each a different digit: a
fragment rerun carrying the grid's click, as the grid component sends it. A click is timed
from sending it to the script finishing, and to the last picture it shows fetched over HTTP
from ``/media/``. Errors are counted: an exception on the page, a lost connection, a timeout.
The server's CPU seconds and peak memory come from /proc of its processes.

A click reruns only Explore's fragment; a room arriving (deep links, new viewers) and links
followed in a tab run the whole page script, which Streamlit executes afresh each time: the
"arrive", "links" and "full-runs" scenarios measure those.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import threading
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState, ContextInfo
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from distill.testing import cpu_seconds, rss_mb

GRID = "distill_digit_grid"
FIRST_PAGES = 96  # digits on the first four pages of the Explore grid
FINAL = (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)


class ClickError(Exception):
    """A click that did not draw its digit: said in a few words, for the error count."""


# --------------------------------------------------------------------------------------
# HTTP: just enough for pages and pictures, one keep-alive connection a session


class Http:
    """A minimal asyncio HTTP/1.1 client: GET, cookies kept, one connection reused."""

    def __init__(self, base: str):
        parts = urlsplit(base)
        self.host, self.port = parts.hostname, parts.port or 80
        self.cookies: dict[str, str] = {}
        self._conn = None

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    async def get(self, path: str) -> tuple[int, int]:
        """(status, body bytes) of GET ``path``; the connection is opened again if it closed."""
        for attempt in range(2):
            try:
                if self._conn is None:
                    self._conn = await asyncio.open_connection(self.host, self.port)
                return await self._request(path)
            except (ConnectionError, asyncio.IncompleteReadError):
                await self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    async def _request(self, path: str) -> tuple[int, int]:
        reader, writer = self._conn
        head = f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
        if self.cookies:
            head += f"Cookie: {self.cookie_header()}\r\n"
        writer.write((head + "Connection: keep-alive\r\n\r\n").encode())
        await writer.drain()
        status_line = await reader.readline()
        if not status_line:  # the server closed the kept-alive connection
            raise ConnectionError("connection closed")
        status = int(status_line.split()[1])
        headers = {}
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                for key, morsel in SimpleCookie(value).items():
                    self.cookies[key] = morsel.value
            headers[name] = value
        if headers.get("transfer-encoding") == "chunked":
            size = 0
            while (n := int((await reader.readline()).strip(), 16)) > 0:
                size += len(await reader.readexactly(n + 2)) - 2
            await reader.readline()
        else:
            size = len(await reader.readexactly(int(headers.get("content-length", 0))))
        if headers.get("connection") == "close":
            await self.close()
        return status, size

    async def close(self) -> None:
        if self._conn is not None:
            self._conn[1].close()
            self._conn = None


# --------------------------------------------------------------------------------------
# one viewer


@dataclass
class Click:
    digit: int
    script_ms: float | None = None  # send -> script finished
    media_ms: float | None = None  # send -> last picture fetched
    error: str | None = None
    kinds: list[str] = field(default_factory=list)  # the elements the click drew
    header: str = ""


class ExploreSession:
    """One viewer of a page (Explore unless ``page`` says another), speaking the websocket
    protocol."""

    def __init__(self, base: str, timeout: float = 60.0, query: str = "",
                 page: str = "explore"):
        self.base = base.rstrip("/")
        self.timeout = timeout
        self.query = query
        self.page = page
        self.http = Http(self.base)
        self.ws = None
        self.page_hash = ""
        self.grid_id = ""
        self.fragment_id = ""
        self.n_digits = 0

    def _state(self, **fields) -> ClientState:
        state = ClientState(page_name=self.page, query_string=self.query,
                            context_info=ContextInfo(timezone="UTC", locale="en-US",
                                                     url=f"{self.base}/{self.page}",
                                                     color_scheme="light"), **fields)
        state.widget_states.SetInParent()
        return state

    async def open(self, digit: int = -1) -> Click:
        """Load the page as a browser does; returns the first drawing, timed like a click
        (``digit``: the one a deep link names, checked to be drawn)."""
        await self.http.get(f"/{self.page}")  # the page (and any affinity cookie a proxy sets)
        url = "ws" + self.base[4:] + "/_stcore/stream"
        self.ws = await websockets.connect(
            url, subprotocols=["streamlit"], max_size=None, origin=self.base,
            additional_headers={"Cookie": self.http.cookie_header()} if self.http.cookies
            else None, open_timeout=self.timeout, ping_interval=None)
        return await self._rerun(self._state(), digit=digit)

    async def rerun_page(self) -> Click:
        """Run the whole page again in this session, as a change of a widget outside the
        fragment does (a student, a filter, a class): no fragment, the same URL."""
        return await self._rerun(self._state(page_script_hash=self.page_hash), -1)

    async def full_run(self, query: str, digit: int = -1) -> Click:
        """Open a link with ``query`` in this tab: the browser loads the page again, so a new
        session runs the whole page script (no fragment, no widget carried over), which is
        what a shared deep link costs the server."""
        if self.ws is not None:
            await self.ws.close()
        self.query = query
        return await self.open(digit)

    async def click(self, digit: int) -> Click:
        """Click ``digit`` in the grid: a rerun of the Explore fragment with the click."""
        state = self._state(page_script_hash=self.page_hash, fragment_id=self.fragment_id)
        widget = state.widget_states.widgets.add()
        widget.id = f"$$STREAMLIT_INTERNAL_KEY_{self.grid_id}__events"
        widget.json_trigger_value = json.dumps([{"event": "clicked", "value": digit}])
        return await self._rerun(state, digit)

    async def _rerun(self, state: ClientState, digit: int) -> Click:
        click = Click(digit)
        start = time.perf_counter()
        media: list[str] = []
        try:
            await self.ws.send(BackMsg(rerun_script=state).SerializeToString())
            await asyncio.wait_for(self._until_finished(click, media), self.timeout)
            click.script_ms = 1000 * (time.perf_counter() - start)
            for url in media:
                status, _ = await asyncio.wait_for(self.http.get(url), self.timeout)
                if status != 200:
                    raise ClickError(f"picture {status}")
            click.media_ms = 1000 * (time.perf_counter() - start)
            if digit >= 0 and f"Digit #{digit}" not in click.header:
                raise ClickError("the digit was not drawn")
        except ClickError as err:
            click.error = str(err)
        except TimeoutError:
            click.error = "timeout"
        except (websockets.ConnectionClosed, ConnectionError, OSError):
            click.error = "lost connection"
        return click

    async def _until_finished(self, click: Click, media: list[str]) -> None:
        while True:
            msg = ForwardMsg()
            msg.ParseFromString(await self.ws.recv())
            kind = msg.WhichOneof("type")
            if kind == "navigation":  # the page this session is on (st.navigation's hash)
                self.page_hash = msg.navigation.page_script_hash
            elif kind == "page_info_changed":  # the app changed the URL: keep it, as a browser
                self.query = msg.page_info_changed.query_string
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                self._element(msg.delta, click, media)
            elif kind == "script_finished" and msg.script_finished in FINAL:
                return

    def _element(self, delta, click: Click, media: list[str]) -> None:
        element = delta.new_element
        kind = element.WhichOneof("type")
        click.kinds.append(kind)
        if kind == "exception":
            raise ClickError(f"exception: {element.exception.message[:80]}")
        if kind == "markdown" and "Digit #" in element.markdown.body and not click.header:
            click.header = element.markdown.body
        elif kind == "imgs":
            media += [img.url for img in element.imgs.imgs if img.url.startswith("/")]
        elif kind == "bidi_component" and element.bidi_component.component_name.endswith(GRID):
            self.grid_id, self.fragment_id = element.bidi_component.id, delta.fragment_id
        elif kind == "number_input" and element.number_input.label.startswith("Digit #"):
            self.n_digits = int(element.number_input.max) + 1

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        await self.http.close()


# --------------------------------------------------------------------------------------
# many viewers


@dataclass
class Report:
    clicks: list[Click]
    opens: list[Click]
    seconds: float
    server_cpu_clicking: float  # server CPU seconds from the last page opened to the end
    server_peak_mb: float
    own_cpu: float
    load: tuple[float, float, float]

    def cpu_per_click_ms(self) -> float:
        return 1000 * self.server_cpu_clicking / max(1, len(self.clicks))

    def ok(self) -> list[Click]:
        return [c for c in self.clicks if c.error is None]

    def errors(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for c in self.clicks + self.opens:
            if c.error:
                out[c.error] = out.get(c.error, 0) + 1
        return out

    def percentiles(self, what: str = "media_ms") -> dict[str, float]:
        values = [getattr(c, what) for c in self.ok()]
        if not values:
            return {}
        return {f"p{q}": float(np.percentile(values, q)) for q in (50, 95, 99)} | {
            "max": max(values)}


class ServerWatch(threading.Thread):
    """CPU seconds and peak resident memory of the server's processes, from /proc."""

    def __init__(self, pids: list[int]):
        super().__init__(daemon=True)
        self.pids, self.peak, self.running = pids, 0.0, True

    def cpu(self) -> float:
        return sum(cpu_seconds(p) for p in self.pids)

    def run(self) -> None:
        while self.running:
            self.peak = max([self.peak] + [rss_mb(p) for p in self.pids])
            time.sleep(0.1)


class Gate:
    """Waits until every viewer has opened the page, then notes the server's CPU."""

    def __init__(self, n: int, watch: ServerWatch):
        self.left, self.watch, self.cpu = n, watch, 0.0
        self.open = asyncio.Event()

    async def wait(self) -> None:
        self.left -= 1
        if self.left == 0:
            self.cpu = self.watch.cpu()
            self.open.set()
        await self.open.wait()


async def viewer(base: str, index: int, clicks: int, interval: float, jitter: float,
                 start_at: float, everyone_open: Gate, timeout: float,
                 bad_digit: int | None = None) -> tuple[Click, list[Click]]:
    """One viewer: open Explore at ``start_at``, wait for all, click ``clicks`` digits."""
    await asyncio.sleep(max(0.0, start_at - time.perf_counter()))
    session = ExploreSession(base, timeout)
    opened = await session.open()
    done: list[Click] = []
    await everyone_open.wait()
    rng = random.Random(index)
    await asyncio.sleep(rng.uniform(0, interval))  # viewers do not click in step
    try:
        n = max(session.n_digits, 1)
        # the first pages of the grid, which is where a room of viewers clicks: a different
        # digit each click, in each viewer's own order
        digits = rng.sample(range(1, min(n, FIRST_PAGES)), min(clicks, min(n, FIRST_PAGES) - 1))
        for k in range(clicks):
            digit = digits[k % len(digits)]
            if bad_digit is not None and k == clicks - 1:
                digit = bad_digit
            if opened.error:
                done.append(Click(digit, error=opened.error))
                continue
            done.append(await session.click(digit))
            await asyncio.sleep(max(0.0, interval + rng.uniform(-jitter, jitter) * interval))
    finally:
        await session.close()
    return opened, done


async def run_load(base: str, sessions: int, clicks: int, interval: float,
                   pids: list[int] | None = None, jitter: float = 0.3, ramp: float = 5.0,
                   timeout: float = 60.0, bad_digit: int | None = None) -> Report:
    """``sessions`` viewers, opened over ``ramp`` seconds, each clicking ``clicks`` times."""
    watch = ServerWatch(pids or [])
    watch.start()
    own0 = resource.getrusage(resource.RUSAGE_SELF)
    gate = Gate(sessions, watch)
    t0 = time.perf_counter()
    results = await asyncio.gather(*[
        viewer(base, i, clicks, interval, jitter, t0 + ramp * i / max(1, sessions), gate,
               timeout, bad_digit) for i in range(sessions)])
    seconds = time.perf_counter() - t0
    watch.running = False
    own1 = resource.getrusage(resource.RUSAGE_SELF)
    return Report(clicks=[c for _, done in results for c in done],
                  opens=[opened for opened, _ in results], seconds=seconds,
                  server_cpu_clicking=watch.cpu() - gate.cpu, server_peak_mb=watch.peak,
                  own_cpu=(own1.ru_utime + own1.ru_stime) - (own0.ru_utime + own0.ru_stime),
                  load=os.getloadavg())


async def arrive(base: str, sessions: int, within: float, pids: list[int] | None = None,
                 timeout: float = 60.0, first: bool = False) -> Report:
    """A room arriving: ``sessions`` viewers each open their own deep link to a digit
    (/explore?sample=k), spread over ``within`` seconds; each open is timed to the page drawn
    with its pictures, and must show the linked digit. ``first``: the room is the server's
    first visitors; otherwise one viewer has looked at Explore before (a demo that has been up
    a while)."""
    if not first:
        before = ExploreSession(base, timeout)
        await before.open()
        await before.close()
    watch = ServerWatch(pids or [])
    watch.start()
    own0, cpu0 = resource.getrusage(resource.RUSAGE_SELF), watch.cpu()
    t0 = time.perf_counter()

    async def one(i: int) -> Click:
        await asyncio.sleep(max(0.0, t0 + within * i / max(1, sessions) - time.perf_counter()))
        digit = (37 * i + 11) % FIRST_PAGES
        session = ExploreSession(base, timeout, query=f"sample={digit}")
        try:
            return await session.open(digit)
        finally:
            await session.close()

    opens = await asyncio.gather(*[one(i) for i in range(sessions)])
    return _report(opens, [], watch, cpu0, own0, t0)


async def links(base: str, sessions: int, count: int, interval: float,
                pids: list[int] | None = None, jitter: float = 0.3, ramp: float = 5.0,
                timeout: float = 60.0) -> Report:
    """Viewers following links: each of ``sessions`` opens Explore, then every ``interval``
    seconds opens a link to another digit in the same tab (a full run of the page, not a
    fragment rerun), ``count`` times."""
    watch = ServerWatch(pids or [])
    watch.start()
    own0 = resource.getrusage(resource.RUSAGE_SELF)
    gate = Gate(sessions, watch)
    t0 = time.perf_counter()

    async def one(i: int) -> tuple[Click, list[Click]]:
        await asyncio.sleep(max(0.0, t0 + ramp * i / max(1, sessions) - time.perf_counter()))
        session = ExploreSession(base, timeout)
        rng = random.Random(i)
        done: list[Click] = []
        try:
            opened = await session.open()
            await gate.wait()
            await asyncio.sleep(rng.uniform(0, interval))
            for digit in rng.sample(range(1, FIRST_PAGES), count):
                done.append(Click(digit, error=opened.error) if opened.error else
                            await session.full_run(f"sample={digit}", digit))
                await asyncio.sleep(max(0.0, interval * (1 + rng.uniform(-jitter, jitter))))
        finally:
            await session.close()
        return opened, done

    results = await asyncio.gather(*[one(i) for i in range(sessions)])
    report = _report([o for o, _ in results], [c for _, d in results for c in d], watch,
                     gate.cpu, own0, t0)
    return report


def _report(opens: list[Click], clicks: list[Click], watch: ServerWatch, cpu0: float,
            own0, t0: float) -> Report:
    """What a scenario measured; with no clicks, the opens are what is timed."""
    watch.running = False
    own1 = resource.getrusage(resource.RUSAGE_SELF)
    return Report(clicks=clicks or opens, opens=[] if not clicks else opens,
                  seconds=time.perf_counter() - t0, server_cpu_clicking=watch.cpu() - cpu0,
                  server_peak_mb=watch.peak,
                  own_cpu=(own1.ru_utime + own1.ru_stime) - (own0.ru_utime + own0.ru_stime),
                  load=os.getloadavg())


async def server_cpu_per_full_run(base: str, pids: list[int], page: str = "explore",
                                  runs: int = 40, how: str = "rerun") -> tuple[float, float]:
    """CPU the server spends on a full run of ``page``, one viewer, each run measured alone
    after a first one that fills the caches: (p50, mean) in ms. ``how``: "rerun", the page
    run again in its session (a widget outside a fragment changed); "link", a link opened
    in the tab, a new session (Explore: each to another digit)."""
    session = ExploreSession(base, page=page)
    first = await session.open()
    if first.error:
        raise RuntimeError(f"{page} failed to open: {first.error}")
    per_run = []
    for k in range(runs):
        digit = (k * 7 + 3) % FIRST_PAGES if page == "explore" else -1
        cpu0 = sum(cpu_seconds(p) for p in pids)
        if how == "link":
            done = await session.full_run(f"sample={digit}" if digit >= 0 else "", digit)
        else:
            done = await session.rerun_page()
        if done.error:
            raise RuntimeError(f"a full run of {page} failed: {done.error}")
        await asyncio.sleep(0.05)  # the server's last sends after the script finished
        per_run.append(1000 * (sum(cpu_seconds(p) for p in pids) - cpu0))
    await session.close()
    return float(np.median(per_run)), float(np.mean(per_run))


async def server_cpu_per_click(base: str, pids: list[int], clicks: int = 40
                               ) -> dict[str, tuple[float, float]]:
    """CPU the server spends on a click, one viewer clicking in turn (opening the page is not
    counted), each click measured alone: {"first": (p50, mean) over digits shown for the first
    time, "again": (p50, mean) over the same digits shown again}, in ms."""
    session = ExploreSession(base)
    await session.open()
    digits = [(k * 7 + 501) % max(session.n_digits, 1) for k in range(clicks)]
    spent = {}
    for view in ("first", "again"):
        per_click = []
        for digit in digits:
            cpu0 = sum(cpu_seconds(p) for p in pids)
            click = await session.click(digit)
            if click.error:
                raise RuntimeError(f"a click failed: {click.error}")
            await asyncio.sleep(0.05)  # the server's last sends after the script finished
            per_click.append(1000 * (sum(cpu_seconds(p) for p in pids) - cpu0))
        spent[view] = (float(np.median(per_click)), float(np.mean(per_click)))
    await session.close()
    return spent


# --------------------------------------------------------------------------------------
# the same click in chromium


def check_against_browser(base: str, digit: int = 7) -> tuple[list[str], list[str], str, str]:
    """Click ``digit`` once in chromium and once with this client; returns the element kinds
    each click drew, and each one's header. They should be equal."""
    from distill.testing import chromium, settle
    seen: list[bytes] = []
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1440, "height": 1200})
        page.on("websocket", lambda ws: ws.on("framereceived", lambda f: seen.append(f)))
        page.goto(base + "/explore")
        settle(page)
        before = len(seen)
        page.locator(f".st-key-digit_grid button[data-index='{digit}']").click()
        page.get_by_text(f"Digit #{digit}").first.wait_for()
        settle(page)
        browser_kinds, browser_header = [], ""
        for frame in seen[before:]:
            msg = ForwardMsg()
            msg.ParseFromString(frame)
            if msg.WhichOneof("type") == "delta" and msg.delta.WhichOneof("type") == \
                    "new_element":
                el = msg.delta.new_element
                browser_kinds.append(el.WhichOneof("type"))
                if el.WhichOneof("type") == "markdown" and "Digit #" in el.markdown.body:
                    browser_header = browser_header or el.markdown.body

    async def ours() -> Click:
        session = ExploreSession(base)
        await session.open()
        click = await session.click(digit)
        await session.close()
        return click

    click = asyncio.run(ours())
    return browser_kinds, click.kinds, browser_header, click.header


# --------------------------------------------------------------------------------------
# the command line


def row(name: str, report: Report) -> dict:
    p = report.percentiles()
    script = report.percentiles("script_ms")
    return {"scenario": name, "clicks": len(report.clicks), "errors": sum(
        report.errors().values()), "p50 ms": p.get("p50"), "p95 ms": p.get("p95"),
        "p99 ms": p.get("p99"), "max ms": p.get("max"), "script p95 ms": script.get("p95"),
        "server CPU ms/click": report.cpu_per_click_ms(),
        "server peak MB": report.server_peak_mb,
        "load generator CPU s": report.own_cpu, "load (1/5/15 min)": "/".join(
            f"{v:.1f}" for v in report.load)}


def cpu_line(cpu: dict[str, tuple[float, float]]) -> str:
    return ("server CPU per click, one viewer, each click measured alone: " + "; ".join(
        f"{view} view of a digit p50 {p50:.1f} ms (mean {mean:.1f})"
        for view, (p50, mean) in cpu.items()))


def print_table(rows: list[dict]) -> None:
    cols = list(rows[0])
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in rows:
        print("| " + " | ".join(f"{v:.0f}" if isinstance(v, float) else str(v)
                                for v in r.values()) + " |")


PAGES_TIMED = ("overview", "explore", "draw", "compare")  # Compare last: on a run without
# follows.json it starts measuring them in the background, which would count in the others
TABLE = (  # name, scenario, replicas, sessions, interval (or spread), count
    ("1 viewer, a click every 0.3 s, 1 process", "clicks", 0, 1, 0.3, 60),
    ("20 viewers, a click every 1 s, 1 process", "clicks", 0, 20, 1.0, 20),
    ("20 viewers arrive by digit links within 5 s, 1 process", "arrive", 0, 20, 5.0, 1),
    ("20 viewers, a new digit link every 2 s, 1 process", "links", 0, 20, 2.0, 10),
    ("50 viewers, a click every 3 s, nginx + 2 replicas", "clicks", 2, 50, 3.0, 10),
    ("50 viewers arrive by digit links within 10 s, nginx + 2 replicas", "arrive", 2, 50,
     10.0, 1),
    ("100 viewers, a click every 5 s, nginx + 2 replicas", "clicks", 2, 100, 5.0, 8),
)


def wait_until_idle(pids: list[int], quiet: float = 5.0, limit: float = 120.0) -> None:
    """Wait (bounded) until the server has used almost no CPU for ``quiet`` seconds in a row
    (longer than the warm-up's own quiet wait before its imports): a fresh server has
    finished its warm-up (serve.py), as a demo's server has long before a room comes."""
    end, idle = time.monotonic() + limit, 0.0
    while time.monotonic() < end and idle < quiet:
        cpu0 = sum(cpu_seconds(p) for p in pids)
        time.sleep(0.5)
        idle = idle + 0.5 if sum(cpu_seconds(p) for p in pids) - cpu0 < 0.01 else 0.0


def scenario(kind: str, base: str, pids: list[int], sessions: int, interval: float,
             count: int) -> Report:
    if kind == "arrive":  # the server's first visitors, once it has warmed up
        wait_until_idle(pids)
        return asyncio.run(arrive(base, sessions, interval, pids, first=True))
    if kind == "links":
        return asyncio.run(links(base, sessions, count, interval, pids,
                                 ramp=min(10.0, sessions * 0.1)))
    return asyncio.run(run_load(base, sessions, count, interval, pids,
                                ramp=min(10.0, sessions * 0.1)))


def full_runs_table(base: str, pids: list[int]) -> None:
    """The server CPU of a full run of each page, one viewer: run again in its session (a
    widget outside a fragment) and opened by a link (a new session; a new viewer)."""
    print("\n| page | full run in the session, server CPU p50 ms (mean) | opened by a link, "
          "a new session, p50 ms (mean) |\n|---|---|---|")
    for page in PAGES_TIMED:
        rerun = asyncio.run(server_cpu_per_full_run(base, pids, page, how="rerun"))
        link = asyncio.run(server_cpu_per_full_run(base, pids, page, how="link"))
        print(f"| {page} | {rerun[0]:.1f} ({rerun[1]:.1f}) | {link[0]:.1f} ({link[1]:.1f}) |",
              flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running server or proxy (default: start one)")
    parser.add_argument("--pids", default="", help="the server's process ids, for CPU and "
                        "memory (default: the ones this script starts)")
    parser.add_argument("--replicas", type=int, default=0, help="start N app processes "
                        "behind nginx (distill.serving); 0: one app process, no proxy")
    parser.add_argument("--scenario", choices=["clicks", "arrive", "links", "full-runs"],
                        default="clicks", help="clicks: fragment reruns in the Explore grid; "
                        "arrive: SESSIONS viewers open a digit link each within INTERVAL "
                        "seconds; links: each viewer opens a new digit link every INTERVAL "
                        "seconds (full runs); full-runs: server CPU of a full run of each page")
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--clicks", type=int, default=10, help="clicks (or links) per session")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between a "
                        "session's clicks (arrive: the seconds the arrivals spread over)")
    parser.add_argument("--runs", help="a runs folder to serve (default: the bundled demo)")
    parser.add_argument("--table", action="store_true", help="the README's scenarios")
    parser.add_argument("--check-browser", action="store_true",
                        help="check once that a click draws what a click in chromium does")
    args = parser.parse_args()
    if args.table:
        rows = []
        for name, kind, replicas, sessions, interval, count in TABLE:
            with serving(replicas, runs=args.runs) as (base, pids):
                report = scenario(kind, base, pids, sessions, interval, count)
                rows.append(row(name, report))
                print(f"{name}: errors {report.errors()}", flush=True)
        print_table(rows)
        with serving(0, runs=args.runs) as (base, pids):
            cpu = asyncio.run(server_cpu_per_click(base, pids))
            print("\n" + cpu_line(cpu))
            full_runs_table(base, pids)
        return
    with serving(args.replicas, args.url, args.pids, args.runs) as (base, pids):
        if args.check_browser:
            kinds_b, kinds_o, head_b, head_o = check_against_browser(base)
            same = kinds_b == kinds_o and head_b == head_o
            print(f"chromium drew {kinds_b}\nthis client drew {kinds_o}\nsame: {same}")
            raise SystemExit(0 if same else 1)
        if args.scenario == "full-runs":
            full_runs_table(base, pids)
            return
        report = scenario(args.scenario, base, pids, args.sessions, args.interval, args.clicks)
        print_table([row(f"{args.scenario}: {args.sessions} viewers, interval "
                         f"{args.interval:g} s", report)])
        print(f"errors: {report.errors() or 'none'}")
        if pids and args.scenario == "clicks":
            print(cpu_line(asyncio.run(server_cpu_per_click(base, pids))))


class serving:
    """The app to load: ``url`` as given, or one app process, or replicas behind nginx."""

    def __init__(self, replicas: int = 0, url: str | None = None, pids: str = "",
                 runs: str | None = None):
        self.replicas, self.url, self.runs = replicas, url, runs
        self.pids = [int(p) for p in pids.split(",") if p]
        self.stack = []

    def __enter__(self):
        import tempfile
        if self.url:
            return self.url.rstrip("/"), self.pids
        runs = Path(self.runs) if self.runs else Path(tempfile.mkdtemp()) / "runs"
        if self.replicas:
            from distill.serving import Deployment
            deployment = Deployment(self.replicas, runs=runs).start()
            self.stack.append(deployment.stop)
            return deployment.url, deployment.pids()
        from distill.testing import AppServer
        server = AppServer(runs, bundled=not self.runs).wait()
        self.stack.append(server.stop)
        return server.url, [server.pid]

    def __exit__(self, *exc):
        for stop in reversed(self.stack):
            stop()


if __name__ == "__main__":
    main()
