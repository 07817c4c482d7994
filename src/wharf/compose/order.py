"""Start and stop order of services from ``depends_on``.

Topological (a service starts after everything it depends on), stable by name so two runs of
the same project start containers in the same order; stop is the reverse.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from wharf.compose.errors import ComposeError


def find_cycle(deps: Mapping[str, Sequence[str]]) -> list[str] | None:
    """One dependency cycle as ``[a, b, a]``, or None; unknown names are ignored here."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(deps.get(node, ())):
            if dep not in deps:
                continue
            if state.get(dep) == 1:
                return [*stack[stack.index(dep) :], dep]
            if dep not in state and (found := visit(dep)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for name in sorted(deps):
        if name not in state and (found := visit(name)):
            return found
    return None


def start_order(deps: Mapping[str, Sequence[str]]) -> list[str]:
    """Services in start order: dependencies first, ties broken by name."""
    cycle = find_cycle(deps)
    if cycle:
        raise ComposeError(f"dependency cycle detected: {' -> '.join(cycle)}")
    done: set[str] = set()
    order: list[str] = []
    while len(order) < len(deps):
        ready = sorted(
            n for n in deps if n not in done and all(d in done or d not in deps for d in deps[n])
        )
        order.append(ready[0])
        done.add(ready[0])
    return order


def stop_order(deps: Mapping[str, Sequence[str]]) -> list[str]:
    """Services in stop order: dependents first (start order reversed)."""
    return list(reversed(start_order(deps)))


def start_levels(deps: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """Each service's depth in ``depends_on``: 0 without dependencies, else one more than its
    deepest dependency; the services of one level may start (or stop) together."""
    level: dict[str, int] = {}
    for name in start_order(deps):
        level[name] = 1 + max((level[d] for d in deps[name] if d in deps), default=-1)
    return level
