"""The TF1 names the sweep added (gn.losses.huber_loss & co, gn.metrics streaming metrics, sharded
gn.nn.embedding_lookup, segment means, gn.sequence_mask, gn.nn.conv1d): gradients against finite differences on
each device, and the build-time errors for bad arguments. Values against TF are in test_tf1_sweep.py."""
import re

import numpy as np
import pytest

import gpunet as gn
from tests.ops.opcases import numeric_gradient

RNG = np.random.default_rng(11)
X = RNG.uniform(-1.5, 1.5, (4, 3))
LABELS = RNG.integers(0, 2, (4, 3)).astype("float64")
TABLE = RNG.standard_normal((7, 2))


def _loss_cases():
    unit = gn.nn.l2_normalize
    return {
        "absolute_difference": lambda x: gn.losses.absolute_difference(LABELS, x, weights=[[1.0], [0], [2], [1]]),
        "huber_loss": lambda x: gn.losses.huber_loss(LABELS, x, delta=0.7),
        "log_loss": lambda x: gn.losses.log_loss(LABELS, gn.sigmoid(x)),
        "hinge_loss": lambda x: gn.losses.hinge_loss(LABELS, x),
        "cosine_distance": lambda x: gn.losses.cosine_distance(unit(LABELS + 0.2, axis=1), unit(x, axis=1), axis=1),
        "unsorted_segment_mean": lambda x: gn.reduce_sum(gn.unsorted_segment_mean(x, [2, 0, 2, -1], 3) ** 2),
        "unsorted_segment_sqrt_n": lambda x: gn.reduce_sum(gn.unsorted_segment_sqrt_n(x, [1, 1, 0, 1], 2) ** 2),
        "segment_mean": lambda x: gn.reduce_sum(gn.segment_mean(x, [0, 0, 1, 3]) ** 2),
        "conv1d": lambda x: gn.reduce_sum(gn.nn.conv1d(gn.reshape(x, [1, 4, 3]), TABLE[:6].reshape(2, 3, 2), 2,
                                                       "SAME", dilations=1) ** 2),
        "weighted_cross_entropy_with_logits": lambda x: gn.reduce_sum(gn.nn.weighted_cross_entropy_with_logits(
            labels=LABELS, logits=x * 3.0, pos_weight=2.5)),
        "log_poisson_loss-full": lambda x: gn.reduce_sum(gn.nn.log_poisson_loss(LABELS * 3.0, x, True)),
        "relu_layer": lambda x: gn.reduce_sum(gn.nn.relu_layer(x, TABLE[:3], [0.1, -0.2]) ** 2),
        "weighted_moments": lambda x: gn.reduce_sum(gn.add_n(list(gn.nn.weighted_moments(x, [0], [[1.0], [0],
                                                                                             [2], [3]])))),
        "normalize_moments": lambda x: gn.reduce_sum(gn.add_n(list(gn.nn.normalize_moments(
            *gn.nn.sufficient_statistics(x, [0], shift=[0.5, 0.0, -0.5]))))),
        "embedding_lookup-mod": lambda x: gn.reduce_sum(gn.nn.embedding_lookup([x[:2], x[2:]], [[0, 3], [2, 2]],
                                                                               max_norm=1.0) ** 2),
    }


@pytest.mark.parametrize("case", sorted(_loss_cases()))
def test_gradient_matches_finite_differences(case, device):
    build = _loss_cases()[case]
    x = gn.placeholder(gn.float64, X.shape)
    with gn.device(device):
        y = build(x)
        (grad,) = gn.gradients(y, [x])
    with gn.Session() as sess:
        analytic = sess.run(grad, {x: X})
        numeric = numeric_gradient(lambda v: sess.run(y, {x: v}), X.copy())
    assert analytic.dtype == np.float64
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-7)


def test_sharded_embedding_lookup_div_matches_one_table():
    table = np.arange(20.0).reshape(10, 2)
    shards = [table[:4], table[4:7], table[7:]]  # 10 rows in 3 shards: the first one row more
    ids = [[9, 0], [4, 3]]
    with gn.Session() as sess:
        got = sess.run(gn.nn.embedding_lookup([gn.constant(s) for s in shards], ids, partition_strategy="div"))
    np.testing.assert_array_equal(got, table[ids])


@pytest.mark.parametrize("build, error, message", [
    (lambda: gn.nn.embedding_lookup(gn.ones([3, 2]), [0], partition_strategy="hash"), ValueError,
     "unrecognized partition_strategy 'hash'"),
    (lambda: gn.nn.embedding_lookup([gn.placeholder(gn.float32, [None, 2]), gn.ones([2, 2])], [0]), ValueError,
     "sharded params need a known first dimension"),
    (lambda: gn.nn.embedding_lookup([], [0]), ValueError, "params must hold at least one tensor"),
    (lambda: gn.losses.cosine_distance(gn.ones([2, 3]), gn.ones([2, 3])), ValueError, "You must specify 'axis'."),
    (lambda: gn.losses.huber_loss(gn.ones([2, 3]), gn.ones([3, 2])), ValueError, "are incompatible"),
    (lambda: gn.losses.log_loss(None, gn.ones([2])), ValueError, "log_loss needs labels and predictions"),
    (lambda: gn.nn.conv1d(gn.ones([1, 5, 2]), gn.ones([2, 2, 1]), 1, "SAME", data_format="NHWC"), ValueError,
     "data_format must be 'NWC' or 'NCW'"),
    (lambda: gn.nn.conv1d(gn.ones([1, 5, 2]), gn.ones([2, 2, 1]), [1, 2], "SAME"), ValueError,
     "stride must be an int or a list of 1 or 3 ints"),
    (lambda: gn.sequence_mask([1.0, 2.0]), TypeError, "lengths must be integers, got float32"),
    (lambda: gn.sequence_mask([1, 2], maxlen=[3]), ValueError, "maxlen must be scalar for sequence_mask"),
    (lambda: gn.unsorted_segment_mean([1, 2], [0, 0], 1), TypeError, "data must be floating-point, got int32"),
    (lambda: gn.nn.weighted_cross_entropy_with_logits(labels=gn.ones([2]), logits=gn.ones([3]), pos_weight=2.0),
     ValueError, "logits and labels must have the same shape"),
    (lambda: gn.nn.weighted_cross_entropy_with_logits(gn.ones([2]), gn.ones([2])), ValueError,
     "needs labels (targets), logits and pos_weight"),
    (lambda: gn.nn.weighted_moments([1, 2], [0], [1, 1]), TypeError, "float"),
    (lambda: gn.metrics.auc([True], [0.5], summation_method="riemann"), ValueError,
     "Invalid summation_method: riemann"),
    (lambda: gn.confusion_matrix([0.0], [1.0]), TypeError, "labels and predictions must be integers"),
    (lambda: gn.confusion_matrix([0, 1], [1]), ValueError, "must have the same shape"),
    (lambda: gn.nn.max_pool1d(gn.ones([1, 5, 2]), 2, 1, "SAME", data_format="NHWC"), ValueError,
     "data_format must be 'NWC' or 'NCW'"),
    (lambda: gn.nn.avg_pool1d(gn.ones([1, 5, 2]), [2, 2], 1, "SAME"), ValueError,
     "ksize of a 1-D pool must be an int or a list of 1 or 3 ints"),
    (lambda: gn.metrics.accuracy(gn.ones([3], gn.int64), gn.ones([4], gn.int64)), ValueError, "are incompatible"),
])
def test_bad_arguments_fail_at_build_time(build, error, message):
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        build()


def test_streaming_metrics_keep_their_state_in_local_metric_variables():
    labels, preds = gn.placeholder(gn.int32, [None]), gn.placeholder(gn.int32, [None])
    value, update = gn.metrics.accuracy(labels, preds, metrics_collections=["m"], updates_collections=["u"])
    state = gn.local_variables()
    assert [v.name for v in state] == ["accuracy/total:0", "accuracy/count:0"]
    assert gn.get_collection("metric_variables") == state and gn.global_variables() == []
    assert gn.get_collection("m") == [value] and gn.get_collection("u") == [update]
    with gn.Session() as sess:
        sess.run(gn.local_variables_initializer())
        assert sess.run(value) == 0.0  # nothing seen yet: 0, not NaN
        assert sess.run(update, {labels: [1, 2, 3], preds: [1, 0, 3]}) == pytest.approx(2 / 3)
        assert sess.run(value) == pytest.approx(2 / 3)  # reading does not fold in anything
        assert sess.run(update, {labels: [0], preds: [0]}) == pytest.approx(3 / 4)
        sess.run(gn.local_variables_initializer())
        assert sess.run(value) == 0.0


def test_mean_iou_update_returns_the_float64_confusion_matrix():
    value, update = gn.metrics.mean_iou([0, 1, 1, 2], [0, 1, 2, 2], num_classes=3)
    with gn.Session() as sess:
        sess.run(gn.local_variables_initializer())
        matrix = sess.run(update)
        assert matrix.dtype == np.float64
        np.testing.assert_array_equal(matrix, [[1, 0, 0], [0, 1, 1], [0, 0, 1]])
        assert sess.run(value) == pytest.approx((1 + 0.5 + 0.5) / 3)


@pytest.mark.parametrize("values, low, high, message", [
    (np.array([0.5, 1.5, -1.0], np.float32), 0.0, 1.0, "x: value[1] = 1.5 is not in [0.0, 1.0]"),
    (np.array([[0.5, np.nan]], np.float32), 0.0, 1.0, "x: value[0,1] = nan is not in [0.0, 1.0]"),
    (np.array([3, -2], np.int64), 0, 5, "x: value[1] = -2 is not in [0, 5]"),
])
def test_check_in_range_names_the_first_bad_value(values, low, high, message, device):
    from gpunet.ops.range_check_ops import check_in_range
    x = gn.placeholder(gn.as_dtype(values.dtype), values.shape)
    with gn.device(device):
        checked = check_in_range(x, low, high, "x") * 1
    with gn.Session() as sess:
        with pytest.raises(gn.errors.InvalidArgumentError, match=re.escape(message)):
            sess.run(checked, {x: values})
        inside = np.clip(np.nan_to_num(values), low, high)
        np.testing.assert_array_equal(sess.run(checked, {x: inside}), inside)


@pytest.mark.parametrize("pool", [gn.nn.max_pool1d, gn.nn.avg_pool1d])
def test_pool1d_channels_first_is_the_transposed_channels_last(pool, device):
    x = RNG.standard_normal((2, 9, 3)).astype("float32")
    with gn.device(device):
        last = pool(x, 3, 2, "SAME")
        first = pool(np.transpose(x, (0, 2, 1)), [1, 1, 3], [1, 1, 2], "SAME", data_format="NCW")
    with gn.Session() as sess:
        a, b = sess.run([last, first])
    assert a.shape == (2, 5, 3)
    np.testing.assert_allclose(np.transpose(b, (0, 2, 1)), a, rtol=1e-6)
