"""Signalling for one session on each server under test (the generator always offers).

* :class:`KurentoTarget`: Kurento Protocol via ``kurento.client``: a MediaPipeline and a
  WebRtcEndpoint connected to itself per session (hello-world loopback), processOffer,
  trickle ICE both ways, gatherCandidates;
* :class:`JanusTarget`: Janus's JSON API over its WebSocket transport: one Janus
  session, one ``janus.plugin.echotest`` handle per generator session, the offer in a
  ``message`` {audio, video}, our candidates by ``trickle`` (Janus puts its own in the
  answer: half-trickle).

Recording (``record``): ours a WebRtcEndpoint connected to a RecorderEndpoint (WEBM,
no transcoding: VP8 + Opus in, VP8 + Opus out) per session, ``record`` once the offer is
answered, ``stopAndWait`` at the end; Janus its ``recordplay`` plugin (``record`` with
the offer, ``.mjr`` files in the plugin's folder, ``stop`` at the end). Filtered
loopback (``negotiate(session, filter)``, ours only): WebRtcEndpoint → filter → the same
WebRtcEndpoint, the filter a ``GStreamerFilter`` (``gst:COMMAND``), ``SepiaFilter``
(``sepia``) or ``FaceOverlayFilter`` with the magic mirror's hat (``face``).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import shutil
from pathlib import Path
from typing import Any, Protocol

import aiohttp

from .peer import Session  # or an AiortcSession: the same interface

ROOM = 1234  # the videoroom room compare.py configures for Janus
# ``face``: the magic mirror's hat, copied under /tmp (the server reads file:// URIs only
# inside its media roots, /tmp by default), drawn where the tutorial draws it.
HAT = Path(__file__).resolve().parents[2] / "examples" / "magic_mirror" / "static" / "img" \
    / "hat.png"
HAT_COPY = Path("/tmp/kpy-bench-hat.png")
HAT_PLACEMENT = (-0.35, -1.2, 1.6, 1.6)  # offset x, offset y, width, height (face sizes)


class Target(Protocol):
    name: str

    async def open(self) -> None: ...

    async def negotiate(self, session: Session, filter: str | None = None) -> None: ...

    async def record(self, session: Session, directory: str, name: str) -> None: ...

    async def stop_recording(self) -> None: ...

    async def present(self, session: Session) -> None: ...

    def presenter_ref(self) -> dict[str, Any]:
        """What another generator process needs to view the presenter (JSON)."""
        ...

    async def adopt(self, ref: dict[str, Any]) -> None:
        """View a presenter another generator process set up (:meth:`presenter_ref`)."""
        ...

    async def view(self, session: Session) -> None: ...

    async def diagnose(self, session: Session) -> dict[str, Any]: ...

    async def close(self) -> None: ...


def offer_mids(sdp: str) -> list[str]:
    return [line[6:].strip() for line in sdp.splitlines() if line.startswith("a=mid:")]


class KurentoTarget:
    name = "kurento"

    def __init__(self, url: str) -> None:
        self.url = url
        self._client: Any = None
        self._stack = contextlib.AsyncExitStack()
        self._pipelines: list[Any] = []
        self._presenter: Any = None
        self._presenter_pipeline: Any = None
        self._recorders: list[Any] = []
        self._viewers: dict[int, Any] = {}  # session index → its endpoint (one-to-many)
        self.transcoding: list[str] = []  # MediaTranscodingStateChanged seen on recorders

    async def open(self) -> None:
        from kurento.client import KurentoClient

        self._client = await self._stack.enter_async_context(KurentoClient.connect(self.url))

    async def negotiate(self, session: Session, filter: str | None = None) -> None:
        from kurento.client import (
            IceCandidate,
            IceCandidateFound,
            MediaPipeline,
            WebRtcEndpoint,
        )

        pipeline = await MediaPipeline.create(self._client)
        self._pipelines.append(pipeline)
        endpoint = await WebRtcEndpoint.create(pipeline)
        if filter is None:
            await endpoint.connect(endpoint)
        else:
            element = await make_filter(pipeline, filter)
            await endpoint.connect(element)
            await element.connect(endpoint)

        async def found(event: IceCandidateFound) -> None:
            candidate = event.candidate
            session.add_candidate(candidate.sdp_m_line_index, candidate.candidate)

        await endpoint.on(IceCandidateFound, found)
        offer = await session.offer()
        mids = offer_mids(offer)
        answer = await endpoint.process_offer(offer)
        await session.accept(answer)

        async def trickle() -> None:
            while True:
                mline, candidate = await session.candidates.get()
                mid = mids[mline] if mline < len(mids) else ""
                await endpoint.add_ice_candidate(
                    IceCandidate(candidate=candidate, sdp_mid=mid, sdp_m_line_index=mline))

        asyncio.get_running_loop().create_task(trickle())
        await endpoint.gather_candidates()

    # -- one-to-many: one pipeline, the presenter's endpoint connected to each viewer's --

    async def _endpoint(self, session: Session, pipeline: Any) -> Any:
        from kurento.client import IceCandidateFound, WebRtcEndpoint

        endpoint = await WebRtcEndpoint.create(pipeline)

        async def found(event: IceCandidateFound) -> None:
            candidate = event.candidate
            session.add_candidate(candidate.sdp_m_line_index, candidate.candidate)

        await endpoint.on(IceCandidateFound, found)
        return endpoint

    async def _offer_to(self, session: Session, endpoint: Any) -> None:
        from kurento.client import IceCandidate

        offer = await session.offer()
        mids = offer_mids(offer)
        answer = await endpoint.process_offer(offer)
        await session.accept(answer)

        async def trickle() -> None:
            while True:
                mline, candidate = await session.candidates.get()
                mid = mids[mline] if mline < len(mids) else ""
                await endpoint.add_ice_candidate(
                    IceCandidate(candidate=candidate, sdp_mid=mid, sdp_m_line_index=mline))

        asyncio.get_running_loop().create_task(trickle())
        await endpoint.gather_candidates()

    async def present(self, session: Session) -> None:
        from kurento.client import MediaPipeline

        pipeline = await MediaPipeline.create(self._client)
        self._pipelines.append(pipeline)
        self._presenter = await self._endpoint(session, pipeline)
        self._presenter_pipeline = pipeline
        await self._offer_to(session, self._presenter)

    def presenter_ref(self) -> dict[str, Any]:
        return {"pipeline": self._presenter_pipeline.id, "endpoint": self._presenter.id}

    async def adopt(self, ref: dict[str, Any]) -> None:
        # Kurento's objects are the server's, not a connection's: ids work from any.
        self._presenter_pipeline = await self._client.get_object(ref["pipeline"])
        self._presenter = await self._client.get_object(ref["endpoint"])

    async def view(self, session: Session) -> None:
        endpoint = await self._endpoint(session, self._presenter_pipeline)
        self._viewers[session.index] = endpoint
        await self._presenter.connect(endpoint)
        await self._offer_to(session, endpoint)

    async def diagnose(self, session: Session) -> dict[str, Any]:
        """What our server says of a viewer that got no video: its endpoint's state
        and its outbound RTP counters (did we send it video at all?)."""
        from kurento.client import MediaType

        endpoint = self._viewers.get(session.index)
        if endpoint is None:
            return {}
        found: dict[str, Any] = {
            "flowing_out_video": await endpoint.is_media_flowing_out(MediaType.VIDEO),
            "flowing_out_audio": await endpoint.is_media_flowing_out(MediaType.AUDIO),
            "connection": str(await endpoint.get_connection_state()),
        }
        dots = os.environ.get("KPY_BENCH_DOT_DIR")  # the endpoint's graph, for a debug run
        if dots:
            path = Path(dots) / f"viewer-{session.index}.dot"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(await endpoint.get_gstreamer_dot())
            found["dot"] = str(path)
        for kind in (MediaType.VIDEO, MediaType.AUDIO):
            report = await endpoint.get_stats(kind)
            found[f"outbound_{kind.value.lower()}"] = [
                {"ssrc": getattr(entry, "ssrc", None),
                 "packets_sent": getattr(entry, "packets_sent", None),
                 "pli": getattr(entry, "pli_count", None),
                 "remb": getattr(entry, "remb", None)}
                for entry in report.values() if type(entry).__name__.startswith("RTCOutbound")]
        return found

    # -- recording: WebRtcEndpoint → RecorderEndpoint (WEBM) per session ---------------

    async def record(self, session: Session, directory: str, name: str) -> None:
        from kurento.client import (
            MediaPipeline,
            MediaProfileSpecType,
            MediaTranscodingStateChanged,
            RecorderEndpoint,
        )

        pipeline = await MediaPipeline.create(self._client)
        self._pipelines.append(pipeline)
        endpoint = await self._endpoint(session, pipeline)
        recorder = await RecorderEndpoint.create(
            pipeline, f"file://{directory}/{name}.webm",
            media_profile=MediaProfileSpecType.WEBM)

        async def transcoding(event: MediaTranscodingStateChanged) -> None:
            self.transcoding.append(f"{name}: {event.media_type} {event.state}")

        await recorder.on(MediaTranscodingStateChanged, transcoding)
        await endpoint.connect(recorder)
        await self._offer_to(session, endpoint)
        await recorder.record()
        self._recorders.append(recorder)

    async def stop_recording(self) -> None:
        await asyncio.gather(*(asyncio.wait_for(r.stop_and_wait(), 20)
                               for r in self._recorders))

    async def close(self) -> None:
        for pipeline in self._pipelines:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(pipeline.release(), 5)
        await self._stack.aclose()


def stopped(result: Any) -> bool:
    """A recordplay event's ``result``: {"status": "stopped", ...} at the end of a recording
    (other events carry other dicts, or a string such as "ok")."""
    return isinstance(result, dict) and result.get("status") == "stopped"


def hat_uri() -> str:
    """A file:// URI of the hat under /tmp (copied there the first time)."""
    if not HAT_COPY.exists() or HAT_COPY.stat().st_size != HAT.stat().st_size:
        partial = HAT_COPY.with_name(f"{HAT_COPY.name}.{os.getpid()}.part")
        shutil.copyfile(HAT, partial)
        partial.chmod(0o644)  # the server may run as another user
        partial.replace(HAT_COPY)
    return HAT_COPY.as_uri()


async def make_filter(pipeline: Any, spec: str) -> Any:
    """``gst:COMMAND`` → GStreamerFilter(COMMAND, VIDEO); ``sepia`` → SepiaFilter;
    ``sepia-process`` → SepiaProcessFilter (a plug-in of ``loadgen.process_filters``:
    the server must have loaded it); ``face`` → FaceOverlayFilter with the hat
    (:data:`HAT_PLACEMENT`)."""
    from kurento.client import FaceOverlayFilter, FilterType, GStreamerFilter, SepiaFilter

    from .process_filters import SPECS

    if spec.startswith("gst:"):
        return await GStreamerFilter.create(pipeline, spec[4:], filter_type=FilterType.VIDEO)
    if spec == "sepia":
        return await SepiaFilter.create(pipeline)
    if spec in SPECS:
        plugin = type(SPECS[spec], (SepiaFilter,), {"WIRE_TYPE": SPECS[spec]})
        return await pipeline.client.create(plugin, media_pipeline=pipeline)
    if spec == "face":
        element = await FaceOverlayFilter.create(pipeline)
        await element.set_overlayed_image(hat_uri(), *HAT_PLACEMENT)
        return element
    raise ValueError(f"unknown filter {spec!r} (gst:COMMAND, sepia, sepia-process or face)")


class JanusTarget:
    name = "janus"

    def __init__(self, url: str) -> None:
        self.url = url
        self._http: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._ids = itertools.count(1)
        self._waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._events: dict[int, asyncio.Queue[dict[str, Any]]] = {}
        self._reader: asyncio.Task[None] | None = None
        self._session_id = 0
        self._publisher = 0
        self._recorders: list[int] = []  # recordplay handles

    async def open(self) -> None:
        self._http = aiohttp.ClientSession()
        self._ws = await self._http.ws_connect(self.url, protocols=("janus-protocol",),
                                               max_msg_size=0)
        self._reader = asyncio.get_running_loop().create_task(self._read())
        created = await self._request({"janus": "create"})
        self._session_id = int(created["data"]["id"])

    async def _read(self) -> None:
        assert self._ws is not None
        async for message in self._ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                continue
            reply: dict[str, Any] = json.loads(message.data)
            kind = reply.get("janus")
            transaction = reply.get("transaction")
            if kind == "ack":
                continue  # the event with the answer follows
            if kind == "event" and "sender" in reply:
                queue = self._events.get(int(reply["sender"]))
                if queue is not None:
                    queue.put_nowait(reply)
                    continue
            future = self._waiting.pop(transaction, None) if transaction else None
            if future is not None and not future.done():
                future.set_result(reply)

    async def _request(self, body: dict[str, Any], *, wait: bool = True) -> dict[str, Any]:
        assert self._ws is not None
        transaction = f"t{next(self._ids)}"
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        if wait:
            self._waiting[transaction] = future
        if self._session_id and "session_id" not in body:
            body = {**body, "session_id": self._session_id}
        await self._ws.send_str(json.dumps({**body, "transaction": transaction}))
        if not wait:
            return {}
        reply = await asyncio.wait_for(future, 10)
        if reply.get("janus") == "error":
            raise RuntimeError(f"janus: {reply.get('error')}")
        return reply

    async def negotiate(self, session: Session, filter: str | None = None) -> None:
        if filter is not None:
            raise RuntimeError("Janus has no filters")
        attached = await self._request({"janus": "attach", "plugin": "janus.plugin.echotest"})
        handle = int(attached["data"]["id"])
        events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._events[handle] = events
        offer = await session.offer()
        mids = offer_mids(offer)
        await self._request({"janus": "message", "handle_id": handle,
                             "body": {"audio": True, "video": True},
                             "jsep": {"type": "offer", "sdp": offer}}, wait=False)
        while True:
            event = await asyncio.wait_for(events.get(), 10)
            jsep = event.get("jsep")
            if jsep and jsep.get("type") == "answer":
                break
        await session.accept(jsep["sdp"])

        async def trickle() -> None:
            while True:
                mline, candidate = await session.candidates.get()
                mid = mids[mline] if mline < len(mids) else ""
                payload: dict[str, Any] = (
                    {"candidate": candidate, "sdpMid": mid, "sdpMLineIndex": mline}
                    if candidate else {"completed": True})
                await self._request({"janus": "trickle", "handle_id": handle,
                                     "candidate": payload}, wait=False)

        asyncio.get_running_loop().create_task(trickle())

    # -- one-to-many: the videoroom plugin, one publisher and N subscribers in ROOM ----

    async def _event(self, handle: int, predicate: Any) -> dict[str, Any]:
        events = self._events[handle]
        while True:
            event = await asyncio.wait_for(events.get(), 10)
            data = event.get("plugindata", {}).get("data", {})
            if data.get("error"):
                raise RuntimeError(f"janus videoroom: {data['error']}")
            if predicate(event, data):
                return event

    async def _attach(self, plugin: str) -> int:
        attached = await self._request({"janus": "attach", "plugin": plugin})
        handle = int(attached["data"]["id"])
        self._events[handle] = asyncio.Queue()
        return handle

    def _trickle(self, session: Session, handle: int, mids: list[str]) -> None:
        async def trickle() -> None:
            while True:
                mline, candidate = await session.candidates.get()
                mid = mids[mline] if mline < len(mids) else ""
                payload: dict[str, Any] = (
                    {"candidate": candidate, "sdpMid": mid, "sdpMLineIndex": mline}
                    if candidate else {"completed": True})
                await self._request({"janus": "trickle", "handle_id": handle,
                                     "candidate": payload}, wait=False)

        asyncio.get_running_loop().create_task(trickle())

    async def present(self, session: Session) -> None:
        handle = await self._attach("janus.plugin.videoroom")
        await self._request({"janus": "message", "handle_id": handle, "body": {
            "request": "join", "ptype": "publisher", "room": ROOM, "display": "bench"}},
            wait=False)
        joined = await self._event(handle, lambda _e, d: d.get("videoroom") == "joined")
        self._publisher = int(joined["plugindata"]["data"]["id"])
        offer = await session.offer()
        mids = offer_mids(offer)
        await self._request({"janus": "message", "handle_id": handle, "body": {
            "request": "publish", "audio": True, "video": True},
            "jsep": {"type": "offer", "sdp": offer}}, wait=False)
        event = await self._event(handle, lambda e, _d: (e.get("jsep") or {}).get("type")
                                  == "answer")
        await session.accept(event["jsep"]["sdp"])
        self._trickle(session, handle, mids)

    def presenter_ref(self) -> dict[str, Any]:
        return {"publisher": self._publisher}

    async def adopt(self, ref: dict[str, Any]) -> None:
        self._publisher = int(ref["publisher"])

    async def view(self, session: Session) -> None:
        handle = await self._attach("janus.plugin.videoroom")
        deadline = asyncio.get_running_loop().time() + 20
        while True:
            # The feed exists once the publisher's PeerConnection is up: retry until then.
            await self._request({"janus": "message", "handle_id": handle, "body": {
                "request": "join", "ptype": "subscriber", "room": ROOM,
                "streams": [{"feed": self._publisher}]}}, wait=False)
            try:
                event = await self._event(handle, lambda e, _d: (e.get("jsep") or {}).get(
                    "type") == "offer")
                break
            except RuntimeError as error:
                if "No such feed" not in str(error) or \
                        asyncio.get_running_loop().time() > deadline:
                    raise
                await asyncio.sleep(0.2)
        offer = event["jsep"]["sdp"]
        answer = await session.answer_to(offer)
        await self._request({"janus": "message", "handle_id": handle,
                             "body": {"request": "start"},
                             "jsep": {"type": "answer", "sdp": answer}}, wait=False)
        self._trickle(session, handle, offer_mids(offer))

    # -- recording: the recordplay plugin, one handle per sender ------------------------

    async def record(self, session: Session, directory: str, name: str) -> None:
        """``record`` with the offer; the files (``NAME-video.mjr``, ``NAME-audio.mjr``)
        go to the plugin's ``path`` (compare.py sets it to ``directory``)."""
        handle = await self._attach("janus.plugin.recordplay")
        offer = await session.offer()
        mids = offer_mids(offer)
        await self._request({"janus": "message", "handle_id": handle, "body": {
            "request": "record", "name": name, "filename": name},
            "jsep": {"type": "offer", "sdp": offer}}, wait=False)
        event = await self._event(handle, lambda e, _d: (e.get("jsep") or {}).get("type")
                                  == "answer")
        await session.accept(event["jsep"]["sdp"])
        self._trickle(session, handle, mids)
        self._recorders.append(handle)

    async def stop_recording(self) -> None:
        async def stop(handle: int) -> None:
            await self._request({"janus": "message", "handle_id": handle,
                                 "body": {"request": "stop"}}, wait=False)
            await self._event(handle, lambda _e, d: stopped(d.get("result")))

        await asyncio.gather(*(asyncio.wait_for(stop(h), 15) for h in self._recorders))

    async def diagnose(self, session: Session) -> dict[str, Any]:
        return {}  # Janus's admin API is not enabled here

    async def close(self) -> None:
        if self._session_id:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._request({"janus": "destroy"}), 5)
        if self._reader is not None:
            self._reader.cancel()
        if self._ws is not None:
            await self._ws.close()
        if self._http is not None:
            await self._http.close()
