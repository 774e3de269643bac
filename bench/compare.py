"""Our server side by side with Janus, driven by the browser-free load generator.

``.venv/bin/python bench/compare.py --scenario loopback`` runs, for each server and for
N = 1, 2, 4, 8, ... sessions until quality breaks (or ``--max``): a fresh server on a
free 127.0.0.1 port, then the generator (``bench/loadgen``, a separate process) with N
sessions. Each session sends a pre-encoded VGA VP8 + Opus clip (~460 kbit/s, 30 fps)
and receives it back through the server (ours: MediaPipeline + WebRtcEndpoint
connected to itself; Janus 1.1.2: echotest plugin). Nothing is encoded or decoded.

As root the whole run happens inside a fresh network namespace that has only ``lo``
(``kpy-bench-PID``, deleted afterwards); otherwise every socket is bound to 127.0.0.1
and ICE is pinned to it on all sides.

Columns (per server):

* ``N``: loopback sessions;
* ``CPU %``: server process utime+stime over the window, % of one core;
* ``RSS``: server VmRSS at the end of the window, MiB;
* ``gen %``: the generator process over the same window, % of one core;
* ``pkt/CPU-s``: RTP packets the server sent to the generator during the window
  (generator inbound-rtp ``packets-received``) per server CPU-second;
* ``video p50/p99``, ``audio p50/p99``: delay of every video / audio frame sent during
  the window, ms, from its push into the generator's sender to its depayloaded arrival
  back (matched by a hash of the frame payload; a video frame counts when its last
  packet is in): the generator's own send/receive path is included;
* ``fps``: lowest receiver video frame rate among the sessions (the clip is 30 fps);
* ``loss %``: worst session: frames (video + audio) sent during the window that never
  came back;
* ``PLI``: keyframe requests (PLI + FIR) the generator received during the window.

``--scenario one-to-many``: one presenter and N viewers (ours: a WebRtcEndpoint
connected to N WebRtcEndpoints; Janus: the videoroom plugin); the same columns, for the
viewers; ``pkt/CPU-s`` is what the server forwarded (goal: 40,000).
``--scenario control-plane``: N clients repeating create pipeline + WebRtcEndpoint,
connect, release (Janus: create, attach, detach, destroy) with ``loadgen.control``:
sequences/s, latencies, server CPU per sequence (see bench/README.md).
``--scenario recording``: N senders (send only), each recorded by the server (ours:
WebRtcEndpoint → RecorderEndpoint, WEBM, no transcoding; Janus: the recordplay plugin,
.mjr) into a temporary folder under /tmp; after each row every file is checked
(non-empty, ffprobe -count_frames; Janus's .mjr through janus-pp-rec first): bytes
written, recorded fps, frames recorded / frames sent, the senders' RTCP-reported loss;
server CPU per recording.
``--scenario filtered [--filter 'gst:COMMAND'|sepia|sepia-process|face]``: N loopback
sessions through a filter (ours only; Janus's columns say n/a): fps and loss by frame
count (the video comes back re-encoded: no frame hash matches it), the video delay
through the filter from the frame numbers two sessions read back from the marked clip's
pictures (``loadgen.marker``), audio delay by hash (audio does not go through the
filter); "filtered VGA sessions per core" for the highest N that kept quality.
``face``: a FaceOverlayFilter with the magic mirror's hat, the sessions sending a clip of
a real face (same encoding as the normal clip).
``--scenario all``: the five in turn (filtered with ``--filter``), each in a process and
namespace of its own with the same options, then ``bench/goals.py``: issue 6's goals
checked against what they wrote.
``--profile DIR``: ``perf record -g`` (``KPY_BENCH_PROFILER=py-spy``: py-spy) of our
server during each window; ``KPY_BENCH_EXPERIMENT=...``: our server through
``bench/experiment.py`` (in-memory changes, for measuring them).

Quality breaks when a receiver's fps < 90 % of the sender's, loss > 1 % or the p99
delay of all frames (video and audio together) > 100 ms: the ladder stops after that
row (marked ``*``). ``ours/janus`` divides our CPU % and pkt/CPU-s by Janus's at the
same N.

The rows also go to ``bench/loadgen/results/loopback.json`` and a plot (server CPU and
generator CPU against N, delay p50/p99 against N, both servers) to
``bench/loadgen/results/loopback.png``.

Usage: .venv/bin/python bench/compare.py
       --scenario loopback|one-to-many|control-plane|recording|filtered|all
       [--filter 'gst:videoflip method=horizontal-flip'|sepia|face] [--keep-recordings DIR]
       [--servers kurento,janus]
       [--sessions 1,2,4,8,16,32,64,128] [--max 128] [--window 10] [--settle 3]
       [--keep-going] [--stack gst|aiortc] [--gen-processes 4] [--logs DIR] [--out DIR]
       [--profile DIR] [--no-netns]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import math
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import goals
from goals import PACKETS_GOAL
from procstats import (
    free_port,
    thread_count,
    thread_cpu,
    tree_cpu_seconds,
    tree_rss_mib,
)

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
RESULTS = BENCH / "loadgen" / "results"
JANUS_LIBS = Path("/usr/lib/x86_64-linux-gnu/janus")
NETNS_PREFIX = "kpy-bench"
# Janus never gathers ICE candidates on a loopback interface (it skips IFF_LOOPBACK, and
# libnice then finds nothing), so inside the namespace 127.0.0.1/32 is also put on an
# empty bridge, an interface with no ports: nothing sent on it can leave the namespace.
JANUS_IFACE = "kpyjanus0"
FPS_FLOOR, LOSS_CEILING, DELAY_CEILING = 0.9, 1.0, 100.0
CONTROL_P99_CEILING = 1000.0  # ms: a control-plane row breaks past it (or on a failure)
LOGS: Path | None = None  # --logs: servers' and generator's logs are kept there
PROFILE: Path | None = None  # --profile: perf / py-spy of our server during each window
RECORD_DIR: Path | None = None  # recording: this row's folder for the servers' files
FILTER = "gst:videoflip method=horizontal-flip"  # filtered: --filter
KEEP_RECORDINGS: Path | None = None  # --keep-recordings: the row folders are moved there
# --gen-processes: the generator's sessions spread over processes. One process stamps
# arrivals late (its streaming threads queue for one GIL) and sends every session's frame
# at the same instant, a burst no set of real users makes (bench/README.md).
GEN_PROCESSES = 4


def log_file(name: str) -> Any:
    if LOGS is None:
        return subprocess.DEVNULL
    LOGS.mkdir(parents=True, exist_ok=True)
    return (LOGS / name).open("w")


def dump_stacks(pid: int, path: Path) -> None:
    """Every thread's native stack (gdb), when a session went without video or audio:
    a send path blocked somewhere shows there while the server still runs."""
    if shutil.which("gdb") is None:
        return
    with path.open("w") as out:
        subprocess.run(["gdb", "-p", str(pid), "-batch", "-ex", "thread apply all bt"],
                       stdout=out, stderr=subprocess.STDOUT, timeout=120, check=False)


# -- the servers -------------------------------------------------------------------------


def stop(process: subprocess.Popen[Any]) -> None:
    """SIGTERM, then SIGKILL after 5 s: only processes this script started, by PID."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def wait_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(BENCH), str(ROOT / "src")])}


def server_env() -> dict[str, str]:
    """Our server's: a filter of ``loadgen.process_filters`` is loaded as a plug-in."""
    from loadgen import process_filters

    if SCENARIO == "filtered" and FILTER in process_filters.SPECS:
        return {**env(), "KURENTO_FILTER_PLUGINS": process_filters.MODULE}
    return env()


@contextlib.contextmanager
def kurento_server(sessions: int) -> Iterator[tuple[subprocess.Popen[Any], str]]:
    port = free_port()
    log = log_file(f"kurento-{sessions}.log")
    # KPY_BENCH_EXPERIMENT: the server with in-memory changes (bench/experiment.py)
    entry = ([str(BENCH / "experiment.py")] if os.environ.get("KPY_BENCH_EXPERIMENT")
             else ["-m", "kurento.server"])
    server = subprocess.Popen(
        [sys.executable, *entry, "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "WARNING" if LOGS else "ERROR"],
        stdout=log, stderr=subprocess.STDOUT, env=server_env())
    try:
        wait_port(port)
        yield server, f"ws://127.0.0.1:{port}/kurento"
    finally:
        stop(server)
        if LOGS is not None:
            log.close()


def janus_config(folder: Path, port: int) -> None:
    """A config folder of our own: WebSocket transport on 127.0.0.1, the echotest,
    videoroom and recordplay plugins, ICE on 127.0.0.1 only (the namespace's bridge, see
    JANUS_IFACE), no STUN, no event handlers."""
    for kind, library in (("plugins", "libjanus_echotest.so"),
                          ("plugins", "libjanus_videoroom.so"),
                          ("plugins", "libjanus_recordplay.so"),
                          ("transports", "libjanus_websockets.so")):
        (folder / kind).mkdir(exist_ok=True)
        (folder / kind / library).symlink_to(JANUS_LIBS / kind / library)
    for empty in ("events", "loggers"):
        (folder / empty).mkdir()
    (folder / "janus.jcfg").write_text(f"""general: {{
    configs_folder = "{folder}"
    plugins_folder = "{folder}/plugins"
    transports_folder = "{folder}/transports"
    events_folder = "{folder}/events"
    loggers_folder = "{folder}/loggers"
    debug_level = 2
    session_timeout = 0
    server_name = "kpy-bench"
}}
certificates: {{
}}
media: {{
    rtp_port_range = "20000-40000"
}}
nat: {{
    nice_debug = false
    ice_enforce_list = "{JANUS_IFACE}"
    ignore_mdns = true
}}
plugins: {{
}}
transports: {{
}}
loggers: {{
}}
events: {{
    broadcast = false
}}
""")
    (folder / "janus.transport.websockets.jcfg").write_text(f"""general: {{
    json = "plain"
    ws = true
    ws_port = {port}
    ws_ip = "127.0.0.1"
    wss = false
}}
admin: {{
    admin_ws = false
    admin_wss = false
}}
""")
    (folder / "janus.plugin.echotest.jcfg").write_text("general: {\n}\n")
    # One-to-many: one room, one publisher, no bitrate cap, VP8 + Opus, no recording.
    from loadgen.targets import ROOM

    (folder / "janus.plugin.videoroom.jcfg").write_text(f"""general: {{
}}
room-{ROOM}: {{
    description = "kpy-bench"
    publishers = 1
    bitrate = 0
    fir_freq = 0
    audiocodec = "opus"
    videocodec = "vp8"
    record = false
}}
""")
    # Recording: .mjr files into this row's temporary folder (or one of Janus's own).
    recordings = RECORD_DIR or folder / "recordings"
    recordings.mkdir(exist_ok=True)
    (folder / "janus.plugin.recordplay.jcfg").write_text(
        f'general: {{\n    path = "{recordings}"\n}}\n')


@contextlib.contextmanager
def janus_server(sessions: int) -> Iterator[tuple[subprocess.Popen[Any], str]]:
    binary = shutil.which("janus")
    if not os.environ.get("KPY_BENCH_NETNS"):
        raise RuntimeError("janus runs only inside the benchmark's namespace (as root, "
                           "without --no-netns): it cannot gather ICE on loopback alone")
    if binary is None:
        raise RuntimeError("janus is not installed (apt-get install --no-install-recommends janus)")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="kpy-janus-") as temp:
        folder = Path(temp)
        janus_config(folder, port)
        log = (folder / "janus.log").open("w")
        server = subprocess.Popen(
            [binary, "-F", str(folder), "-C", str(folder / "janus.jcfg"), "-o"],
            stdout=log, stderr=subprocess.STDOUT, cwd=temp)
        try:
            wait_port(port)
            yield server, f"ws://127.0.0.1:{port}"
        except Exception:
            log.flush()
            sys.stderr.write((folder / "janus.log").read_text()[-2000:])
            raise
        finally:
            stop(server)
            log.close()
            if LOGS is not None:
                LOGS.mkdir(parents=True, exist_ok=True)
                shutil.copy(folder / "janus.log", LOGS / f"janus-{sessions}.log")


SERVERS = {"kurento": kurento_server, "janus": janus_server}


# -- one row -----------------------------------------------------------------------------


def read_event(worker: subprocess.Popen[str], name: str) -> dict[str, Any]:
    assert worker.stdout is not None
    for line in worker.stdout:
        if line.startswith("{"):
            event: dict[str, Any] = json.loads(line)
            if event.get("event") == "error":
                raise RuntimeError(event.get("message"))
            if event.get("event") == name:
                return event
    raise RuntimeError(f"generator ended before {name!r} (exit {worker.wait()})")


LADDER = "1,2,4,8,16,32,64,128"
LOOPBACK_LADDER = "1,2,4,8,16,32"


def setup_limit(sessions: int) -> float:
    """Seconds a row may take to set its sessions up before it is given up as broken."""
    return 120 + 2 * sessions


def run_row(target: str, sessions: int, window: float, settle: float,
            stack: str = "gst", scenario: str = "loopback") -> dict[str, Any]:
    if scenario != "recording":
        return measure_row(target, sessions, window, settle, stack, scenario)
    global RECORD_DIR
    RECORD_DIR = Path(tempfile.mkdtemp(prefix=f"kpy-bench-rec-{target}-{sessions}-"))
    try:
        RECORD_DIR.chmod(0o777)  # the server may run as another user
        row = measure_row(target, sessions, window, settle, stack, scenario)
        # (the server has stopped: Janus has closed its files)
        row.update(check_recordings(target, sessions, RECORD_DIR, row))
        row["broken"] = quality_broken(row)
        return row
    finally:
        if KEEP_RECORDINGS is None:
            shutil.rmtree(RECORD_DIR, ignore_errors=True)
        else:
            KEEP_RECORDINGS.mkdir(parents=True, exist_ok=True)
            shutil.move(str(RECORD_DIR), KEEP_RECORDINGS / RECORD_DIR.name)
        RECORD_DIR = None


def measure_row(target: str, sessions: int, window: float, settle: float,
                stack: str, scenario: str) -> dict[str, Any]:
    if scenario == "control-plane":
        command = ["-m", "loadgen.control", "--clients", str(sessions)]
    else:
        command = ["-m", "loadgen", "--sessions", str(sessions), "--stack", stack,
                   "--scenario", scenario]
        if scenario == "filtered":
            command += ["--filter", FILTER]
        if scenario == "recording":
            assert RECORD_DIR is not None
            command += ["--record-dir", str(RECORD_DIR)]
        if GEN_PROCESSES > 1 and scenario in ("loopback", "one-to-many") and stack == "gst":
            command += ["--processes", str(GEN_PROCESSES)]
    with SERVERS[target](sessions) as (server, url):
        worker = subprocess.Popen(
            [sys.executable, *command, "--target", target, "--url", url,
             "--window", str(window), "--settle", str(settle)],
            stdout=subprocess.PIPE, stderr=log_file(f"loadgen-{target}-{sessions}.log"),
            text=True, env=env(), cwd=BENCH)
        # An overloaded machine can keep the generator negotiating for many minutes.
        give_up = threading.Timer(setup_limit(sessions), worker.kill)
        give_up.start()
        try:
            try:
                ready = read_event(worker, "sampling")
            except RuntimeError:
                if give_up.finished.is_set():
                    raise RuntimeError(f"sessions not set up within "
                                       f"{setup_limit(sessions):.0f} s") from None
                raise
            finally:
                give_up.cancel()
            # the server's tree: filters with isolation = "process" run in children
            server_before = tree_cpu_seconds(server.pid)
            gen_before = tree_cpu_seconds(worker.pid)
            threads_before = thread_cpu(server.pid)
            profiler = start_profiler(target, sessions, server.pid, window)
            wall_before = time.monotonic()
            read_event(worker, "window-end")
            wall = time.monotonic() - wall_before
            server_cpu = tree_cpu_seconds(server.pid) - server_before
            gen_cpu = tree_cpu_seconds(worker.pid) - gen_before
            threads = {name: 100 * (cpu - threads_before.get(name, 0.0)) / wall
                       for name, cpu in thread_cpu(server.pid).items()}
            counts = thread_count(server.pid)
            rss = tree_rss_mib(server.pid)
            if profiler is not None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    profiler.wait(30)
                stop(profiler)
            done = read_event(worker, "done")
            if done.get("silent_detail") and target == "kurento" and LOGS is not None:
                dump_stacks(server.pid, LOGS / f"stacks-{target}-{sessions}.txt")
            worker.wait(30)
        finally:
            stop(worker)
    row = {
        "server": target, "n": sessions, "cpu": 100 * server_cpu / wall, "rss": rss,
        "gen_cpu": 100 * gen_cpu / wall,
        "missing": ready["missing"], **{k: v for k, v in done.items() if k != "event"},
        "server_threads": {name: {"cpu": round(cpu, 2), "count": counts.get(name, 0)}
                           for name, cpu in sorted(threads.items(), key=lambda i: -i[1])
                           if cpu >= 0.05},
    }
    if scenario == "control-plane":
        row["cpu_ms_per_seq"] = (1000 * server_cpu / row["sequences"] if row["sequences"]
                                 else math.nan)
    elif scenario == "recording":
        row["cpu_per_rec"] = row["cpu"] / sessions
    elif scenario == "filtered":
        row["sessions_per_core"] = sessions / (row["cpu"] / 100) if row["cpu"] else math.nan
        row["filter"] = FILTER
    else:
        row["pkt_per_cpu_s"] = (done["packets_received"] / server_cpu if server_cpu
                                else math.nan)
    row["broken"] = quality_broken(row)
    return row


def start_profiler(target: str, sessions: int, pid: int,
                   window: float) -> subprocess.Popen[Any] | None:
    """--profile: ``perf record -g`` (or ``py-spy record`` with KPY_BENCH_PROFILER=py-spy;
    DWARF call graphs with KPY_BENCH_PROFILER=perf-dwarf, which see through Debian's
    libraries built without frame pointers) on our server for the window; the data goes
    to the --profile folder."""
    if PROFILE is None or target != "kurento":
        return None
    PROFILE.mkdir(parents=True, exist_ok=True)
    seconds = max(1, int(window) - 1)
    if os.environ.get("KPY_BENCH_PROFILER") == "py-spy":
        spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        command = [spy, "record", "--nonblocking", "--threads", "-r", "97",
                   "-d", str(seconds), "-f", "raw", "-p", str(pid),
                   "-o", str(PROFILE / f"pyspy-{SCENARIO}-{sessions}.txt")]
    else:
        graph = (["-F", "199", "--call-graph", "dwarf,16384"]
                 if os.environ.get("KPY_BENCH_PROFILER") == "perf-dwarf" else ["-F", "499", "-g"])
        command = ["perf", "record", *graph, "-p", str(pid),
                   "-o", str(PROFILE / f"perf-{SCENARIO}-{sessions}.data"), "--", "sleep",
                   str(seconds)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


# -- recordings --------------------------------------------------------------------------


def ffprobe(path: Path) -> dict[str, Any]:
    """Codecs, decoded video frames (``-count_frames``) and duration of a media file;
    {"error": ...} if ffprobe cannot read it."""
    try:
        done = subprocess.run(
            ["ffprobe", "-v", "error", "-count_frames", "-show_entries",
             "stream=codec_type,codec_name,nb_read_frames:format=duration", "-of", "json",
             str(path)], capture_output=True, text=True, timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return {"error": str(error)}
    if done.returncode != 0:
        return {"error": done.stderr.strip()[-200:] or f"ffprobe exit {done.returncode}"}
    info = json.loads(done.stdout or "{}")
    result: dict[str, Any] = {"codecs": {}, "frames": 0,
                              "duration": float(info.get("format", {}).get("duration") or 0)}
    for stream in info.get("streams", []):
        result["codecs"][stream.get("codec_type")] = stream.get("codec_name")
        if stream.get("codec_type") == "video":
            result["frames"] = int(stream.get("nb_read_frames") or 0)
    return result


def janus_pp_rec(mjr: Path, out: Path) -> str | None:
    """Converts a Janus .mjr to a playable file with janus-pp-rec (janus-tools); the error,
    or None."""
    binary = shutil.which("janus-pp-rec")
    if binary is None:
        return "janus-pp-rec not installed (apt-get install janus-tools)"
    try:
        done = subprocess.run([binary, str(mjr), str(out)], capture_output=True, text=True,
                              timeout=120, check=False)
    except subprocess.TimeoutExpired:
        # Seen twice (an audio .mjr, on a loaded machine): the output fully written, then
        # janus-pp-rec never exited; the same file converted again took 0.1 s. The file is
        # then judged by what ffprobe reads of the output.
        if out.exists() and out.stat().st_size:
            return None
        return f"janus-pp-rec {mjr.name}: no result within 120 s"
    if done.returncode != 0 or not out.exists() or not out.stat().st_size:
        return (done.stderr or done.stdout).strip()[-200:] or f"exit {done.returncode}"
    return None


def check_recordings(target: str, sessions: int, folder: Path,
                     row: dict[str, Any]) -> dict[str, Any]:
    """After the server stopped: every session's files non-empty and readable, VP8 + Opus,
    video frames decoded by ffprobe. Ours: ``rec-I.webm``; Janus: ``rec-I-video.mjr`` and
    ``rec-I-audio.mjr``, converted with janus-pp-rec first (the bytes counted are the
    .mjr ones, what Janus wrote)."""
    files: list[dict[str, Any]] = []
    written = sum(f.stat().st_size for f in folder.iterdir() if f.is_file())
    for index in range(sessions):
        name = f"rec-{index}"
        if target == "kurento":
            path = folder / f"{name}.webm"
            if not path.exists() or not path.stat().st_size:
                files.append({"name": name, "error": "missing or empty"})
                continue
            info = ffprobe(path)
            info.update(name=name, bytes=path.stat().st_size)
            if "error" not in info and info["codecs"] != {"video": "vp8", "audio": "opus"}:
                info["error"] = f"codecs {info['codecs']}"
            files.append(info)
            continue
        video, audio = folder / f"{name}-video.mjr", folder / f"{name}-audio.mjr"
        if not all(p.exists() and p.stat().st_size for p in (video, audio)):
            files.append({"name": name, "error": "missing or empty .mjr"})
            continue
        error = (janus_pp_rec(video, folder / f"{name}-video.webm")
                 or janus_pp_rec(audio, folder / f"{name}-audio.opus"))
        if error:
            files.append({"name": name, "error": error})
            continue
        info = ffprobe(folder / f"{name}-video.webm")
        sound = ffprobe(folder / f"{name}-audio.opus")
        info.update(name=name, bytes=video.stat().st_size + audio.stat().st_size)
        if "error" not in info:
            info["codecs"] = {**info["codecs"], **sound.get("codecs", {})}
            if "error" in sound or info["codecs"] != {"video": "vp8", "audio": "opus"}:
                info["error"] = sound.get("error") or f"codecs {info['codecs']}"
        files.append(info)
    # frames each sender sent from its ICE connection to the stop (what could be recorded)
    per_sender = row.get("sent_video_connected") or [row.get("sent_video_recording") or 0] * (
        sessions)
    # and how long it was connected: senders set up first record longest
    connected = row.get("connect_s") or [math.nan] * sessions
    for index, info in enumerate(files):
        span = row.get("stop_at_s", math.nan) - connected[index]
        if "error" not in info and per_sender[index]:
            info["frames_pct"] = 100 * info["frames"] / per_sender[index]
        if "error" not in info and span > 0:
            info["duration_pct"] = 100 * info["duration"] / span
            info["kbit_s"] = 8 * info["bytes"] / span / 1000
    good = [f for f in files if "error" not in f and f["frames"] and f["duration"]]
    return {
        "bytes_written": written,
        "recordings": files,
        "bad_files": sessions - len(good),
        "kbit_per_rec": (statistics.fmean(f.get("kbit_s", math.nan) for f in good) if good
                         else math.nan),
        "rec_fps_min": min((f["frames"] / f["duration"] for f in good), default=0.0),
        "frames_pct_min": min((f.get("frames_pct", math.nan) for f in good), default=0.0),
        "duration_pct_min": min((f.get("duration_pct", math.nan) for f in good),
                                default=0.0),
    }


def quality_broken(row: dict[str, Any]) -> bool:
    if "rtcp_loss_max" in row:  # recording: the server keeps up, the files are good
        return bool(row["missing"] or row.get("bad_files", 0)
                    or row.get("rec_fps_min", 0.0) < FPS_FLOOR * row["sender_fps"]
                    or row["rtcp_loss_max"] > LOSS_CEILING)
    if "seq_per_s" in row:  # control plane: a failed request, or a sequence over 1 s
        return bool(row["failures"] or not row["seq_p99"] <= CONTROL_P99_CEILING)
    return bool(row["missing"] or row["fps_min"] < FPS_FLOOR * row["sender_fps"]
                or row["loss_max"] > LOSS_CEILING or not row["delay_p99"] <= DELAY_CEILING)


# -- output ------------------------------------------------------------------------------

HEADER = (f"{'CPU %':>6} {'RSS':>6} {'gen %':>6} {'pkt/CPU-s':>9} {'video p50/p99':>13} "
          f"{'audio p50/p99':>13} {'fps':>5} {'loss %':>6} {'PLI':>4}")


CONTROL_HEADER = (f"{'CPU %':>6} {'RSS':>6} {'gen %':>6} {'seq/s':>7} {'seq p50/p99':>13} "
                  f"{'create p99':>10} {'connect p99':>11} {'release p99':>11} "
                  f"{'CPU ms/seq':>10} {'fail':>4}")
RECORDING_HEADER = (f"{'CPU %':>6} {'RSS':>6} {'gen %':>6} {'CPU/rec':>7} {'MB':>6} "
                    f"{'kbit/s/rec':>10} {'rec fps':>7} {'frames %':>8} {'dur %':>6} "
                    f"{'RTCP loss %':>11} {'bad':>3}")
FILTERED_HEADER = (f"{'CPU %':>6} {'RSS':>6} {'gen %':>6} {'sess/core':>9} {'fps':>5} "
                   f"{'v loss %':>8} {'video p50/p99':>13} {'audio p50/p99':>13} "
                   f"{'a loss %':>8} {'PLI':>4}")
SCENARIO = "loopback"  # set by main()


def header() -> str:
    return {"control-plane": CONTROL_HEADER, "recording": RECORDING_HEADER,
            "filtered": FILTERED_HEADER}.get(SCENARIO, HEADER)


def recording_cells(row: dict[str, Any]) -> str:
    mark = "*" if row["broken"] else " "
    return (f"{row['cpu']:>6.1f} {row['rss']:>6.1f} {row['gen_cpu']:>6.1f} "
            f"{row['cpu_per_rec']:>7.2f} {row.get('bytes_written', 0) / 1e6:>6.1f} "
            f"{row.get('kbit_per_rec', math.nan):>10.0f} {row.get('rec_fps_min', 0):>7.1f} "
            f"{row.get('frames_pct_min', math.nan):>8.1f} "
            f"{row.get('duration_pct_min', math.nan):>6.1f} {row['rtcp_loss_max']:>11.2f} "
            f"{row.get('bad_files', 0):>3d}{mark}")


def filtered_cells(row: dict[str, Any]) -> str:
    mark = "*" if row["broken"] else " "
    audio = f"{row['audio_p50']:.1f}/{row['audio_p99']:.1f}"
    # through the filter, by the marker read back (n/a: no marker read, e.g. a filter that
    # moved the marker block; rows from before the marker have no such figure)
    video = (f"{row['video_p50']:.1f}/{row['video_p99']:.1f}" if row.get("marked_video")
             else "n/a")
    return (f"{row['cpu']:>6.1f} {row['rss']:>6.1f} {row['gen_cpu']:>6.1f} "
            f"{row['sessions_per_core']:>9.2f} {row['fps_min']:>5.1f} "
            f"{row['video_loss_max']:>8.2f} {video:>13} {audio:>13} "
            f"{row['audio_loss_max']:>8.2f} {row['pli'] + row['fir']:>4d}{mark}")


def control_cells(row: dict[str, Any]) -> str:
    mark = "*" if row["broken"] else " "
    seq = f"{row['seq_p50']:.1f}/{row['seq_p99']:.1f}"
    create = max(row.get("pipeline_p99", math.nan), row.get("endpoint_p99", math.nan))
    return (f"{row['cpu']:>6.1f} {row['rss']:>6.1f} {row['gen_cpu']:>6.1f} "
            f"{row['seq_per_s']:>7.1f} {seq:>13} {create:>10.1f} "
            f"{row.get('connect_p99', math.nan):>11.1f} {row.get('release_p99', math.nan):>11.1f} "
            f"{row['cpu_ms_per_seq']:>10.2f} {row['failures']:>4d}{mark}")


def cells(row: dict[str, Any] | None) -> str:
    width = len(header())
    if row is None:
        return " " * width
    if "error" in row:
        return f"{'failed: ' + row['error'][:width - 8]:<{width}}"
    if row.get("na"):
        return f"{'n/a (no filters in Janus)':^{width}}"
    if SCENARIO == "control-plane":
        return control_cells(row)
    if SCENARIO == "recording":
        return recording_cells(row)
    if SCENARIO == "filtered":
        return filtered_cells(row)
    mark = "*" if row["broken"] else " "
    video = f"{row['video_p50']:.1f}/{row['video_p99']:.1f}"
    audio = f"{row['audio_p50']:.1f}/{row['audio_p99']:.1f}"
    return (f"{row['cpu']:>6.1f} {row['rss']:>6.1f} {row['gen_cpu']:>6.1f} "
            f"{row['pkt_per_cpu_s']:>9.0f} {video:>13} {audio:>13} "
            f"{row['fps_min']:>5.1f} {row['loss_max']:>6.2f} {row['pli'] + row['fir']:>4d}{mark}")


def ratio(a: dict[str, Any] | None, b: dict[str, Any] | None, key: str) -> str:
    if (not a or not b or "error" in a or "error" in b or key not in a or key not in b
            or not b[key]):
        return "-"
    return f"{a[key] / b[key]:.2f}"


def table(rows: list[dict[str, Any]], servers: list[str]) -> str:
    by = {(r["server"], r["n"]): r for r in rows}
    ns = sorted({r["n"] for r in rows})
    title = "    " + " | ".join(f"{s:<{len(header())}}" for s in servers)
    lines = [title, f"{'N':>3} " + " | ".join(header() for _ in servers)]
    second, key = {"control-plane": ("seq/s", "seq_per_s"),
                   "recording": ("MB", "bytes_written"),
                   "filtered": ("fps", "fps_min")}.get(SCENARIO, ("pkt/CPU-s", "pkt_per_cpu_s"))
    if len(servers) == 2:
        lines[0] += " | ours/janus"
        lines[1] += f" |  CPU {second:>9}"
    for n in ns:
        line = f"{n:>3} " + " | ".join(cells(by.get((s, n))) for s in servers)
        if len(servers) == 2:
            a, b = by.get((servers[0], n)), by.get((servers[1], n))
            line += f" | {ratio(a, b, 'cpu'):>5} {ratio(a, b, key):>9}"
        lines.append(line)
    return "\n".join(lines)


def plot(rows: list[dict[str, Any]], servers: list[str], path: Path, title: str) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import matplotlib.ticker
    except ImportError:
        return False
    figure, (cpu_axis, delay_axis) = plt.subplots(1, 2, figsize=(11, 4.2))
    for server, color in zip(servers, ("tab:blue", "tab:orange"), strict=False):
        good = sorted((r for r in rows if r["server"] == server and "error" not in r
                       and not r.get("na")), key=lambda r: r["n"])
        if not good:
            continue
        ns = [r["n"] for r in good]
        cpu_axis.plot(ns, [r["cpu"] for r in good], "o-", color=color, label=f"{server} server")
        cpu_axis.plot(ns, [r["gen_cpu"] for r in good], "x:", color=color,
                      label=f"generator ({server})")
        if SCENARIO == "control-plane":
            delay_axis.plot(ns, [r["seq_p50"] for r in good], "o-", color=color,
                            label=f"{server} sequence p50")
            delay_axis.plot(ns, [r["seq_p99"] for r in good], "s--", color=color,
                            label=f"{server} sequence p99")
            continue
        if SCENARIO == "recording":
            delay_axis.plot(ns, [r.get("rec_fps_min", 0) for r in good], "o-", color=color,
                            label=f"{server} lowest recorded fps")
            continue
        if SCENARIO == "filtered":
            delay_axis.plot(ns, [r["fps_min"] for r in good], "o-", color=color,
                            label=f"{server} lowest received fps")
            delay_axis.plot(ns, [r.get("video_p99", math.nan) for r in good], "s--",
                            color=color, label=f"{server} video delay p99 (filtered), ms")
            delay_axis.plot(ns, [r["audio_p99"] for r in good], "^:", color=color,
                            label=f"{server} audio delay p99, ms")
            continue
        delay_axis.plot(ns, [r["video_p50"] for r in good], "o-", color=color,
                        label=f"{server} video p50")
        delay_axis.plot(ns, [r["video_p99"] for r in good], "s--", color=color,
                        label=f"{server} video p99")
        delay_axis.plot(ns, [r["audio_p99"] for r in good], "^:", color=color,
                        label=f"{server} audio p99")
    if SCENARIO != "recording":
        delay_axis.set_yscale("log")
    delay_label = {"control-plane": "sequence latency, ms", "recording": "frames per second",
                   "filtered": "fps / ms"}.get(SCENARIO, "frame delay, ms")
    x_label = {"loopback": "loopback sessions (N)", "one-to-many": "viewers of one presenter (N)",
               "control-plane": "concurrent clients (N)", "recording": "recorded senders (N)",
               "filtered": "filtered loopback sessions (N)"}[SCENARIO]
    for axis, label in ((cpu_axis, "CPU, % of one core"), (delay_axis, delay_label)):
        axis.set_xscale("log", base=2)
        axis.xaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:.0f}"))
        axis.set_xlabel(x_label)
        axis.set_ylabel(label)
        axis.grid(True, alpha=0.3)
        axis.legend(fontsize=8)
    figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return True


# -- the network namespace ---------------------------------------------------------------


def netns_available() -> bool:
    return os.geteuid() == 0 and shutil.which("ip") is not None


def run_in_netns(argv: list[str], script: str = __file__) -> int:
    """Runs ``script`` (this one) again inside a fresh namespace with only ``lo``; deletes
    it after."""
    name = f"{NETNS_PREFIX}-{os.getpid()}"
    subprocess.run(["ip", "netns", "add", name], check=True, capture_output=True, timeout=10)
    try:
        for command in (["ip", "link", "set", "lo", "up"],
                        ["ip", "link", "add", JANUS_IFACE, "type", "bridge"],
                        ["sysctl", "-qw", f"net.ipv6.conf.{JANUS_IFACE}.disable_ipv6=1"],
                        ["ip", "addr", "add", "127.0.0.1/32", "dev", JANUS_IFACE],
                        ["ip", "link", "set", JANUS_IFACE, "up"]):
            subprocess.run(["ip", "netns", "exec", name, *command], check=True,
                           capture_output=True, timeout=10)
        child = subprocess.Popen(["ip", "netns", "exec", name, sys.executable, script,
                                  *argv, "--in-netns", name],
                                 env={**os.environ, "KPY_BENCH_NETNS": name})
        try:
            return child.wait()
        except KeyboardInterrupt:
            stop(child)
            return 130
    finally:
        subprocess.run(["ip", "netns", "delete", name], capture_output=True, timeout=10,
                       check=False)


# -- main --------------------------------------------------------------------------------

ALL_SCENARIOS = ("loopback", "one-to-many", "recording", "filtered", "control-plane")


def without_scenario(argv: list[str]) -> list[str]:
    """The command line less its ``--scenario X`` (or ``--scenario=X``)."""
    rest: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--scenario":
            skip = True
        elif not arg.startswith("--scenario="):
            rest.append(arg)
    return rest


def run_all(argv: list[str], out: Path) -> int:
    """``--scenario all``: every scenario in turn, each in a process (and namespace) of
    its own with the same options, then the goals checked against what they wrote."""
    failed = []
    for scenario in ALL_SCENARIOS:
        print(f"\n== {scenario} ==", flush=True)
        code = subprocess.run([sys.executable, __file__, *without_scenario(argv),
                               "--scenario", scenario], check=False).returncode
        if code:
            failed.append(f"{scenario} (exit {code})")
    print("\n== goals (issue 6) ==")
    print(goals.report(goals.verdicts(out, os.cpu_count() or 1)))
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


def main() -> int:
    global LOGS, SCENARIO, PROFILE, FILTER, KEEP_RECORDINGS, GEN_PROCESSES
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenario", default="loopback", choices=(*ALL_SCENARIOS, "all"),
                        help="all: each scenario in turn, then the goals (bench/goals.py)")
    parser.add_argument("--filter", default=FILTER,
                        help="filtered: gst:COMMAND (a GStreamerFilter on video), sepia "
                             "(SepiaFilter), sepia-process (the same in a process of its "
                             "own, a plug-in) or face (FaceOverlayFilter with a hat; the "
                             "sessions send a clip of a real face); default %(default)r")
    parser.add_argument("--keep-recordings", type=Path,
                        help="recording: move each row's files there instead of deleting them")
    parser.add_argument("--servers", default="kurento,janus")
    parser.add_argument("--sessions", help="the ladder; default 1,2,4,8,16,32 for loopback "
                        "(64 sessions and their generator overload two cores), else up to 128")
    parser.add_argument("--max", type=int, default=128, help="largest N tried")
    parser.add_argument("--window", type=float, default=10.0)
    parser.add_argument("--settle", type=float, default=3.0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--stack", choices=("gst", "aiortc"), default="gst",
                        help="the generator's WebRTC stack: webrtcbin (default) or aiortc")
    parser.add_argument("--gen-processes", type=int, default=GEN_PROCESSES,
                        help="loopback and one-to-many on the gst stack: spread the "
                             "generator's sessions over this many processes "
                             "(bench/loadgen/split.py); default "
                             "%(default)s")
    parser.add_argument("--keep-going", action="store_true",
                        help="go on up the ladder after quality broke (not after a failure)")
    parser.add_argument("--logs", type=Path, help="keep the servers' and generator's logs here")
    parser.add_argument("--profile", type=Path,
                        help="perf record -g our server in each window, data into this folder")
    parser.add_argument("--no-netns", action="store_true",
                        help="run in this namespace (our server only; see the warning)")
    parser.add_argument("--in-netns", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scenario == "all":
        return run_all(sys.argv[1:], args.out)
    if not args.in_netns and not args.no_netns and netns_available():
        return run_in_netns(sys.argv[1:])
    if not args.in_netns:
        print("warning: not in a network namespace: only the 127.0.0.1 binding keeps the "
              "traffic local; run as root without --no-netns to keep everything on lo",
              file=sys.stderr)
    FILTER = args.filter
    GEN_PROCESSES = args.gen_processes
    KEEP_RECORDINGS = args.keep_recordings.resolve() if args.keep_recordings else None
    LOGS = args.logs.resolve() if args.logs else None
    PROFILE = args.profile.resolve() if args.profile else None
    SCENARIO = args.scenario
    servers = args.servers.split(",")
    sessions = args.sessions or (LOOPBACK_LADDER if args.scenario == "loopback" else LADDER)
    ladder = [n for n in (int(x) for x in sessions.split(",")) if n <= args.max]
    from loadgen.clip import FPS, HEIGHT, WIDTH, ensure_clip, load_clip, uses_face_clip

    # Made here, before any generator starts (they load the same cached file).
    face = args.scenario == "filtered" and uses_face_clip(FILTER)
    marked = args.scenario == "filtered"
    clip = load_clip(ensure_clip(face, marked), marked=marked)
    date = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    where = (f"network namespace {args.in_netns} (lo, and 127.0.0.1/32 on an empty bridge "
             "for Janus)" if args.in_netns else "127.0.0.1, this namespace")
    if args.scenario == "control-plane":
        title = (f"control-plane: N clients each repeating create pipeline + WebRtcEndpoint, "
                 f"connect, release (Janus: create, attach, detach, destroy); "
                 f"{os.cpu_count()} CPUs; {date}")
    else:
        media = (f"VP8 {WIDTH}x{HEIGHT} {FPS} fps + Opus, {clip.bitrate / 1000:.0f} kbit/s "
                 "per stream" + (", a real face" if face else ""))
        what = {
            "loopback": "N echo sessions",
            "one-to-many": "1 presenter, N viewers (ours: WebRtcEndpoint → N "
                           f"WebRtcEndpoints; Janus: videoroom; goal {PACKETS_GOAL:,} "
                           "pkt/CPU-s)",
            "recording": "N senders each recorded (ours: WebRtcEndpoint → RecorderEndpoint "
                         "WEBM, no transcoding; Janus: recordplay, .mjr)",
            "filtered": f"N echo sessions through a filter ({FILTER}; ours: WebRtcEndpoint "
                        "→ filter → same WebRtcEndpoint, decode + filter + VP8 encode; Janus "
                        "has no filters)",
        }[args.scenario]
        title = f"{args.scenario}: {what}; {media}; {os.cpu_count()} CPUs; {date}"
    spread = (f" in {GEN_PROCESSES} processes" if GEN_PROCESSES > 1 and args.stack == "gst"
              and args.scenario in ("loopback", "one-to-many") else "")
    print(f"{title}\nwindow {args.window:.0f} s, {where}, generator on {args.stack}{spread}",
          flush=True)
    rows: list[dict[str, Any]] = []
    for server in servers:
        if args.scenario == "filtered" and server == "janus":
            rows += [{"server": server, "n": n, "na": True, "broken": False} for n in ladder]
            continue
        for n in ladder:
            try:
                row = run_row(server, n, args.window, args.settle, args.stack, args.scenario)
            except Exception as error:  # a broken row must not hide the others
                row = {"server": server, "n": n, "error": f"{type(error).__name__}: {error}",
                       "broken": True}
            rows.append(row)
            print(f"{server:<8} {n:>3} {cells(row)}", flush=True)
            if PROFILE is not None and "server_threads" in row:
                busiest = list(row["server_threads"].items())[:12]
                print("         threads (% of a core, count): " + ", ".join(
                    f"{name} {v['cpu']:.1f} ({v['count']})" for name, v in busiest), flush=True)
            if row["broken"] and ("error" in row or not args.keep_going):
                break
    print()
    print(table(rows, servers))
    if args.scenario == "filtered":
        kept = [r for r in rows if r["server"] == "kurento" and "error" not in r
                and not r["broken"]]
        if kept:
            best = max(kept, key=lambda r: r["n"])
            print(f"\nfiltered VGA sessions per core ({FILTER}): "
                  f"{best['sessions_per_core']:.2f} at N = {best['n']} "
                  f"(N / (server CPU % / 100) = {best['n']} / {best['cpu'] / 100:.2f}; "
                  "anchor: a mixing MCU does ~3 VGA VP8 streams per core, goal 4+)")
        else:
            print("\nfiltered VGA sessions per core: no row kept quality")
    if args.scenario == "recording":
        for row in rows:
            for record in row.get("recordings", []):
                if "error" in record:
                    print(f"  {row['server']} N={row['n']} {record['name']}: {record['error']}")
            if row.get("transcoding"):
                print(f"  {row['server']} N={row['n']} transcoding: {row['transcoding'][:4]}")
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.scenario
    if args.scenario == "filtered":  # filtered-videoflip, filtered-sepia, ...
        stem += "-" + FILTER.removeprefix("gst:").split()[0].replace("/", "_")
    (args.out / f"{stem}.json").write_text(json.dumps(
        {"title": title, "date": date, "where": where, "window": args.window,
         "stack": args.stack, "gen_processes": GEN_PROCESSES if spread else 1, "rows": rows},
        indent=1))
    png = args.out / f"{stem}.png"
    if plot(rows, servers, png, title):
        print(f"\nplot: {png.relative_to(ROOT) if png.is_relative_to(ROOT) else png}")
    else:
        print("\n(no plot: matplotlib is not importable)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
