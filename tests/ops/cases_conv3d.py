"""Cases for conv3d, max_pool3d, avg_pool3d and their backward ops. The references loop over output
positions of a padded float64 copy (no im2col, no window views), with TF's padding rule: SAME gives
ceil(in / stride) outputs and puts the odd padding at the end."""
import numpy as np

import gpunet as gn
from tests.ops.opcases import OpCase, rand


def _plan(x_shape, window, strides, dilations, padding):
    """(output sizes, numpy pad widths) of a channels-last 5-D input."""
    outs, pads = [], [(0, 0)]
    for size, k, s, d in zip(x_shape[1:4], window, strides, dilations):
        span = (k - 1) * d + 1
        out = (size - span) // s + 1 if padding == "VALID" else -(-size // s)
        total = max((out - 1) * s + span - size, 0) if padding == "SAME" else 0
        outs.append(out)
        pads.append((total // 2, total - total // 2))
    return tuple(outs), pads + [(0, 0)]


def _window_index(pos, window, strides, dilations):
    return (slice(None),) + tuple(slice(p * s, p * s + (k - 1) * d + 1, d)
                                  for p, k, s, d in zip(pos, window, strides, dilations)) + (slice(None),)


def _crop(padded, pads, x_shape):
    return padded[tuple(slice(b, b + n) for (b, _), n in zip(pads, x_shape))]


def conv3d_ref(x, w, strides=(1, 1, 1), padding="VALID", dilations=(1, 1, 1)):
    outs, pads = _plan(x.shape, w.shape[:3], strides, dilations, padding)
    xp = np.pad(x.astype(np.float64), pads)
    y = np.zeros((x.shape[0], *outs, w.shape[4]))
    for pos in np.ndindex(*outs):
        window = xp[_window_index(pos, w.shape[:3], strides, dilations)]
        y[(slice(None), *pos)] = np.einsum("nijkc,ijkco->no", window, w)
    return y


def conv3d_input_grad_ref(x, w, g, strides=(1, 1, 1), padding="VALID", dilations=(1, 1, 1)):
    """The adjoint of conv3d_ref in x: every output position sends g @ w^T back to its window."""
    outs, pads = _plan(x.shape, w.shape[:3], strides, dilations, padding)
    dx = np.zeros(np.pad(x, pads).shape)
    for pos in np.ndindex(*outs):
        where = _window_index(pos, w.shape[:3], strides, dilations)
        dx[where] += np.einsum("no,ijkco->nijkc", g[(slice(None), *pos)], w)
    return _crop(dx, pads, x.shape)


def conv3d_filter_grad_ref(x, w, g, strides=(1, 1, 1), padding="VALID", dilations=(1, 1, 1)):
    outs, pads = _plan(x.shape, w.shape[:3], strides, dilations, padding)
    xp = np.pad(x.astype(np.float64), pads)
    dw = np.zeros(w.shape)
    for pos in np.ndindex(*outs):
        dw += np.einsum("nijkc,no->ijkco", xp[_window_index(pos, w.shape[:3], strides, dilations)],
                        g[(slice(None), *pos)])
    return dw


def _pool_windows(x, k, strides, padding, fill):
    """(output sizes, pad widths, [(output position, window index into the padded input)], padded x)."""
    outs, pads = _plan(x.shape, k, strides, (1, 1, 1), padding)
    xp = np.pad(x.astype(np.float64), pads, constant_values=fill)
    return outs, pads, [(pos, _window_index(pos, k, strides, (1, 1, 1))) for pos in np.ndindex(*outs)], xp


def max_pool3d_ref(x, k, strides, padding):
    outs, _, windows, xp = _pool_windows(x, k, strides, padding, -np.inf)
    y = np.zeros((x.shape[0], *outs, x.shape[4]))
    for pos, where in windows:
        y[(slice(None), *pos)] = xp[where].max((1, 2, 3))
    return y


def _first_max(window):
    """One-hot of each (n, c)'s first maximum in row-major order over the window's three axes."""
    n, c = window.shape[0], window.shape[-1]
    flat = window.reshape(n, -1, c)
    hot = np.zeros_like(flat)
    np.put_along_axis(hot, flat.argmax(1)[:, None], 1.0, 1)  # argmax: the first maximum
    return hot.reshape(window.shape)


def max_pool3d_grad_ref(x, g, k, strides, padding):
    _, pads, windows, xp = _pool_windows(x, k, strides, padding, -np.inf)
    dx = np.zeros(xp.shape)
    for pos, where in windows:
        dx[where] += _first_max(xp[where]) * g[(slice(None), *pos)][:, None, None, None, :]
    return _crop(dx, pads, x.shape)


def max_pool3d_grad_grad_ref(x, h, k, strides, padding):
    """Each window picks h at its first maximum."""
    outs, pads, windows, xp = _pool_windows(x, k, strides, padding, -np.inf)
    hp = np.pad(h.astype(np.float64), pads)
    y = np.zeros((x.shape[0], *outs, x.shape[4]))
    for pos, where in windows:
        y[(slice(None), *pos)] = (_first_max(xp[where]) * hp[where]).sum((1, 2, 3))
    return y


def avg_pool3d_ref(x, k, strides, padding):
    """Mean over the real (unpadded) elements of each window."""
    outs, pads, windows, xp = _pool_windows(x, k, strides, padding, 0.0)
    ones = np.pad(np.ones(x.shape), pads)
    y = np.zeros((x.shape[0], *outs, x.shape[4]))
    for pos, where in windows:
        y[(slice(None), *pos)] = xp[where].sum((1, 2, 3)) / ones[where].sum((1, 2, 3))
    return y


def avg_pool3d_grad_ref(x, g, k, strides, padding):
    _, pads, windows, xp = _pool_windows(x, k, strides, padding, 0.0)
    ones = np.pad(np.ones(x.shape), pads)
    dx = np.zeros(xp.shape)
    for pos, where in windows:
        count = ones[where].sum((1, 2, 3))[:, None, None, None, :]
        dx[where] += g[(slice(None), *pos)][:, None, None, None, :] / count
    return _crop(dx, pads, x.shape)


def ncdhw(fn):
    """A channels-last reference applied to a channels-first image (the first argument; a filter stays as is)."""
    def ref(image, *rest):
        return fn(image.transpose(0, 2, 3, 4, 1), *rest).transpose(0, 4, 1, 2, 3)
    return ref


def _grad(fn, wrt):
    return lambda *inputs: gn.gradients(fn(*inputs[:-1]), inputs[wrt], grad_ys=inputs[-1])[0]


X = rand(2, 4, 5, 4, 2)
W = rand(2, 3, 2, 2, 3, seed=1)
SAME_STRIDED = dict(strides=[1, 2, 2, 1, 1], padding="SAME")   # 4 x 5 x 4 -> 2 x 3 x 4
DILATED = dict(strides=[1, 1, 1, 1, 1], padding="VALID", dilations=[1, 2, 1, 2, 1])
POOL_X = rand(2, 4, 5, 4, 2, low=-5, high=5)  # wide range: no near-ties inside a window


def _conv(**kwargs):
    return lambda x, w: gn.nn.conv3d(x, w, **kwargs)


def _pool(fn, **kwargs):
    return lambda x: fn(x, **kwargs)


MAX_SAME = _pool(gn.nn.max_pool3d, ksize=[3, 2, 3], strides=2, padding="SAME")
AVG_SAME = _pool(gn.nn.avg_pool3d, ksize=[3, 2, 3], strides=2, padding="SAME")
MAX_GRAD = _grad(MAX_SAME, 0)

CASES = [
    OpCase("Conv3D", _conv(strides=[1] * 5, padding="VALID"), [X, W], conv3d_ref),
    OpCase("Conv3D", _conv(**SAME_STRIDED), [X, W], lambda x, w: conv3d_ref(x, w, (2, 2, 1), "SAME"),
           id="Conv3D-SAME-strided"),
    OpCase("Conv3D", _conv(**DILATED), [X, W], lambda x, w: conv3d_ref(x, w, dilations=(2, 1, 2)),
           id="Conv3D-dilated"),
    OpCase("Conv3D", _conv(strides=[1, 1, 1, 2, 1], padding="SAME", data_format="NCDHW"),
           [X.transpose(0, 4, 1, 2, 3).copy(), W], ncdhw(lambda x, w: conv3d_ref(x, w, (1, 2, 1), "SAME")),
           id="Conv3D-NCDHW"),
    OpCase("Conv3DBackpropInputV2", _grad(_conv(**SAME_STRIDED), 0), [X, W, rand(2, 2, 3, 4, 3, seed=2)],
           lambda x, w, g: conv3d_input_grad_ref(x, w, g, (2, 2, 1), "SAME"), grad_inputs=[1, 2]),
    OpCase("Conv3DBackpropInputV2", _grad(_conv(**DILATED), 0), [X, W, rand(2, 2, 3, 2, 3, seed=2)],
           lambda x, w, g: conv3d_input_grad_ref(x, w, g, dilations=(2, 1, 2)), grad_inputs=[1, 2],
           id="Conv3DBackpropInputV2-dilated"),
    OpCase("Conv3DBackpropFilterV2", _grad(_conv(**SAME_STRIDED), 1), [X, W, rand(2, 2, 3, 4, 3, seed=2)],
           lambda x, w, g: conv3d_filter_grad_ref(x, w, g, (2, 2, 1), "SAME"), grad_inputs=[0, 2]),
    OpCase("Conv3DBackpropFilterV2", _grad(_conv(strides=[1] * 5, padding="SAME", data_format="NCDHW"), 1),
           [X.transpose(0, 4, 1, 2, 3).copy(), W, rand(2, 3, 4, 5, 4, seed=2)],
           lambda x, w, g: conv3d_filter_grad_ref(x.transpose(0, 2, 3, 4, 1), w, g.transpose(0, 2, 3, 4, 1),
                                                  padding="SAME"),
           grad_inputs=[0, 2], id="Conv3DBackpropFilterV2-NCDHW"),

    OpCase("MaxPool3D", _pool(gn.nn.max_pool3d, ksize=2, strides=2, padding="VALID"), [POOL_X],
           lambda x: max_pool3d_ref(x, (2, 2, 2), (2, 2, 2), "VALID")),
    OpCase("MaxPool3D", MAX_SAME, [POOL_X], lambda x: max_pool3d_ref(x, (3, 2, 3), (2, 2, 2), "SAME"),
           id="MaxPool3D-SAME-overlapping"),
    OpCase("MaxPool3D", _pool(gn.nn.max_pool3d, ksize=[1, 1, 2, 2, 1], strides=[1, 1, 1, 1, 2], padding="VALID",
                              data_format="NCDHW"),
           [POOL_X.transpose(0, 4, 1, 2, 3).copy()], ncdhw(lambda x: max_pool3d_ref(x, (2, 2, 1), (1, 1, 2), "VALID")),
           id="MaxPool3D-NCDHW"),
    OpCase("MaxPool3D", _pool(gn.nn.max_pool3d, ksize=2, strides=1, padding="VALID"),
           [np.ones((1, 3, 3, 3, 1), np.float32)], lambda x: np.ones((1, 2, 2, 2, 1)), grad=False,
           id="MaxPool3D-ties"),
    OpCase("MaxPool3DGrad", MAX_GRAD, [POOL_X, rand(2, 2, 3, 2, 2, seed=1)],
           lambda x, g: max_pool3d_grad_ref(x, g, (3, 2, 3), (2, 2, 2), "SAME")),
    OpCase("MaxPool3DGrad", _grad(_pool(gn.nn.max_pool3d, ksize=2, strides=1, padding="VALID"), 0),
           [np.ones((1, 3, 3, 3, 1), np.float32), rand(1, 2, 2, 2, 1, seed=1)],
           lambda x, g: max_pool3d_grad_ref(x, g, (2, 2, 2), (1, 1, 1), "VALID"), grad=False,
           id="MaxPool3DGrad-ties"),
    OpCase("MaxPool3DGradGrad",
           lambda x, g, h: gn.gradients(MAX_GRAD(x, g), g, grad_ys=h)[0],
           [POOL_X, rand(2, 2, 3, 2, 2, seed=1), rand(2, 4, 5, 4, 2, seed=2)],
           lambda x, g, h: max_pool3d_grad_grad_ref(x, h, (3, 2, 3), (2, 2, 2), "SAME"), grad_inputs=[0, 2]),

    OpCase("AvgPool3D", _pool(gn.nn.avg_pool3d, ksize=[1, 2, 2, 2, 1], strides=[1, 2, 2, 2, 1], padding="VALID"),
           [POOL_X], lambda x: avg_pool3d_ref(x, (2, 2, 2), (2, 2, 2), "VALID")),
    OpCase("AvgPool3D", AVG_SAME, [POOL_X], lambda x: avg_pool3d_ref(x, (3, 2, 3), (2, 2, 2), "SAME"),
           id="AvgPool3D-SAME-counts-real-elements"),
    OpCase("AvgPool3D", _pool(gn.nn.avg_pool3d, ksize=[1, 1, 3, 2, 2], strides=[1, 1, 2, 1, 1], padding="SAME",
                              data_format="NCDHW"),
           [POOL_X.transpose(0, 4, 1, 2, 3).copy()], ncdhw(lambda x: avg_pool3d_ref(x, (3, 2, 2), (2, 1, 1), "SAME")),
           id="AvgPool3D-NCDHW"),
    OpCase("AvgPool3DGrad", _grad(AVG_SAME, 0), [POOL_X, rand(2, 2, 3, 2, 2, seed=1)],
           lambda x, g: avg_pool3d_grad_ref(x, g, (3, 2, 3), (2, 2, 2), "SAME"), grad_inputs=[1]),
]

EXEMPT = {}
