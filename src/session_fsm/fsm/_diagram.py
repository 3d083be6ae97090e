"""Diagrams and structural checks of the table, through the `transitions` package.

`transitions` is where the table meets a general state-machine library: it validates the states
and transitions the rows name, and draws them (Mermaid or Graphviz dot source; no `dot` binary is
needed for text). The hot path (`machine.Scope`) does not run on it: a `transitions` trigger costs
several times a step of `Scope.handle`, which reads the rows by state and event in one lookup
(see docs/performance.md).
"""

from __future__ import annotations

from collections import deque
from typing import Any, Literal, cast

from transitions import Machine
from transitions.extensions import GraphMachine

from ._events import event_name
from ._states import OwnershipState, SessionState
from ._table import (
    GRANT_MOVE,
    MOVES,
    SCOPE_EVENT_MOVES,
    TABLE,
    Guard,
    Move,
    Row,
    Table,
    always,
    flag_names,
)
from .errors import InvalidInput

MachineName = Literal["session", "ownership"]
Format = Literal["mermaid", "dot"]

TITLES: dict[MachineName, str] = {
    "session": "Session lifecycle",
    "ownership": "Scope ownership (the primary designation)",
}


def guard_label(guard: Guard) -> str:
    """A guard as an edge shows it: its name in words (`scope_vacant` -> "scope vacant")."""
    return guard.__name__.replace("_", " ")


def effect_label(row: Row) -> str:
    """What an edge changes beside the state: the ownership move, the flags it sets (+) and
    clears (-)."""
    parts = [row.move.value] if row.move is not None else []
    parts += [f"+{name}" for name in flag_names(row.sets)]
    parts += [f"-{name}" for name in flag_names(row.clears)]
    return " ".join(parts)


def edge_labels(table: Table = TABLE) -> list[tuple[str, str, str]]:
    """(source, target, label) for every drawn edge of the session machine.

    An edge reads as its event. Guards show only where one state and event lead to different
    outcomes (target, role, ownership move or flags), the last row of such a choice as
    "otherwise"; the ownership move and the flags follow, so a self-loop says what it changes.
    Refusals and no-ops are not drawn (the table beside the diagram lists them)."""
    drawn = [row for row in table.rows if row.refuse is None and not row.is_noop]
    groups: dict[tuple[object, ...], list[Row]] = {}
    outcomes: dict[tuple[object, object], int] = {}
    for row in drawn:
        key = (row.source, row.event, row.target, row.role, row.move, row.sets, row.clears)
        if key not in groups:
            groups[key] = []
            outcomes[(row.source, row.event)] = outcomes.get((row.source, row.event), 0) + 1
        groups[key].append(row)
    edges = []
    for rows in groups.values():
        first = rows[0]
        label = event_name(first.event)
        if outcomes[(first.source, first.event)] > 1:
            guards = ["otherwise" if r.guard is always else guard_label(r.guard) for r in rows]
            label += f" [{' or '.join(guards)}]"
        changes = effect_label(first)
        if changes:
            label += f" / {changes}"
        assert first.target is not None
        edges.append((first.source.value, first.target.value, label))
    return edges


def session_transitions(table: Table = TABLE) -> list[dict[str, Any]]:
    """The drawn session edges as `transitions` transition specs, one trigger per label."""
    return [
        {"trigger": label, "source": source, "dest": target}
        for source, target, label in edge_labels(table)
    ]


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
        {"trigger": ", ".join(causes[move]), "source": src.value, "dest": dst.value}
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
        raise InvalidInput(f"unknown machine {name!r}: use one of {sorted(TITLES)}")
    if fmt not in ("mermaid", "dot"):
        raise InvalidInput(f"unknown format {fmt!r}: use 'mermaid' or 'dot'")
    states, specs, initial = _spec(name, table)
    machine = GraphMachine(
        states=states,
        transitions=specs,
        initial=initial,
        auto_transitions=False,
        graph_engine="mermaid" if fmt == "mermaid" else "graphviz",
        show_conditions=False,
        title=TITLES[name],
    )
    graph = machine.graph_cls(machine).get_graph(title=TITLES[name])  # fresh: no active state
    if fmt == "dot":
        return str(cast(Any, graph).source)  # a graphviz.Digraph, typed as a protocol
    text = str(graph.draw(None))
    body = text.split("---\n", 2)[-1]  # transitions writes front matter without `title:`
    # transitions styles the current state with classes; a document has none, so drop them
    lines = [line.rstrip() for line in body.splitlines()]
    kept = [
        line for line in lines if line and not line.lstrip().startswith(("classDef ", "Class "))
    ]
    return "\n".join(["---", f"title: {TITLES[name]}", "---", *kept]) + "\n"


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
