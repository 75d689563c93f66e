"""The session's cache of compiled plans: least recently used first out, with its counters."""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

__all__ = ["DEFAULT_PLAN_CACHE_SIZE", "PlanCache", "PlanCacheInfo"]

DEFAULT_PLAN_CACHE_SIZE = 64


@dataclass(frozen=True)
class PlanCacheInfo:
    """What ``Session.plan_cache_info()`` returns (like ``functools.lru_cache``'s cache_info)."""
    hits: int
    misses: int
    evictions: int
    size: int
    max_size: int

    def __str__(self):
        return (f"plan cache: {self.size}/{self.max_size} plans, {self.hits} hits, {self.misses} misses, "
                f"{self.evictions} evictions")


class PlanCache:
    """At most ``max_size`` plans keyed by (fetches, feeds); a plan is built once even when
    several threads ask for it at the same time."""

    def __init__(self, max_size: int = DEFAULT_PLAN_CACHE_SIZE):
        self.max_size = max_size
        self._plans = OrderedDict()
        self._lock = threading.Lock()          # held while a plan is built
        self._order_lock = threading.Lock()    # held only to count a hit and reorder (never while building)
        self._hits = self._misses = self._evictions = 0

    def get(self, key, build):
        """The plan for ``key``; ``build()`` makes it on a miss (under the lock)."""
        plan = self._plans.get(key)
        if plan is not None and self._hit(key):
            return plan
        with self._lock:
            plan = self._plans.get(key)  # another thread may have built it meanwhile
            if plan is not None and self._hit(key):
                return plan
            plan = build()
            with self._order_lock:
                self._misses += 1
                self._plans[key] = plan
                while len(self._plans) > self.max_size:
                    self._plans.popitem(last=False)
                    self._evictions += 1
            return plan

    def _hit(self, key) -> bool:
        """Count a hit and make ``key`` the most recent; False when it was evicted meanwhile."""
        with self._order_lock:
            if key not in self._plans:
                return False
            self._hits += 1
            self._plans.move_to_end(key)
            return True

    def info(self) -> PlanCacheInfo:
        """The counters and the current and maximum size."""
        return PlanCacheInfo(self._hits, self._misses, self._evictions, len(self._plans), self.max_size)

    def clear(self):
        """Drop every plan (the session is closing)."""
        with self._lock:
            self._plans.clear()
