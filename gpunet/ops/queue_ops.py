"""Queues as graph state (TF1's FIFOQueue, RandomShuffleQueue, PaddingFIFOQueue).

A queue is a ``QueueHandle`` op; its enqueue, dequeue, close and size ops take the handle as
input and find the queue's state in the session (one buffer per session, dropped and its waiting
ops cancelled when the session closes). Queue ops have CPU kernels only: under a GPU scope soft
placement moves them to the CPU, and values cross to and from GPUs by planned copies.
"""
from __future__ import annotations

import numpy as np

from .. import errors
from ..graph.core_ops import convert_to_tensor
from ..graph.dtypes import as_dtype, int32, int64, string
from ..graph.graph import Tensor
from ..graph.registry import apply_op, define_op
from ..graph.shape import TensorShape
from ._queue_state import QueueState, pad_stack
from .random_ops import get_seed


def _queue_of(ctx):
    """The session's state of the queue whose handle is the op's first input."""
    return queue_state(ctx.state, ctx.op.inputs[0].op)


def queue_state(state, handle):
    """The state in session ``state`` of the queue made by ``handle`` (a QueueHandle op)."""
    attrs = handle.attrs

    def make():
        rng = None
        if attrs["shuffle"]:
            seed, seed2 = attrs["seed"], attrs["seed2"]
            rng = np.random.default_rng() if seed is None and seed2 is None else np.random.default_rng(
                [seed or 0, seed2 or 0])
        return QueueState(attrs["shared_name"], attrs["capacity"], attrs["min_after_dequeue"], rng)
    return state.resource(handle, make)


def _handle_kernel(ctx):
    name = np.array(ctx.op.name.encode(), dtype=object)  # the state is made by the first op using it
    return lambda: name


def _enqueue_kernel(ctx):
    many, op = ctx.attrs["many"], ctx.op

    def enqueue(_handle, *components):
        queue = _queue_of(ctx)
        components = [np.array(c, copy=True) for c in components]  # never a variable's live buffer
        if not many:
            queue.enqueue([tuple(components)], op)
            return
        _check_same_first_dim(components, op)
        queue.enqueue([tuple(c[i] for c in components) for i in range(len(components[0]))], op)
    return enqueue


def _check_same_first_dim(components, op):
    sizes = {c.shape[0] if c.ndim else None for c in components}
    if len(sizes) != 1 or None in sizes:
        raise errors.InvalidArgumentError(None, op, f"enqueue_many needs components with the same first "
                                                    f"dimension, got shapes {[c.shape for c in components]}")


def _dequeue_kernel(ctx):
    n, allow_smaller, op = ctx.attrs["n"], ctx.attrs["allow_smaller"], ctx.op
    handle = ctx.op.inputs[0].op.attrs
    count = len(op.outputs)

    def dequeue(_handle, n_tensor=None):
        queue = _queue_of(ctx)
        many = n if n_tensor is None else _count(n_tensor, op)
        elements = queue.dequeue(1 if many is None else many, allow_smaller, op)
        if many is None:
            values = elements[0]
        elif not elements:
            values = tuple(np.empty((0,) + tuple(d or 0 for d in shape), dtype.np)
                           for dtype, shape in zip(handle["dtypes"], handle["shapes"]))
        else:
            values = tuple(pad_stack([e[i] for e in elements], handle["padded"]) for i in range(count))
        return values[0] if count == 1 else tuple(values)
    return dequeue


def _count(n, op) -> int:
    """A dequeue_many ``n`` given as a tensor: a non-negative scalar."""
    if n.ndim != 0 or n < 0:
        raise errors.InvalidArgumentError(None, op, f"dequeue_many: n must be a non-negative scalar, got "
                                                    f"{n.tolist()}")
    return int(n)


def _close_kernel(ctx):
    cancel = ctx.attrs["cancel"]
    return lambda _handle: _queue_of(ctx).close(cancel)


def _size_kernel(ctx):
    return lambda _handle: np.array(_queue_of(ctx).size(), dtype=np.int32)


def _handle_infer(inputs, attrs):
    return [(string, ())]


def _dequeue_infer(inputs, attrs):
    handle = inputs[0].op.attrs
    n = attrs["n"]
    lead = () if n is None else ((None if attrs["allow_smaller"] or len(inputs) > 1 else n),)
    shapes = handle["shapes"] or [None] * len(handle["dtypes"])
    return [(d, None if s is None else lead + tuple(s)) for d, s in zip(handle["dtypes"], shapes)]


_CPU = dict(stateful=True, differentiable=False)
define_op("QueueHandle", _handle_infer, {"CPU": _handle_kernel}, **_CPU)
define_op("QueueEnqueue", lambda i, a: [], {"CPU": _enqueue_kernel}, **_CPU)
define_op("QueueDequeue", _dequeue_infer, {"CPU": _dequeue_kernel}, **_CPU)
define_op("QueueClose", lambda i, a: [], {"CPU": _close_kernel}, **_CPU)
define_op("QueueSize", lambda i, a: [(int32, ())], {"CPU": _size_kernel}, **_CPU)


def _is_one_shape(shapes) -> bool:
    """``[2, 3]`` or a TensorShape (one component's shape), not ``[[2, 3]]`` (a list of them)."""
    return isinstance(shapes, TensorShape) or all(d is None or hasattr(d, "__index__") for d in shapes)


class QueueBase:
    """A queue of tuples of tensors of ``dtypes`` (and ``shapes``, needed by dequeue_many)."""

    def __init__(self, capacity, dtypes, shapes=None, names=None, shared_name=None, name="fifo_queue",
                 min_after_dequeue=0, seed=None, shuffle=False, padded=False):
        if not isinstance(capacity, int) or capacity <= 0:
            raise ValueError(f"capacity must be a positive int, got {capacity!r}")
        self._single = not isinstance(dtypes, (list, tuple))
        self._dtypes = [as_dtype(d) for d in ([dtypes] if self._single else dtypes)]
        self._names = list(names) if names is not None else None
        self._shapes = self._check_shapes(shapes, padded)
        graph_seed, op_seed = get_seed(seed) if shuffle else (None, None)
        attrs = {"capacity": capacity, "dtypes": self._dtypes, "shapes": self._shapes, "shuffle": shuffle,
                 "min_after_dequeue": min_after_dequeue, "seed": graph_seed, "seed2": op_seed,
                 "padded": padded, "shared_name": shared_name or ""}
        self._handle = apply_op("QueueHandle", [], attrs, name).outputs[0]
        self._handle.op.attrs["shared_name"] = shared_name or self._handle.op.name

    def _check_shapes(self, shapes, padded):
        if shapes is None:
            if padded:
                raise ValueError("PaddingFIFOQueue needs shapes for all components")
            return None
        shapes = [shapes] if _is_one_shape(shapes) and (len(self._dtypes) == 1 or shapes) else list(shapes)
        if len(shapes) != len(self._dtypes):
            raise ValueError(f"Queue shapes must have the same length as dtypes: {len(shapes)} != "
                             f"{len(self._dtypes)}")
        shapes = [tuple(TensorShape(s).as_list()) for s in shapes]
        if not padded and any(None in s for s in shapes):
            raise ValueError(f"Queue shapes must be fully defined (use PaddingFIFOQueue), got {shapes}")
        return shapes

    @property
    def queue_ref(self) -> Tensor:
        return self._handle

    @property
    def name(self) -> str:
        return self._handle.op.name

    @property
    def dtypes(self):
        return list(self._dtypes)

    @property
    def shapes(self):
        return [TensorShape(s) for s in self._shapes] if self._shapes else [TensorShape(None)] * len(self._dtypes)

    @property
    def names(self):
        return self._names

    def _components(self, vals, many):
        if self._names is not None:
            if not isinstance(vals, dict) or set(vals) != set(self._names):
                raise ValueError(f"Queue with names {self._names} needs a dict with those keys, got {vals!r}")
            vals = [vals[n] for n in self._names]
        elif not isinstance(vals, (list, tuple)):
            vals = [vals]
        if len(vals) != len(self._dtypes):
            raise ValueError(f"Expected {len(self._dtypes)} components to enqueue, got {len(vals)}")
        tensors = [convert_to_tensor(v, dtype=d) for v, d in zip(vals, self._dtypes)]
        for i, t in enumerate(tensors):
            want = self._shapes[i] if self._shapes else None
            have = t.shape.as_list() if t.shape.ndims is not None else None
            if want is not None and have is not None:
                have = have[1:] if many else have
                if len(have) != len(want) or any(a is not None and b is not None and a != b
                                                  for a, b in zip(have, want)):
                    raise ValueError(f"Shape {t.shape} of component {i} is incompatible with the queue's shape "
                                     f"{TensorShape(want)}{' (after its first dimension)' if many else ''}")
        return tensors

    def enqueue(self, vals, name=None):
        return apply_op("QueueEnqueue", [self._handle] + self._components(vals, False), {"many": False},
                        name or f"{self.name}_enqueue")

    def enqueue_many(self, vals, name=None):
        return apply_op("QueueEnqueue", [self._handle] + self._components(vals, True), {"many": True},
                        name or f"{self.name}_EnqueueMany")

    def _dequeue(self, n, allow_smaller, name):
        if n is not None and self._shapes is None:
            raise ValueError(f"Queue {self.name} needs fully defined shapes for dequeue_many; "
                             "create it with shapes=")
        inputs = [self._handle]
        if isinstance(n, Tensor):  # its value is read by each run; n (the attr) only marks a dequeue of many
            if n.dtype not in (int32, int64) or n.shape.ndims not in (None, 0):
                raise TypeError(f"dequeue_many: n must be an int32 scalar, got {n.dtype.name} tensor of shape "
                                f"{n.shape}")
            inputs, n = inputs + [n], -1
        outputs = apply_op("QueueDequeue", inputs, {"n": n, "allow_smaller": allow_smaller}, name).outputs
        if self._names is not None:
            return dict(zip(self._names, outputs))
        return outputs[0] if len(outputs) == 1 else list(outputs)

    def dequeue(self, name=None):
        return self._dequeue(None, False, name or f"{self.name}_Dequeue")

    def dequeue_many(self, n, name=None):
        """``n`` elements stacked (``n`` an int or an int32 scalar tensor); OutOfRangeError once closed."""
        return self._dequeue(_as_count(n), False, name or f"{self.name}_DequeueMany")

    def dequeue_up_to(self, n, name=None):
        """Up to ``n`` elements stacked: fewer (at least one) once the queue is closed."""
        return self._dequeue(_as_count(n), True, name or f"{self.name}_DequeueUpTo")

    def close(self, cancel_pending_enqueues=False, name=None):
        return apply_op("QueueClose", [self._handle], {"cancel": cancel_pending_enqueues},
                        name or f"{self.name}_Close")

    def size(self, name=None):
        return apply_op("QueueSize", [self._handle], {}, name or f"{self.name}_Size").outputs[0]


def _as_count(n):
    return n if isinstance(n, Tensor) else int(n)


class FIFOQueue(QueueBase):
    """First in, first out."""

    def __init__(self, capacity, dtypes, shapes=None, names=None, shared_name=None, name="fifo_queue"):
        super().__init__(capacity, dtypes, shapes, names, shared_name, name)


class PaddingFIFOQueue(QueueBase):
    """FIFO whose dequeue_many pads each component to the largest element (shapes may hold None)."""

    def __init__(self, capacity, dtypes, shapes, names=None, shared_name=None, name="padding_fifo_queue"):
        super().__init__(capacity, dtypes, shapes, names, shared_name, name, padded=True)


class RandomShuffleQueue(QueueBase):
    """Dequeues a random element, keeping at least ``min_after_dequeue`` until closed."""

    def __init__(self, capacity, min_after_dequeue, dtypes, shapes=None, names=None, seed=None, shared_name=None,
                 name="random_shuffle_queue"):
        if not 0 <= min_after_dequeue < capacity:
            raise ValueError(f"min_after_dequeue ({min_after_dequeue}) must be in [0, capacity={capacity})")
        super().__init__(capacity, dtypes, shapes, names, shared_name, name, min_after_dequeue, seed, shuffle=True)


# pad_stack: the padding that Dataset.padded_batch shares
__all__ = ["FIFOQueue", "PaddingFIFOQueue", "QueueBase", "RandomShuffleQueue", "pad_stack"]
