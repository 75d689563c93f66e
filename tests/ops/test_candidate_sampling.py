"""Candidate samplers (TF1's log-uniform and uniform) and the sampled losses nce_loss and
sampled_softmax_loss: distributions, uniqueness, seeding, expected counts, losses against NumPy
given the same sampled candidates, gradients against finite differences, errors."""
import numpy as np
import pytest

import gpunet as gn

LABELS = np.array([[1, 4], [0, 0], [7, 2]], np.int64)


def log_uniform_p(k, range_max):
    return np.log((k + 2.0) / (k + 1.0)) / np.log(range_max + 1.0)


def run(fetches, seed=5):
    with gn.Graph().as_default():
        gn.set_random_seed(seed)
        built = fetches()
        with gn.Session() as sess:
            return sess.run(built)


@pytest.mark.parametrize("sampler, p", [(gn.nn.log_uniform_candidate_sampler, log_uniform_p),
                                        (gn.nn.uniform_candidate_sampler, lambda k, n: np.full(np.shape(k), 1 / n))])
def test_draws_follow_the_distribution(sampler, p):
    sampled, true_expected, sampled_expected = run(lambda: sampler(LABELS, 2, 40000, False, 10))
    assert sampled.dtype == np.int64 and sampled.shape == (40000,)
    assert sampled.min() >= 0 and sampled.max() <= 9
    frequencies = np.bincount(sampled, minlength=10) / 40000
    np.testing.assert_allclose(frequencies, p(np.arange(10), 10), atol=0.01)
    assert true_expected.dtype == np.float32 and true_expected.shape == (3, 2)
    np.testing.assert_allclose(true_expected, 40000 * p(LABELS, 10), rtol=1e-6)
    np.testing.assert_allclose(sampled_expected, 40000 * p(sampled, 10), rtol=1e-6)


@pytest.mark.on_devices
def test_unique_candidates_and_their_expected_counts(device):
    with gn.device(device):
        sampled, true_expected, sampled_expected = run(
            lambda: gn.nn.log_uniform_candidate_sampler(LABELS, 2, 8, True, 50, seed=3))
    assert len(set(sampled.tolist())) == 8 and sampled.min() >= 0 and sampled.max() < 50
    # TF1's formula 1 - (1 - p) ** tries: the same whole number of tries (>= 8) explains every count
    tries = np.log1p(-sampled_expected.astype(np.float64)) / np.log1p(-log_uniform_p(sampled, 50))
    assert tries.min() >= 8 - 1e-3 and np.ptp(tries) < 1e-2 * tries.max()
    np.testing.assert_allclose(true_expected, -np.expm1(tries[0] * np.log1p(-log_uniform_p(LABELS, 50))),
                               rtol=1e-4)


def test_seeded_draws_repeat_and_differ_by_seed():
    def draw(op_seed):
        return lambda: gn.nn.log_uniform_candidate_sampler(LABELS, 2, 6, True, 1000, seed=op_seed)[0]
    assert run(draw(1)).tolist() == run(draw(1)).tolist()
    assert run(draw(1)).tolist() != run(draw(2)).tolist()


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match=r"num_sampled \(11\) cannot exceed range_max \(10\) when unique=True"):
        gn.nn.log_uniform_candidate_sampler(LABELS, 2, 11, True, 10)
    with pytest.raises(ValueError, match="num_true must be a positive integer, got 0"):
        gn.nn.log_uniform_candidate_sampler(LABELS, 0, 1, True, 10)
    with pytest.raises(TypeError, match="true_classes must be int64"):
        gn.nn.log_uniform_candidate_sampler(LABELS.astype(np.float32), 2, 1, True, 10)
    with pytest.raises(ValueError, match="true_classes must be a matrix"):
        gn.nn.log_uniform_candidate_sampler(LABELS[0], 2, 1, True, 10)
    fed = gn.placeholder(gn.int64)
    sampled = gn.nn.log_uniform_candidate_sampler(fed, 2, 1, True, 10)[0]
    with gn.Session() as sess, pytest.raises(gn.errors.InvalidArgumentError, match="num_true=2 columns"):
        sess.run(sampled, {fed: LABELS[:, :1]})


# -- the losses -----------------------------------------------------------------------------------
def numpy_logits(w, b, labels, x, sampled, true_expected, sampled_expected, remove_hits):
    num_true = labels.shape[1]
    true_logits = np.einsum("bd,btd->bt", x, w[labels]) + b[labels] - np.log(true_expected)
    sampled_logits = x @ w[sampled].T + b[sampled] - np.log(sampled_expected)
    if remove_hits:
        hits = (labels[:, :, None] == sampled[None, None, :]).any(axis=1)
        sampled_logits = sampled_logits + np.where(hits, np.finfo(x.dtype).min, 0)
    logits = np.concatenate([true_logits, sampled_logits], 1)
    targets = np.concatenate([np.full(true_logits.shape, 1 / num_true), np.zeros(sampled_logits.shape)], 1)
    return logits, targets


def numpy_nce(logits, targets):
    return (np.maximum(logits, 0) - logits * targets + np.log1p(np.exp(-np.abs(logits)))).sum(1)


def numpy_sampled_softmax(logits, targets):
    shifted = logits - logits.max(1, keepdims=True)
    return -(targets * (shifted - np.log(np.exp(shifted).sum(1, keepdims=True)))).sum(1)


LOSSES = [(gn.nn.nce_loss, numpy_nce, False), (gn.nn.sampled_softmax_loss, numpy_sampled_softmax, True)]


@pytest.mark.on_devices
@pytest.mark.parametrize("loss_fn, reference, default_remove", LOSSES)
@pytest.mark.parametrize("remove", [None, False, True])
def test_losses_match_numpy_given_the_sampled_candidates(device, loss_fn, reference, default_remove, remove):
    rng = np.random.RandomState(0)
    w, b, x = rng.randn(12, 5).astype(np.float32), rng.randn(12).astype(np.float32), rng.randn(3, 5).astype(np.float32)
    remove_kw = {} if remove is None else {"remove_accidental_hits": remove}

    def build():
        with gn.device(device):
            samples = gn.nn.log_uniform_candidate_sampler(LABELS, 2, 7, True, 12, seed=1)
            return samples, loss_fn(w, b, LABELS, x, 7, 12, num_true=2, sampled_values=samples, **remove_kw)
    (sampled, true_expected, sampled_expected), loss = run(build)
    assert loss.shape == (3,) and loss.dtype == np.float32
    logits, targets = numpy_logits(w.astype(np.float64), b, LABELS, x.astype(np.float64), sampled, true_expected,
                                   sampled_expected, default_remove if remove is None else remove)
    np.testing.assert_allclose(loss, reference(logits, targets), rtol=1e-4, atol=1e-4)


def test_the_default_sampler_is_seeded_log_uniform_with_unique_candidates():
    def build():
        w, b = gn.ones([30, 2]), gn.zeros([30])
        return gn.nn.nce_loss(w, b, LABELS, gn.ones([3, 2]), 5, 30, num_true=2, seed=9)
    assert np.array_equal(run(build), run(build))
    with gn.Graph().as_default():
        gn.nn.sampled_softmax_loss(gn.ones([30, 2]), gn.zeros([30]), LABELS, gn.ones([3, 2]), 5, 30, num_true=2)
        samplers = [op for op in gn.get_default_graph().get_operations() if op.type == "CandidateSampler"]
        assert [(op.get_attr("distribution").name, op.get_attr("unique")) for op in samplers] == [
            ("log_uniform", True)]


@pytest.mark.parametrize("loss_fn", [gn.nn.nce_loss, gn.nn.sampled_softmax_loss])
def test_loss_gradients_match_finite_differences(loss_fn):
    rng = np.random.RandomState(1)
    values = {"w": rng.randn(9, 3), "b": rng.randn(9), "x": rng.randn(3, 3)}
    sampled = (np.array([4, 0, 8, 2]), np.array([[0.5, 0.25], [0.7, 0.7], [0.1, 0.3]]),
               np.array([0.2, 0.6, 0.05, 0.4]))
    with gn.Graph().as_default():
        fed = {k: gn.placeholder(gn.float64, v.shape) for k, v in values.items()}
        loss = gn.reduce_sum(loss_fn(fed["w"], fed["b"], LABELS[:, :2] % 9, fed["x"], 4, 9, num_true=2,
                                     sampled_values=sampled, remove_accidental_hits=False))
        grads = gn.gradients(loss, list(fed.values()))
        with gn.Session() as sess:
            feed = {fed[k]: v for k, v in values.items()}
            got = sess.run(grads, feed)
            for (key, value), grad in zip(values.items(), got):
                numeric = np.zeros_like(value)
                for index in np.ndindex(value.shape):
                    up, down = value.copy(), value.copy()
                    up[index] += 1e-6
                    down[index] -= 1e-6
                    numeric[index] = (sess.run(loss, {**feed, fed[key]: up}) -
                                      sess.run(loss, {**feed, fed[key]: down})) / 2e-6
                np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8, err_msg=key)


def test_sharded_weights_and_bad_labels_raise():
    with pytest.raises(ValueError, match="weights sharded into 2 tensors are not supported"):
        gn.nn.nce_loss([gn.ones([4, 2]), gn.ones([4, 2])], gn.zeros([8]), LABELS, gn.ones([3, 2]), 2, 8)
    with pytest.raises(ValueError, match=r"labels must be a matrix \[batch_size, num_true\]"):
        gn.nn.nce_loss(gn.ones([8, 2]), gn.zeros([8]), LABELS[:, 0], gn.ones([3, 2]), 2, 8)
