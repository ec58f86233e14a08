"""The private Streamlit API that pages/_frame.py's workaround relies on is still there."""

import inspect


def test_streamlit_still_decides_the_pages_folder_mode_with_the_flag_we_turn_off():
    from streamlit.runtime import pages_manager
    from streamlit.runtime.scriptrunner import script_runner

    assert "uses_pages_directory" in vars(pages_manager.PagesManager), (
        "Streamlit renamed PagesManager.uses_pages_directory: update pages/_frame.py")
    assert "PagesManager.uses_pages_directory" in inspect.getsource(script_runner), (
        "Streamlit's script runner no longer consults uses_pages_directory: check whether a "
        "deep link on a fresh server still runs app.py's frame, and update pages/_frame.py")


def test_use_navigation_turns_the_pages_folder_mode_off():
    from streamlit.runtime.pages_manager import PagesManager

    from pages._frame import use_navigation
    before = PagesManager.uses_pages_directory
    try:
        PagesManager.uses_pages_directory = True
        assert use_navigation() is True
        assert PagesManager.uses_pages_directory is False
    finally:
        PagesManager.uses_pages_directory = before


def test_the_app_parses_scripts_one_at_a_time_and_every_thread_still_parses():
    """pages/_ast.py: a lock around ast.parse (Python 3.11 < 3.11.8 fails two at once), taken
    by Streamlit's page-script parsing and harmless to many threads parsing together."""
    import ast
    import threading

    from streamlit.runtime.scriptrunner import magic
    from streamlit.testing.v1 import AppTest

    assert not AppTest.from_file("../app.py", default_timeout=60).run().exception
    assert getattr(ast.parse, "serialized", False), "app.py did not install the lock"
    assert magic.ast.parse is ast.parse, "Streamlit no longer parses through ast.parse"
    source = "x = " + "(" * 60 + "1" + ")" * 60 + "\n"
    errors = []

    def parse_many() -> None:
        try:
            for _ in range(100):
                ast.parse(source)
        except Exception as err:  # noqa: BLE001 (any failure is the finding)
            errors.append(err)

    threads = [threading.Thread(target=parse_many) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_background_work_stops_at_its_next_report_when_asked(tiny_run):
    import threading

    from pages import _ui as ui
    reports = threading.Event()

    def forever(run, report):
        while True:
            report({"fraction": 0.5})
            reports.set()
            threading.Event().wait(0.01)

    state = ui.in_background("test-work", tiny_run, forever)
    assert ui.in_background("test-work", tiny_run, forever) is state  # once a process
    assert reports.wait(30)
    ui.stop_background()
    for _ in range(3000):
        if state["done"]:
            break
        threading.Event().wait(0.01)
    assert state["done"] and state["error"] == "stopped before it finished"
    assert ui.in_background("test-work", tiny_run, lambda r, p: None) is not state  # forgotten


def test_a_memo_keys_on_named_values_keeps_the_newest_and_computes_a_key_once():
    import threading
    import time

    from pages._ui import memo
    calls = []
    started = threading.Event()

    @memo(max_entries=2)
    def square(key: tuple, n: int, _image=None) -> int:
        calls.append(n)
        if n == 9:
            started.set()
            time.sleep(0.2)  # a slow result: a second caller waits for it, not beside it
        return n * n

    assert square(("run", 1.0), 2, _image=object()) == 4
    assert square(("run", 1.0), n=2, _image="another picture") == 4  # not part of the key
    assert calls == [2]
    square(("run", 1.0), 3)
    square(("run", 1.0), 2)  # 2 is now the newest; 4 pushes 3 out
    square(("run", 1.0), 4)
    square(("run", 1.0), 3)
    assert calls == [2, 3, 4, 3]
    results = []
    threads = [threading.Thread(target=lambda: results.append(square(("run", 1.0), 9)))
               for _ in range(3)]
    threads[0].start()
    started.wait(5)
    for t in threads[1:]:
        t.start()
    for t in threads:
        t.join()
    assert results == [81, 81, 81] and calls.count(9) == 1
    square.clear()
    square(("run", 1.0), 2)
    assert calls.count(2) == 2


def test_tcp_nodelay_turns_nagle_off_on_this_process_tcp_sockets_and_closes_nothing(
        monkeypatch):
    import socket

    from pages import _tcp
    monkeypatch.setattr(_tcp, "_DONE", False)
    listening = socket.create_server(("127.0.0.1", 0))
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        assert listening.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
        assert _tcp.tcp_nodelay() >= 1
        assert listening.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        client = socket.create_connection(listening.getsockname())  # still listening
        client.close()
        assert udp.fileno() >= 0 and _tcp.tcp_nodelay() == 0  # once a process
    finally:
        listening.close()
        udp.close()
