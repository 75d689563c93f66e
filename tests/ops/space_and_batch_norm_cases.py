"""Cases of the block rearrangements and fused_batch_norm frozen from TF1 into
space_and_batch_norm_reference.npz (make_space_and_batch_norm_reference.py). Each case builds its
outputs from placeholders with either module (``tf`` for TF1, ``gn`` for gpunet): ``build(mod, *inputs)``
returns a list of tensors; the gradient checked is that of ``sum(sin(outputs[0]) * probe)`` with
respect to every input."""
import numpy as np


def _rng(seed):
    return np.random.default_rng(seed)


SPACE_CASES = {  # id: (input shape, build)
    "space_to_depth-b2": ((2, 4, 6, 3), lambda m, x: [m.space_to_depth(x, 2)]),
    "space_to_depth-b3": ((1, 6, 3, 2), lambda m, x: [m.space_to_depth(x, 3)]),
    "nn.space_to_depth-b2": ((1, 2, 2, 1), lambda m, x: [m.nn.space_to_depth(x, 2)]),
    "depth_to_space-b2": ((2, 3, 3, 8), lambda m, x: [m.depth_to_space(x, 2)]),
    "depth_to_space-b3": ((1, 2, 2, 18), lambda m, x: [m.depth_to_space(x, 3)]),
    "space_to_batch_nd-2d": ((2, 4, 6, 3), lambda m, x: [m.space_to_batch_nd(x, [2, 4], [[0, 0], [1, 1]])]),
    "space_to_batch_nd-1d": ((3, 5, 2), lambda m, x: [m.space_to_batch_nd(x, [2], [[1, 0]])]),
    "space_to_batch_nd-3d": ((1, 4, 2, 3, 2), lambda m, x: [m.space_to_batch_nd(x, [2, 1, 3],
                                                                                  [[0, 0], [1, 1], [0, 0]])]),
    "batch_to_space_nd-2d": ((8, 2, 3, 3), lambda m, x: [m.batch_to_space_nd(x, [2, 2], [[0, 1], [1, 0]])]),
    "batch_to_space_nd-1d": ((4, 3, 2), lambda m, x: [m.batch_to_space_nd(x, [2], [[1, 2]])]),
    "batch_to_space_nd-no-crops": ((6, 1, 2, 2), lambda m, x: [m.batch_to_space_nd(x, [3, 2], [[0, 0], [0, 0]])]),
    "space_to_batch": ((2, 4, 6, 3), lambda m, x: [m.space_to_batch(x, [[0, 0], [1, 1]], 2)]),
    "batch_to_space": ((8, 1, 2, 3), lambda m, x: [m.batch_to_space(x, [[0, 0], [1, 1]], 2)]),
}


def _bn(**kwargs):
    def build(m, x, scale, offset, mean=None, variance=None):
        return list(m.nn.fused_batch_norm(x, scale, offset, mean, variance, **kwargs))
    return build


BATCH_NORM_CASES = {  # id: (x shape, channel axis, given mean/variance?, build)
    "nhwc": ((2, 4, 5, 3), -1, False, _bn()),
    "nchw": ((2, 3, 4, 5), 1, False, _bn(data_format="NCHW")),
    "ndhwc": ((2, 2, 3, 2, 4), -1, False, _bn(data_format="NDHWC", epsilon=0.01)),
    "small-epsilon": ((2, 4, 5, 3), -1, False, _bn(epsilon=1e-8)),
    "one-per-channel": ((1, 1, 1, 3), -1, False, _bn()),
    "inference-nhwc": ((2, 4, 5, 3), -1, True, _bn(is_training=False)),
    "inference-nchw": ((2, 3, 4, 5), 1, True, _bn(is_training=False, data_format="NCHW")),
    "running-average": ((2, 4, 5, 3), -1, True, _bn(exponential_avg_factor=0.3)),
}


def space_inputs(case_id):
    shape, _ = SPACE_CASES[case_id]
    return [_rng(len(case_id)).normal(size=shape).astype(np.float32)]


def probe(case_id, shape):
    """the weights of the sum whose gradient is checked, of the first output's shape"""
    return _rng(1000 + len(case_id)).normal(size=shape).astype(np.float32)


def batch_norm_inputs(case_id):
    shape, axis, given, _ = BATCH_NORM_CASES[case_id]
    rng = _rng(100 + len(case_id))
    channels = shape[axis]
    x = (rng.normal(size=shape) * 2 + 0.5).astype(np.float32)
    inputs = [x, rng.uniform(0.5, 1.5, channels).astype(np.float32), rng.normal(size=channels).astype(np.float32)]
    if given:
        inputs += [rng.normal(size=channels).astype(np.float32), rng.uniform(0.5, 2, channels).astype(np.float32)]
    return inputs
