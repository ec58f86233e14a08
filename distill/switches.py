"""Switches read from the environment, light enough for any page to import."""

from __future__ import annotations

import os


def env_flag(name: str) -> bool:
    """An environment variable set to 1, true or yes."""
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes")


def uploads_allowed(hosted: bool) -> bool:
    """Your own data and network can be uploaded: always on a laptop; on a public demo only
    when DISTILL_ALLOW_UPLOADS=1 says so (then with the demo's caps, each upload private to
    the browser that sent it)."""
    return not hosted or env_flag("DISTILL_ALLOW_UPLOADS")
