"""The livekit-agents version matrix: one nox session per supported minor.

`make matrix` runs `matrix` (every supported minor, the newest patch of each, with the `livekit`
rtc version that release pins, or before 1.5, the one `RTC` names or the newest it and our pin
allow) and then `table`; `make matrix-edges` runs the oldest and the newest only (`EDGES`, the
sessions tagged `edges`: CI); `make matrix-latest` runs `latest`: the newest livekit-agents on
PyPI, whatever our pins say, to tell whether a new release still works.

Each `matrix` session runs the integration suite (the peer check included) and writes its result
to `matrix/<livekit-agents version>.json`; `table` turns the results into the generated section
of `docs/compatibility.md`.
"""

from __future__ import annotations

import json
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import nox

ROOT = Path(__file__).parent
RESULTS = ROOT / "matrix"
PAGE = ROOT / "docs" / "compatibility.md"
README = ROOT / "README.md"
BEGIN = "<!-- generated:compatibility (make matrix) -->"
END = "<!-- /generated:compatibility -->"

#: The newest patch of every supported minor, oldest first. From 1.3 each pins its `livekit`
#: exactly; 1.0 to 1.2 take a range, and pip installs the newest our own pin allows.
SUPPORTED = ["1.0.23", "1.1.7", "1.2.18", "1.3.12", "1.4.6", "1.5.17", "1.6.10", "1.7.1", "1.8.9"]
EDGES = [SUPPORTED[0], SUPPORTED[-1]]

#: The `livekit` installed with a release that takes a range rather than a pin: the oldest
#: supported release runs on the oldest `livekit` it allows, which is the floor of our own pin
#: (the others get the newest our pin allows, whatever pip finds).
RTC = {"1.0.23": "1.0.7"}

#: livekit-agents 1.0 to 1.7 import httpx without requiring it (any model plugin brings it).
EXTRA = ["httpx"]

nox.options.sessions = ["matrix", "table"]
nox.options.reuse_existing_virtualenvs = True

_PROBE = """
import json, sys
from importlib import metadata
import attrs
from session_fsm._adapters.capabilities import CAPABILITIES
print(json.dumps({
    "livekit_agents": metadata.version("livekit-agents"),
    "livekit": metadata.version("livekit"),
    "python": sys.version.split()[0],
    "capabilities": attrs.asdict(CAPABILITIES),
    "differences": CAPABILITIES.differences(),
}))
"""


def _suite(session: nox.Session, results: Path) -> None:
    """Run the integration suite in the session's virtualenv and record the outcome in
    `results/<livekit-agents version>.json`."""
    probe = session.run("python", "-c", _PROBE, silent=True)
    if probe is None:  # `nox --install-only`: the virtualenv is ready, nothing ran
        return
    assert isinstance(probe, str)
    found = json.loads(probe.strip().splitlines()[-1])
    session.log(f"livekit-agents {found['livekit_agents']}, livekit {found['livekit']}")
    junit = Path(session.create_tmp()) / "junit.xml"
    began = time.monotonic()
    session.run(
        "python",
        "-m",
        "pytest",
        "-q",
        "tests/integration",
        f"--junitxml={junit}",
        success_codes=[0, 1],
    )
    seconds = round(time.monotonic() - began, 1)
    found |= _outcome(junit) | {"seconds": seconds}
    found["ok"] = found["failed"] == 0 and found["errors"] == 0 and found["passed"] > 0
    results.mkdir(exist_ok=True)
    (results / f"{found['livekit_agents']}.json").write_text(json.dumps(found, indent=2) + "\n")
    if not found["ok"]:
        session.error(f"livekit-agents {found['livekit_agents']}: {found['failed']} failed")


def _outcome(junit: Path) -> dict[str, object]:
    """Counts from pytest's JUnit XML, the peer check's apart, and why tests were skipped."""
    counts = {"passed": 0, "failed": 0, "errors": 0, "skipped": 0}
    peer = {"passed": 0, "failed": 0, "skipped": 0}
    skipped: dict[str, int] = {}
    for case in ET.parse(junit).iter("testcase"):
        kinds = {child.tag for child in case}
        if "failure" in kinds:
            kind = "failed"
        elif "error" in kinds:
            kind = "errors"
        elif "skipped" in kinds:
            kind = "skipped"
            reason = next(c for c in case if c.tag == "skipped").get("message", "")
            skipped[reason] = skipped.get(reason, 0) + 1
        else:
            kind = "passed"
        counts[kind] += 1
        if case.get("classname", "").endswith("test_peer_check"):
            peer["failed" if kind == "errors" else kind] += 1
    return counts | {"peer_check": peer, "skip_reasons": skipped}


def _install(session: nox.Session, agents: str | None) -> None:
    if agents is None:  # the newest release, past our pins: pip warns and installs it
        session.install("-e", ".[testing]", *EXTRA)
        session.install("--upgrade", "livekit-agents")
    else:
        rtc = [f"livekit=={RTC[agents]}"] if agents in RTC else []
        session.install("-e", ".[testing]", f"livekit-agents=={agents}", *rtc, *EXTRA)


@nox.session
@nox.parametrize("agents", [nox.param(v, tags=["edges"] if v in EDGES else []) for v in SUPPORTED])
def matrix(session: nox.Session, agents: str) -> None:
    """The integration suite and the peer check on one supported livekit-agents release."""
    _install(session, agents)
    _suite(session, RESULTS)


@nox.session
def latest(session: nox.Session) -> None:
    """The newest livekit-agents on PyPI: does the library still work with it? (Its result
    stays in the session's own directory: the table only shows the supported releases.)"""
    _install(session, None)
    _suite(session, Path(session.create_tmp()))


@nox.session(python=False, tags=["edges"])
def table(session: nox.Session) -> None:
    """Write the compatibility table from the last results (`matrix/*.json`)."""
    write_table()
    session.log(f"wrote {PAGE.relative_to(ROOT)} and {README.relative_to(ROOT)}")


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def render(results: list[dict[str, object]]) -> str:
    rows = [
        "| livekit-agents | livekit | result | passed/skipped | peer check | what differs |",
        "|---|---|---|---|---|---|",
    ]
    for r in sorted(results, key=lambda r: _key(str(r["livekit_agents"]))):
        peer = r["peer_check"]
        assert isinstance(peer, dict)
        differs = r["differences"]
        assert isinstance(differs, dict)
        rows.append(
            f"| {r['livekit_agents']} | {r['livekit']} | {'pass' if r['ok'] else '**fail**'} "
            f"| {r['passed']}/{r['skipped']} in {r['seconds']} s "
            f"| {peer['passed']} passed, {peer['skipped']} not applicable "
            f"| {'; '.join(f'`{k}`: {v}' for k, v in differs.items()) or 'nothing'} |"
        )
    return "\n".join([BEGIN, *rows, END])


def render_summary(results: list[dict[str, object]]) -> str:
    """The README's short table: what each version does differently is named, and explained
    on the compatibility page."""
    rows = [
        "| livekit-agents | livekit | last `make matrix` | what differs |",
        "|---|---|---|---|",
    ]
    for r in sorted(results, key=lambda r: _key(str(r["livekit_agents"]))):
        differs = r["differences"]
        assert isinstance(differs, dict)
        rows.append(
            f"| {r['livekit_agents']} | {r['livekit']} "
            f"| {'pass' if r['ok'] else '**fail**'} ({r['passed']} passed, {r['skipped']} skipped) "
            f"| {', '.join(f'`{k}`' for k in differs) or 'nothing'} |"
        )
    return "\n".join([BEGIN, *rows, END])


def _replace(page: Path, section: str) -> None:
    head, rest = page.read_text().split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    page.write_text(head + section + tail)


def write_table() -> None:
    results = [json.loads(p.read_text()) for p in sorted(RESULTS.glob("*.json"))]
    _replace(PAGE, render(results))
    _replace(README, render_summary(results))


#: The livekit-agents whose client-events handler registers RPC methods (docs/compatibility.md).
CLIENT_EVENTS = "1.4.6"


@nox.session
def client_events(session: nox.Session) -> None:
    """livekit-agents 1.4's RPC methods on a real server (`make e2e-client-events` starts one):
    what the offline matrix cannot run, since they need a connected Room."""
    _install(session, CLIENT_EVENTS)
    session.run(
        "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/e2e/test_client_events.py"
    )
