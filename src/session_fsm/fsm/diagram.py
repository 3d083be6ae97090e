"""Diagrams and structural checks of the table, through the `transitions` package.

`transitions` is where the table meets a general state-machine library: it validates the states
and transitions the rows name, and draws them (Mermaid or Graphviz dot source; no `dot` binary is
needed for text). The hot path (`machine.Scope`) does not run on it: a `transitions` trigger costs
about a hundred dict lookups (see docs/performance.md), and the table compiles to one.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Literal, cast

from transitions import Machine
from transitions.extensions import GraphMachine

from .events import event_name
from .states import OwnershipState, SessionState
from .table import GRANT_MOVE, MOVES, SCOPE_EVENT_MOVES, TABLE, Move, Table, always

MachineName = Literal["session", "ownership"]
Format = Literal["mermaid", "dot"]

TITLES: dict[MachineName, str] = {
    "session": "Session lifecycle",
    "ownership": "Scope ownership (the primary designation)",
}


def session_transitions(table: Table = TABLE) -> list[dict[str, Any]]:
    """The session rows as `transitions` transition specs (refusals and no-ops left out)."""
    specs: list[dict[str, Any]] = []
    for row in table.rows:
        if row.refuse is not None or row.is_noop:
            continue
        assert row.target is not None
        spec: dict[str, Any] = {
            "trigger": event_name(row.event),
            "source": row.source.value,
            "dest": row.target.value,
        }
        if row.guard is not always:
            spec["conditions"] = [row.guard.__name__]
        specs.append(spec)
    return specs


def ownership_transitions(table: Table = TABLE) -> list[dict[str, Any]]:
    """One spec per move, labelled with the events that make it (derived from the rows)."""
    causes: dict[Move, list[str]] = {move: [] for move in MOVES}
    for row in table.rows:
        if row.move is not None and event_name(row.event) not in causes[row.move]:
            causes[row.move].append(event_name(row.event))
    causes[GRANT_MOVE].append("grant")
    for name, move in SCOPE_EVENT_MOVES.items():
        causes[move].append(name)
    return [
        {"trigger": " / ".join(causes[move]), "source": src.value, "dest": dst.value}
        for move, (src, dst) in MOVES.items()
        if causes[move]
    ]


def _spec(name: MachineName, table: Table) -> tuple[list[str], list[dict[str, Any]], str]:
    if name == "session":
        return [s.value for s in SessionState], session_transitions(table), "created"
    return [s.value for s in OwnershipState], ownership_transitions(table), "vacant"


def build(name: MachineName, table: Table = TABLE) -> Machine:
    """A plain `transitions.Machine` of one of the two machines: raises on unknown states."""
    states, specs, initial = _spec(name, table)
    return Machine(states=states, transitions=specs, initial=initial, auto_transitions=False)


def render(name: MachineName = "session", fmt: Format = "mermaid", table: Table = TABLE) -> str:
    """Mermaid or dot source of one machine, with no state marked as current."""
    if name not in TITLES:
        raise ValueError(f"unknown machine {name!r}: use one of {sorted(TITLES)}")
    if fmt not in ("mermaid", "dot"):
        raise ValueError(f"unknown format {fmt!r}: use 'mermaid' or 'dot'")
    states, specs, initial = _spec(name, table)
    machine = GraphMachine(
        states=states,
        transitions=specs,
        initial=initial,
        auto_transitions=False,
        graph_engine="mermaid" if fmt == "mermaid" else "graphviz",
        show_conditions=True,
        title=TITLES[name],
    )
    graph = machine.graph_cls(machine).get_graph(title=TITLES[name])  # fresh: no active state
    if fmt == "dot":
        return str(cast(Any, graph).source)  # a graphviz.Digraph, typed as a protocol
    text = str(graph.draw(None))
    body = text.split("---\n", 2)[-1]  # transitions writes front matter without `title:`
    return f"---\ntitle: {TITLES[name]}\n---\n{body}"


def validate(table: Table = TABLE) -> list[str]:
    """Structural problems of the table: unreachable states, states with no way out."""
    problems: list[str] = []
    names: tuple[MachineName, ...] = ("session", "ownership")
    for name in names:
        machine = build(name, table)
        initial = str(machine.initial)
        reached = {initial}
        queue = deque([initial])
        while queue:
            src = queue.popleft()
            for event in machine.events.values():
                for transition in event.transitions.get(src, []):
                    dest = str(transition.dest)
                    if dest not in reached:
                        reached.add(dest)
                        queue.append(dest)
        for state in machine.states:
            if state not in reached:
                problems.append(f"{name}: state {state!r} is unreachable")
            outgoing = any(event.transitions.get(state) for event in machine.events.values())
            if not outgoing:
                problems.append(f"{name}: state {state!r} has no way out")
    return problems
