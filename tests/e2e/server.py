"""Run a command next to a real LiveKit server, and always stop the server afterwards.

    python -m tests.e2e.server <livekit-server binary> -- <command...>

The server runs in development mode (keys `devkey` / `secret`) bound to 127.0.0.1 only, with its
own process group; the command gets `LIVEKIT_URL`, `LIVEKIT_API_KEY` and `LIVEKIT_API_SECRET`. The
command also runs in a process group of its own, so that anything it starts and leaves behind (a
worker, a job process) is stopped with it. The server and the command are stopped on success,
failure, Ctrl-C and SIGTERM alike.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

HOST = "127.0.0.1"
API_KEY = "devkey"
API_SECRET = "secret"
READY_TIMEOUT = 30.0


def config(port: int) -> str:
    """Signalling on `port`, TCP fallback on port+1, UDP media on port+2; loopback only."""
    return (
        f"port: {port}\n"
        "rtc:\n"
        f"  tcp_port: {port + 1}\n"
        f"  udp_port: {port + 2}\n"
        "  use_external_ip: false\n"
    )


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1.0) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def wait_ready(server: subprocess.Popen[bytes], url: str, log: Path) -> None:
    """Poll the HTTP endpoint until it answers; fail at once if the server exits."""
    deadline = time.monotonic() + READY_TIMEOUT
    while not answers(url):
        if server.poll() is not None:
            raise SystemExit(
                f"livekit-server exited with {server.returncode} before answering; its log "
                f"({log}):\n{log.read_text()[-4000:]}"
            )
        if time.monotonic() > deadline:
            raise SystemExit(f"livekit-server did not answer {url} within {READY_TIMEOUT:.0f} s")
        time.sleep(0.1)  # polling interval of the readiness probe, not synchronisation


def stop_group(proc: subprocess.Popen[bytes], grace: float) -> None:
    """SIGTERM the process group, SIGKILL it if it is still there after `grace` seconds."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        # the leader is gone; stragglers in its group get the same signal once more
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        return


def main(argv: list[str]) -> int:
    if "--" not in argv or argv.index("--") != 1:
        print(__doc__, file=sys.stderr)
        return 2
    binary, command = Path(argv[0]), argv[2:]
    port = int(os.environ.get("LIVEKIT_PORT", "7880"))
    url = f"http://{HOST}:{port}/"
    if answers(url):
        print(f"something already answers on {url}: stop it or set LIVEKIT_PORT", file=sys.stderr)
        return 1
    log = Path(os.environ.get("LIVEKIT_SERVER_LOG", binary.parent / "livekit-server.log"))

    def terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    # explicitly, also for SIGINT: a process started in the background of a script inherits
    # SIGINT ignored, and Python then never raises KeyboardInterrupt
    signal.signal(signal.SIGTERM, terminate)
    signal.signal(signal.SIGINT, terminate)
    with log.open("wb") as out:
        server = subprocess.Popen(
            [
                str(binary),
                "--dev",
                "--bind",
                HOST,
                "--node-ip",
                HOST,
                "--config-body",
                config(port),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    child: subprocess.Popen[bytes] | None = None
    try:
        started = time.monotonic()
        wait_ready(server, url, log)
        print(f"livekit-server answers on {url} ({time.monotonic() - started:.1f} s); log: {log}")
        env = dict(
            os.environ,
            LIVEKIT_URL=f"ws://{HOST}:{port}",
            LIVEKIT_API_KEY=API_KEY,
            LIVEKIT_API_SECRET=API_SECRET,
        )
        child = subprocess.Popen(command, env=env, start_new_session=True)
        return child.wait()
    except KeyboardInterrupt:
        print("interrupted: stopping the run and the server", file=sys.stderr)
        return 130
    finally:
        if child is not None:
            stop_group(child, grace=10.0)
        stop_group(server, grace=5.0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
