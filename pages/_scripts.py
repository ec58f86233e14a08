"""Compiled page scripts kept while the server runs.

Streamlit compiles each page script once (with its "magic" rewriting of the syntax tree) into
a cache that every session shares, and empties that cache whenever the last session closes,
so that a file watcher's next run sees fresh sources. This app runs without a file watcher
(``.streamlit/config.toml``): sources change only with a restart. So the emptying bought
nothing but a recompile of app.py and the page whenever a lone viewer opened a link
(bench/results/load.md: a fifth of a full run's CPU). With the watcher off, :func:`keep`
makes the cache keep what it compiled. Once per process, from app.py.
"""

from __future__ import annotations

from streamlit import config
from streamlit.runtime.scriptrunner.script_cache import ScriptCache


def watching_sources() -> bool:
    """Whether Streamlit reloads changed sources (then the cache must be emptied as usual)."""
    return (config.get_option("server.fileWatcherType") != "none"
            or bool(config.get_option("server.runOnSave")))


def keep() -> bool:
    """Stop the script cache from being emptied when nobody watches sources; True if done."""
    if watching_sources() or getattr(ScriptCache.clear, "kept", False):
        return False
    clear = ScriptCache.clear

    def clear_when_watching(self) -> None:
        if watching_sources():  # settings can change in a running process (tests)
            clear(self)

    clear_when_watching.kept = True
    ScriptCache.clear = clear_when_watching
    return True
