"""The browserless load generator (bench/load.py) against a real server: its sessions speak
Streamlit's protocol, time their clicks and count what goes wrong."""

import asyncio
import shutil

import pytest

from bench.load import ExploreSession, arrive, links, run_load, server_cpu_per_full_run
from distill.testing import AppServer


@pytest.fixture
def server(tiny_mnist_run, tmp_path):
    shutil.copytree(tiny_mnist_run.path, tmp_path / "runs" / "mnist-run")
    srv = AppServer(tmp_path / "runs").wait()
    yield srv
    srv.stop()


def test_a_session_opens_explore_and_clicks_digits(server):
    async def clicks():
        session = ExploreSession(server.url, timeout=60)
        opened = await session.open()
        done = [await session.click(d) for d in (5, 9)]
        await session.close()
        return session, opened, done

    session, opened, done = asyncio.run(clicks())
    assert opened.error is None and session.n_digits == 100  # the tiny run's test digits
    assert session.grid_id and session.fragment_id and session.page_hash
    for click, digit in zip(done, (5, 9)):
        assert click.error is None and f"Digit #{digit}" in click.header
        assert 0 < click.script_ms <= click.media_ms
        assert "graphviz_chart" in click.kinds and "bidi_component" in click.kinds


def test_the_load_run_times_clicks_and_counts_a_bad_digit_as_an_error(server):
    report = asyncio.run(run_load(server.url, sessions=2, clicks=3, interval=0.1,
                                  pids=[server.pid], ramp=0.5, bad_digit=5000))
    assert len(report.clicks) == 6 and len(report.opens) == 2
    assert report.errors() == {"the digit was not drawn": 2}  # each session's last click
    assert len(report.ok()) == 4 and set(report.percentiles()) == {"p50", "p95", "p99", "max"}
    assert report.server_cpu_clicking > 0 and report.server_peak_mb > 50


def test_a_process_cpu_time_is_read_finely_enough_for_one_click():
    import os
    import time

    from distill.testing import cpu_seconds
    before, mine = cpu_seconds(os.getpid()), time.process_time()
    while time.process_time() - mine < 0.003:  # 3 ms of work: under one clock tick of /proc
        pass
    spent = cpu_seconds(os.getpid()) - before
    assert 0.003 <= spent < 0.5
    assert cpu_seconds(2**22 + 12345) == 0.0  # no such process


def test_a_room_arrives_by_digit_links_and_each_shows_its_digit(server):
    report = asyncio.run(arrive(server.url, sessions=3, within=0.5, pids=[server.pid]))
    assert len(report.clicks) == 3 and report.errors() == {}
    assert sorted(int(c.header.split("Digit #")[1].split("*")[0]) for c in report.clicks) == \
        sorted(c.digit for c in report.clicks)  # each viewer saw the digit its link named
    assert report.server_cpu_clicking > 0


def test_links_run_the_whole_page_in_a_new_session_each(server):
    report = asyncio.run(links(server.url, sessions=2, count=2, interval=0.1,
                               pids=[server.pid], ramp=0.2))
    assert len(report.clicks) == 4 and len(report.opens) == 2 and report.errors() == {}
    for click in report.clicks:  # a full run draws the page's title and controls again
        assert f"Digit #{click.digit}" in click.header and "heading" in click.kinds


def test_a_full_run_is_measured_in_the_session_and_by_a_link(server):
    for how in ("rerun", "link"):
        p50, mean = asyncio.run(server_cpu_per_full_run(server.url, [server.pid], "explore",
                                                        runs=2, how=how))
        assert p50 > 0 and mean > 0
