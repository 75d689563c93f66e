"""The placement report: the plan's placement data as rows, and a readable table."""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PlacementReport", "PlacementRow"]


@dataclass(frozen=True)
class PlacementRow:
    op: str
    type: str
    requested: str
    assigned: str
    reason: str


class PlacementReport:
    """Where each op of a plan runs and why, its copies per step, and the session's plan cache."""

    def __init__(self, plan, plan_cache=None):
        self.rows = [PlacementRow(op.name, op.type, plan.placement[op].requested, plan.placement[op].device.name,
                                  plan.placement[op].reason) for op in plan.ops]
        self.copies = list(plan.copies)
        self.transfers = plan.transfers_per_step()  # per replica: bytes to and from the host per step
        self.summary = plan.summary()
        self.plan_cache = plan_cache  # PlanCacheInfo of the session, when known

    def row(self, op_name: str) -> PlacementRow:
        for r in self.rows:
            if r.op == op_name:
                return r
        raise KeyError(f"op {op_name!r} is not in this plan")

    @property
    def bytes_per_step(self):
        return sum(c.bytes or 0 for c in self.copies)

    def __str__(self):
        header = ("op", "type", "requested", "assigned", "reason")
        table = [header] + [(r.op, r.type, r.requested or "-", r.assigned, r.reason) for r in self.rows]
        widths = [max(len(row[i]) for row in table) for i in range(len(header))]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in table]
        lines.insert(1, "  ".join("-" * w for w in widths))
        if self.copies:
            lines.append("")
            lines.append("copies per step:")
            lines += ["  " + c.log_line() for c in self.copies]
        if self.transfers:
            lines.append("host transfers per step:")
            lines += ["  " + t.describe() for t in self.transfers]
        lines.append(self.summary)
        if self.plan_cache is not None:
            lines.append(str(self.plan_cache))
        return "\n".join(lines)

    __repr__ = __str__
