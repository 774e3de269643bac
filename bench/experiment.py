"""Our server with experimental changes applied at start-up, for profiling only.

``KPY_BENCH_EXPERIMENT=name[,name...] python bench/experiment.py --host ... --port ...``
runs ``kurento.server`` after patching the WebRtcEndpoint's media part in memory, so a
change to files other helpers are editing can be measured without touching them
(``bench/compare.py`` uses it when ``KPY_BENCH_EXPERIMENT`` is set). Nothing here is
used by the server itself; what proves worth it is applied in ``src/`` for real.

Experiments:

* ``latency0``: webrtcbin ``latency=0`` (receive jitterbuffers hold nothing);
  ``latency=MS``: another value;
* ``nolipsync``: rtpbin ``max-ts-offset=1`` ns: RTCP lip-sync offsets are refused, so
  rtpbin never shifts one stream's timestamps against the other's;
* ``nonack``: no ``do-nack`` on video transceivers (no RTX sender/receiver, no packet
  store);
* ``jbnone``: rtpbin ``buffer-mode=none`` (jitterbuffers timestamp from RTP only);
* ``nosinksync``: webrtcbin's ``nicesink`` with ``sync=false``;
* ``audioprobe``: times audio buffers at depayloader, bridge, payloader, srtpenc and
  nicesink (printed every 5 s);
* ``noclocksync``: the ``clocksync`` webrtcbin 1.22 puts in front of each sending
  stream with ``sync=false`` (it held audio for the pipeline latency, 50 ms);
* ``cacheref``: ``webrtc_fixes._g_object_ref`` cached (``find_library`` runs
  ``ldconfig -p`` in a subprocess at every WebRtcEndpoint creation);
* ``queuebridge``: every bridge queued (proxysink → proxysrc), as before links into a
  WebRtcEndpoint became direct (bridge.py): what the direct links save;
  ``queuerecorder``: the same for links into a RecorderEndpoint;
* ``cheapguard``: the resource guard's ``/proc/self/{task,fd}`` listings at most every
  0.5 s instead of at every ``create``;
* ``funnelsegments``: no shared sticky events at BUNDLE's ``rtpfunnel``
  (``webrtc_segments``), as before: it pushes a segment down the send chain at every
  switch between audio and video;
* ``bypassfec``: once DTLS has keys, each webrtcbin sink pad is re-targeted straight
  at its ``rtpfunnel`` input, past the ``clocksync`` and the RED/ULPFEC encoder bin
  webrtcbin 1.22 puts there (three elements less per stream and viewer; measured
  2026-11-27: about 3 % less CPU at one-to-many N = 32, within the noise: not applied);
* ``backlog``: every 2 s, the fullest receive queue webrtcbin keeps after each
  ``nicesrc`` (its ``transportreceivebin``), on stderr: where an overloaded server's
  delay piles up;
* ``droponlatency``: rtpbin ``drop-on-latency=true`` (a jitterbuffer never holds more
  than its latency: an overloaded stream loses its oldest packets instead of queueing;
  applied in ``src/`` since), ``keeponlatency``: ``false``, as before;
* ``recvqueue=MS``: webrtcbin's receive queues hold at most MS ms (else 5 MB: minutes
  of a VGA stream); when full, ``nicesrc`` waits and the kernel drops;
* ``noreceivequeue``: once DTLS has keys, the queue webrtcbin keeps between ``nicesrc``
  and ``dtlssrtpdec`` is taken out of the path (``nicesrc``'s thread then decrypts and
  feeds the jitterbuffers itself: one thread hand-off less per received packet). Unsafe
  as it is: should webrtcbin block its receive side again (ICE lost), it would block
  ``nicesrc``'s thread, which also runs ICE.
* ``inlineface``: FaceOverlayFilter detects on the frame's own path, as before
  2026-11-27 (the frame a detection runs on waits for it).
* ``fanout=K``: a source's direct links (into WebRtcEndpoints) are spread over K
  groups, each behind a queue of its own (a thread) and a tee: K threads share the
  fan-out to the viewers instead of the source's one (what a keyframe sent to many
  viewers waits for).
* ``recordnothing``: every recording's valves drop all they get (the files stay
  empty): the receive side and the links run, the recorder's queues, muxer and file do
  not; what the recording part of a RecorderEndpoint costs, by difference.
* ``jemalloc``, ``tcmalloc``: the server re-started with Debian's jemalloc
  (``libjemalloc2``) or tcmalloc (``libtcmalloc-minimal4``) preloaded instead of glibc's
  malloc (every packet allocates a buffer, its memory and its metadata, on many
  threads); ``gslicemalloc``: ``G_SLICE=always-malloc`` (GLib 2.74's slice allocator,
  which GStreamer 1.22 uses for buffers and events, hands over to malloc).
"""

from __future__ import annotations

import functools
import os
import sys
import sysconfig
import time
from pathlib import Path
from typing import Any

EXPERIMENTS = {e for e in os.environ.get("KPY_BENCH_EXPERIMENT", "").split(",") if e}


def patch() -> None:
    from kurento.engine.gst import webrtc, webrtc_fixes

    if "cacheref" in EXPERIMENTS:
        # find_library() runs `ldconfig -p` in a subprocess on every call.
        webrtc_fixes._g_object_ref = functools.cache(webrtc_fixes._g_object_ref)
    if "cheapguard" in EXPERIMENTS:
        from kurento.server import resources

        counted = resources._count
        cache: dict[str, tuple[float, int]] = {}

        def count(path: str) -> int:  # at most one listdir per path and 0.5 s
            now = time.monotonic()
            seen = cache.get(path)
            if seen is None or now - seen[0] > 0.5:
                seen = cache[path] = (now, counted(path))
            return seen[1]

        resources._count = count

    if "bypassfec" in EXPERIMENTS or "noreceivequeue" in EXPERIMENTS:
        from kurento.engine.gst import webrtc_media

        ready = webrtc_media.MediaPorts.transport_ready

        def transport_ready(self: Any) -> None:
            if "bypassfec" in EXPERIMENTS:
                _bypass_fec(self._element.webrtc)
            if "noreceivequeue" in EXPERIMENTS:
                _skip_receive_queue(self._element.webrtc)
            ready(self)

        webrtc_media.MediaPorts.transport_ready = transport_ready  # type: ignore

    if "funnelsegments" in EXPERIMENTS:
        from kurento.engine.gst import webrtc_segments

        webrtc_segments.SharedSegments.attach = lambda self, funnel: None  # type: ignore

    if "inlineface" in EXPERIMENTS:
        from kurento.filters import face

        made = face.FaceOverlay.__init__

        def inline(self: Any, *args: Any, **kwargs: Any) -> None:
            made(self, *args, **{**kwargs, "background": False})

        face.FaceOverlay.__init__ = inline  # type: ignore[method-assign]
    for name in EXPERIMENTS:
        if name.startswith("fanout="):
            _fan_out_in_groups(int(name.split("=")[1]))
    if "recordnothing" in EXPERIMENTS:
        from kurento.engine.gst import recorder as recording

        built = recording._Recording.__init__

        def dropping(self: Any, *args: Any, **kwargs: Any) -> None:
            built(self, *args, **kwargs)
            for valve in self.valves.values():
                valve.set_property("drop", True)

        recording._Recording.__init__ = dropping  # type: ignore[method-assign]
    if "queuebridge" in EXPERIMENTS:
        webrtc.WebRtcElement.direct_input = False
    if "queuerecorder" in EXPERIMENTS:
        from kurento.engine.gst import recorder

        recorder.RecorderElement.direct_input = False
    cls: Any = webrtc.WebRtcElement
    original_build = cls.build
    original_add = cls._add_transceiver

    def build(self: Any) -> None:
        original_build(self)
        if "latency0" in EXPERIMENTS:
            self.webrtc.set_property("latency", 0)
        for name in EXPERIMENTS:
            if name.startswith("latency="):
                self.webrtc.set_property("latency", int(name.split("=")[1]))
        if "audioprobe" in EXPERIMENTS:
            _audio_probes(self)
        if "nosinksync" in EXPERIMENTS:
            self.pipeline.connect("deep-element-added", _no_sink_sync)
        if "noclocksync" in EXPERIMENTS:
            self.webrtc.connect("deep-element-added", _no_clocksync)
        for name in EXPERIMENTS:
            if name.startswith("recvqueue="):
                limit = int(name.split("=")[1]) * 1_000_000
                self.webrtc.connect("deep-element-added", functools.partial(
                    _limit_receive_queue, limit))
        if "backlog" in EXPERIMENTS:
            _watch_backlog(self.webrtc)
        rtpbin = self.webrtc.get_by_name("rtpbin")
        if rtpbin is not None:
            if "droponlatency" in EXPERIMENTS:
                rtpbin.set_property("drop-on-latency", True)
            if "keeponlatency" in EXPERIMENTS:
                rtpbin.set_property("drop-on-latency", False)
            if "nolipsync" in EXPERIMENTS:
                rtpbin.set_property("max-ts-offset", 1)
            if "jbnone" in EXPERIMENTS:
                rtpbin.set_property("buffer-mode", 0)

    def add_transceiver(self: Any, stream: Any, *args: Any, **kwargs: Any) -> None:
        original_add(self, stream, *args, **kwargs)
        if "nonack" in EXPERIMENTS and stream.transceiver is not None:
            stream.transceiver.set_property("do-nack", False)

    cls.build = build
    cls._add_transceiver = add_transceiver


_PROBE_LOG: dict[str, list[tuple[int, float]]] = {}


def _fan_out_in_groups(groups: int) -> None:
    """``fanout=K``: each direct bridge takes its pad from the least used of K group tees
    behind the source's tee (tee → queue → tee), made on first use."""
    import threading

    from kurento.engine.gst import bridge
    from kurento.engine.gst._gst import Gst

    built, lock = bridge.Bridge._build_sync, threading.Lock()
    by_tee: dict[Any, list[list[Any]]] = {}  # source tee → [[group tee, links], ...]

    def group_tee(self: Any) -> Any:
        with lock:
            found = by_tee.setdefault(self._tee, [])
            if len(found) < groups:
                queue = Gst.ElementFactory.make("queue")
                queue.set_property("max-size-buffers", 0)
                queue.set_property("max-size-bytes", 0)
                queue.set_property("max-size-time", Gst.SECOND)
                queue.set_property("leaky", 2)
                tee = Gst.ElementFactory.make("tee")
                tee.set_property("allow-not-linked", True)
                pipeline = self.source.pipeline
                pipeline.add(queue)
                pipeline.add(tee)
                queue.link(tee)
                tee.sync_state_with_parent()
                queue.sync_state_with_parent()
                self._tee.request_pad_simple("src_%u").link(queue.get_static_pad("sink"))
                found.append([tee, 0])
            entry = min(found, key=lambda item: item[1])
            entry[1] += 1
            return entry[0]

    def build(self: Any) -> None:
        if self.direct:
            self._tee = group_tee(self)
        built(self)

    bridge.Bridge._build_sync = build  # type: ignore[method-assign]


def _audio_probes(element: Any) -> None:
    """Times (monotonic) of audio buffers at points of the endpoint, printed every 5 s."""
    import threading
    import time

    from kurento.engine.gst._gst import Gst

    def probe(name: str) -> Any:
        log = _PROBE_LOG.setdefault(f"{element.name}:{name}", [])

        def on_buffer(_pad: Any, info: Any) -> Any:
            log.append((info.get_buffer().pts, time.monotonic()))
            return Gst.PadProbeReturn.OK

        return on_buffer

    def rtp_audio(name: str) -> Any:
        log = _PROBE_LOG.setdefault(f"{element.name}:{name}", [])

        def on_buffer(_pad: Any, info: Any) -> Any:
            buffer = info.get_buffer()
            ok, header = buffer.map(Gst.MapFlags.READ)
            if ok:
                pt = header.data[1] & 0x7F if len(header.data) > 1 else 0
                buffer.unmap(header)
                if pt == 111:
                    log.append((buffer.pts, time.monotonic()))
            return Gst.PadProbeReturn.OK

        return on_buffer

    pipeline = element.pipeline
    for ident, point in (("audio_depayed", "1 depayed"), ("audio_in", "2 bridged")):
        pad = pipeline.get_by_name(ident).get_static_pad("src")
        pad.add_probe(Gst.PadProbeType.BUFFER, probe(point))

    def added(_bin: Any, _sub: Any, child: Any) -> None:
        factory = child.get_factory()
        name = factory.get_name() if factory is not None else ""
        print(f"audioprobe added {name} {child.get_name()} in {_sub.get_name()}",
              file=sys.stderr, flush=True)
        if name == "clocksync":
            child.get_static_pad("src").add_probe(Gst.PadProbeType.BUFFER,
                                                  rtp_audio(f"6 clocksync {child.get_name()}"))
        if name == "rtpopuspay":
            child.get_static_pad("src").add_probe(Gst.PadProbeType.BUFFER, probe("3 payloaded"))
        elif name == "srtpenc":
            child.get_static_pad("sink_rtp_0" if False else "rtp_sink_0") and None
            for pad in child.sinkpads:
                pad.add_probe(Gst.PadProbeType.BUFFER, rtp_audio(f"4 srtpenc {pad.get_name()}"))
        elif name in ("nicesink", "dtlsenc"):
            child.get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER,
                                                   rtp_audio(f"5 {name} {child.get_name()}"))
        if name in ("rtpfunnel", "rtpsession", "rtprtxsend", "rtpstorage", "rtpulpfecenc",
                    "rtpredenc", "funnel", "rtpbin", "srtpenc"):
            def watch(pad: Any) -> None:
                if pad.get_direction() == Gst.PadDirection.SRC and "rtcp" not in pad.get_name():
                    pad.add_probe(Gst.PadProbeType.BUFFER,
                                  rtp_audio(f"6 {name}:{pad.get_name()}"))

            for pad in child.srcpads:
                watch(pad)
            child.connect("pad-added", lambda _e, pad: watch(pad))

    pipeline.connect("deep-element-added", added)

    def report() -> None:
        try:
            _report()
        except Exception as error:
            print(f"audioprobe report failed: {error!r}", file=sys.stderr, flush=True)

    def _report() -> None:
        while True:
            time.sleep(5)
            print(f"audioprobe {element.name}: {[(k, len(v)) for k, v in _PROBE_LOG.items()]}",
                  file=sys.stderr, flush=True)
            names = sorted(k for k in _PROBE_LOG if k.startswith(element.name)
                           and _PROBE_LOG[k])
            if len(names) < 2:
                continue
            first = dict(_PROBE_LOG[names[0]][-300:])
            line = []
            for k in names[1:]:
                deltas = sorted(1000 * (t - first[pts]) for pts, t in _PROBE_LOG[k][-300:]
                                if pts in first)
                if deltas:
                    line.append(f"{k.split(':', 1)[1]} +{deltas[len(deltas) // 2]:.1f}ms "
                                f"(max {deltas[-1]:.1f}, {len(deltas)} matched)")
            print(f"{element.name} " + ", ".join(line), file=sys.stderr, flush=True)

    threading.Thread(target=report, daemon=True).start()


def _limit_receive_queue(limit: int, _bin: Any, sub: Any, element: Any) -> None:
    factory = element.get_factory()
    if (factory is not None and factory.get_name() == "queue"
            and "receive" in (sub.get_name() or "")):
        element.set_property("max-size-bytes", 0)
        element.set_property("max-size-time", limit)


_BACKLOG: list[Any] = []  # weak references to the webrtcbins the watcher reports on
_BACKLOG_WATCH: list[Any] = []  # its thread, once started


def _receive_queues(webrtc: Any) -> list[Any]:
    """The queue in each of webrtcbin's transportreceivebins (nicesrc → queue → dtlssrtpdec)."""
    from kurento.engine.gst._gst import Gst

    iterator = webrtc.iterate_recurse()
    queues = []
    while True:
        ok, element = iterator.next()
        if ok != Gst.IteratorResult.OK:
            return queues
        parent, factory = element.get_parent(), element.get_factory()
        if (factory is not None and factory.get_name() == "queue" and parent is not None
                and "receive" in parent.get_name()):
            queues.append(element)


def _watch_backlog(webrtc: Any) -> None:
    import threading
    import weakref

    _BACKLOG.append(weakref.ref(webrtc))
    if _BACKLOG_WATCH:
        return

    def watch() -> None:
        while True:
            time.sleep(2)
            fullest = (0, 0, 0)
            for ref in list(_BACKLOG):
                alive = ref()
                if alive is None:
                    _BACKLOG.remove(ref)
                    continue
                for queue in _receive_queues(alive):
                    fullest = max(fullest, (queue.get_property("current-level-time"),
                                            queue.get_property("current-level-buffers"),
                                            queue.get_property("current-level-bytes")))
            print(f"backlog: fullest receive queue {fullest[0] / 1e6:.0f} ms, "
                  f"{fullest[1]} buffers, {fullest[2]} bytes", file=sys.stderr, flush=True)

    thread = threading.Thread(target=watch, daemon=True, name="backlog")
    _BACKLOG_WATCH.append(thread)
    thread.start()


def _no_clocksync(_bin: Any, _sub: Any, element: Any) -> None:
    """webrtcbin 1.22 puts a clocksync (sync=true) in front of each send stream."""
    factory = element.get_factory()
    if factory is not None and factory.get_name() == "clocksync":
        element.set_property("sync", False)


def _no_sink_sync(_bin: Any, _sub: Any, element: Any) -> None:
    factory = element.get_factory()
    if factory is not None and factory.get_name() == "nicesink":
        print(f"nicesink {element.get_name()} sync={element.get_property('sync')}",
              file=sys.stderr, flush=True)
        element.set_property("sync", False)


def _bypass_fec(webrtc: Any) -> None:
    """webrtcbin sink → clocksync → FEC bin (ulpfec, red) → rtpfunnel: straight to the funnel."""
    for pad in list(webrtc.sinkpads):
        target = pad.get_target()
        clocksync = target.get_parent() if target is not None else None
        if clocksync is None or clocksync.get_factory().get_name() != "clocksync":
            print("bypassfec: no clocksync", pad.get_name(), file=sys.stderr, flush=True)
            continue
        fec_sink = clocksync.get_static_pad("src").get_peer()
        fec_bin = fec_sink.get_parent() if fec_sink is not None else None
        fec_src = fec_bin.get_static_pad("src") if fec_bin is not None else None
        funnel_sink = fec_src.get_peer() if fec_src is not None else None
        if funnel_sink is None:
            print("bypassfec: no funnel", pad.get_name(), file=sys.stderr, flush=True)
            continue
        fec_src.unlink(funnel_sink)
        if not pad.set_target(funnel_sink):
            print("bypassfec: retarget failed", file=sys.stderr, flush=True)


def _skip_receive_queue(webrtc: Any) -> None:
    """capsfilter → queue → dtlssrtpdec in each transportreceivebin: capsfilter →
    dtlssrtpdec, relinked while the capsfilter's output is blocked."""
    from kurento.engine.gst._gst import Gst

    for queue in _receive_queues(webrtc):
        upstream = queue.get_static_pad("sink").get_peer()
        downstream = queue.get_static_pad("src").get_peer()
        if upstream is None or downstream is None:
            print("noreceivequeue: unlinked queue", file=sys.stderr, flush=True)
            continue

        def relink(pad: Any, _info: Any, queue: Any = queue, downstream: Any = downstream) -> Any:
            pad.unlink(queue.get_static_pad("sink"))
            queue.get_static_pad("src").unlink(downstream)
            if pad.link(downstream) != Gst.PadLinkReturn.OK:
                print("noreceivequeue: relink failed", file=sys.stderr, flush=True)
            return Gst.PadProbeReturn.REMOVE

        upstream.add_probe(Gst.PadProbeType.BLOCK_DOWNSTREAM, relink)


PRELOADS = {"jemalloc": "libjemalloc.so.2", "tcmalloc": "libtcmalloc_minimal.so.4"}


def _restart_with_allocator() -> None:
    """Preloading only works from a process's start: exec this script again with it."""
    libraries = Path("/usr/lib") / (sysconfig.get_config_var("MULTIARCH") or "")
    chosen = [str(libraries / PRELOADS[name]) for name in sorted(EXPERIMENTS & PRELOADS.keys())]
    missing = [lib for lib in chosen if not os.path.exists(lib)]
    if missing:  # ld.so would only warn and run the server with glibc's malloc
        raise SystemExit(f"not installed: {missing} (apt-get install libjemalloc2 "
                         "libtcmalloc-minimal4)")
    wanted = {}
    if chosen:
        wanted["LD_PRELOAD"] = ":".join(chosen)
    if "gslicemalloc" in EXPERIMENTS:
        wanted["G_SLICE"] = "always-malloc"
    if all(os.environ.get(key) == value for key, value in wanted.items()):
        return
    os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, **wanted})


def main() -> None:
    unknown = {e for e in EXPERIMENTS
               if not e.startswith(("latency=", "recvqueue=", "fanout="))} - {
        "latency0", "nolipsync", "nonack", "jbnone", "nosinksync", "audioprobe", "cacheref",
        "cheapguard", "noclocksync", "queuebridge", "funnelsegments", "bypassfec", "backlog",
        "droponlatency", "keeponlatency", "noreceivequeue", "queuerecorder", "inlineface",
        "recordnothing", "jemalloc", "tcmalloc", "gslicemalloc"}
    if unknown:
        raise SystemExit(f"unknown experiments: {sorted(unknown)}")
    _restart_with_allocator()
    patch()
    from kurento.server.__main__ import main as server_main

    print(f"experiments: {sorted(EXPERIMENTS)}", file=sys.stderr, flush=True)
    server_main()


if __name__ == "__main__":
    main()
