"""Coordinator: lets threads stop together and reports the first exception one of them raised."""
from __future__ import annotations

import contextlib
import sys
import threading
import time

from .. import errors

__all__ = ["Coordinator"]


class Coordinator:
    """``should_stop()`` / ``request_stop(ex=None)`` / ``join(threads)`` as in TF1. The first
    exception passed to ``request_stop`` (or raised inside ``stop_on_exception()``) is re-raised
    by ``join``; ``clean_stop_exception_types`` (default OutOfRangeError) just stop."""

    def __init__(self, clean_stop_exception_types=None):
        if clean_stop_exception_types is None:
            clean_stop_exception_types = (errors.OutOfRangeError,)
        self._clean_stop_types = tuple(clean_stop_exception_types)
        self._lock = threading.Lock()
        self._stop_event = threading.Event()
        self._exc_info = None
        self._joined = False
        self._registered = set()

    def should_stop(self) -> bool:
        return self._stop_event.is_set()

    def request_stop(self, ex=None):
        """Ask every thread to stop; ``ex`` (an exception or ``sys.exc_info()`` tuple) is kept
        for ``join`` to raise, unless it is a clean-stop exception or one was kept already."""
        exc_info = self._exc_info_of(ex)
        with self._lock:
            if self._joined and exc_info is not None:
                raise exc_info[1].with_traceback(exc_info[2])  # join already ran: nobody else would report it
            if not self._stop_event.is_set():
                if exc_info is not None and self._exc_info is None:
                    self._exc_info = exc_info
                self._stop_event.set()

    def _exc_info_of(self, ex):
        if ex is None:
            return None
        if isinstance(ex, tuple):
            ex = ex[1]
        if not isinstance(ex, BaseException):
            raise TypeError(f"request_stop expects an exception or an exc_info tuple, got {ex!r}")
        if isinstance(ex, self._clean_stop_types):
            return None
        return type(ex), ex, ex.__traceback__

    def clear_stop(self):
        with self._lock:
            self._joined = False
            self._exc_info = None
            self._stop_event.clear()

    def wait_for_stop(self, timeout=None) -> bool:
        return self._stop_event.wait(timeout)

    @contextlib.contextmanager
    def stop_on_exception(self):
        """``with coord.stop_on_exception():`` — an exception inside requests a stop with it."""
        try:
            yield
        except BaseException:  # noqa: B902 — reported through join, like TF1
            self.request_stop(sys.exc_info())

    def register_thread(self, thread):
        with self._lock:
            self._registered.add(thread)

    def raise_requested_exception(self):
        with self._lock:
            if self._exc_info is not None:
                raise self._exc_info[1].with_traceback(self._exc_info[2])

    def join(self, threads=None, stop_grace_period_secs=120, ignore_live_threads=False):
        """Wait until the threads end or a stop is requested; then give them
        ``stop_grace_period_secs`` to end. Re-raise the kept exception, else raise RuntimeError
        naming threads still running (unless ``ignore_live_threads``)."""
        with self._lock:
            threads = set(threads or ()) | self._registered
        while any(t.is_alive() for t in threads) and not self.wait_for_stop(0.1):
            pass
        deadline = time.monotonic() + stop_grace_period_secs
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
        stragglers = sorted(t.name for t in threads if t.is_alive())
        with self._lock:
            self._joined = True
            self._registered = set()
            if self._exc_info is not None:
                raise self._exc_info[1].with_traceback(self._exc_info[2])
        if stragglers and not ignore_live_threads:
            raise RuntimeError(f"Coordinator stopped with threads still running: {' '.join(stragglers)}")

    @property
    def joined(self) -> bool:
        return self._joined
