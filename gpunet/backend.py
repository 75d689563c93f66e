"""``gn.backend`` (``K``): the Keras 2 backend functions over the graph — session, learning phase,
per-graph layer-name counters and the small math helpers Keras programs call."""
from __future__ import annotations

import weakref

import numpy as np

import gpunet as gn

__all__ = ["abs", "cast", "clear_session", "clip", "concatenate", "count_params", "epsilon", "equal", "exp", "floatx",
           "get_session", "get_value", "image_data_format", "in_train_phase", "initialize_variables", "int_shape",
           "l2_normalize", "learning_phase", "maximum", "mean", "phase_feed", "placeholder", "random_normal", "relu",
           "set_learning_phase", "set_session", "set_value", "shape", "sqrt", "square", "sum", "unique_object_name",
           "update", "variable"]

_FLOATX = "float32"
_EPSILON = 1e-7
_initialized = weakref.WeakKeyDictionary()   # session -> set of variable ids known initialized


def _state(graph=None):
    """The graph's Keras state: {"phase": tensor, "fixed_phase": value, "names": {prefix: count}}. Kept on the
    graph (a table keyed weakly by graph would never let go: the phase tensor refers to its graph)."""
    graph = graph or gn.get_default_graph()
    return graph._local.setdefault("keras", {"phase": None, "fixed_phase": None, "names": {}})


# -- session ---------------------------------------------------------------------------------------
def get_session():
    """The session Keras code runs in: the default session if one is open, else one per graph."""
    default = gn.get_default_session()
    if default is not None:
        return default
    graph = gn.get_default_graph()
    if getattr(graph, _SESSION, None) is None:
        setattr(graph, _SESSION, gn.Session(graph=graph))
    return getattr(graph, _SESSION)


def set_session(session):
    """Make ``session`` the session Keras code uses for its graph."""
    setattr(session.graph, _SESSION, session)


# The session of a graph is kept on the graph itself (not in a module-level table keyed by graph, whose
# values would keep every graph alive): a graph dropped by reset_default_graph is collected with its
# session, whose finalizer ends its device worker threads.
_SESSION = "_keras_session"


def clear_session():
    """A new default graph, session and layer-name counters (``dense`` again)."""
    graph = gn.get_default_graph()
    old = getattr(graph, _SESSION, None)
    if old is not None:
        setattr(graph, _SESSION, None)
        old.close()
    graph._local.pop("keras", None)
    gn.reset_default_graph()


def initialize_variables(variables, session=None):
    """Run the initializers of those ``variables`` that ``session`` has not initialized yet."""
    session = session or get_session()
    known = _initialized.setdefault(session, set())
    fresh = [v for v in variables if id(v) not in known]
    if not fresh:
        return
    flags = session.run([v.is_variable_initialized() for v in fresh])
    todo = [v for v, done in zip(fresh, flags) if not done]
    if todo:
        session.run(gn.variables_initializer(todo))
    known.update(id(v) for v in fresh)


# -- names -----------------------------------------------------------------------------------------
def unique_object_name(prefix, zero_based=True):
    """``prefix``, then ``prefix_1``, ``prefix_2``, … per default graph (reset by clear_session);
    with ``zero_based=False``: ``prefix_1``, ``prefix_2``, … (Keras's ``input_1``)."""
    names = _state()["names"]
    count = names.get(prefix, 0)
    names[prefix] = count + 1
    if not zero_based:
        return f"{prefix}_{count + 1}"
    return prefix if count == 0 else f"{prefix}_{count}"


# -- learning phase --------------------------------------------------------------------------------
def learning_phase():
    """The boolean learning-phase placeholder of the graph (default False; feed 1/True to train)."""
    state = _state()
    if state["fixed_phase"] is not None:
        return state["fixed_phase"]
    if state["phase"] is None:
        with gn.get_default_graph().name_scope(None), gn.device(None):
            state["phase"] = gn.placeholder_with_default(False, shape=(), name="keras_learning_phase")
    return state["phase"]


def set_learning_phase(value):
    """Fix the learning phase to 0 or 1 for layers built from now on in this graph."""
    if value not in (0, 1):
        raise ValueError(f"Expected learning phase to be 0 or 1, got {value!r}")
    _state()["fixed_phase"] = gn.constant(bool(value), name="keras_learning_phase_fixed")


def phase_feed(training):
    """The feed entry for the learning phase (empty when the phase is fixed or never created)."""
    state = _state()
    if state["phase"] is None:
        return {}
    return {state["phase"]: bool(training)}


def in_train_phase(training_value, inference_value, training=None):
    """``training_value`` while training (learning phase 1), else ``inference_value``. Either may be
    a callable building the value: under a phase tensor the two sit in a ``gn.cond``, so only the
    taken branch's ops run (no random mask at inference)."""
    phase = learning_phase() if training is None else training
    if isinstance(phase, (bool, int, np.integer)):
        return _built(training_value if phase else inference_value)
    if not phase.dtype.is_bool:
        phase = gn.cast(phase, gn.bool)
    return gn.cond(phase, lambda: _built(training_value), lambda: _built(inference_value))


def _built(value):
    return value() if callable(value) else value


# -- small helpers of API.md §7 --------------------------------------------------------------------
def floatx():
    """The default float type of Keras code: ``'float32'``."""
    return _FLOATX


def epsilon():
    """The fuzz factor Keras losses use: ``1e-7``."""
    return _EPSILON


def image_data_format():
    """Always ``'channels_last'`` (NHWC), the layout of gn's conv and pooling ops."""
    return "channels_last"


def variable(value, dtype=None, name=None):
    """A variable holding ``value``, initialized in the Keras session when first used by a model."""
    value = np.asarray(value, dtype=dtype or _FLOATX)
    return gn.Variable(value, name=name)


def placeholder(shape=None, ndim=None, dtype=None, name=None):
    """A placeholder of ``shape`` (or ``ndim`` unknown dimensions), float32 by default."""
    if shape is None and ndim is not None:
        shape = (None,) * ndim
    return gn.placeholder(dtype or _FLOATX, shape=shape, name=name)


def int_shape(x):
    """The static shape of ``x`` as a tuple (None for unknown dimensions), or None."""
    shape = x.shape.as_list() if x.shape.ndims is not None else None
    return None if shape is None else tuple(shape)


def shape(x):
    """The dynamic shape of ``x`` as an int32 tensor."""
    return gn.shape(x)


def mean(x, axis=None, keepdims=False):
    """Mean of ``x`` over ``axis``."""
    return gn.reduce_mean(x, axis=axis, keepdims=keepdims)


def sum(x, axis=None, keepdims=False):  # noqa: A001 (Keras's name)
    """Sum of ``x`` over ``axis``."""
    return gn.reduce_sum(x, axis=axis, keepdims=keepdims)


def abs(x):  # noqa: A001
    """Elementwise absolute value."""
    return gn.abs(x)


def square(x):
    """Elementwise square."""
    return gn.square(x)


def sqrt(x):
    """Elementwise square root, negative inputs clipped to 0 first (as Keras)."""
    return gn.sqrt(gn.maximum(x, 0.0))


def exp(x):
    """Elementwise exponential."""
    return gn.exp(x)


def clip(x, min_value, max_value):
    """``x`` clipped to ``[min_value, max_value]``."""
    return gn.clip_by_value(x, min_value, max_value)


def maximum(x, y):
    """Elementwise maximum."""
    return gn.maximum(x, y)


def cast(x, dtype):
    """``x`` cast to ``dtype``."""
    return gn.cast(x, dtype)


def equal(x, y):
    """Elementwise equality (boolean tensor)."""
    return gn.equal(x, y)


def update(x, new_x):
    """An op assigning ``new_x`` to the variable ``x``."""
    return gn.assign(x, new_x)


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """A tensor of normal samples."""
    return gn.random_normal(shape, mean=mean, stddev=stddev, dtype=dtype or _FLOATX, seed=seed)


def l2_normalize(x, axis=None):
    """``x`` divided by its L2 norm along ``axis``."""
    return gn.nn.l2_normalize(x, axis=axis)


def relu(x, alpha=0.0, max_value=None):
    """Rectified linear unit with Keras's ``alpha`` (leak) and ``max_value`` (cap)."""
    y = gn.nn.relu(x)
    if alpha:
        y = y - alpha * gn.nn.relu(-x)
    if max_value is not None:
        y = gn.minimum(y, max_value)
    return y


def concatenate(tensors, axis=-1):
    """``tensors`` joined along ``axis``."""
    return gn.concat(list(tensors), axis)


def get_value(x):
    """The value of a variable (or tensor) in the Keras session."""
    if isinstance(x, gn.Variable):
        initialize_variables([x])
    return get_session().run(x)


def set_value(x, value):
    """Load ``value`` into the variable ``x`` in the Keras session."""
    x.load(np.asarray(value, dtype=x.dtype.name), get_session())
    _initialized.setdefault(get_session(), set()).add(id(x))


def count_params(x):
    """The number of scalars in ``x``."""
    return int(np.prod(x.shape.as_list()))
