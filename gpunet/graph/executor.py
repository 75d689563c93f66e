"""The concurrent executor: a plan's steps grouped per device, every device's part issued at once.

A plan whose steps touch one device runs as a flat loop (``Plan._execute``). A plan that spans
devices gets a :class:`DeviceSchedule` when it is built: per thread, the plan's step indices in
plan order, each with the cross-thread dependencies it must wait for. Each GPU's part runs on a
thread of its own: the caller's thread takes the first GPU's part together with the host's steps, a
:class:`DeviceWorkers` thread each other GPU's (a copy from a GPU to the host runs on that GPU's
thread). Virtual GPUs compute at once (NumPy releases the GIL in BLAS and ufuncs), and on CuPy each
thread launches onto its device's stream, so the host blocks only where the plan needs a value on
another device (a device-to-host copy waits for that device alone). A plan whose GPU work is on one
GPU runs flat: with the host sharing that GPU's thread, there is nothing to run at once.

Results do not depend on thread timing: one thread's steps run in plan order, and a step waits for
every step on another thread that it reads from, that it has a control dependency on, or that reads
or writes a variable it writes (or writes one it reads: graph/variable_order.py). So each step sees
exactly the values the flat loop would give it. The first error by plan order is
reported, as by the flat loop: after a failure the other devices still run their earlier steps.
"""
from __future__ import annotations

import contextlib
import ctypes
import functools
import math
import platform
import queue
import threading

from . import checks, variable_order
from .copy_stats import counting, current
from .host_tail import spread_host_tail
from .steps import CopyStep, outputs_of

__all__ = ["DeviceSchedule", "DeviceWorkers", "schedule"]

_worker_thread = threading.local()  # set in worker threads: a run started there runs flat


class DeviceSchedule:
    """Per device (first: the caller's thread), tasks ``(step index, waits, publish)``; ``waits`` are
    ``(device position, steps done there)`` pairs. ``frees`` replaces each step's slots to free."""

    def __init__(self, devices, tasks, frees):
        self.devices = devices
        self.tasks = tasks
        self.frees = frees

    def execute(self, steps, vals, workers, pending):
        """Run ``steps`` (the plan's, maybe traced) into ``vals``; returns ``(step, error)`` of the
        first failure by plan order, or None. Deferred checks go to ``pending`` in plan order."""
        run = _Run(self, steps, vals, pending)
        workers.submit([(device, run, k) for k, device in enumerate(self.devices) if k])
        _worker_thread.active = True  # a run a kernel starts from here runs flat: the workers are busy
        try:
            run.device_part(0)
        finally:
            _worker_thread.active = False
        return run.finish()


def schedule(steps, kernel_steps, touches):
    """The :class:`DeviceSchedule` of ``steps`` (plan tuples ``(fn, ins, out, frees, op, device)``),
    or None when they all run on one thread. ``kernel_steps``: op -> index of its kernel's step;
    ``touches``: per step, the variables whose buffers it reads and writes (variable_order.py)."""
    own = [_thread_device(step) for step in steps]
    runner, caller = _with_host_on_first_gpu(own)
    devices = list(dict.fromkeys(runner))
    if len(devices) < 2:
        return None
    runner = spread_host_tail(steps, runner, [d.device_type == "CPU" for d in own], caller, kernel_steps)
    devices.sort(key=lambda d: d is not caller)  # the caller's thread takes the host's part
    where = {d: k for k, d in enumerate(devices)}
    position, producer, per_device = {}, {}, [[] for _ in devices]
    for i, step in enumerate(steps):
        d = where[runner[i]]
        position[i] = len(per_device[d])
        per_device[d].append(i)
        for slot in outputs_of(step):
            producer[slot] = i
    waits = {i: {} for i in range(len(steps))}
    deps = [(i, producer[s]) for i, step in enumerate(steps) for s in step[1] if s in producer]
    deps += [(i, kernel_steps[c]) for i, step in enumerate(steps) if kernel_steps.get(step[4]) == i
             for c in step[4].control_inputs if c in kernel_steps]
    for i, j in deps + variable_order.ordering(touches, runner):
        if j < i and runner[j] is not runner[i]:
            _need(waits[i], where[runner[j]], position[j] + 1)
    # a step publishes its device's progress only when a step elsewhere waits for it
    publish = {(dev, count - 1) for w in waits.values() for dev, count in w.items()}
    tasks = [[(i, tuple(waits[i].items()), (d, k) in publish) for k, i in enumerate(indices)]
             for d, indices in enumerate(per_device)]
    return DeviceSchedule(devices, tasks, _safe_frees(steps, runner))


def _thread_device(step):
    """The device whose thread runs ``step``: its own, but a copy from a GPU to host memory runs on the
    GPU's thread. It waits for that GPU alone, so several GPUs' results travel to the host at once
    instead of one after another on the host's thread (the host then only reads them)."""
    fn, device = step[0], step[5]
    if fn.__class__ is CopyStep and device.device_type == "CPU" and fn.src.device_type != "CPU":
        return fn.src
    return device


def _with_host_on_first_gpu(runner):
    """``(devices whose threads run the steps, the caller's)``: the host's steps move to the thread of the
    GPU whose part comes first in the plan, which is the caller's. The host's part of a replicated step
    comes mostly before and after the GPUs' work: on a thread of its own it would sleep in between, and
    every hand-off to and from it would wake a thread (measured: 2 virtual-GPU replicas went from 0.69x
    to 0.67x of one device with one thread less). Each thread still runs its steps in plan order, and
    every wait is for a step earlier in that order, so no wait can close a cycle."""
    gpus = [d for d in dict.fromkeys(runner) if d.device_type != "CPU"]
    if not gpus:
        return runner, runner[0] if runner else None
    return [gpus[0] if d.device_type == "CPU" else d for d in runner], gpus[0]


def _need(waits, device, count):
    waits[device] = max(waits.get(device, 0), count)


def _safe_frees(steps, runner):
    """Each step's slots to free, keeping slots read on more than one thread (no one of their readers
    is known to read last)."""
    readers = {}
    for step, device in zip(steps, runner):
        for slot in step[1]:
            readers.setdefault(slot, set()).add(device)
    return [tuple(s for s in step[3] if len(readers.get(s, ())) < 2) for step in steps]


class _Run:
    """The shared state of one concurrent run: values, per-device progress, the first failure."""

    def __init__(self, schedule, steps, vals, pending):
        self.schedule, self.steps, self.vals, self.pending = schedule, steps, vals, pending
        self.progress = [0] * len(schedule.devices)
        # one lock; a condition per device's progress and one for the end of the run, so a step done
        # wakes only the threads waiting for that device (each wake-up costs a thread switch under the GIL)
        self.lock = threading.Lock()
        self.advanced = [threading.Condition(self.lock) for _ in schedule.devices]
        self.ended = threading.Condition(self.lock)
        self.remaining = len(schedule.devices)
        self.failures = []
        self.stop_at = math.inf   # plan index of the first failure so far
        self.checks = []          # (plan index, order, deferred check) from every device
        self.copy_stats = current()  # the caller's per-run copy counter, shared by the device threads

    def device_part(self, d):
        """Run device ``d``'s tasks in plan order (on this thread)."""
        steps, vals, frees, progress = self.steps, self.vals, self.schedule.frees, self.progress
        with checks.collecting() as local, counting(self.copy_stats):
            seen = 0
            try:
                for k, (i, waits, publish) in enumerate(self.schedule.tasks[d]):
                    if i > self.stop_at or (waits and not all(progress[e] >= n or self._wait(e, n, i)
                                                              for e, n in waits)):
                        break
                    step = steps[i]
                    try:
                        _run_step(step[0], step[1], step[2], vals)
                    except Exception as exc:
                        self._fail(i, step, exc)
                        break
                    for slot in frees[i]:
                        vals[slot] = None
                    if len(local.pending) != seen:
                        self.checks.extend((i, n, item) for n, item in enumerate(local.pending[seen:], seen))
                        seen = len(local.pending)
                    if publish:
                        with self.lock:
                            progress[d] = k + 1
                            self.advanced[d].notify_all()
            finally:
                with self.lock:
                    self.remaining -= 1
                    if not self.remaining:
                        self.ended.notify()

    def _wait(self, device, count, index):
        """Wait until ``device`` has done ``count`` steps; False when a failure earlier in plan order
        means this step must not run."""
        with self.lock:
            while self.progress[device] < count and index <= self.stop_at:
                self.advanced[device].wait()
            return self.progress[device] >= count

    def _fail(self, index, step, exc):
        with self.lock:
            self.failures.append((index, step, exc))
            self.stop_at = min(self.stop_at, index)
            for advanced in self.advanced:  # threads waiting for steps after the failure stop waiting
                advanced.notify_all()

    def finish(self):
        with self.lock:
            while self.remaining:
                self.ended.wait()
        self.pending.pending += [item for _, _, item in sorted(self.checks, key=lambda c: (c[0], c[1]))]
        if not self.failures:
            return None
        _, step, exc = min(self.failures, key=lambda f: f[0])
        return step, exc


def _run_step(fn, ins, out, vals):
    if out.__class__ is int:
        vals[out] = fn(*[vals[i] for i in ins])
    elif out is None:
        fn(*[vals[i] for i in ins])
    else:
        for slot, value in zip(out, fn(*[vals[i] for i in ins])):
            vals[slot] = value


class DeviceWorkers:
    """A session's worker threads, one per device, started on first use and ended by ``close``.

    One run at a time has them: a run that finds them taken runs flat on its own thread. Sharing
    them would deadlock as soon as a run blocks on another one's progress — a dequeue waiting for
    the enqueue of a queue runner whose device parts sit behind it on the same workers."""

    def __init__(self):
        self._queues = {}
        self._threads = []
        self._lock = threading.Lock()
        self._taken = threading.Lock()

    @contextlib.contextmanager
    def taken(self):
        """Yields whether this run has the workers (released at the end of the block). Never on a
        worker thread: a run started by a kernel there runs flat."""
        if getattr(_worker_thread, "active", False) or not self._taken.acquire(blocking=False):
            yield False
            return
        try:
            yield True
        finally:
            self._taken.release()

    def submit(self, jobs):
        """Post ``(device, run, part)`` jobs; each device's thread runs its jobs in posting order."""
        with self._lock:
            for device, run, d in jobs:
                self._queue(device).put((run, d))

    def _queue(self, device):
        q = self._queues.get(device)
        if q is None:
            q = self._queues[device] = queue.SimpleQueue()
            if not device.backend.capabilities.device_memory:
                _keep_freed_host_pages()
            thread = threading.Thread(target=_serve, args=(q,), name=f"gpunet-{device.short_name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return q

    def close(self):
        """End the worker threads (after the runs already posted to them)."""
        with self._lock:
            for q in self._queues.values():
                q.put(None)
            threads, self._queues, self._threads = self._threads, {}, []
        for thread in threads:
            if thread is not threading.current_thread():  # closed by a collected session's finalizer there
                thread.join()


# glibc's mallopt parameters, and the values that keep a step's freed megabytes for the next step
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3
_HOST_POOL_SETTINGS = ((_M_MMAP_THRESHOLD, 32 << 20), (_M_TRIM_THRESHOLD, 256 << 20), (_M_TOP_PAD, 64 << 20))


@functools.lru_cache(maxsize=None)
def _keep_freed_host_pages():
    """Virtual GPUs keep their buffers in host memory, and each step allocates and frees megabytes
    there (gradients, fused buffers, copies), much of it on worker threads. glibc's defaults hand
    such blocks back to the kernel (mmap per block, trimming the heaps' tops), so every step
    page-faults them in again: measured, a 2.7 MB copy or add then costs 3-10x its memcpy time and
    the virtual GPUs' host part dominates the step. Keep the freed pages for reuse, as a GPU's
    memory pool does (process-wide, once, where the C library is glibc; a no-op elsewhere)."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)
    if mallopt is not None:
        for parameter, value in _HOST_POOL_SETTINGS:
            mallopt(parameter, value)


def _serve(jobs):
    _worker_thread.active = True
    while True:
        job = jobs.get()
        if job is None:
            return
        run, d = job
        run.device_part(d)
        # an idle worker holds nothing of its last run: through it the plan, graph and session would stay
        # reachable, and the session's finalizer, which ends these threads, would never run
        del job, run
