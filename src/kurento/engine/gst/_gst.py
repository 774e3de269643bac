"""The one place that loads GStreamer through ``gi``.

Every other module of the engine imports ``Gst`` from here, so the version
pinning and ``Gst.init`` happen exactly once; :func:`make_element` is how they
all create elements.
"""

from __future__ import annotations

from typing import Any

import gi

gi.require_version("Gst", "1.0")

from gi.repository import Gst  # noqa: E402

__all__ = ["Gst", "ensure_init", "make_element"]


def ensure_init() -> None:
    """Initialise GStreamer once per process (``Gst.init`` is not reentrant-safe to repeat)."""
    if not Gst.is_initialized():
        Gst.init(None)


def make_element(factory: str, name: str | None = None, **props: object) -> Any:
    """A GStreamer element with ``props``, not yet in any bin.

    Property names use ``_`` for ``-``; a trailing ``_`` escapes a keyword (``async_``).
    """
    element = Gst.ElementFactory.make(factory, name)
    if element is None:
        raise RuntimeError(f"GStreamer element {factory!r} is not installed")
    for key, value in props.items():
        element.set_property(key.rstrip("_").replace("_", "-"), value)
    return element
