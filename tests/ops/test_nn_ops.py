"""gn.nn behaviour beyond the kernel/gradient walk: numerical stability, TF1 semantics (in_top_k
ties, v1/v2 label gradients, fused xent backprop), argument errors and run-time errors."""
import warnings

import numpy as np
import pytest

import gpunet as gn
from tests.conftest import device_name


def _run(fetches, feed=None, **config):
    with gn.Session(config=gn.ConfigProto(**config)) as sess:
        return sess.run(fetches, feed)


# -- numerical stability ----------------------------------------------------------------------------
def test_softmax_family_is_stable_for_huge_logits(device):
    logits_value = np.array([[1e4, 0.0, -1e4], [-1e4, -1e4, -1e4]], np.float32)
    with gn.device(device):
        logits = gn.constant(logits_value)
        fetches = [gn.nn.softmax(logits), gn.nn.log_softmax(logits),
                   gn.nn.softmax_cross_entropy_with_logits_v2(labels=[[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]],
                                                              logits=logits),
                   gn.nn.sparse_softmax_cross_entropy_with_logits(labels=[1, 2], logits=logits),
                   gn.sigmoid(logits), gn.nn.sigmoid_cross_entropy_with_logits(labels=gn.ones_like(logits),
                                                                                logits=logits)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow / divide-by-zero warnings either
        softmax, log_softmax, xent, sparse_xent, sigmoid, sigmoid_xent = _run(fetches)
    np.testing.assert_allclose(softmax, [[1, 0, 0], [1 / 3] * 3], atol=1e-7)
    np.testing.assert_allclose(log_softmax, [[0, -1e4, -2e4], [-np.log(3)] * 3], rtol=1e-6)
    np.testing.assert_allclose(xent, [1e4, np.log(3)], rtol=1e-6)
    np.testing.assert_allclose(sparse_xent, [1e4, np.log(3)], rtol=1e-6)
    np.testing.assert_allclose(sigmoid, [[1, 0.5, 0], [0, 0, 0]], atol=1e-7)
    np.testing.assert_allclose(sigmoid_xent, [[0, np.log(2), 1e4], [1e4] * 3], rtol=1e-6)
    for value in (softmax, log_softmax, xent, sparse_xent, sigmoid, sigmoid_xent):
        assert value.dtype == np.float32


def test_float32_stays_float32_through_gradients():
    x = gn.placeholder(gn.float32, [2, 3])
    labels = gn.placeholder(gn.int32, [2])
    loss = gn.reduce_sum(gn.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=gn.nn.elu(x)))
    loss += gn.nn.l2_loss(gn.sigmoid(x)) + gn.reduce_sum(gn.nn.moments(gn.tanh(x), [0])[1])
    grad, = gn.gradients(loss, [x])
    value = _run(grad, {x: np.ones((2, 3), np.float32), labels: [0, 2]})
    assert value.dtype == np.float32 and grad.dtype == gn.float32


# -- cross-entropies ----------------------------------------------------------------------------
def test_xent_gradient_reuses_the_fused_backprop():
    logits = gn.placeholder(gn.float32, [4, 3])
    loss = gn.nn.sparse_softmax_cross_entropy_with_logits(labels=[0, 1, 2, 0], logits=logits)
    grad, = gn.gradients(loss, [logits])
    assert grad.op.type == "Mul" and loss.op.outputs[1] in grad.op.inputs
    assert "Softmax" not in {op.type for op in gn.get_default_graph().get_operations()}  # no recomputation


def test_v1_xent_stops_the_label_gradient_and_v2_does_not():
    logits = gn.constant([[1.0, 2.0, 3.0]])
    labels = gn.constant([[0.2, 0.3, 0.5]])
    v1 = gn.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    v2 = gn.nn.softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits)
    assert gn.gradients(v1, [labels]) == [None]
    d_labels, = gn.gradients(v2, [labels])
    log_softmax = np.array([1.0, 2.0, 3.0]) - np.log(np.exp([1.0, 2.0, 3.0]).sum())
    np.testing.assert_allclose(_run(d_labels), [-log_softmax], rtol=1e-6)


@pytest.mark.parametrize("fn", [gn.nn.softmax_cross_entropy_with_logits, gn.nn.softmax_cross_entropy_with_logits_v2,
                                gn.nn.sparse_softmax_cross_entropy_with_logits,
                                gn.nn.sigmoid_cross_entropy_with_logits])
def test_cross_entropies_take_named_arguments_only(fn):
    with pytest.raises(ValueError, match="Only call `.*` with named arguments"):
        fn([[0.0, 1.0]], [[1.0, 2.0]])


def test_sparse_label_out_of_range_names_the_label_the_op_and_the_device(device):
    with gn.device(device):
        loss = gn.nn.sparse_softmax_cross_entropy_with_logits(labels=gn.constant([1, 3]), logits=gn.ones([2, 3]),
                                                              name="xent")
    with pytest.raises(gn.errors.InvalidArgumentError) as info:
        _run(loss)
    message = str(info.value)
    assert "Received a label value of 3 which is outside the valid range of [0, 3).  Label values: 1 3" in message
    assert "xent" in message and device_name(device) in message  # the requested device, by its canonical name


def test_xent_shape_and_dtype_errors():
    with pytest.raises(ValueError, match="same shape"):
        gn.nn.softmax_cross_entropy_with_logits_v2(labels=gn.ones([2, 3]), logits=gn.ones([2, 4]))
    with pytest.raises(ValueError, match="Rank mismatch"):
        gn.nn.sparse_softmax_cross_entropy_with_logits(labels=gn.constant([[1]]), logits=gn.ones([1, 3]))
    with pytest.raises(TypeError, match="labels must be int32 or int64"):
        gn.nn.sparse_softmax_cross_entropy_with_logits(labels=gn.constant([1.0]), logits=gn.ones([1, 3]))
    with pytest.raises(TypeError, match="DataType int32 not in list of allowed values"):
        gn.nn.softmax(gn.constant([1, 2]))


# -- in_top_k, bias_add, l2_loss ----------------------------------------------------------------------
def test_in_top_k_counts_ties_in_the_targets_favour():
    predictions = gn.constant([[0.5, 0.5, 0.5, 0.1], [0.9, 0.5, 0.5, 0.1], [0.9, 0.8, 0.5, 0.5]])
    at_1 = gn.nn.in_top_k(predictions, gn.constant([2, 2, 3]), 1)
    at_2 = gn.nn.in_top_k(predictions, gn.constant([2, 2, 3]), 2)
    np.testing.assert_array_equal(_run(at_1), [True, False, False])
    np.testing.assert_array_equal(_run(at_2), [True, True, False])
    assert at_1.dtype == gn.bool and at_1.shape == (3,)


def test_in_top_k_rejects_a_tensor_k_and_float_targets():
    with pytest.raises(TypeError, match="k must be a Python int"):
        gn.nn.in_top_k(gn.ones([2, 3]), gn.constant([0, 1]), gn.constant(1))
    with pytest.raises(TypeError, match="targets must be int32 or int64"):
        gn.nn.in_top_k(gn.ones([2, 3]), gn.constant([0.0, 1.0]), 1)


def test_bias_add_checks_the_channel_dimension():
    with pytest.raises(ValueError, match="Dimensions must be equal, but are 4 and 3"):
        gn.nn.bias_add(gn.ones([2, 4]), gn.ones([3]))
    with pytest.raises(ValueError, match="Dimensions must be equal, but are 2 and 3"):
        gn.nn.bias_add(gn.ones([5, 2, 4, 4]), gn.ones([3]), data_format="NCHW")
    with pytest.raises(ValueError, match="data_format"):
        gn.nn.bias_add(gn.ones([2, 4]), gn.ones([4]), data_format="NWC")


def test_l2_loss_and_xw_plus_b():
    x = np.array([[1.0, 2.0], [3.0, -4.0]], np.float32)
    loss, dense = _run([gn.nn.l2_loss(x), gn.nn.xw_plus_b(x, np.eye(2, dtype=np.float32), [1.0, -1.0])])
    assert loss == pytest.approx(15.0) and loss.dtype == np.float32 and loss.shape == ()
    np.testing.assert_allclose(dense, x + [1, -1])
    assert _run(gn.nn.l2_loss(gn.constant([3.0], gn.float64))).dtype == np.float64


def test_top_level_sigmoid_and_tanh_are_the_nn_ones():
    assert gn.sigmoid is gn.nn.sigmoid and gn.tanh is gn.nn.tanh
    assert gn.sigmoid(gn.constant([0.0])).op.type == "Sigmoid"


# -- moments, batch_normalization ---------------------------------------------------------------------
def test_moments_and_batch_normalization_normalize_a_batch(device):
    x_value = np.random.default_rng(0).normal(3.0, 2.0, (64, 5)).astype(np.float32)
    with gn.device(device):
        x = gn.constant(x_value)
        mean, variance = gn.nn.moments(x, axes=[0])
        normalized = gn.nn.batch_normalization(x, mean, variance, offset=gn.constant(1.0), scale=gn.constant(2.0),
                                               variance_epsilon=1e-6)
        kept_mean, _ = gn.nn.moments(x, [0], keep_dims=True)
    mean_v, var_v, out, kept = _run([mean, variance, normalized, kept_mean], allow_soft_placement=True)
    np.testing.assert_allclose(mean_v, x_value.mean(0), rtol=1e-5)
    np.testing.assert_allclose(var_v, x_value.var(0), rtol=1e-4)
    np.testing.assert_allclose(out.mean(0), 1.0, atol=1e-5)
    np.testing.assert_allclose(out.std(0), 2.0, rtol=1e-4)
    assert mean.shape == (5,) and kept.shape == kept_mean.shape == (1, 5)


def test_second_derivative_through_moments_raises_lookup_error():
    x = gn.placeholder(gn.float32, [4, 3])
    d_x, = gn.gradients(gn.nn.moments(x, [0])[1], [x])
    with pytest.raises(LookupError, match="MomentsGrad"):
        gn.gradients(d_x, [x])


def test_second_derivative_of_relu_network_is_available():
    x = gn.placeholder(gn.float32, [3])
    y = gn.reduce_sum(gn.sigmoid(x) * gn.nn.relu(x))
    d_x, = gn.gradients(y, [x])
    dd_x, = gn.gradients(d_x, [x])
    x_value = np.array([-1.0, 0.5, 2.0], np.float32)
    s = 1 / (1 + np.exp(-x_value))
    relu_mask = x_value > 0  # d2/dx2 [s(x) relu(x)] = s'' x + 2 s' where x > 0, 0 elsewhere
    expected = np.where(relu_mask, s * (1 - s) * (1 - 2 * s) * x_value + 2 * s * (1 - s), 0)
    np.testing.assert_allclose(_run(dd_x, {x: x_value}), expected, rtol=1e-5)


# -- composites -------------------------------------------------------------------------------------
def test_composite_functions_match_numpy():
    x_value = np.array([[3.0, -4.0], [0.0, 0.0]], np.float32)
    x = gn.constant(x_value)
    l2_rows, l2_all, softsign, swish = _run([gn.nn.l2_normalize(x, axis=1), gn.nn.l2_normalize(x),
                                             gn.nn.softsign(x), gn.nn.swish(x)])
    np.testing.assert_allclose(l2_rows, [[0.6, -0.8], [0.0, 0.0]], rtol=1e-6)
    np.testing.assert_allclose(l2_all, x_value / 5, rtol=1e-6)
    np.testing.assert_allclose(softsign, x_value / (1 + np.abs(x_value)), rtol=1e-6)
    np.testing.assert_allclose(swish, x_value / (1 + np.exp(-x_value)), rtol=1e-6)
    assert all(v.dtype == np.float32 for v in (l2_rows, l2_all, softsign, swish))


def test_embedding_lookup_gathers_rows_and_their_gradient():
    params = gn.constant(np.arange(12, dtype=np.float32).reshape(4, 3))
    rows = gn.nn.embedding_lookup([params], gn.constant([3, 0, 3]))
    grad, = gn.gradients(gn.reduce_sum(rows), [params])
    value, g = _run([rows, grad])
    np.testing.assert_array_equal(value, [[9, 10, 11], [0, 1, 2], [9, 10, 11]])
    np.testing.assert_array_equal(g, [[1, 1, 1], [0, 0, 0], [0, 0, 0], [2, 2, 2]])
    # two "mod" shards: id i is row i // 2 of shard i % 2 (more in tests/tf1_sweep)
    sharded, = _run([gn.nn.embedding_lookup([params, params + 100.0], gn.constant([3, 0, 2]))])
    np.testing.assert_array_equal(sharded, [[103, 104, 105], [0, 1, 2], [3, 4, 5]])
