"""The one place that loads GStreamer through ``gi``.

Every other module of the engine imports ``Gst`` from here, so the version
pinning and ``Gst.init`` happen exactly once.
"""

from __future__ import annotations

import gi

gi.require_version("Gst", "1.0")

from gi.repository import Gst  # noqa: E402

__all__ = ["Gst", "ensure_init"]


def ensure_init() -> None:
    """Initialise GStreamer once per process (``Gst.init`` is not reentrant-safe to repeat)."""
    if not Gst.is_initialized():
        Gst.init(None)
