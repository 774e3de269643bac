"""The typed asyncio client for application servers.

::

    from kurento.client import ElementConnected, KurentoClient, MediaPipeline, PassThrough

    async with KurentoClient.connect("ws://127.0.0.1:8888/kurento") as client:
        pipeline = await MediaPipeline.create(client)      # or client.create("MediaPipeline")
        a = await PassThrough.create(pipeline)
        b = await PassThrough.create(pipeline)
        await a.on(ElementConnected, lambda event: print(event.sink, event.media_type))
        await a.connect(b)
        connections = await a.get_sink_connections()
        await pipeline.release()

Proxies, structs, enums and events are generated from ``kurento.api`` into
:mod:`kurento.client.generated` (``scripts/gen_client.py``). Importing this
package imports neither GStreamer nor the server.
"""

from kurento.client.client import KurentoClient
from kurento.client.connection import Backoff
from kurento.client.events import Disconnected, EventStream, Reconnected
from kurento.client.generated import *  # noqa: F403
from kurento.client.generated import __all__ as _generated
from kurento.client.proxy import RemoteObject
from kurento.client.transaction import Transaction
from kurento.client.values import Event, Struct
from kurento.protocol.errors import (
    ConnectionClosed,
    KurentoError,
    ProtocolViolation,
    RequestTimeout,
)

__all__ = [
    "Backoff",
    "ConnectionClosed",
    "Disconnected",
    "Event",
    "EventStream",
    "KurentoClient",
    "KurentoError",
    "ProtocolViolation",
    "Reconnected",
    "RemoteObject",
    "RequestTimeout",
    "Struct",
    "Transaction",
    *_generated,
]
