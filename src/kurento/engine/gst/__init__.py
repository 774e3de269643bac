"""The GStreamer media engine: the only code that imports ``gi``.

The control plane uses :class:`GstMediaEngine` (a
:class:`~kurento.engine.contract.MediaEngine`); everything else here is for
elements built on :class:`GstElement` and for tests.
"""

from .bridge import Bridge
from .element import GstElement, NullLink
from .elements import FACTORIES, PassThrough
from .engine import GstMediaEngine
from .flow import CHECK_INTERVAL, FLOW_TIMEOUT
from .pipeline import GstPipelineEngine

__all__ = [
    "CHECK_INTERVAL",
    "FACTORIES",
    "FLOW_TIMEOUT",
    "Bridge",
    "GstElement",
    "GstMediaEngine",
    "GstPipelineEngine",
    "NullLink",
    "PassThrough",
]
