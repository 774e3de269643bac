"""Scenario 5, the control plane: N clients creating, connecting and releasing at once.

``python -m loadgen.control --target kurento|janus --url URL --clients N --window S``
(with ``bench/`` and ``src/`` on ``PYTHONPATH``). No media flows. Each of the N clients
has a connection of its own and repeats one *sequence*, as fast as answers come:

* ours (Kurento Protocol, ``kurento.client``): ``create`` MediaPipeline, ``create``
  WebRtcEndpoint, ``connect`` it to itself (the hello-world loopback), ``release`` the
  pipeline;
* Janus (its JSON API on the WebSocket transport): ``create`` a session, ``attach``
  the echotest plugin, ``detach``, ``destroy`` the session.

Both are what a signalling server does for one call without SDP. Output (JSON lines,
like ``loadgen``): ``sampling`` when the window opens, ``window-end`` when it closes,
``done`` with sequences/s and p50/p99 latencies (ms) of each step and of the sequence,
for the sequences that started in the window.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import time
from typing import Any

import aiohttp


def emit(event: str, **fields: Any) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class Recorder:
    def __init__(self) -> None:
        self.steps: dict[str, list[float]] = {}
        self.sequences: list[float] = []
        self.failures = 0
        self.start = self.end = 0.0

    def summary(self) -> dict[str, Any]:
        seconds = self.end - self.start
        result: dict[str, Any] = {
            "seconds": seconds, "sequences": len(self.sequences),
            "seq_per_s": len(self.sequences) / seconds if seconds else 0.0,
            "seq_p50": percentile(self.sequences, 0.5),
            "seq_p99": percentile(self.sequences, 0.99), "failures": self.failures,
        }
        for name, values in self.steps.items():
            result[f"{name}_p50"] = percentile(values, 0.5)
            result[f"{name}_p99"] = percentile(values, 0.99)
        return result


async def kurento_client(url: str, recorder: Recorder, stop: asyncio.Event) -> None:
    from kurento.client import KurentoClient, MediaPipeline, WebRtcEndpoint

    async with KurentoClient.connect(url) as client:
        while not stop.is_set():
            began = time.monotonic()
            timings: dict[str, float] = {}
            try:
                t = time.monotonic()
                pipeline = await MediaPipeline.create(client)
                timings["pipeline"] = time.monotonic() - t
                t = time.monotonic()
                endpoint = await WebRtcEndpoint.create(pipeline)
                timings["endpoint"] = time.monotonic() - t
                t = time.monotonic()
                await endpoint.connect(endpoint)
                timings["connect"] = time.monotonic() - t
                t = time.monotonic()
                await pipeline.release()
                timings["release"] = time.monotonic() - t
            except Exception:
                recorder.failures += 1
                continue
            record(recorder, began, timings)


class JanusClient:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.ids = itertools.count(1)
        self.waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}

    async def read(self) -> None:
        async for message in self.ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                continue
            reply = json.loads(message.data)
            if reply.get("janus") == "ack":
                continue
            future = self.waiting.pop(reply.get("transaction", ""), None)
            if future is not None and not future.done():
                future.set_result(reply)

    async def request(self, body: dict[str, Any]) -> dict[str, Any]:
        transaction = f"t{next(self.ids)}"
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.waiting[transaction] = future
        await self.ws.send_str(json.dumps({**body, "transaction": transaction}))
        reply = await asyncio.wait_for(future, 10)
        if reply.get("janus") == "error":
            raise RuntimeError(f"janus: {reply.get('error')}")
        return reply


async def janus_client(url: str, recorder: Recorder, stop: asyncio.Event) -> None:
    async with aiohttp.ClientSession() as http, http.ws_connect(
            url, protocols=("janus-protocol",)) as ws:
        client = JanusClient(ws)
        reader = asyncio.get_running_loop().create_task(client.read())
        try:
            while not stop.is_set():
                began = time.monotonic()
                timings: dict[str, float] = {}
                try:
                    t = time.monotonic()
                    created = await client.request({"janus": "create"})
                    session = int(created["data"]["id"])
                    timings["pipeline"] = time.monotonic() - t
                    t = time.monotonic()
                    attached = await client.request({"janus": "attach", "session_id": session,
                                                     "plugin": "janus.plugin.echotest"})
                    handle = int(attached["data"]["id"])
                    timings["endpoint"] = time.monotonic() - t
                    t = time.monotonic()
                    await client.request({"janus": "detach", "session_id": session,
                                          "handle_id": handle})
                    timings["connect"] = time.monotonic() - t
                    t = time.monotonic()
                    await client.request({"janus": "destroy", "session_id": session})
                    timings["release"] = time.monotonic() - t
                except Exception:
                    recorder.failures += 1
                    continue
                record(recorder, began, timings)
        finally:
            reader.cancel()


def record(recorder: Recorder, began: float, timings: dict[str, float]) -> None:
    if recorder.start and recorder.start <= began and not recorder.end:
        recorder.sequences.append(1000 * (time.monotonic() - began))
        for name, seconds in timings.items():
            recorder.steps.setdefault(name, []).append(1000 * seconds)


async def run(target: str, url: str, clients: int, window: float, settle: float) -> None:
    recorder = Recorder()
    stop = asyncio.Event()
    worker = kurento_client if target == "kurento" else janus_client
    tasks = [asyncio.get_running_loop().create_task(worker(url, recorder, stop))
             for _ in range(clients)]
    await asyncio.sleep(settle)
    for task in tasks:
        if task.done() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]
    recorder.start = time.monotonic()
    emit("sampling", missing=0, setup_s=settle)
    await asyncio.sleep(window)
    recorder.end = time.monotonic()
    emit("window-end")
    stop.set()
    await asyncio.wait(tasks, timeout=15)
    emit("done", **recorder.summary())


def main() -> None:
    parser = argparse.ArgumentParser(prog="loadgen.control", description=__doc__.split("\n")[0])
    parser.add_argument("--target", choices=("kurento", "janus"), required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--window", type=float, default=10.0)
    parser.add_argument("--settle", type=float, default=2.0)
    args = parser.parse_args()
    try:
        asyncio.run(run(args.target, args.url, args.clients, args.window, args.settle))
    except Exception as error:
        emit("error", message=f"{type(error).__name__}: {error}")
        raise SystemExit(1) from error


if __name__ == "__main__":
    main()
