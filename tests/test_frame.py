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
