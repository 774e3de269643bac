"""GStreamer through PyGObject, initialised once."""

from __future__ import annotations

from typing import Any

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstApp", "1.0")
gi.require_version("GstSdp", "1.0")
gi.require_version("GstVideo", "1.0")
gi.require_version("GstWebRTC", "1.0")

from gi.repository import GLib, Gst, GstApp, GstSdp, GstVideo, GstWebRTC  # noqa: E402

Gst.init(None)

__all__ = ["GLib", "Gst", "GstApp", "GstSdp", "GstVideo", "GstWebRTC", "structure_fields"]


def structure_fields(structure: Any) -> dict[str, Any]:
    """A GstStructure's fields as a dict (values as PyGObject gives them)."""
    result: dict[str, Any] = {}
    for index in range(structure.n_fields()):
        name = structure.nth_field_name(index)
        result[name] = structure.get_value(name)
    return result
