"""Bad input of every kind gets a clear error of the right class naming what was wrong: never an
internal AttributeError, RecursionError, OverflowError or MemoryError, never a silent wrong value.

Each row of a table is (call, expected error class, fragment of the message); the call receives a
small fixture graph with a float placeholder ``x`` of shape (None, 3), an int32 placeholder ``n``,
a float variable ``v`` (initialized) and a session ``sess``.
"""
import collections
from types import SimpleNamespace

import numpy as np
import pytest

import gpunet as gn
from tests.conftest import no_gpu_only
from gpunet.graph.validation import MESSAGE_LIMIT, REPR_LIMIT


@pytest.fixture
def env():
    x = gn.placeholder(gn.float32, [None, 3], name="x")
    n = gn.placeholder(gn.int32, [2], name="n")
    v = gn.Variable(np.zeros(2, np.float32), name="v")
    vi = gn.Variable(np.zeros(2, np.int32), name="vi")
    sess = gn.Session()
    sess.run([v.initializer, vi.initializer])
    yield SimpleNamespace(x=x, n=n, v=v, vi=vi, sess=sess, y=x * 2.0)
    sess.close()


def _cyclic(leaf):
    items = [leaf]
    items.append(items)
    return items


def _nested(leaf, depth):
    for _ in range(depth):
        leaf = [leaf]
    return leaf


def _raise_stop():
    raise StopIteration


def _raise_long():
    raise ValueError("x" * 1_000_000)


def _py(env, fn, tout, *inputs):
    return env.sess.run(gn.py_func(fn, list(inputs), tout, name="my_fn"))


# -- argument types (item 8) ----------------------------------------------------------------------
ARGUMENT_TYPES = [
    (lambda e: gn.Session(config="fast"), TypeError, "Session: argument `config` must be ConfigProto or None, got str"),
    (lambda e: gn.Session(graph=3), TypeError, "Session: argument `graph` must be Graph or None, got int: 3"),
    (lambda e: gn.Session(target=1), TypeError, "Session: argument `target` must be str or bytes or None, got int"),
    (lambda e: gn.Session(config={"log_device_placement": True}), TypeError, "argument `config` must be ConfigProto"),
    (lambda e: e.sess.run(e.y, feed_dict=[1]), TypeError, "Session.run: argument `feed_dict` must be dict or None, "
                                                          "got list"),
    (lambda e: e.sess.run(e.y, feed_dict=3), TypeError, "argument `feed_dict` must be dict"),
    (lambda e: e.sess.run(e.y, {e.x: [[1, 2, 3]]}, options=3), TypeError,
     "Session.run: argument `options` must be RunOptions or None, got int: 3"),
    (lambda e: e.sess.run(e.v, run_metadata="m"), TypeError,
     "Session.run: argument `run_metadata` must be RunMetadata or None, got str: 'm'"),
    (lambda e: gn.ConfigProto(log_device_placement="yes"), TypeError,
     "ConfigProto: argument `log_device_placement` must be bool or int, got str: 'yes'"),
    (lambda e: gn.ConfigProto(allow_soft_placement=None), TypeError, "argument `allow_soft_placement` must be"),
    (lambda e: gn.ConfigProto(inter_op_parallelism_threads=2.5), TypeError,
     "argument `inter_op_parallelism_threads` must be int, got float: 2.5"),
    (lambda e: gn.ConfigProto(intra_op_parallelism_threads=True), TypeError,
     "argument `intra_op_parallelism_threads` must be int, got bool"),
    (lambda e: gn.ConfigProto(gpu_options={"allow_growth": True}), TypeError,
     "argument `gpu_options` must be GPUOptions, got dict"),
    (lambda e: gn.ConfigProto(device_count=[1]), TypeError, "argument `device_count` must be dict, got list"),
    (lambda e: gn.ConfigProto(device_count={"GPU": "2"}), TypeError,
     "ConfigProto: argument `device_count['GPU']` must be int, got str: '2'"),
    (lambda e: gn.ConfigProto(device_count={0: 1}), TypeError, "argument `device_count key` must be str, got int"),
    (lambda e: gn.ConfigProto(plan_cache_size="big"), TypeError, "argument `plan_cache_size` must be int"),
    (lambda e: gn.ConfigProto(plan_cache_size=0), ValueError, "plan_cache_size must be >= 1, got 0"),
    (lambda e: gn.GPUOptions(allow_growth="no"), TypeError, "GPUOptions: argument `allow_growth` must be bool or int"),
    (lambda e: gn.GPUOptions(visible_device_list=0), TypeError, "argument `visible_device_list` must be str, got int"),
    (lambda e: gn.GPUOptions(per_process_gpu_memory_fraction="half"), TypeError,
     "argument `per_process_gpu_memory_fraction` must be int or float"),
    (lambda e: gn.RunOptions(trace_level="FULL"), TypeError, "RunOptions: argument `trace_level` must be int"),
    (lambda e: e.sess.placement_report(e.y, feed_dict=[e.x]), TypeError,
     "Session.placement_report: argument `feed_dict` must be dict or None, got list"),
]

# -- arguments of the wrong kind deep inside a builder: no AttributeError/IndexError/OverflowError -----
ARGUMENT_KINDS = [
    (lambda e: e.x.graph.get_tensor_by_name(3), TypeError, "Tensor names are strings, got int"),
    (lambda e: e.x.graph.get_tensor_by_name(["x:0"]), TypeError, "Tensor names are strings, got list"),
    (lambda e: e.x.graph.get_operation_by_name(None), TypeError, "Operation names are strings, got NoneType"),
    (lambda e: gn.expand_dims(e.y, []), TypeError, "ExpandDims: axis must be one int, got []"),
    (lambda e: gn.expand_dims(e.y, [0, 1]), TypeError, "ExpandDims: axis must be one int, got [0, 1]"),
    (lambda e: gn.argmax(e.y, axis=np.zeros((0,), np.int32)), TypeError, "ArgMax: axis must be one int"),
    (lambda e: gn.gather(e.y, [0], axis=[]), TypeError, "GatherV2: axis must be one int, got []"),
    (lambda e: gn.stack([e.y, e.y], axis=[0, 1]), TypeError, "Pack: axis must be one int, got [0, 1]"),
    (lambda e: gn.split(e.y, 2 ** 70), ValueError, "split: num_or_size_splits must be in [1, 2**31), got "
                                                   "1180591620717411303424"),
    (lambda e: gn.one_hot([0], 2.5), TypeError, "OneHot: depth must be a list of ints, got 2.5"),
    (lambda e: gn.one_hot([0], True), TypeError, "OneHot: depth must be a list of ints, got True"),
    (lambda e: gn.one_hot([0], gn.constant([], gn.int32)), TypeError, "OneHot: depth must be one int, got <gn.Tensor"),
    (lambda e: gn.one_hot([0], 3, axis=True), TypeError, "OneHot: axis must be a list of ints, got True"),
    (lambda e: gn.split(e.y, 0), ValueError, "split: num_or_size_splits must be in [1, 2**31), got 0"),
]

# -- structures (item 8) ----------------------------------------------------------------------------
STRUCTURES = [
    (lambda e: e.sess.run([e.v, _cyclic(e.v)]), ValueError, "The fetch structure contains itself (a cyclic structure)"),
    (lambda e: e.sess.run(_nested(e.v, 5000)), ValueError, "The fetch structure is nested more than 100 levels deep"),
    (lambda e: e.sess.run({"a": _nested(e.v, 200)}), ValueError, "nested more than 100 levels"),
    (lambda e: e.sess.run(e.y, {e.x: _cyclic(1.0)}), gn.errors.InvalidFeedError,
     "Cannot feed [1.0, [...]] to Tensor x:0"),
    (lambda e: e.sess.run(e.y, {e.x: _nested(1.0, 5000)}), gn.errors.InvalidFeedError,
     "to Tensor x:0 of dtype float32: setting an array element with a sequence"),
]

# -- shapes and sizes at build time (items 3 and 8) ------------------------------------------------
SHAPES = [
    (lambda e: gn.placeholder(gn.float32, [1.5]), TypeError, "Dimension value must be integer or None, got 1.5"),
    (lambda e: gn.placeholder(gn.float32, [-5]), ValueError, "Dimension -5 must be >= 0"),
    (lambda e: gn.placeholder(gn.float32, [2, "3"]), TypeError, "Dimension value must be integer or None, got '3'"),
    (lambda e: gn.placeholder(gn.float32, 5.5), TypeError, "A shape must be a list or tuple of dimensions (ints or "
                                                            "None), got float: 5.5"),
    (lambda e: gn.placeholder(gn.float32, "2,3"), TypeError, "A shape must be a list or tuple of dimensions"),
    (lambda e: gn.zeros(object()), TypeError, "Cannot convert <object object at"),
    (lambda e: gn.placeholder(gn.float32, [10 ** 20]), ValueError, "Dimension 100000000000000000000 is absurdly "
                                                                    "large"),
    (lambda e: gn.zeros([2 ** 40, 2 ** 40]), ValueError, "does not fit in int32"),
    (lambda e: gn.fill([2 ** 31, 2], 1.0), ValueError, "does not fit in int32"),
    (lambda e: e.sess.run(gn.zeros([2 ** 20, 2 ** 20])), gn.errors.ResourceExhaustedError, "out of memory"),
    (lambda e: e.sess.run(gn.ones([2 ** 31 - 1, 2 ** 31 - 1])), gn.errors.ResourceExhaustedError, "array is too big"),
    (lambda e: e.sess.run(gn.broadcast_to(gn.zeros([1]), [2 ** 40, 2 ** 40])), gn.errors.ResourceExhaustedError,
     "out of memory"),
    (lambda e: e.sess.run(gn.random_normal([2 ** 20, 2 ** 20])), gn.errors.ResourceExhaustedError, "out of memory"),
    (lambda e: gn.constant(0.0, shape=[2 ** 40, 2 ** 40]), ValueError,
     "A constant of shape (1099511627776, 1099511627776) (1208925819614629174706176 elements of float32) does not "
     "fit in memory"),
    (lambda e: gn.constant(0.0, shape=[2 ** 20, 2 ** 20]), ValueError, "does not fit in memory"),
    (lambda e: gn.constant(1.0, shape=[None, 2]), ValueError, "A constant's shape must be fully defined"),
    (lambda e: gn.get_variable("w", shape=[2, 3], initializer=np.zeros((3, 2), np.float32)), ValueError,
     "Variable w: the initializer has shape (3, 2), which disagrees with the shape (2, 3)"),
    (lambda e: gn.get_variable("w", shape=[4], initializer=gn.constant([1.0, 2.0])), ValueError,
     "the initializer has shape (2,), which disagrees with the shape (4,)"),
    (lambda e: gn.get_variable("w", shape=[4], initializer=lambda shape, dtype=None, partition_info=None:
                               gn.zeros([3])), ValueError, "the initializer has shape (3,), which disagrees"),
]

# -- values that would be silently changed (item 3) -------------------------------------------------
CONVERSIONS = [
    (lambda e: gn.constant(1.5, gn.int32), TypeError, "Expected int32, but got 1.5 of type 'float'."),
    (lambda e: gn.constant([1.0, 2.5], dtype=gn.int64), TypeError, "Expected int64, but got 2.5 of type 'float'."),
    (lambda e: gn.constant(np.array([0.5], np.float32), gn.int32), TypeError, "Expected int32, but got 0.5"),
    (lambda e: gn.constant(np.nan, gn.int32), TypeError, "Cannot convert nan to int32"),
    (lambda e: gn.constant(300, gn.uint8), ValueError, "300 does not fit in uint8"),
    (lambda e: gn.constant(-1, gn.uint8), ValueError, "-1 does not fit in uint8"),
    (lambda e: gn.constant(1e20, gn.int32), ValueError, "1e+20 does not fit in int32"),
    (lambda e: gn.constant(2 ** 40, gn.int32), ValueError, "does not fit in int32"),
    (lambda e: gn.Variable(1.5, dtype=gn.int32), TypeError, "Expected int32, but got 1.5"),
    (lambda e: gn.get_variable("c", [2], dtype=gn.int32, initializer=gn.constant_initializer(1.5)), TypeError,
     "Expected int32, but got 1.5"),
    (lambda e: gn.get_variable("c", [2], dtype=gn.uint8, initializer=gn.constant_initializer(-1)), ValueError,
     "-1 does not fit in uint8"),
    (lambda e: gn.reduce_sum(e.y, axis=0.5), TypeError, "Sum: axis must be a list of ints, got 0.5"),
    (lambda e: gn.reduce_max(e.y, axis=[0, 1.5]), TypeError, "Max: axis must be a list of ints, got [0, 1.5]"),
    (lambda e: gn.argmax(e.y, axis=1e30), ValueError, "ArgMax: axis 1000000000000000019884624838656 is out of range"),
    (lambda e: gn.Variable([1, 2.25], dtype=gn.int32), TypeError, "Expected int32, but got 2.25"),
    (lambda e: e.vi.assign([1.5, 2.0]), TypeError, "Expected int32, but got 1.5"),
    (lambda e: e.vi.assign_add([1, 2 ** 40]), ValueError, "does not fit in int32"),
    (lambda e: gn.assign(e.vi, [0.5, 1.0]), TypeError, "Expected int32, but got 0.5"),
    (lambda e: _py(e, lambda: np.float64(1.5), gn.int32), gn.errors.InvalidArgumentError,
     "0-th value returned by py_func my_fn (<lambda>) is float64, but expects int32"),
    (lambda e: _py(e, lambda: np.array([1.0, 2.0]), gn.int64), gn.errors.InvalidArgumentError,
     "is float64, but expects int64"),
    (lambda e: _py(e, lambda: np.int64(2 ** 40), gn.int32), gn.errors.InvalidArgumentError,
     "is int64, but expects int32: 1099511627776 does not fit in int32"),
    (lambda e: _py(e, lambda: None, gn.float32), gn.errors.InvalidArgumentError,
     "0-th value returned by py_func my_fn (<lambda>) is None"),
    (lambda e: _py(e, lambda: "text", gn.float32), gn.errors.InvalidArgumentError, "is str"),
    (lambda e: _py(e, lambda: 1.0, [gn.float32, gn.float32]), gn.errors.InvalidArgumentError,
     "must return a list or tuple of values"),
    (lambda e: _py(e, lambda: [1.0], [gn.float32, gn.float32]), gn.errors.InvalidArgumentError,
     "returned 1 values, expected 2"),
    (lambda e: _py(e, lambda: 3, gn.string), gn.errors.InvalidArgumentError,
     "0-th value returned by py_func my_fn (<lambda>) is not strings, but expects string"),
    # finite floats that would become inf in a narrower float (NumPy does it with a warning at most)
    (lambda e: gn.constant(1e6, gn.float16), ValueError, "1000000.0 does not fit in float16 (it would become inf)"),
    (lambda e: gn.constant([1.0, 1e300], gn.float32), ValueError, "1e+300 does not fit in float32"),
    (lambda e: gn.constant(np.array([70000], np.int32), gn.float16), ValueError, "70000 does not fit in float16"),
    (lambda e: gn.Variable(1e5, dtype=gn.float16), ValueError, "100000.0 does not fit in float16"),
    (lambda e: e.v.assign([1e300, 0.0]), ValueError, "1e+300 does not fit in float32"),
    (lambda e: _py(e, lambda: np.float64(1e300), gn.float32), gn.errors.InvalidArgumentError,
     "is float64, but expects float32: 1e+300 does not fit in float32"),
    # objects that are neither numbers nor strings, and tensors where a constant's value is needed
    (lambda e: gn.constant([object()]), TypeError, "Failed to convert object of type list to Tensor. Contents: "
                                                   "[<object object at"),
    (lambda e: gn.constant([1.0, {"a": 1}]), TypeError, "Failed to convert object of type list to Tensor"),
    (lambda e: gn.constant([e.y, e.y]), TypeError, "List of Tensors when single Tensor expected"),
    (lambda e: gn.constant([[1.0, e.v]]), TypeError, "List of Tensors when single Tensor expected"),
    (lambda e: gn.convert_to_tensor([gn.constant(1.0), gn.constant(2)]), ValueError,
     "Tensor conversion requested dtype float32 for Tensor Const_1:0 with dtype int32"),
    (lambda e: gn.convert_to_tensor([gn.constant([1.0]), gn.constant([1.0, 2.0])]), ValueError,
     "Pack: dimension 0 in both shapes must be equal"),
    # strings where numbers are needed, numbers where strings are needed
    (lambda e: gn.cast(gn.constant(["1.5"]), gn.float32), TypeError, "Cast string to float32 is not supported"),
    (lambda e: gn.cast(gn.constant([1]), gn.string), TypeError, "Cast int32 to string is not supported"),
    (lambda e: gn.to_float(gn.constant("3")), TypeError, "Cast string to float32 is not supported"),
    (lambda e: gn.constant("a") + 1, TypeError, "Input 'y' of 'AddV2' Op has type int32 that does not match type "
                                                  "string"),
    (lambda e: gn.constant("a") + gn.constant("b"), TypeError, "AddV2 does not support dtype string: it needs numbers"),
    (lambda e: gn.reduce_sum(gn.constant(["a", "b"])), TypeError, "Sum does not support dtype string"),
    (lambda e: gn.is_nan(gn.constant([1])), TypeError, "IsNan does not support dtype int32: it needs a floating"),
    (lambda e: gn.is_finite(gn.constant("x")), TypeError, "IsFinite does not support dtype string"),
    (lambda e: e.sess.run(e.y, {e.x: [["a", "b", "c"]]}), gn.errors.InvalidFeedError,
     "Cannot feed [['a', 'b', 'c']] to Tensor x:0 of dtype float32"),
    # bools where integers are needed (NumPy takes True as 1)
    (lambda e: gn.reduce_sum(e.y, axis=True), TypeError, "Sum: axis must be a list of ints, got True"),
    (lambda e: gn.reduce_mean(e.y, axis=[False]), TypeError, "Mean: axis must be a list of ints, got [False]"),
    (lambda e: gn.argmax(e.y, True), TypeError, "ArgMax: axis must be a list of ints, got True"),
    (lambda e: gn.gather(e.y, [0], axis=True), TypeError, "GatherV2: axis must be a list of ints, got True"),
    (lambda e: gn.expand_dims(e.y, False), TypeError, "ExpandDims: axis must be a list of ints, got False"),
    (lambda e: gn.concat([e.y, e.y], True), TypeError, "ConcatV2: axis must be a list of ints, got True"),
    (lambda e: gn.constant(True) + gn.constant(False), TypeError, "AddV2 does not support dtype bool"),
    (lambda e: gn.reduce_sum(gn.constant([True, False])), TypeError, "Sum does not support dtype bool"),
    # an axis given twice (TF1 refuses; NumPy's reductions would too, but silently deduplicating is a guess)
    (lambda e: gn.reduce_sum(e.y, axis=[0, 0]), ValueError, "Sum: axes contains a duplicate dimension, got [0, 0]"),
    (lambda e: gn.reduce_max(e.y, axis=[1, -1]), ValueError, "Max: axes contains a duplicate dimension, got [1, -1]"),
    (lambda e: gn.reduce_mean(e.y, axis=np.array([1, 1])), ValueError, "Mean: axes contains a duplicate dimension"),
]

# -- None where a tensor is needed (item 3) --------------------------------------------------------
NONES = [
    (lambda e: gn.constant(None), ValueError, "None values not supported."),
    (lambda e: gn.convert_to_tensor(None), ValueError, "None values not supported."),
    (lambda e: gn.add(None, 1.0), ValueError, "None values not supported."),
    (lambda e: e.y + None, ValueError, "None values not supported."),
    (lambda e: gn.multiply(e.y, None), ValueError, "None values not supported."),
    (lambda e: gn.reduce_sum(None), ValueError, "None values not supported."),
    (lambda e: gn.identity(None), ValueError, "None values not supported."),
    (lambda e: gn.nn.relu(None), ValueError, "None values not supported."),
    (lambda e: e.v.assign(None), ValueError, "None values not supported."),
]

# -- random ops with integer dtypes (item 3) -------------------------------------------------------
RANDOMS = [
    (lambda e: gn.random_normal([2], dtype=gn.int32), TypeError,
     "random_normal: dtype must be a floating point type (float16, float32 or float64), got int32"),
    (lambda e: gn.truncated_normal([2], dtype=gn.int64), TypeError, "truncated_normal: dtype must be a floating"),
    (lambda e: gn.random_normal([2], dtype=gn.bool), TypeError, "got bool"),
    (lambda e: gn.random_uniform([2], dtype=gn.int32), ValueError, "Must specify maxval for integer dtype int32"),
    (lambda e: gn.random_uniform([2], maxval=2.5, dtype=gn.int32), TypeError,
     "random_uniform: maxval must be an integer for dtype int32, got 2.5"),
    (lambda e: gn.random_uniform([2], minval=3, maxval=3, dtype=gn.int32), ValueError, "need minval < maxval"),
    (lambda e: gn.random_uniform([2], dtype=gn.bool), TypeError, "random_uniform: dtype must be a floating point or "
                                                                 "integer type, got bool"),
]

# -- run-time failures of user code (item 8) -------------------------------------------------------
RUN_TIME = [
    (lambda e: _py(e, _raise_stop, gn.float32), gn.errors.OutOfRangeError,
     "py_func my_fn (_raise_stop) raised StopIteration"),
    (lambda e: _py(e, lambda: [].pop(), gn.float32), gn.errors.InvalidArgumentError, "pop from empty list"),
    (lambda e: _py(e, _raise_long, gn.float32), gn.errors.InvalidArgumentError, "xxxx... (998000 more characters)"),
]

TABLE = ARGUMENT_TYPES + ARGUMENT_KINDS + STRUCTURES + SHAPES + CONVERSIONS + NONES + RANDOMS + RUN_TIME


@pytest.mark.parametrize("call, error, fragment", TABLE, ids=[f"{i}-{r[1].__name__}" for i, r in enumerate(TABLE)])
def test_bad_input_gets_a_clear_error(env, call, error, fragment):
    with pytest.raises(error) as info:
        call(env)
    assert type(info.value) is error, f"{type(info.value).__name__}, expected exactly {error.__name__}"
    assert fragment in str(info.value)
    limit = MESSAGE_LIMIT + 200 if isinstance(info.value, gn.errors.OpError) else 2 * REPR_LIMIT + 200
    assert len(str(info.value)) < limit, "error messages are bounded"


# -- feeds that do not fit: ValueError and InvalidArgumentError at once (item 2) -----------------
@pytest.mark.parametrize("shape, value, given", [
    ([None, 3], np.zeros((2, 4), np.float32), "(2, 4)"),
    ([None, 3], np.zeros(3, np.float32), "(3,)"),
    ([None, 3], np.zeros((), np.float32), "()"),
    ([None, 3], np.zeros((0,), np.float32), "(0,)"),
    ([], np.zeros((1,), np.float32), "(1,)"),
    ([2, 2], np.zeros((2, 2, 1), np.float32), "(2, 2, 1)"),
    ([0], np.zeros((1,), np.float32), "(1,)"),
])
def test_a_feed_of_the_wrong_shape_is_both_value_error_and_invalid_argument(shape, value, given):
    x = gn.placeholder(gn.float32, shape, name="x")
    with gn.Session() as sess:
        for expected in (ValueError, gn.errors.InvalidArgumentError):
            with pytest.raises(expected) as info:
                sess.run(x + 1.0, {x: value})
            assert type(info.value) is gn.errors.InvalidFeedError
            assert str(info.value) == (f"Cannot feed value of shape {given} for Tensor x:0, which has shape "
                                       f"{gn.TensorShape(x.shape)}")
            assert info.value.op is x.op


@pytest.mark.parametrize("dtype, value, fragment", [
    (gn.float16, [1e6], "Cannot feed value of dtype float64 to Tensor x:0 of dtype float16: 1000000.0 does not fit "
                        "in float16 (it would become inf)"),
    (gn.float32, np.array([0.0, -1e300]), "-1e+300 does not fit in float32"),
    (gn.float16, np.array([65520], np.int32), "65520 does not fit in float16"),
    (gn.string, [1, 2], "Cannot feed [1, 2] to Tensor x:0 of dtype string: Failed to convert object of type list"),
    (gn.int32, [1.5, 2.0], "1.5 is not representable as int32"),
    (gn.uint8, 300, "Cannot feed 300 to Tensor x:0 of dtype uint8: Python integer 300 out of bounds for uint8"),
    (gn.uint8, np.int64(300), "Cannot feed value of dtype int64 to Tensor x:0 of dtype uint8: 300 is not "
                              "representable as uint8"),
    (gn.int8, [-129], "Python integer -129 out of bounds for int8"),
    (gn.bool, [2], "2 is not representable as bool"),
    (gn.float32, "abc", "Cannot feed 'abc' to Tensor x:0 of dtype float32"),
    (gn.int64, [1.0, float("nan")], "Cannot feed [1.0, nan] to Tensor x:0 of dtype int64"),
])
def test_a_feed_of_the_wrong_dtype_is_both_value_error_and_invalid_argument(dtype, value, fragment):
    x = gn.placeholder(dtype, None, name="x")
    with gn.Session() as sess:
        with pytest.raises(ValueError) as info:
            sess.run(gn.identity(x), {x: value})
    assert isinstance(info.value, gn.errors.InvalidArgumentError) and fragment in str(info.value)


def test_a_huge_value_in_an_error_message_is_cut():
    x = gn.placeholder(gn.float32, [2], name="x")
    with gn.Session() as sess:
        with pytest.raises(gn.errors.InvalidFeedError) as info:
            sess.run(x, {x: "y" * 100_000})
    assert len(str(info.value)) < 2 * REPR_LIMIT + 200 and "more characters)" in str(info.value)


# -- structures that are valid ---------------------------------------------------------------------
@pytest.mark.parametrize("factory", [list, int, None])
def test_defaultdict_fetches_come_back_as_defaultdicts(factory):
    a, b = gn.constant(1.0), gn.constant([2, 3])
    fetches = collections.defaultdict(factory, {"a": a, "nested": {"b": b}})
    with gn.Session() as sess:
        got = sess.run(fetches)
    assert type(got) is collections.defaultdict and got.default_factory is factory
    assert got["a"] == 1.0 and got["nested"]["b"].tolist() == [2, 3]


def test_the_same_fetch_twice_in_a_structure_is_not_a_cycle():
    a = gn.constant(1.0)
    inner = [a, a]
    with gn.Session() as sess:
        assert sess.run([inner, inner, (inner,)]) == [[1.0, 1.0], [1.0, 1.0], ([1.0, 1.0],)]


def test_a_fetch_structure_100_levels_deep_is_accepted():
    a = gn.constant(1.0)
    with gn.Session() as sess:
        got = sess.run(_nested(a, 99))
    for _ in range(99):
        got = got[0]
    assert got == 1.0


# -- py_func never sees a variable's buffer; its results are checked ------------------------------
def test_a_py_func_cannot_change_a_variable_through_its_input():
    v = gn.Variable(np.zeros(3, np.float32), name="v")

    def scribble(a):
        a += 7.0
        return a

    with gn.Session() as sess:
        sess.run(v.initializer)
        assert sess.run(gn.py_func(scribble, [v], gn.float32)).tolist() == [7.0, 7.0, 7.0]
        assert sess.run(v).tolist() == [0.0, 0.0, 0.0]
        assert sess.run(gn.py_func(scribble, [v.read_value()], gn.float32)).tolist() == [7.0, 7.0, 7.0]
        assert sess.run(v).tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("static, returned", [([2], (3,)), ([None, 2], (2,)), ([], (1,))])
def test_a_py_func_result_of_the_wrong_shape_names_the_function(static, returned):
    def produce():
        return np.zeros(returned, np.float32)

    y = gn.py_func(produce, [], gn.float32, name="producer")
    y.set_shape(static)
    with gn.Session() as sess:
        with pytest.raises(gn.errors.InvalidArgumentError, match=r"0-th value returned by py_func producer "
                                                                 r"\(.*produce\) has shape"):
            sess.run(y)


@pytest.mark.parametrize("value, tout, expected", [
    (np.float64(2.5), gn.float32, 2.5), (np.int64(3), gn.int32, 3), (True, gn.int32, 1), (7, gn.float64, 7.0),
    (np.array([1, 2], np.int8), gn.int64, [1, 2]),
])
def test_a_py_func_result_that_converts_exactly_is_accepted(value, tout, expected):
    with gn.Session() as sess:
        got = sess.run(gn.py_func(lambda: value, [], tout))
    assert np.asarray(got).dtype == tout.np and np.asarray(got).tolist() == expected


@no_gpu_only  # virtual GPUs in host memory; on a GPU this plan is checked (and too big)
def test_the_bytes_of_a_huge_static_copy_do_not_overflow(vgpus):
    with gn.device("/cpu:0"):
        x = gn.random_normal([2 ** 61, 2 ** 61])
    with gn.device("/gpu:0"):
        y = x * 2.0
    with gn.Session() as sess:
        report = sess.placement_report(y)  # compiled, never run
    assert [c.bytes for c in report.copies] == [2 ** 122 * 4]


def test_ordered_dict_and_namedtuple_fetches_keep_their_types():
    pair = collections.namedtuple("pair", "a b")
    a, b = gn.constant(1.0), gn.constant(2.0)
    with gn.Session() as sess:
        got = sess.run(collections.OrderedDict([("b", b), ("a", pair(a, [b]))]))
    assert type(got) is collections.OrderedDict and list(got) == ["b", "a"]
    assert type(got["a"]) is pair and got["a"].a == 1.0 and got["a"].b == [2.0]


# -- valid inputs of every kind are accepted, with TF1's value and dtype ----------------------------
def _ran(fetch, feeds=None):
    with gn.Session() as sess:
        return sess.run(fetch, feeds)


def _fed(dtype, shape, value, build=lambda p: p * 2):
    p = gn.placeholder(dtype, shape)
    return _ran(build(p), {p: value})


def _trained_beside_an_int_counter():
    """TF1 scripts leave ``tf.Variable(0)`` counters trainable: minimize() skips what the loss does not reach."""
    gn.Variable(0, name="counter")
    w = gn.Variable(3.0)
    step = gn.train.GradientDescentOptimizer(0.25).minimize(w * w)
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        sess.run(step)
        return sess.run(w)


C = gn.constant
VALID = [
    (_trained_beside_an_int_counter, np.float32, 1.5),
    # lists of tensors (and variables, and numbers among tensors) are packed, as TF1's convert_to_tensor does
    (lambda: _ran(gn.convert_to_tensor([C(1.0), C(2.0)])), np.float32, [1.0, 2.0]),
    (lambda: _ran(gn.convert_to_tensor([C(1.0), 2.0])), np.float32, [1.0, 2.0]),
    (lambda: _ran(gn.convert_to_tensor([[C(1.0), 2], (3.0, C(4.0))])), np.float32, [[1.0, 2.0], [3.0, 4.0]]),
    (lambda: _ran(gn.add([C(1), C(2)], 1)), np.int32, [2, 3]),
    (lambda: _ran(gn.reshape(C([1.0, 2.0]), [C(2), 1])), np.float32, [[1.0], [2.0]]),
    (lambda: _ran(gn.reduce_sum([gn.Variable(1.5).initialized_value(), C(2.0)])), np.float32, 3.5),
    # integers at the edges of int32 are int32, as in TF1
    (lambda: _ran(C(-2 ** 31)), np.int32, -2 ** 31),
    (lambda: _ran(C([2 ** 31 - 1, -2 ** 31])), np.int32, [2 ** 31 - 1, -2 ** 31]),
    (lambda: _ran(C([2 ** 31])), np.int64, [2 ** 31]),
    # infinities and NaNs that were given are kept (only finite values that overflow are refused)
    (lambda: _ran(C([np.inf, -np.inf], gn.float16)), np.float16, [np.inf, -np.inf]),
    (lambda: _fed(gn.float16, [None], np.array([np.inf, 65504.0]), gn.identity), np.float16, [np.inf, 65504.0]),
    (lambda: _fed(gn.float32, [None], np.array([1e-50, 1.5])), np.float32, [0.0, 3.0]),
    # small integer and float dtypes, 0-d and empty values, NumPy scalars and Python bools
    (lambda: _ran(C([100], gn.int8) - C([27], gn.int8)), np.int8, [73]),
    (lambda: _ran(C([200], gn.uint8) + C([55], gn.uint8)), np.uint8, [255]),
    (lambda: _ran(C([3], gn.int16) * C([-4], gn.int16)), np.int16, [-12]),
    (lambda: _ran(gn.reduce_sum(C([1.0, 2.0, 3.5], gn.float16))), np.float16, 6.5),
    (lambda: _fed(gn.float32, [], np.float32(3)), np.float32, 6.0),
    (lambda: _fed(gn.bool, [], True, gn.logical_not), np.bool_, False),
    (lambda: _fed(gn.float32, [None, 3], np.zeros((0, 3), np.float32)), np.float32, np.zeros((0, 3))),
    (lambda: _ran(C([1.0, 2.0]) + np.float64(2.0)), np.float32, [3.0, 4.0]),
    (lambda: _ran(C([1, 2]) + np.int64(2)), np.int32, [3, 4]),
    (lambda: _ran(gn.reduce_sum(C([[1.0, 2.0]]), axis=np.int64(1))), np.float32, [3.0]),
    (lambda: _ran(gn.reduce_sum(C([[1.0, 2.0]]), axis=(0, 1))), np.float32, 3.0),
    # shapes as tuples, Dimensions, NumPy ints, TensorShapes and slices of them
    (lambda: _ran(gn.zeros((2,))), np.float32, [0.0, 0.0]),
    (lambda: _ran(gn.zeros([gn.Dimension(2), np.int64(1)])), np.float32, [[0.0], [0.0]]),
    (lambda: _ran(gn.ones(C([[1.0, 2.0]]).shape[1:], gn.int8)), np.int8, [1, 1]),
    (lambda: _ran(gn.reshape(C([[1.0, 2.0]]), [C([[1.0, 2.0]]).shape[1], -1])), np.float32, [[1.0], [2.0]]),
    (lambda: _fed(gn.float32, gn.TensorShape([None, gn.Dimension(2)]), [[1.0, 2.0]]), np.float32, [[2.0, 4.0]]),
    (lambda: _fed(gn.float32, np.array([1, 2]), [[1.0, 2.0]]), np.float32, [[2.0, 4.0]]),
]


@pytest.mark.parametrize("call, dtype, expected", VALID, ids=[str(i) for i in range(len(VALID))])
def test_a_valid_input_is_accepted_with_tf1s_value_and_dtype(call, dtype, expected):
    got = np.asarray(call())
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, np.asarray(expected, dtype=dtype))
