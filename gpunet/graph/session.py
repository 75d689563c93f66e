"""Session: compiles fetched subgraphs into cached plans and runs them; owns variable values."""
from __future__ import annotations

import logging
import sys
import threading
import weakref

import numpy as np

from .. import errors
from ..device import GpuSettings, freeze, gpu_count_limit
from . import memory, validation
from .core_ops import VarSlot
from .fetches import FetchMapper, feed_tensor, feed_value
from .graph import Graph, Tensor, get_default_graph
from .placer import Placer
from .copy_stats import RunCopyStats
from .executor import DeviceWorkers
from .compiler import build_plan
from .plan_cache import DEFAULT_PLAN_CACHE_SIZE, PlanCache
from .report import PlacementReport
from .timeline import StepStats

__all__ = ["ConfigProto", "GPUOptions", "InteractiveSession", "RunMetadata", "RunOptions", "Session",
           "get_default_session"]

_placement_log = logging.getLogger("gpunet.placement")
_HOST = "/job:localhost/replica:0/task:0/device:CPU:0"


class GPUOptions:
    """TF1's GPU options; the first session applies them to the whole process (see gpunet/device/options.py)."""

    def __init__(self, allow_growth=False, visible_device_list="", per_process_gpu_memory_fraction=0.0):
        self.allow_growth = allow_growth
        self.visible_device_list = visible_device_list
        self.per_process_gpu_memory_fraction = per_process_gpu_memory_fraction
        validation.check_gpu_options_args(self)


class ConfigProto:
    """Session options as TF1's, plus ``plan_cache_size``: how many compiled plans a session keeps
    (least recently used out first)."""

    def __init__(self, log_device_placement=False, allow_soft_placement=False,
                 inter_op_parallelism_threads=0, intra_op_parallelism_threads=0, gpu_options=None,
                 device_count=None, plan_cache_size=DEFAULT_PLAN_CACHE_SIZE):
        self.log_device_placement = log_device_placement
        self.allow_soft_placement = allow_soft_placement
        self.inter_op_parallelism_threads = inter_op_parallelism_threads
        self.intra_op_parallelism_threads = intra_op_parallelism_threads
        self.gpu_options = gpu_options or GPUOptions()
        self.device_count = device_count if device_count is not None else {}
        self.plan_cache_size = plan_cache_size
        validation.check_config_args(self, GPUOptions)


class RunOptions:
    """Options of one ``sess.run``: ``trace_level`` above NO_TRACE fills ``run_metadata.step_stats``."""

    NO_TRACE, SOFTWARE_TRACE, HARDWARE_TRACE, FULL_TRACE = 0, 1, 2, 3

    def __init__(self, trace_level=0):
        validation.check_type(trace_level, int, "trace_level", "RunOptions", allow_none=False)
        self.trace_level = trace_level


class RunMetadata:
    """Filled by a run: ``copy_stats`` (what it copied between devices, see gpunet/graph/copy_stats.py)
    and, when traced, ``step_stats`` (see gpunet/graph/timeline.py)."""

    def __init__(self):
        self.step_stats = None
        self.copy_stats = None


class _SessionState:
    """Per-session values of stateful ops: variable slots and random generators."""

    def __init__(self, graph):
        self.graph = graph
        self._slots = {}
        self._rngs = {}
        self._device_rngs = {}  # (random op, device name) -> its generator on that device (cupy.random)
        self._resources = {}  # queues, readers, iterators (gpunet/ops/queue_ops.py ...), by their handle op

    def resource(self, op, make):
        """The session's resource for ``op`` (a queue, a reader), made by ``make()`` on first use."""
        if op not in self._resources:
            self._resources.setdefault(op, make())
        return self._resources[op]

    def cancel_resources(self):
        """At close: resources with waiting ops (a blocked dequeue) wake them with CancelledError."""
        for resource in list(self._resources.values()):
            resource.cancel()

    def slot(self, op) -> VarSlot:
        if op not in self._slots:
            self._slots[op] = VarSlot(op.name)
        return self._slots[op]

    def rng(self, op):
        """A NumPy generator per random op, seeded from the graph and op seeds (reproducible)."""
        if op not in self._rngs:
            graph_seed, op_seed = op.attrs.get("seed"), op.attrs.get("seed2")
            if graph_seed is None and op_seed is None:
                self._rngs[op] = np.random.default_rng()
            else:
                self._rngs[op] = np.random.default_rng([graph_seed or 0, op_seed or 0])
        return self._rngs[op]

    def device_rng(self, op, device_name, make):
        """The generator random ``op`` draws from on a device with its own generators, made by ``make()``
        once. Kept here, so it lives and dies with the session (a table beside the session whose entries
        name ``op`` kept the whole graph, its session and the generator's device memory alive)."""
        key = (op, device_name)
        if key not in self._device_rngs:
            self._device_rngs[key] = make()
        return self._device_rngs[key]


class Session:
    """``Session(target='', graph=None, config=None)``: runs fetches; a context manager."""

    def __init__(self, target="", graph=None, config=None):
        validation.check_session_args(target, graph, config, Graph, ConfigProto)
        if target:
            raise errors.UnavailableError(None, None, f"gpunet runs in-process; target "
                                                      f"{validation.bounded_repr(target)} is not supported "
                                                      "(use gn.parallel.mpi for several processes).")
        self.graph = graph or get_default_graph()
        self._config = config or ConfigProto()
        self._devices = _session_devices(self._config)
        if self._config.log_device_placement:
            _log_device_mapping(self._devices)
        self._placer = Placer(self._devices, self._config.allow_soft_placement)
        self._state = _SessionState(self.graph)
        self._state.placer = self._placer  # control-flow kernels place their sub-plans with it
        self._plans = PlanCache(self._config.plan_cache_size)
        self._used_devices = set()  # where its plans run: close() returns these devices' cached memory
        self._workers = DeviceWorkers()  # a thread per device for plans that span devices
        weakref.finalize(self, self._workers.close)  # a session dropped unclosed ends its threads too
        self._closed = False
        self._default_context = None

    # -- running ----------------------------------------------------------------------------
    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):
        if self._closed:
            raise RuntimeError("Attempted to use a closed Session.")
        if (fetches.__class__ is Tensor and not feed_dict and options is None and run_metadata is None
                and fetches.graph is self.graph):
            return self._plan((fetches,), ()).run((), self._workers)[0]  # the common case, without structures
        validation.check_run_args(feed_dict, options, run_metadata, RunOptions, RunMetadata)
        mapper = FetchMapper(self.graph, fetches)
        feeds, values = self._feeds(feed_dict)
        plan = self._plan(tuple(mapper.elements), tuple(feeds))
        copy_stats = None
        if run_metadata is not None:
            copy_stats = run_metadata.copy_stats = RunCopyStats()
        if options is not None and run_metadata is not None and options.trace_level > RunOptions.NO_TRACE:
            run_metadata.step_stats = StepStats()
            return mapper.build(plan.run_traced(values, run_metadata.step_stats, self._workers, copy_stats))
        return mapper.build(plan.run(values, self._workers, copy_stats))

    def _feeds(self, feed_dict):
        if not feed_dict:
            return [], []
        items = sorted(((feed_tensor(self.graph, k), v) for k, v in feed_dict.items()), key=_graph_order)
        return [t for t, _ in items], [feed_value(t, v) for t, v in items]

    def _plan(self, fetches, feeds):
        return self._plans.get((fetches, feeds), lambda: self._build_plan(fetches, feeds))

    def _build_plan(self, fetches, feeds):
        plan = build_plan(list(fetches), list(feeds), self._placer, self._state, self.graph)
        self._used_devices.update(p.device for p in plan.placement.values())
        if self._config.log_device_placement:
            _log_placement(plan)
        return plan

    def plan_cache_info(self):
        """Hits, misses, evictions, size and max size of this session's cache of compiled plans."""
        return self._plans.info()

    def placement_report(self, fetches, feed_dict=None) -> PlacementReport:
        """Where each op of the plan for ``fetches`` runs and why, and what it copies per step."""
        validation.check_type(feed_dict, dict, "feed_dict", "Session.placement_report")
        mapper = FetchMapper(self.graph, fetches)
        feeds = [feed_tensor(self.graph, k) for k in (feed_dict or {})]
        feeds.sort(key=lambda t: _graph_order((t, None)))
        return PlacementReport(self._plan(tuple(mapper.elements), tuple(feeds)), self._plans.info())

    def memory_report(self, fetches, feed_dict=None):
        """Each device's estimated peak bytes for the plan of ``fetches`` against the peak measured
        while running it once with ``feed_dict`` (the run's effects happen, as in ``run``)."""
        if self._closed:
            raise RuntimeError("Attempted to use a closed Session.")
        validation.check_type(feed_dict, dict, "feed_dict", "Session.memory_report")
        mapper = FetchMapper(self.graph, fetches)
        feeds, values = self._feeds(feed_dict)
        return memory.report(self._plan(tuple(mapper.elements), tuple(feeds)), values, self._state)

    def list_devices(self):
        return list(self._devices)

    def _load_variable(self, variable, value):
        self.run(variable.initializer, {variable.initial_value: value})

    # -- lifetime ---------------------------------------------------------------------------
    def close(self):
        """Frees the session's plans and variable values, and gives the memory their device buffers
        held back to the devices (CuPy's pool would otherwise keep it cached for reuse)."""
        self._closed = True
        self._state.cancel_resources()
        self._workers.close()
        self._plans.clear()
        self._state = _SessionState(self.graph)
        for device in self._used_devices:
            device.backend.release_cached_memory()

    def __enter__(self):
        self._default_context = _default_session(self)
        self._default_context.__enter__()
        return self

    def __exit__(self, *exc):
        self._default_context.__exit__(*exc)
        self.close()

    def as_default(self):
        return _default_session(self)


class InteractiveSession(Session):
    """A session that installs itself as the default session on creation."""

    def __init__(self, target="", graph=None, config=None):
        super().__init__(target, graph, config)
        self._interactive = _default_session(self)
        self._interactive.__enter__()

    def close(self):
        super().close()
        if self._interactive is not None:
            self._interactive.__exit__(None, None, None)
            self._interactive = None


_sessions = threading.local()


class _default_session:
    def __init__(self, session):
        self.session = session

    def __enter__(self):
        if not hasattr(_sessions, "stack"):
            _sessions.stack = []
        _sessions.stack.append(self.session)
        return self.session

    def __exit__(self, *exc):
        if self.session in _sessions.stack:
            _sessions.stack.remove(self.session)


def _session_devices(config):
    """The process's devices (fixed by the first session with its GPU options), less the GPUs
    ``device_count`` hides from this session: with ``{'GPU': 0}`` it places as on a CPU machine."""
    options = config.gpu_options
    devices = freeze(GpuSettings.parse(options.visible_device_list, options.per_process_gpu_memory_fraction,
                                       options.allow_growth))
    gpus = gpu_count_limit(config.device_count)
    if gpus is None:
        return devices
    return [d for d in devices if d.device_type != "GPU" or d.index < gpus]


def _graph_order(item):
    """Feeds sort by tensor position in the graph, so a dict's order never changes the plan."""
    tensor = item[0]
    return tensor.op._id, tensor.value_index


def get_default_session():
    """This thread's innermost ``with sess.as_default():`` / ``with sess:`` session, else None."""
    stack = getattr(_sessions, "stack", [])
    return stack[-1] if stack else None


def _log_device_mapping(devices):
    """At session creation, like TF1's 'Device mapping' line, but saying what each device is."""
    log = _placement_log.getChild("devices")  # printed by the same handler, told apart by name
    log.info("Device mapping:")
    for device in devices:
        log.info(f"{device.name} -> {device.backend.description}")


def _log_placement(plan):
    """Once per compiled plan: TF1-format lines on stderr, also sent to the 'gpunet' logger."""
    lines = plan.log_lines()
    lines[len(plan.ops):len(plan.ops)] = _fed_placeholder_lines(plan)
    for line in lines:
        _placement_log.info(line)


def _fed_placeholder_lines(plan):
    """TF1 lists fed placeholders too; a fed value goes to the device of its first consumer."""
    lines = []
    for tensor in plan.feeds:
        if tensor.op.type not in ("Placeholder", "PlaceholderWithDefault") or tensor.op in plan.placement:
            continue
        consumers = [op for op in plan.ops if tensor in op.inputs]
        device = plan.placement[consumers[0]].device.name if consumers else _HOST
        lines.append(f"{tensor.op.name}: ({tensor.op.type}): {device}")
    return lines


class _StderrUnlessConfigured(logging.Handler):
    """Prints gpunet's placement lines to the current sys.stderr unless the application has set
    up logging itself (a root handler), in which case the record reaches it by propagation.
    Either way each line appears once."""

    def emit(self, record):
        if logging.getLogger().handlers:
            return
        try:
            sys.stderr.write(self.format(record) + "\n")
        except Exception:
            self.handleError(record)


_placement_log.setLevel(logging.INFO)
_placement_log.addHandler(_StderrUnlessConfigured())
