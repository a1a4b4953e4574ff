"""`segue serve` over OSC: a real daemon process, real UDP sockets on 127.0.0.1, replies by id."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
import soundfile as sf
from helpers import file_digest, procedural_clip, write_clip
from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import build_msg
from serving import PATIENCE, SEGUE, Client, Daemon, wait_for

import segue
from segue.engine import protocol
from segue.engine.protocol import (
    COMMANDS,
    PONG,
    RECEIVE_BUFFER_BYTES,
    REFUSALS_LOGGED,
    OscEndpoint,
    ProtocolError,
    parse,
)

pytestmark = pytest.mark.engine  # the shared engine: tests/scheduling.py

RATE = 44100
DOCS = Path(__file__).resolve().parents[1] / "docs" / "osc-protocol.md"


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("clips")
    return write_clip(folder / "take.wav", procedural_clip(10.0, RATE, "rock"), RATE)


@pytest.fixture
def client(engine):
    with Client(engine.address) as osc:
        yield osc


def test_ping_and_status(client: Client, watch: Path) -> None:
    assert client.ask("/segue/ping") == ("/segue/pong", [segue.__version__, "default"])
    address, [text] = client.ask("/segue/status")
    status = json.loads(text)
    assert address == "/segue/status"
    assert status["model"] == "default" and status["device"] == "cpu"
    assert status["osc"].startswith("127.0.0.1:") and status["watch"] == str(watch)
    assert set(status["folders"]) == {"inbox", "outbox", "done", "failed"}
    assert {"queued", "running", "finished", "failed", "queue_limit"} <= set(status)
    assert set(status) == set(protocol.STATUS_KEYS)  # what the docs list


def test_continue_writes_next_to_the_clip_at_its_rate(client: Client, clip: Path) -> None:
    before = file_digest(clip)
    assert client.ask("/segue/continue", 1, str(clip), "seconds", 3.0) == (
        "/segue/done",
        [1, str(clip.with_name("take.continuation.wav"))],
    )
    info = sf.info(clip.with_name("take.continuation.wav"))
    assert (info.samplerate, info.channels, info.frames) == (RATE, 2, 3 * RATE)
    assert file_digest(clip) == before


def test_continue_with_every_key(client: Client, clip: Path, tmp_path: Path) -> None:
    output = tmp_path / "next.flac"
    reply = client.ask(
        "/segue/continue", "take-2", str(clip),
        "bars", 2, "bpm", "120", "beats_per_bar", 3, "variations", 2, "seed", 5,
        "temperature", 0.3, "output", str(output),
    )  # fmt: skip
    assert reply == ("/segue/done", ["take-2", str(output), str(tmp_path / "next.v2.flac")])
    for path in (output, tmp_path / "next.v2.flac"):
        assert sf.info(path).frames == 3 * RATE  # 2 bars of 3/4 at 120 bpm


def test_replies_go_to_reply_port_on_the_senders_host(engine: Daemon, clip: Path) -> None:
    with Client(engine.address) as sender, Client(engine.address) as listener:
        sender.send("/segue/ping", "reply_port", listener.own_port)
        assert listener.receive()[0] == "/segue/pong"
        sender.send("/segue/continue", 3, str(clip), "seconds", 1, "reply_port", listener.own_port)
        assert listener.until_final()[:1] == ("/segue/done",)


def test_long_jobs_report_progress(client: Client, clip: Path, tmp_path: Path) -> None:
    """The longest request a client may make (played from the clip, 120 s took about a second
    on 2 cores: one progress report, at most, in its half-second steps)."""
    client.send("/segue/continue", 4, str(clip), "seconds", 600, "output", str(tmp_path / "o.wav"))
    fractions = []
    while (reply := client.receive())[0] == "/segue/progress":
        assert reply[1][0] == 4
        fractions.append(reply[1][1])
    assert reply[0] == "/segue/done" and reply[1][0] == 4
    assert fractions and fractions == sorted(fractions) and 0 < fractions[0] < fractions[-1] < 1


def test_cancel_a_running_and_a_queued_job(client: Client, clip: Path, tmp_path: Path) -> None:
    for job in ("long", "next"):
        output = str(tmp_path / f"{job}.wav")
        client.send("/segue/continue", job, str(clip), "seconds", 600, "output", output)
    client.send("/segue/cancel", "next")
    client.send("/segue/cancel", "long")
    replies = {tuple(client.until_final()[1]) for _ in range(2)}
    assert replies == {("long", "cancelled"), ("next", "cancelled")}
    assert not list(tmp_path.iterdir())  # nothing half-written is left behind
    assert client.ask("/segue/cancel", "long") == (
        "/segue/error", ["long", "no job 'long' is queued or running"]
    )  # fmt: skip


@pytest.mark.parametrize(
    ("message", "job_id", "reason"),
    [
        (("/segue/continue",), "", "needs <id> <input>"),
        (("/segue/continue", 7), 7, "needs <id> <input>"),
        (("/segue/continue", 1.5, "/x.wav"), "", "<id> must be an int or a non-empty string"),
        (("/segue/continue", 7, 42), 7, "<input> must be a file path"),
        (("/segue/continue", 7, "relative.wav"), 7, "must be absolute"),
        (("/segue/continue", "a", "/no/such/clip.wav"), "a", "no such file"),
        (("/segue/continue", 7, "/tmp"), 7, "not a file"),
        (("/segue/continue", 7, "{clip}", "seconds"), 7, "key value pairs"),
        (("/segue/continue", 7, "{clip}", 3, 4), 7, "key must be a string"),
        (("/segue/continue", 7, "{clip}", "seconds", "long"), 7, "seconds must be a number"),
        (("/segue/continue", 7, "{clip}", "seconds", 0), 7, "seconds must be in"),
        (("/segue/continue", 7, "{clip}", "variations", 2.5), 7, "must be a whole number"),
        (("/segue/continue", 7, "{clip}", "variations", 99), 7, "variations must be 1 to 16"),
        (("/segue/continue", 7, "{clip}", "bars", 4), 7, "bars with bpm"),
        (("/segue/continue", 7, "{clip}", "colour", "red"), 7, "unknown key 'colour'"),
        (("/segue/continue", 7, "{clip}", "output", "{clip}"), 7, "refusing to overwrite"),
        (("/segue/continue", 7, "{clip}", "output", "/tmp/x.aiff"), 7, ".wav, .flac, .mp3"),
        (("/segue/continue", 7, "{clip}", "reply_port", 70000), 7, "reply_port must be"),
        (("/segue/ping", "extra"), "", "key value pairs"),
        (("/segue/ping", "colour", 1), "", "unknown key 'colour'"),
        (("/segue/load",), "", "needs <model>"),
        (("/segue/load", "no-such-model"), "load", "unknown model 'no-such-model'"),
        (("/segue/cancel",), "", "needs <id>"),
        (("/segue/nonsense", 1, 2), "", "unknown address '/segue/nonsense'"),
    ],
)
def test_malformed_requests_get_an_error_and_the_next_one_works(
    client: Client, clip: Path, message: tuple, job_id: object, reason: str
) -> None:
    address, *args = (str(clip) if value == "{clip}" else value for value in message)
    client.send(address, *args)
    assert client.until_final() == ("/segue/error", [job_id, TextWith(reason)])
    assert client.ask("/segue/ping")[0] == "/segue/pong"


class TextWith(str):
    """Equal to any one-line text that contains this text."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and str(self) in other and "\n" not in other

    __hash__ = str.__hash__


def test_garbage_bytes_are_logged_and_ignored(engine: Daemon, client: Client) -> None:
    logged = len(engine.log())  # the engine is shared: only what this test caused counts
    client.send_datagram(b"\x00\xff not osc at all")
    client.send_datagram(b"/segue/ping\x00")  # no type tag string, cut short
    assert client.ask("/segue/ping")[0] == "/segue/pong"
    assert "not an OSC message" in engine.log()[logged:]


def test_a_bad_clip_is_refused_with_its_reason(client: Client, tmp_path: Path) -> None:
    (tmp_path / "notes.wav").write_text("not audio")
    silent = write_clip(tmp_path / "silent.wav", procedural_clip(2.0, RATE) * 0, RATE)
    for job_id, path, reason in ((8, tmp_path / "notes.wav", "text file, not audio"),
                                 (9, silent, "silent")):  # fmt: skip
        reply = client.ask("/segue/continue", job_id, str(path))
        assert reply[0] == "/segue/error" and reply[1][0] == job_id and reason in reply[1][1]
    assert not (tmp_path / "notes.continuation.wav").exists()


def test_a_burst_of_20_from_5_clients_is_answered_20_times(
    engine: Daemon, clip: Path, tmp_path: Path
) -> None:
    replies: dict[int, list] = {}

    def client_thread(number: int) -> None:
        with Client(engine.address) as osc:
            ids = [number * 4 + k for k in range(4)]
            for job_id in ids:
                output = str(tmp_path / f"burst-{job_id}.wav")
                osc.send("/segue/continue", job_id, str(clip), "seconds", 1, "output", output)
            for _ in ids:
                address, args = osc.until_final()
                replies[args[0]] = [address, *args[1:]]

    threads = [threading.Thread(target=client_thread, args=(n,)) for n in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(PATIENCE)
    assert sorted(replies) == list(range(20))
    for job_id, (address, *outputs) in replies.items():
        assert address == "/segue/done" and outputs == [str(tmp_path / f"burst-{job_id}.wav")]


def test_load_another_model_and_refuse_a_file_that_is_not_one(
    client: Client, clip: Path, tmp_path: Path
) -> None:
    fake = tmp_path / "model.safetensors"
    fake.write_bytes(b"\x80\x04 a pickle, maybe")
    reply = client.ask("/segue/load", str(fake))
    assert reply[0] == "/segue/error" and reply[1][0] == "load"
    assert "not a safetensors file" in reply[1][1]

    address, [text] = client.ask("/segue/load", "seed")
    assert address == "/segue/status" and json.loads(text)["model"] == "seed"
    assert client.ask("/segue/ping")[1] == [segue.__version__, "seed"]
    assert client.ask("/segue/continue", 11, str(clip), "seconds", 1.0)[0] == "/segue/done"
    assert json.loads(client.ask("/segue/load", "default")[1][0])["model"] == "default"


@pytest.mark.slow
def test_beyond_loopback_needs_a_token_and_a_full_queue_says_busy(
    tmp_path: Path, clip: Path
) -> None:
    with Daemon(tmp_path, "--host", "0.0.0.0", "--queue-limit", "1") as engine:
        token = re.search(r"token (\S+)", engine.stdout()).group(1)
        loopback = ("127.0.0.1", engine.address[1])
        with Client(loopback) as osc:
            reply = osc.ask("/segue/ping")
            assert reply[0] == "/segue/error" and "needs its token" in reply[1][1]
            assert osc.ask("/segue/ping", "token", "wrong")[0] == "/segue/error"
            assert osc.ask("/segue/ping", "token", token)[0] == "/segue/pong"
            with Client(loopback) as target:  # no token: no reply to a port it names
                osc.send("/segue/ping", "reply_port", target.own_port)
                assert osc.receive()[1] == ["", TextWith("needs its token")]  # to its source
                with pytest.raises(TimeoutError):
                    target.receive(timeout=1.0)
            logged = len(engine.log())
            for dgram in MALFORMED_BUNDLES:  # checked before the token is looked for
                osc.send_datagram(dgram)
                assert osc.receive()[0] == "/segue/error"  # from loopback: answered
                started = time.monotonic()
                assert osc.ask("/segue/ping", "token", token)[0] == "/segue/pong"
                assert time.monotonic() - started < 1.0
            assert_settled(engine, logged, len(MALFORMED_BUNDLES))

            for job_id in range(4):  # one runs, one waits, the rest are refused
                osc.send("/segue/continue", job_id, str(clip), "seconds", 60, "token", token,
                         "output", str(tmp_path / f"q{job_id}.wav"))  # fmt: skip
                if job_id == 0:
                    wait_for(lambda: running(engine, token) == "0")
            busy = "busy: the queue is full (1 waiting); try again shortly"
            assert [osc.until_final() for _ in range(2)] == [
                ("/segue/error", [2, busy]),
                ("/segue/error", [3, busy]),
            ]
            # SIGTERM: the job in flight finishes and is answered, the waiting one is told
            assert engine.stop(signal.SIGTERM) == 0
            finals = sorted((args[0], address) for address, args in
                            (osc.until_final() for _ in range(2)))  # fmt: skip
            assert finals == [(0, "/segue/done"), (1, "/segue/error")]
    assert "stopped" in engine.log()


def test_serve_refuses_a_port_in_use_and_a_watch_folder_it_cannot_make(
    engine: Daemon, tmp_path: Path
) -> None:
    taken = subprocess.run(
        [SEGUE, "serve", "--osc-port", str(engine.address[1])],
        capture_output=True, text=True, timeout=PATIENCE,
    )  # fmt: skip
    assert taken.returncode == 1
    assert taken.stderr.strip() == (
        f"Error: cannot listen on 127.0.0.1:{engine.address[1]}: Address already in use"
    )
    (tmp_path / "inbox").write_text("a file where the inbox folder should go")
    blocked = subprocess.run(
        [SEGUE, "serve", "--osc-port", "0", "--watch", str(tmp_path)],
        capture_output=True, text=True, timeout=PATIENCE,
    )  # fmt: skip
    assert blocked.returncode == 1
    assert blocked.stderr.strip() == (
        f"Error: cannot use {tmp_path / 'inbox'} as a watch folder: File exists"
    )


def test_serve_refuses_a_model_file_that_is_not_one(tmp_path: Path) -> None:
    fake = tmp_path / "model.safetensors"
    fake.write_text("hello")
    result = subprocess.run(
        [SEGUE, "serve", "--model", str(fake), "--osc-port", "0"],
        capture_output=True, text=True, timeout=PATIENCE,
    )  # fmt: skip
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"Error: cannot load model '{fake}': not a safetensors file")


def running(engine: Daemon, token: str) -> object:
    with Client(("127.0.0.1", engine.address[1])) as osc:
        return json.loads(osc.ask("/segue/status", "token", token)[1][0])["running"]


@pytest.mark.skipif(
    not (shutil.which("oscsend") and shutil.which("oscdump")),
    reason="liblo-tools is not installed (apt-get install liblo-tools; .ci/run installs it)",
)
def test_oscsend_and_oscdump_from_liblo_speak_the_protocol(
    engine: Daemon, clip: Path, tmp_path: Path
) -> None:
    """An OSC implementation nobody here wrote: liblo's command-line tools. oscsend sends from
    a throw-away port, so the reply goes to oscdump through reply_port."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        dump_port = probe.getsockname()[1]
    dump = subprocess.Popen(["oscdump", "-L", str(dump_port)], stdout=subprocess.PIPE, text=True)
    output = tmp_path / "liblo.wav"
    try:
        time.sleep(0.3)  # oscdump binds its port
        subprocess.run(
            ["oscsend", "127.0.0.1", str(engine.address[1]), "/segue/continue", "issfsssi",
             "42", str(clip), "seconds", "2.5", "output", str(output), "reply_port",
             str(dump_port)],
            check=True, timeout=PATIENCE,
        )  # fmt: skip
        line = read_line(dump, timeout=PATIENCE)
    finally:
        dump.terminate()
    _timetag, message = line.split(" ", 1)  # oscdump prints the OSC time tag first
    assert message == f'/segue/done is 42 "{output}"'
    assert sf.info(output).frames == round(2.5 * RATE)


def read_line(process: subprocess.Popen, timeout: float) -> str:
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    assert ready, "no reply within the timeout"
    return process.stdout.readline().strip()


NEGATIVE_SIZE_BUNDLE = b"#bundle\x00" + bytes(8) + b"\xff\xff\xff\xfc"  # sent python-osc spinning


def bundle(*elements: bytes, timetag: bytes = bytes(8)) -> bytes:
    return b"#bundle\x00" + timetag + b"".join(len(e).to_bytes(4, "big") + e for e in elements)


PING = build_msg("/segue/ping", []).dgram
MALFORMED_BUNDLES = [
    NEGATIVE_SIZE_BUNDLE,
    bundle(PING)[:-4],  # an element cut short: its size runs past the datagram
    bundle(PING) + b"\x00\x00",  # a size cut short
    b"#bundle\x00" + bytes(8) + (6).to_bytes(4, "big") + b"/a\x00\x00,\x00",  # not 4-aligned
    bundle(bundle(bundle(bundle(bundle(PING))))),  # nested deeper than anyone means
    bundle(),  # nothing in it
    bundle(*[PING] * 65),  # more messages than one datagram may ask for
    bundle(b"\x00\x00\x00\x00"),  # an element that is neither message nor bundle
]


def cpu_seconds(pid: int) -> float:
    """User and system time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def assert_settled(engine: Daemon, logged: int, bad_datagrams: int) -> None:
    """After bad datagrams: the engine idle again (python-osc spun one core for good on the
    first of MALFORMED_BUNDLES), and its log longer by one line for each, at most. Lines about
    jobs are other tests' (the engine is shared, and a job they asked for may end meanwhile:
    a clean CI run failed on one such line)."""
    before = cpu_seconds(engine.process.pid)
    time.sleep(1.0)
    assert cpu_seconds(engine.process.pid) - before < 0.3
    lines = engine.log()[logged:].splitlines(keepends=True)
    added = "".join(line for line in lines if " segue: job " not in line)
    assert added.count("\n") <= bad_datagrams and len(added) < 300 * bad_datagrams, added[:2000]


def test_no_datagram_can_stop_spin_or_flood_the_engine(engine: Daemon, client: Client) -> None:
    logged = len(engine.log())
    for dgram in MALFORMED_BUNDLES:
        client.send_datagram(dgram)
        address, [job_id, reason] = client.receive(timeout=PATIENCE)
        assert (address, job_id) == ("/segue/error", "") and "\n" not in reason, reason
        started = time.monotonic()
        assert client.ask("/segue/ping", timeout=PATIENCE)[0] == "/segue/pong"
        assert time.monotonic() - started < 1.0
    assert_settled(engine, logged, len(MALFORMED_BUNDLES))


def test_a_flood_of_bad_datagrams_is_a_few_lines_in_the_log(caplog, monkeypatch) -> None:
    """Every refusal is logged while they are few; a flood is REFUSALS_LOGGED lines, not the
    disk (a real socket, the endpoint in this process: the count is read from its logger)."""
    monkeypatch.setattr(protocol, "LOG_WINDOW_SECONDS", 3600.0)  # however slow the machine
    endpoint = OscEndpoint("127.0.0.1", 0)
    handlers = {address: lambda request: None for address in COMMANDS}
    handlers["/segue/ping"] = lambda request: endpoint.reply(request.reply_to, PONG, "test", "-")
    listener = threading.Thread(target=endpoint.serve_forever, args=(handlers,))
    with caplog.at_level(logging.INFO, logger="segue.serve"), Client(endpoint.address) as osc:
        listener.start()
        try:
            for _ in range(150):
                osc.send_datagram(b"\x00 not osc")
                osc.send_datagram(NEGATIVE_SIZE_BUNDLE)
            osc.send("/segue/ping")
            while osc.receive()[0] != PONG:  # each bundle's error comes before it
                pass
        finally:
            endpoint.stop_listening()
            listener.join(PATIENCE)
            endpoint.close()
    refusals = [r for r in caplog.records if "from 127.0.0.1" in r.getMessage()]
    assert len(refusals) == REFUSALS_LOGGED and len(caplog.records) <= REFUSALS_LOGGED + 1


def test_a_bundle_is_served_at_once_whatever_its_time_tag(client: Client) -> None:
    far_future = (2**32 - 1).to_bytes(4, "big") + bytes(4)  # year 2106: python-osc would wait
    client.send_datagram(bundle(PING, PING, timetag=far_future))
    assert [client.receive(timeout=PATIENCE)[0] for _ in range(2)] == ["/segue/pong"] * 2


def test_every_bad_request_gets_one_error_and_no_traceback(
    engine: Daemon, client: Client, clip: Path
) -> None:
    logged = len(engine.log())
    huge = "x" * 20_000
    requests = [
        (build_msg("/segue/ping", ["reply_port", "abc"]).dgram, "", "reply_port must be a number"),
        (build_msg("/segue/continue", ["big", "/" + huge]).dgram, "big", "cannot use the input"),
        (build_msg("/segue/continue", [huge, str(clip), "seconds", huge]).dgram, huge, "seconds"),
        (b"/seg\xffue\x00\x00\x00,\x00\x00\x00", "", "broken OSC message"),  # bad UTF-8
        (b"/segue/ping\x00,s\x00\x00ab\xff\x00", "", "broken OSC message"),
        (b"/segue/ping\x00,x\x00\x00", "", "unknown OSC type tag"),
        (b"/segue/ping\x00,i\x00\x00", "", "broken OSC message (Datagram is too short)"),
        (build_msg("/segue/continue", [1, str(clip), "seed", 1e30]).dgram, 1, "seed must be"),
    ]
    for dgram, job_id, reason in requests:
        client.send_datagram(dgram)
        reply = client.until_final()
        assert reply[0] == "/segue/error" and reply[1][0] == job_id, reply[1][1][:200]
        assert reply[1][1] == TextWith(reason) and len(reply[1][1]) <= 300
        assert client.ask("/segue/ping")[0] == "/segue/pong"  # and nothing more came first
    log = engine.log()[logged:]
    assert "Traceback" not in log and huge not in log


def test_an_existing_file_segue_did_not_write_is_never_replaced(
    client: Client, clip: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "marker.wav"
    marker.write_text("my own notes, named .wav by accident")
    before = file_digest(marker)
    refused = client.ask("/segue/continue", "m", str(clip), "seconds", 1, "output", str(marker))
    assert refused == ("/segue/error", ["m", TextWith("Segue did not write it")])
    assert file_digest(marker) == before
    home = client.ask("/segue/continue", "h", str(clip), "seconds", 1, "output", "~/x.wav")
    assert home == ("/segue/error", ["h", TextWith("must be absolute")])  # no ~ expanded

    done = ("/segue/done", ["m", str(marker)])
    yes = client.ask(
        "/segue/continue", "m", str(clip), "seconds", 1, "output", str(marker), "overwrite", True
    )
    assert yes == done and sf.info(marker).frames == RATE
    again = client.ask("/segue/continue", "m", str(clip), "seconds", 2, "output", str(marker))
    assert again == done and sf.info(marker).frames == 2 * RATE  # Segue's own: replaced


def test_what_would_fail_after_the_model_is_refused_before_it(
    engine: Daemon, client: Client, clip: Path, tmp_path: Path
) -> None:
    """Each is answered at once and none becomes a job: no job 5 or 6 finishes or fails in
    the log (the engine is shared: its counts also move with the watch folder's clips)."""
    logged = len(engine.log())
    (tmp_path / "folder.wav").mkdir()
    cases = [
        (str(tmp_path / "folder.wav"), "it is a folder"),
        (str(tmp_path / "no-such-folder" / "x.wav"), "does not exist"),
        (str(tmp_path / ("n" * 300 + ".wav")), "name is longer than"),
    ]
    for output, reason in cases:
        reply = client.ask("/segue/continue", 5, str(clip), "output", output)
        assert reply == ("/segue/error", [5, TextWith(reason)])
    for options, reason in (
        (("seconds", 600, "variations", 16), "too much for one request"),
        (("seed", -1), "seed must be a whole number from 0"),
        (("overwrite", "perhaps"), "overwrite must be true or false"),
    ):
        reply = client.ask("/segue/continue", 6, str(clip), *options)
        assert reply == ("/segue/error", [6, TextWith(reason)])
    assert client.ask("/segue/ping")[0] == "/segue/pong"  # the engine has read them all
    assert not re.search(r"job [56] \(", engine.log()[logged:])


RMEM_MAX = Path("/proc/sys/net/core/rmem_max")  # Linux: what a socket's buffer is capped at


@pytest.mark.skipif(
    RMEM_MAX.exists() and int(RMEM_MAX.read_text()) < RECEIVE_BUFFER_BYTES,
    reason="net.core.rmem_max caps the engine's receive buffer, and a burst is dropped (the "
    "engine says so at start; sudo sysctl -w net.core.rmem_max=4194304)",
)
def test_a_burst_of_2000_pings_is_answered(engine: Daemon) -> None:
    """A raw socket: the product's client asks for no larger receive buffer than the OS's."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as raw:
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
        raw.connect(engine.address)
        raw.settimeout(5.0)
        for _ in range(2000):  # unpaced, from one socket
            raw.send(PING)
        answered = 0
        with contextlib.suppress(TimeoutError):
            while answered < 2000:
                answered += OscMessage(raw.recv(65536)).address == "/segue/pong"
    assert answered >= 1900


def test_a_receive_buffer_the_os_caps_is_reported(caplog, monkeypatch) -> None:
    """Where the OS grants less than the engine asks for, a burst is dropped: it says so."""
    cap = int(RMEM_MAX.read_text()) if RMEM_MAX.exists() else 8 * 2**20
    monkeypatch.setattr(protocol, "RECEIVE_BUFFER_BYTES", 4 * cap)
    endpoint = OscEndpoint("127.0.0.1", 0)
    endpoint.stop_listening()  # serve_forever checks the buffer, then returns
    with caplog.at_level(logging.INFO, logger="segue.serve"):
        endpoint.serve_forever({address: lambda request: None for address in COMMANDS})
    endpoint.close()
    [record] = caplog.records
    assert "a burst of requests may be dropped" in record.getMessage()
    assert endpoint.receive_buffer < 4 * cap


def test_a_request_without_the_token_is_answered_only_where_it_cannot_be_forged() -> None:
    """Beyond loopback a source address can be forged, so a refusal there goes to nobody: the
    engine is no reflector. (The tests send to 127.0.0.1 only, so this is the parser's word.)"""
    for sender, reply_to in (
        (("127.0.0.1", 5000), ("127.0.0.1", 5000)),
        (("10.1.2.3", 5000), None),
    ):
        with pytest.raises(ProtocolError) as refused:
            parse("/segue/ping", ("reply_port", 9, "token", "wröng"), sender, "the-token")
        assert refused.value.reply_to == reply_to and "needs its token" in str(refused.value)
    request = parse(
        "/segue/ping", ("token", "the-token", "reply_port", 9), ("10.1.2.3", 5), "the-token"
    )
    assert request.reply_to == ("10.1.2.3", 9) and request.options == {}


@pytest.mark.parametrize("token", [" ", "short", " padded-token "])
def test_serve_refuses_a_token_that_guards_nothing(token: str) -> None:
    result = subprocess.run(
        [SEGUE, "serve", "--osc-port", "0", "--token", token],
        capture_output=True, text=True, timeout=PATIENCE,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "Error: a token must be at least 8 characters, without spaces at its ends"
    )


def test_the_docs_show_the_protocols_own_table() -> None:
    """docs/osc-protocol.md shows protocol.markdown_table(): `python -m segue.engine.protocol`
    prints it after a change to the protocol, to paste over the table in the docs."""
    docs = DOCS.read_text(encoding="utf-8")
    assert protocol.markdown_table() in docs
    assert set(protocol.KEY_NOTES) == set().union(*(c.keys for c in COMMANDS.values()))
    assert f"port {protocol.DEFAULT_PORT}" in docs
    assert all(f"`{key}`" in docs for key in protocol.COMMON_KEYS)
