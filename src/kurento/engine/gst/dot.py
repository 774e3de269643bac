"""Graphviz text for ``getGstreamerDot``: one element, or a whole MediaPipeline.

Kurento's ``GstreamerDotDetails`` map onto ``GST_DEBUG_GRAPH_SHOW_*``;
``SHOW_VERBOSE`` is treated like ``SHOW_ALL``, and so is no argument
(kurento-protocol.md, getGstreamerDot).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from ._gst import Gst

_FLAGS = {
    "SHOW_MEDIA_TYPE": Gst.DebugGraphDetails.MEDIA_TYPE,
    "SHOW_CAPS_DETAILS": Gst.DebugGraphDetails.CAPS_DETAILS,
    "SHOW_NON_DEFAULT_PARAMS": Gst.DebugGraphDetails.NON_DEFAULT_PARAMS,
    "SHOW_STATES": Gst.DebugGraphDetails.STATES,
    "SHOW_FULL_PARAMS": Gst.DebugGraphDetails.FULL_PARAMS,
    "SHOW_ALL": Gst.DebugGraphDetails.ALL,
    "SHOW_VERBOSE": Gst.DebugGraphDetails.ALL,
}

# Each pipeline's dot carries its own legend node; keep one per combined graph.
_LEGEND = re.compile(r"^\s*legend \[.*?^\s*\];\n", re.DOTALL | re.MULTILINE)


def details_flags(details: str | None) -> Any:
    """The ``Gst.DebugGraphDetails`` for a Kurento ``GstreamerDotDetails`` value."""
    if not details:
        return Gst.DebugGraphDetails.ALL
    try:
        return _FLAGS[details]
    except KeyError:
        raise ValueError(f"unknown GstreamerDotDetails: {details!r}") from None


def pipeline_dot(pipeline: Any, details: str | None) -> str:
    """The dot text of one ``GstPipeline``."""
    return str(Gst.debug_bin_to_dot_data(pipeline, details_flags(details)))


def combine(name: str, parts: Iterable[tuple[str, str]], edges: Iterable[tuple[str, str]]) -> str:
    """One ``digraph`` with each ``(label, dot)`` part as a cluster.

    ``edges`` are pairs of GStreamer object names (a bridge's proxysink and
    proxysrc); each becomes a dashed edge between their pad nodes, so the
    bridges between element pipelines show.
    """
    bodies = []
    for index, (label, text) in enumerate(parts):
        bodies.append(
            f"  subgraph cluster_element_{index} {{\n"
            f"    label={_quote(label)};\n    style=dashed;\n"
            f"{_body(text)}\n  }}\n"
        )
    text = "".join(bodies)
    lines = [f"digraph {_quote(name)} {{", "  rankdir=LR;", "  compound=true;", text]
    for out_name, in_name in edges:
        tail = _pad_node(text, out_name, "sink")
        head = _pad_node(text, in_name, "src")
        if tail and head:
            lines.append(f'  {tail} -> {head} [style=dashed, label="bridge"];')
    lines.append("}\n")
    return "\n".join(lines)


def _body(text: str) -> str:
    """The statements of a ``digraph x { ... }``, without its legend."""
    start, end = text.index("{") + 1, text.rindex("}")
    return _LEGEND.sub("", text[start:end])


def _pad_node(text: str, element: str, pad: str) -> str | None:
    """The node id GStreamer's dot gave to ``element``'s ``pad``: name_0xPTR_pad_0xPTR."""
    pattern = rf"\b({re.escape(element)}_0x[0-9a-f]+_{pad}_0x[0-9a-f]+) \["
    found = re.search(pattern, text)
    return found.group(1) if found else None


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
