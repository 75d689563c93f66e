"""Small TF1 graph-mode programs written against a module ``tf`` (TensorFlow's compat.v1 or gpunet); each returns
a dict of fetched values. make_reference.py runs them in TensorFlow and freezes the results; test_tf1_sweep.py
runs them in gpunet and compares. Programs only use numpy besides ``tf`` so both runtimes see the same inputs."""
import numpy as np

PROGRAMS = {}


def program(fn):
    """Register ``fn`` under its name."""
    PROGRAMS[fn.__name__] = fn
    return fn


def flatten(name, results):
    """``{"program/key": array}`` of one program's results (a list result becomes keys ``key/0``, ``key/1``...)."""
    flat = {}
    for key, value in results.items():
        items = enumerate(value) if isinstance(value, (list, tuple)) else [(None, value)]
        for i, item in items:
            flat[f"{name}/{key}" if i is None else f"{name}/{key}/{i}"] = np.asarray(item)
    return flat


def _rng():
    return np.random.default_rng(7)


@program
def losses_weighted_reductions(tf):
    rng = _rng()
    labels = rng.integers(0, 4, size=(6,))
    logits = tf.constant(rng.standard_normal((6, 4)).astype("float32"))
    onehot = np.eye(4, dtype="float32")[labels]
    w = tf.constant(np.array([1.0, 0.0, 2.0, 0.5, 0.0, 1.0], "float32"))
    out = {}
    for red in ("NONE", "SUM", "MEAN", "SUM_OVER_BATCH_SIZE", "SUM_BY_NONZERO_WEIGHTS"):
        r = getattr(tf.losses.Reduction, red)
        kept = None if red == "NONE" else tf.GraphKeys.LOSSES  # get_total_loss adds scalars only
        out["sce_" + red] = tf.losses.softmax_cross_entropy(onehot, logits, weights=w, reduction=r,
                                                            loss_collection=kept)
        out["sparse_" + red] = tf.losses.sparse_softmax_cross_entropy(labels, logits, weights=w, reduction=r,
                                                                      loss_collection=kept)
        out["mse_" + red] = tf.losses.mean_squared_error(onehot, tf.nn.softmax(logits), weights=w[:, None],
                                                         reduction=r, loss_collection=kept)
    out["smooth"] = tf.losses.softmax_cross_entropy(onehot, logits, label_smoothing=0.2)
    out["sig_smooth"] = tf.losses.sigmoid_cross_entropy(onehot, logits, weights=2.0, label_smoothing=0.1)
    out["all_zero_weights"] = tf.losses.mean_squared_error(onehot, logits, weights=0.0)
    out["n_losses"] = tf.constant(len(tf.losses.get_losses()))
    out["total"] = tf.losses.get_total_loss()
    with tf.Session() as s:
        return s.run(out)


@program
def losses_scalar_weight_and_broadcast(tf):
    rng = _rng()
    y = tf.constant(rng.standard_normal((3, 5)).astype("float32"))
    p = tf.constant(rng.standard_normal((3, 5)).astype("float32"))
    out = {"col_w": tf.losses.mean_squared_error(y, p, weights=tf.constant([[1.0], [0.0], [3.0]])),
           "row_w": tf.losses.mean_squared_error(y, p, weights=tf.constant([[1.0, 0, 0, 2, 1]])),
           "f64": tf.losses.mean_squared_error(tf.cast(y, tf.float64), tf.cast(p, tf.float64)),
           "cwl": tf.losses.compute_weighted_loss(tf.abs(y - p), weights=0.5),
           "empty": tf.losses.mean_squared_error(tf.zeros([0, 2]), tf.zeros([0, 2]))}
    with tf.Session() as s:
        return s.run(out)


@program
def losses_regression_family(tf):
    rng = _rng()
    y = tf.constant(rng.integers(0, 2, (4, 3)).astype("float32"))
    raw = rng.standard_normal((4, 3)).astype("float32") * 2.0
    p = tf.constant(raw)
    prob = tf.sigmoid(p)
    w = tf.constant([[1.0], [0.0], [2.0], [0.5]])
    out = {"abs": tf.losses.absolute_difference(y, p, weights=w),
           "abs_sum": tf.losses.absolute_difference(y, p, reduction=tf.losses.Reduction.SUM),
           "huber": tf.losses.huber_loss(y, p, weights=w, delta=0.7),
           "huber_none": tf.losses.huber_loss(y, p, reduction=tf.losses.Reduction.NONE),
           "log": tf.losses.log_loss(y, prob, weights=w),
           "log_eps": tf.losses.log_loss(y, tf.round(prob), epsilon=1e-3),
           "hinge": tf.losses.hinge_loss(y, p),
           "hinge_mean": tf.losses.hinge_loss(y, p, weights=w, reduction=tf.losses.Reduction.MEAN),
           "cos": tf.losses.cosine_distance(tf.nn.l2_normalize(y + 0.1, axis=1), tf.nn.l2_normalize(p, axis=1),
                                            axis=1),
           "cos_w": tf.losses.cosine_distance(tf.nn.l2_normalize(y + 0.1, axis=1), tf.nn.l2_normalize(p, axis=1),
                                              axis=1, weights=w, reduction=tf.losses.Reduction.NONE),
           "int_labels": tf.losses.absolute_difference(tf.constant([[1, 0]]), tf.constant([[0.5, 0.25]]))}
    out["huber_grad"] = tf.gradients(out["huber"], p)[0]
    out["log_grad"] = tf.gradients(out["log"], p)[0]
    out["hinge_grad"] = tf.gradients(out["hinge"], p)[0]
    with tf.Session() as s:
        return s.run(out)


@program
def lr_schedules_with_global_step(tf):
    gs = tf.train.get_or_create_global_step()
    lrs = {"exp": tf.train.exponential_decay(0.1, gs, 3, 0.5),
           "exp_stair": tf.train.exponential_decay(0.1, gs, 3, 0.5, staircase=True),
           "pw": tf.train.piecewise_constant(gs, [2, 5], [1.0, 0.5, 0.1]),
           "poly": tf.train.polynomial_decay(0.1, gs, 6, 0.01, power=2.0),
           "poly_cycle": tf.train.polynomial_decay(0.1, gs, 3, 0.01, cycle=True),
           "inv": tf.train.inverse_time_decay(0.1, gs, 2, 0.5),
           "nat": tf.train.natural_exp_decay(0.1, gs, 2, 0.5, staircase=True),
           "cos": tf.train.cosine_decay(0.1, gs, 6, alpha=0.1)}
    w = tf.Variable([1.0, -2.0], name="w")
    loss = tf.reduce_sum(tf.square(w))
    train = tf.train.MomentumOptimizer(lrs["exp"], 0.9).minimize(loss, global_step=gs)
    rows = []
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        for _ in range(8):
            rows.append(s.run(lrs))
            s.run(train)
        res = {k: np.array([r[k] for r in rows]) for k in lrs}
        res["w"], res["gs"] = s.run([w, gs])
        return res


@program
def optimizers_five_steps(tf):
    out = {}
    for name, make in [("sgd", lambda: tf.train.GradientDescentOptimizer(0.1)),
                       ("mom_nesterov", lambda: tf.train.MomentumOptimizer(0.1, 0.9, use_nesterov=True)),
                       ("adagrad", lambda: tf.train.AdagradOptimizer(0.1)),
                       ("rms_centered", lambda: tf.train.RMSPropOptimizer(0.01, momentum=0.5, centered=True)),
                       ("adam", lambda: tf.train.AdamOptimizer(0.05))]:
        with tf.Graph().as_default():
            w = tf.Variable([[1.0, -2.0], [0.5, 3.0]], name="w")
            b = tf.Variable([0.1, -0.1], name="b")
            x = tf.constant([[1.0, 2.0], [3.0, -1.0], [0.0, 1.0]])
            loss = tf.reduce_mean(tf.square(tf.matmul(x, w) + b - 1.0))
            step = make().minimize(loss)
            with tf.Session() as s:
                s.run(tf.global_variables_initializer())
                for _ in range(5):
                    s.run(step)
                out[name + "_w"], out[name + "_b"] = s.run([w, b])
    return out


@program
def clip_by_global_norm_train(tf):
    w = tf.Variable([[3.0, 4.0]], name="w")
    v = tf.Variable([12.0], name="v")
    loss = tf.reduce_sum(w * w) + tf.reduce_sum(v * v * v)
    opt = tf.train.GradientDescentOptimizer(0.1)
    grads, variables = zip(*opt.compute_gradients(loss))
    clipped, norm = tf.clip_by_global_norm(grads, 5.0)
    clipped_none, norm_none = tf.clip_by_global_norm([grads[0], None], 1.0)
    step = opt.apply_gradients(zip(clipped, variables))
    by_norm = tf.clip_by_norm(tf.constant([[3.0, 4.0], [6.0, 8.0]]), 5.0, axes=[1])
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        res = s.run({"clipped0": clipped[0], "clipped1": clipped[1], "norm": norm, "norm_none": norm_none,
                     "cn0": clipped_none[0], "gnorm": tf.global_norm(grads), "by_norm": by_norm})
        s.run(step)
        res["w"], res["v"] = s.run([w, v])
        res["none_kept"] = np.array(clipped_none[1] is None)
        return res


def _grads(tf, y, xs):
    return tf.gradients(y, xs)


@program
def gradients_of_indexing_ops(tf):
    rng = _rng()
    p = tf.constant(rng.standard_normal((5, 3)).astype("float32"))
    idx = tf.constant([4, 0, 4, 2])
    seg = tf.constant([0, 0, 1, 3, 3])
    out = {}
    g = tf.gather(p, idx)
    out["gather_grad"] = tf.convert_to_tensor(tf.gradients(tf.reduce_sum(g * g), p)[0])
    ss = tf.segment_sum(p, seg)
    out["segment_sum"] = ss
    out["segment_sum_grad"] = tf.gradients(tf.reduce_sum(ss * ss), p)[0]
    us = tf.unsorted_segment_sum(p, tf.constant([2, 0, 2, 1, 0]), 4)
    out["unsorted_sum"] = us
    out["unsorted_sum_grad"] = tf.gradients(tf.reduce_sum(us * us), p)[0]
    t = tf.tile(p[:2], [2, 3])
    out["tile_grad"] = tf.gradients(tf.reduce_sum(t * t), p)[0]
    pd = tf.pad(p, [[1, 2], [0, 1]], mode="REFLECT")
    out["pad_reflect"] = pd
    out["pad_grad"] = tf.gradients(tf.reduce_sum(pd * pd), p)[0]
    w = tf.where(p > 0, p * 2.0, -p)
    out["where_grad"] = tf.gradients(tf.reduce_sum(w), p)[0]
    c = tf.cumsum(p, axis=0, exclusive=True, reverse=True)
    out["cumsum"] = c
    out["cumsum_grad"] = tf.gradients(tf.reduce_sum(c * c), p)[0]
    vals, ind = tf.nn.top_k(p, k=2)
    out["topk_vals"], out["topk_idx"] = vals, ind
    out["topk_grad"] = tf.gradients(tf.reduce_sum(vals * vals), p)[0]
    with tf.Session() as s:
        return s.run(out)


@program
def gradients_of_reductions_and_math(tf):
    rng = _rng()
    x = tf.constant(rng.uniform(0.5, 2.0, (3, 4)).astype("float32"))
    out = {}
    for name, y in [("prod", tf.reduce_prod(x, axis=1)), ("max", tf.reduce_max(x, axis=0)),
                    ("logsumexp", tf.reduce_logsumexp(x, axis=1)), ("pow", tf.pow(x, 1.5)),
                    ("div", x / (x + 1.0)), ("rsqrt", tf.rsqrt(x)), ("sqdiff", tf.squared_difference(x, 1.0)),
                    ("mean_keep", tf.reduce_mean(x, axis=[0, 1], keepdims=True))]:
        out[name] = y
        out[name + "_grad"] = tf.gradients(tf.reduce_sum(y * y), x)[0]
    with tf.Session() as s:
        return s.run(out)


@program
def nn_moments_batchnorm_l2(tf):
    rng = _rng()
    x = tf.constant(rng.standard_normal((4, 3, 2)).astype("float32"))
    mean, var = tf.nn.moments(x, axes=[0, 1])
    mean_k, var_k = tf.nn.moments(x, axes=[1], keep_dims=True)
    bn = tf.nn.batch_normalization(x, mean, var, offset=tf.constant([0.1, -0.1]), scale=tf.constant([2.0, 0.5]),
                                   variance_epsilon=1e-3)
    bn_none = tf.nn.batch_normalization(x, mean, var, None, None, 1e-3)
    l2 = tf.nn.l2_normalize(x, axis=[1, 2])
    l2z = tf.nn.l2_normalize(tf.zeros([2, 3]), axis=1)
    out = {"mean": mean, "var": var, "mean_k": mean_k, "var_k": var_k, "bn": bn, "bn_none": bn_none, "l2": l2,
           "l2z": l2z, "bn_grad": tf.gradients(tf.reduce_sum(bn * bn), x)[0],
           "l2_grad": tf.gradients(tf.reduce_sum(l2 * tf.range(1.0, 3.0)), x)[0],
           "moments_grad": tf.gradients(tf.reduce_sum(var) + tf.reduce_sum(mean_k), x)[0]}
    with tf.Session() as s:
        return s.run(out)


@program
def softmax_axes_and_in_top_k(tf):
    rng = _rng()
    x = tf.constant(rng.standard_normal((2, 3, 4)).astype("float32"))
    out = {"sm0": tf.nn.softmax(x, axis=0), "sm1": tf.nn.softmax(x, axis=1), "lsm1": tf.nn.log_softmax(x, axis=1),
           "sm_neg": tf.nn.softmax(x, axis=-2)}
    out["sm1_grad"] = tf.gradients(tf.reduce_sum(out["sm1"] * tf.range(4.0)), x)[0]
    out["lsm_grad"] = tf.gradients(tf.reduce_sum(out["lsm1"] * tf.range(4.0)), x)[0]
    preds = tf.constant([[0.1, 0.5, 0.5, 0.2], [0.9, 0.0, 0.0, 0.1], [0.3, 0.3, 0.3, 0.1]])
    out["in_top1"] = tf.nn.in_top_k(preds, [2, 0, 3], 1)
    out["in_top2"] = tf.nn.in_top_k(preds, [1, 3, 2], 2)
    out["in_top_k64"] = tf.nn.in_top_k(preds, tf.constant([1, 0, 0], tf.int64), 1)
    with tf.Session() as s:
        return s.run(out)


@program
def embedding_lookup_partitioned(tf):
    table = np.arange(30, dtype="float32").reshape(10, 3)
    ids = tf.constant([[0, 9], [3, 4], [7, 7]])
    out = {}
    for strategy in ("mod", "div"):
        if strategy == "mod":
            parts = [table[i::3] for i in range(3)]
        else:
            parts = [table[0:4], table[4:7], table[7:10]]
        params = [tf.Variable(p, name="p%d" % i) for i, p in enumerate(parts)]
        e = tf.nn.embedding_lookup(params, ids, partition_strategy=strategy)
        out[strategy] = e
        out[strategy + "_grad0"] = tf.convert_to_tensor(tf.gradients(tf.reduce_sum(e * e), params[0])[0])
    single = tf.Variable(table, name="single")
    out["max_norm"] = tf.nn.embedding_lookup(single, ids, max_norm=5.0)
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        return s.run(out)


@program
def dropout_noise_shape(tf):
    x = tf.ones([4, 6, 3])
    d = tf.nn.dropout(x, rate=0.5, noise_shape=[4, 1, 3], seed=3)
    d0 = tf.nn.dropout(x, rate=0.0)
    with tf.Session() as s:
        v = s.run(d)
        # The mask is random; what TF guarantees: kept values are scaled by 1/(1-rate), shared along axis 1.
        return {"values": np.unique(v), "shared": np.array(np.all(v == v[:, :1, :])), "d0": s.run(d0)}


@program
def conv_transpose_and_pools(tf):
    rng = _rng()
    x = tf.constant(rng.standard_normal((2, 5, 5, 3)).astype("float32"))
    w = tf.constant(rng.standard_normal((3, 3, 4, 3)).astype("float32"))
    out = {}
    out["convT_same"] = tf.nn.conv2d_transpose(x, w, [2, 10, 10, 4], [1, 2, 2, 1], padding="SAME")
    out["convT_valid"] = tf.nn.conv2d_transpose(x, w, [2, 11, 11, 4], [1, 2, 2, 1], padding="VALID")
    out["convT_grad"] = tf.gradients(tf.reduce_sum(out["convT_same"] ** 2), [x, w])
    out["max_same"] = tf.nn.max_pool(x, [1, 3, 3, 1], [1, 2, 2, 1], "SAME")
    out["avg_same"] = tf.nn.avg_pool(x, [1, 3, 3, 1], [1, 2, 2, 1], "SAME")
    out["avg_grad"] = tf.gradients(tf.reduce_sum(out["avg_same"] ** 2), x)[0]
    out["max_grad"] = tf.gradients(tf.reduce_sum(out["max_same"] ** 2), x)[0]
    with tf.Session() as s:
        return s.run(out)


@program
def dtypes_int64_float64_float16(tf):
    out = {"i64_sum": tf.reduce_sum(tf.constant([2 ** 40, 3], tf.int64)),
           "i64_range": tf.range(tf.constant(3, tf.int64)),
           "f64_mm": tf.matmul(tf.constant([[1.0, 2.0]], tf.float64), tf.constant([[3.0], [4.0]], tf.float64)),
           "f16_add": tf.constant([1.5, 2.25], tf.float16) + tf.constant([0.5, 1.0], tf.float16),
           "f16_softmax": tf.nn.softmax(tf.constant([1.0, 2.0, 3.0], tf.float16)),
           "bool_cast": tf.cast(tf.constant([0.0, -0.5, 2.0]), tf.bool),
           "cast_trunc": tf.cast(tf.constant([-1.7, 1.7, 2.5]), tf.int32),
           "cast_u8": tf.cast(tf.constant([1.0, 255.0]), tf.uint8),
           "argmax_i64": tf.argmax(tf.constant([[1, 5, 2]])),
           "argmax_i32": tf.argmax(tf.constant([[1, 5, 2]]), axis=1, output_type=tf.int32),
           "int_div": tf.constant([7, -7]) // tf.constant([2, 2]),
           "int_mod": tf.constant([7, -7]) % tf.constant([3, 3]),
           "truediv_int": tf.truediv(tf.constant([7, -7]), tf.constant([2, 2])),
           "f64_reduce_mean": tf.reduce_mean(tf.constant([1, 2], tf.float64)),
           "i32_mean": tf.reduce_mean(tf.constant([1, 2])),
           "size_dtype": tf.size(tf.zeros([2, 3]), out_type=tf.int64),
           "shape_dtype": tf.shape(tf.zeros([2, 3]), out_type=tf.int64)}
    with tf.Session() as s:
        return s.run(out)


@program
def zero_d_and_empty(tf):
    e = tf.zeros([0, 3])
    out = {"sum_empty": tf.reduce_sum(e, axis=0), "mean_empty": tf.reduce_mean(e),
           "max_empty_axis1": tf.reduce_max(e, axis=1), "concat_empty": tf.concat([e, tf.ones([1, 3])], 0),
           "gather_empty": tf.gather(tf.ones([3, 2]), tf.zeros([0], tf.int32)),
           "scalar_sq": tf.square(tf.constant(3.0)), "scalar_reshape": tf.reshape(tf.constant([5.0]), []),
           "softmax_empty": tf.nn.softmax(tf.zeros([0, 4])),
           "argmax_scalarish": tf.argmax(tf.constant([3.0])),
           "topk_k0": tf.nn.top_k(tf.constant([1.0, 2.0]), k=0).values,
           "tile_zero": tf.tile(tf.ones([2, 2]), [0, 1]),
           "seg_empty": tf.unsorted_segment_sum(tf.zeros([0, 2]), tf.zeros([0], tf.int32), 3),
           "cumsum_scalar_axis": tf.cumsum(tf.constant([[1.0, 2.0]]), axis=-1)}
    with tf.Session() as s:
        return s.run(out)


@program
def sparse_xent_and_nn_losses(tf):
    rng = _rng()
    logits = tf.constant(rng.standard_normal((4, 5)).astype("float32"))
    labels = tf.constant([1, 4, 0, 2], tf.int64)
    out = {"sparse": tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits),
           "soft_v2": tf.nn.softmax_cross_entropy_with_logits_v2(labels=tf.nn.softmax(logits * 0.5), logits=logits),
           "sig": tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.ones([4, 5]) * 0.3, logits=logits),
           "l2": tf.nn.l2_loss(logits), "zf": tf.nn.zero_fraction(tf.nn.relu(logits)),
           "xw": tf.nn.xw_plus_b(logits, tf.ones([5, 2]), tf.constant([1.0, -1.0]))}
    out["v2_label_grad"] = tf.gradients(tf.reduce_sum(out["soft_v2"]), logits)[0]
    with tf.Session() as s:
        return s.run(out)


@program
def variable_update_ops(tf):
    v = tf.Variable([1.0, 2.0, 3.0, 4.0], name="v")
    i = tf.Variable(0, name="i")
    a1 = tf.assign_add(v, [1.0, 1.0, 1.0, 1.0])
    inc = tf.assign_add(i, 1)
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        out = {"a1": s.run(a1)}
        for _ in range(3):
            s.run(inc)
        out["i"] = s.run(i)
        out["read_after"] = s.run(v)
        return out


@program
def ema_and_global_step(tf):
    gs = tf.train.get_or_create_global_step()
    w = tf.Variable(1.0, name="w")
    ema = tf.train.ExponentialMovingAverage(0.9, num_updates=gs)
    upd = ema.apply([w])
    bump = tf.group(tf.assign_add(w, 1.0), tf.assign_add(gs, 1))
    rows = []
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        for _ in range(4):
            s.run(bump)
            s.run(upd)
            rows.append(s.run(ema.average(w)))
        return {"avg": np.array(rows), "name": np.array(ema.average_name(w))}


def _error_of(tf, build):
    try:
        with tf.Graph().as_default():
            fetch, feed = build()
            with tf.Session() as s:
                for step in fetch if isinstance(fetch, list) else [fetch]:  # a list: run one after the other
                    s.run(step, feed)
    except Exception as e:  # noqa: BLE001 - the classes are what is compared
        return " ".join(k.__name__ for k in type(e).__mro__[:-3])  # less Exception, BaseException, object
    return "no error"


@program
def errors_for_bad_input(tf):
    def gather_out_of_range():
        return tf.gather(tf.ones([3]), tf.constant([5])), None

    def reshape_bad():
        p = tf.placeholder(tf.float32, [None])
        return tf.reshape(p, [2, 2]), {p: np.ones(3, "float32")}

    def feed_wrong_shape():
        p = tf.placeholder(tf.float32, [2])
        return p * 2, {p: np.ones(3, "float32")}

    def matmul_build():
        return tf.matmul(tf.ones([2, 3]), tf.ones([2, 3])), None

    def sparse_label_out_of_range():
        return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[5], logits=tf.ones([1, 3])), None

    def concat_rank():
        return tf.concat([tf.ones([2, 2]), tf.ones([2])], 0), None

    def losses_shape_mismatch():
        return tf.losses.mean_squared_error(tf.ones([2, 3]), tf.ones([3, 2])), None

    def bad_reduction():
        return tf.losses.mean_squared_error(tf.ones([2]), tf.ones([2]), reduction="avg"), None

    def unfed_placeholder():
        return tf.placeholder(tf.float32) + 1.0, None

    def uninitialized():
        return tf.Variable(1.0) + 1.0, None

    def segment_ids_unsorted():
        return tf.segment_sum(tf.ones([3]), tf.constant([1, 0, 0])), None

    def top_k_too_large():
        return tf.nn.top_k(tf.placeholder_with_default(tf.ones([3]), [None]), k=5).values, None

    cases = [gather_out_of_range, reshape_bad, feed_wrong_shape, matmul_build, sparse_label_out_of_range,
             concat_rank, losses_shape_mismatch, bad_reduction, unfed_placeholder, uninitialized,
             segment_ids_unsorted, top_k_too_large]
    return {c.__name__: np.array(_error_of(tf, c)) for c in cases}


@program
def streaming_metrics(tf):
    labels = tf.placeholder(tf.int64, [None])
    preds = tf.placeholder(tf.int64, [None])
    w = tf.placeholder(tf.float32, [None])
    x = tf.placeholder(tf.float32, [None])
    metrics = {"acc": tf.metrics.accuracy(labels, preds),
               "acc_w": tf.metrics.accuracy(labels, preds, weights=w),
               "mean": tf.metrics.mean(x),
               "mean_w": tf.metrics.mean(x, weights=w),
               "prec": tf.metrics.precision(labels > 1, preds > 1),
               "rec": tf.metrics.recall(labels > 1, preds > 1, weights=w),
               "tp": tf.metrics.true_positives(labels > 1, preds > 1),
               "fn": tf.metrics.false_negatives(labels > 1, preds > 1),
               "mse": tf.metrics.mean_squared_error(tf.cast(labels, tf.float32), x),
               "mae": tf.metrics.mean_absolute_error(tf.cast(labels, tf.float32), x, weights=w),
               "rmse": tf.metrics.root_mean_squared_error(tf.cast(labels, tf.float32), x),
               "miou": tf.metrics.mean_iou(labels, preds, num_classes=4),
               "miou_w": tf.metrics.mean_iou(labels, preds, num_classes=4, weights=w)}
    batches = [([0, 1, 2, 3], [0, 2, 2, 1], [1.0, 0.0, 2.0, 1.0], [0.5, 1.5, 2.0, 4.0]),
               ([3, 3], [3, 0], [0.5, 0.5], [3.0, -1.0]),
               ([], [], [], [])]
    out = {"n_local": np.array(len(tf.local_variables())), "local_names": np.array(
        sorted(v.name for v in tf.local_variables()))}
    with tf.Session() as s:
        s.run(tf.local_variables_initializer())
        out["before"] = np.array([s.run(v) for v, _ in metrics.values()][:-2])
        for i, (lb, pr, wt, xs) in enumerate(batches):
            feed = {labels: lb, preds: pr, w: wt, x: xs}
            updated = s.run({k: u for k, (_, u) in metrics.items()}, feed)
            values = s.run({k: v for k, (v, _) in metrics.items()})
            for k in metrics:
                out["%s_update%d" % (k, i)] = updated[k]
                out["%s_value%d" % (k, i)] = values[k]
        s.run(tf.local_variables_initializer())
        out["reset"] = s.run(metrics["acc"][0])
    return out


@program
def segment_means_and_sequence_mask(tf):
    rng = _rng()
    data = tf.constant(rng.standard_normal((6, 2)).astype("float32"))
    ids = tf.constant([3, 0, 3, -1, 0, 3])
    out = {"mean": tf.unsorted_segment_mean(data, ids, 5), "sqrt_n": tf.unsorted_segment_sqrt_n(data, ids, 5),
           "sorted_mean": tf.segment_mean(data, tf.constant([0, 0, 2, 2, 2, 3])),
           "mean_f64": tf.unsorted_segment_mean(tf.cast(data, tf.float64), ids, 4),
           "mean_2d_ids": tf.unsorted_segment_mean(tf.reshape(data, [3, 2, 2]), tf.constant([[0, 1], [1, 1],
                                                                                          [2, 0]]), 3)}
    out["mean_grad"] = tf.gradients(tf.reduce_sum(out["mean"] * out["mean"]), data)[0]
    out["sqrt_n_grad"] = tf.gradients(tf.reduce_sum(out["sqrt_n"] * out["sqrt_n"]), data)[0]
    out["sorted_mean_grad"] = tf.gradients(tf.reduce_sum(out["sorted_mean"] * out["sorted_mean"]), data)[0]
    lengths = tf.placeholder(tf.int32, [None])
    masks = {"mask": tf.sequence_mask(lengths), "mask_max": tf.sequence_mask(lengths, 5, dtype=tf.float32),
             "mask_2d": tf.sequence_mask(tf.constant([[1, 3], [0, 2]]), 4),
             "mask_i64": tf.sequence_mask(tf.constant([2, 0], tf.int64))}
    with tf.Session() as s:
        res = s.run(out)
        res.update(s.run(masks, {lengths: [1, 3, 0, 2]}))
        res["mask_empty"] = s.run(masks["mask"], {lengths: []})
        res["mask_static"] = np.array([str(masks["mask_max"].shape.as_list()), str(masks["mask_2d"].shape.as_list())])
        return res


@program
def conv1d_variants(tf):
    rng = _rng()
    x = tf.constant(rng.standard_normal((2, 9, 3)).astype("float32"))
    w = tf.constant(rng.standard_normal((3, 3, 4)).astype("float32"))
    out = {"same": tf.nn.conv1d(x, w, stride=1, padding="SAME"),
           "valid_s2": tf.nn.conv1d(x, w, stride=2, padding="VALID"),
           "stride_list": tf.nn.conv1d(x, w, stride=[1, 2, 1], padding="SAME"),
           "dilated": tf.nn.conv1d(x, w, stride=1, padding="SAME", dilations=2),
           "ncw": tf.nn.conv1d(tf.transpose(x, [0, 2, 1]), w, 1, "VALID", data_format="NCW")
           if tf.__name__.startswith("gpunet") else None}
    if out["ncw"] is None:  # TF's CPU kernels have no NCW convolution: the same numbers, computed NWC
        out["ncw"] = tf.transpose(tf.nn.conv1d(x, w, 1, "VALID"), [0, 2, 1])
    out["grads"] = tf.gradients(tf.reduce_sum(out["valid_s2"] ** 2) + tf.reduce_sum(out["dilated"]), [x, w])
    with tf.Session() as s:
        res = s.run(out)
        res["static"] = np.array([str(out["valid_s2"].shape.as_list()), str(out["same"].shape.as_list())])
        return res


@program
def nn_composites_batch(tf):
    rng = _rng()
    x = tf.constant(rng.standard_normal((4, 3)).astype("float32"))
    y = tf.constant(rng.integers(0, 2, (4, 3)).astype("float32"))
    targets = tf.constant(rng.integers(0, 4, (4, 3)).astype("float32"))
    freq = tf.constant([[1.0], [0.0], [2.0], [3.0]])
    counts, mean_ss, var_ss, shift = tf.nn.sufficient_statistics(x, [0], shift=tf.constant([0.5, 0.0, -0.5]))
    counts_k, mean_ss_k, var_ss_k, _ = tf.nn.sufficient_statistics(x, [0, 1], keep_dims=True)
    out = {"wce": tf.nn.weighted_cross_entropy_with_logits(labels=y, logits=x * 3.0, pos_weight=2.5),
           "relu_layer": tf.nn.relu_layer(x, tf.ones([3, 2]) * 0.5, tf.constant([0.1, -0.4])),
           "poisson": tf.nn.log_poisson_loss(targets, x),
           "poisson_full": tf.nn.log_poisson_loss(targets, x, compute_full_loss=True),
           "counts": counts, "mean_ss": mean_ss, "var_ss": var_ss,
           "counts_k": counts_k, "mean_ss_k": mean_ss_k, "var_ss_k": var_ss_k,
           "normalized": tf.nn.normalize_moments(counts, mean_ss, var_ss, shift),
           "normalized_noshift": tf.nn.normalize_moments(counts_k, mean_ss_k, var_ss_k, None),
           "wmoments": tf.nn.weighted_moments(x, [0], freq),
           "wmoments_keep": tf.nn.weighted_moments(x, [1], tf.constant([1.0, 2.0, 0.0]), keep_dims=True),
           "wmoments_zero": tf.nn.weighted_moments(x, [0], tf.zeros([4, 1])),
           "wmoments_f16": tf.nn.weighted_moments(tf.cast(x, tf.float16), [0], freq)}
    out["wce_grad"] = tf.gradients(tf.reduce_sum(out["wce"]), x)[0]
    out["poisson_grad"] = tf.gradients(tf.reduce_sum(out["poisson_full"]), x)[0]
    out["wmoments_grad"] = tf.gradients(tf.reduce_sum(out["wmoments"][1]), x)[0]
    with tf.Session() as s:
        return s.run(out)


@program
def more_lr_schedules(tf):
    gs = tf.placeholder(tf.int64, [])
    lrs = {"lin_cos": tf.train.linear_cosine_decay(0.1, gs, 10),
           "lin_cos_periods": tf.train.linear_cosine_decay(0.1, gs, 10, num_periods=2.0, alpha=0.1, beta=0.01),
           "sgdr": tf.train.cosine_decay_restarts(0.1, gs, 3),
           "sgdr_t1": tf.train.cosine_decay_restarts(0.1, gs, 4, t_mul=1.0, m_mul=0.5, alpha=0.2),
           "sgdr_t3": tf.train.cosine_decay_restarts(0.1, gs, 2, t_mul=3.0, m_mul=0.9)}
    with tf.Session() as s:
        rows = [s.run(lrs, {gs: step}) for step in range(0, 25, 2)]
    return {k: np.array([r[k] for r in rows]) for k in lrs}


@program
def casts_and_integer_math(tf):
    out = {"i64_to_i32_wrap": tf.cast(tf.constant([2 ** 31 + 5, -2 ** 31 - 1], tf.int64), tf.int32),
           "i32_to_u8_wrap": tf.cast(tf.constant([256, 300, -1]), tf.uint8),
           "bool_to_f": tf.cast(tf.constant([True, False]), tf.float32),
           "f64_to_f16": tf.cast(tf.constant([65519.0, 1e-8, 0.1], tf.float64), tf.float16),
           "i64_big_to_f32": tf.cast(tf.constant([2 ** 40 + 1], tf.int64), tf.float32),
           "to_int64": tf.to_int64(tf.constant([1.9, -1.9])),
           "div_ints": tf.div(tf.constant([7, -7, 7]), tf.constant([2, 2, -2])),
           "divide_ints": tf.divide(tf.constant([7, -7]), tf.constant([2, 2])),
           "truncatediv": tf.truncatediv(tf.constant([7, -7]), tf.constant([2, 2])),
           "truncatemod": tf.truncatemod(tf.constant([7, -7]), tf.constant([3, 3])),
           "floormod_f": tf.floormod(tf.constant([5.5, -5.5]), tf.constant([2.0, 2.0])),
           "pow_int": tf.pow(tf.constant([2, 3]), tf.constant([10, 2])),
           "abs_int_min": tf.abs(tf.constant([-5, 0], tf.int64)),
           "round_half_even": tf.round(tf.constant([0.5, 1.5, 2.5, -0.5, -1.5])),
           "sign_f": tf.sign(tf.constant([-2.0, 0.0, 3.0])),
           "count_nonzero": tf.count_nonzero(tf.constant([[0, 1, 2], [0, 0, 3]]), axis=1),
           "reduce_all": tf.reduce_all(tf.constant([[True, False], [True, True]]), axis=1),
           "cumprod_excl": tf.cumprod(tf.constant([1.0, 2.0, 3.0, 4.0]), exclusive=True, reverse=True)}
    with tf.Session() as s:
        return s.run(out)


@program
def optimizer_api_edges(tf):
    w = tf.Variable([1.0, 2.0], name="w")
    frozen = tf.Variable([3.0], name="frozen", trainable=False)
    unused = tf.Variable([5.0], name="unused")
    loss = tf.reduce_sum(w * w) + tf.reduce_sum(frozen)
    opt = tf.train.AdamOptimizer(0.1)
    pairs = opt.compute_gradients(loss)
    gs = tf.train.get_or_create_global_step()
    step = opt.apply_gradients([(g, v) for g, v in pairs if g is not None], global_step=gs)
    out = {"n_pairs": np.array(len(pairs)), "none_for": np.array([v.op.name for g, v in pairs if g is None]),
           "slot_names": np.array(sorted(opt.get_slot_names())),
           "slot_m": np.array(opt.get_slot(w, "m").op.name)}
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        for _ in range(3):
            s.run(step)
        out["w"], out["gs"], out["unused"] = s.run([w, gs, unused])
    try:
        tf.train.GradientDescentOptimizer(0.1).minimize(tf.reduce_sum(frozen) + tf.constant(1.0))
        out["no_grads"] = np.array("no error")
    except ValueError as e:
        out["no_grads"] = np.array(type(e).__name__)
    return out


@program
def streaming_auc(tf):
    rng = _rng()
    labels = tf.placeholder(tf.bool, [None])
    scores = tf.placeholder(tf.float32, [None])
    w = tf.placeholder(tf.float32, [None])
    metrics = {"roc": tf.metrics.auc(labels, scores),
               "roc_w": tf.metrics.auc(labels, scores, weights=w, num_thresholds=50),
               "pr": tf.metrics.auc(labels, scores, curve="PR"),
               "roc_minoring": tf.metrics.auc(labels, scores, summation_method="minoring"),
               "pr_majoring": tf.metrics.auc(labels, scores, curve="PR", summation_method="majoring"),
               "roc_careful": tf.metrics.auc(labels, scores, summation_method="careful_interpolation"),
               "pr_careful": tf.metrics.auc(labels, scores, curve="PR", summation_method="careful_interpolation"),
               "custom": tf.metrics.auc(labels, scores, thresholds=[0.25, 0.5, 0.75])}
    out = {"local_names": np.array(sorted(v.name for v in tf.local_variables()))}
    with tf.Session() as s:
        s.run(tf.local_variables_initializer())
        out["empty"] = np.array(s.run([v for v, _ in metrics.values()]))
        for i in range(3):
            truth = rng.integers(0, 2, 40).astype(bool)
            score = np.clip(truth * 0.3 + rng.uniform(0, 0.7, 40), 0, 1).astype("float32")
            score[:3] = [0.0, 1.0, 0.5]
            feed = {labels: truth, scores: score, w: rng.uniform(0, 2, 40).astype("float32")}
            updated = s.run({k: u for k, (_, u) in metrics.items()}, feed)
            for k in metrics:
                out["%s_%d" % (k, i)] = updated[k]
        values = s.run({k: v for k, (v, _) in metrics.items()})
        out.update({k + "_value": v for k, v in values.items()})
    return out


@program
def confusion_matrix_and_range_errors(tf):
    out = {"cm": tf.confusion_matrix([0, 1, 2, 1, 4], [0, 2, 2, 1, 3]),
           "cm_n": tf.confusion_matrix(tf.constant([1, 0], tf.int64), [1, 1], num_classes=3),
           "cm_w": tf.confusion_matrix([0, 1, 1], [1, 1, 0], num_classes=2, weights=[0.5, 2.0, 1.5],
                                       dtype=tf.float32),
           "cm_empty": tf.confusion_matrix(tf.zeros([0], tf.int32), tf.zeros([0], tf.int32), num_classes=2)}
    with tf.Session() as s:
        res = s.run(out)

    def auc_out_of_range():
        value, update = tf.metrics.auc(tf.constant([True, False]), tf.constant([0.5, 1.5]))
        return [tf.local_variables_initializer(), update], None

    def cm_label_too_large():
        return tf.confusion_matrix([0, 3], [1, 1], num_classes=3), None

    def cm_negative():
        return tf.confusion_matrix([0, -1], [1, 1]), None

    def mean_iou_out_of_range():
        value, update = tf.metrics.mean_iou(tf.constant([0, 5]), tf.constant([0, 1]), num_classes=3)
        return [tf.local_variables_initializer(), update], None

    def auc_bad_curve():
        return tf.metrics.auc([True], [0.5], curve="XY")[0], None

    for case in (auc_out_of_range, cm_label_too_large, cm_negative, mean_iou_out_of_range, auc_bad_curve):
        res["error_" + case.__name__] = np.array(_error_of(tf, case))
    return res


@program
def pools_1d_and_2d_names(tf):
    rng = _rng()
    x = tf.constant(rng.standard_normal((2, 9, 3)).astype("float32"))
    img = tf.constant(rng.standard_normal((1, 5, 6, 2)).astype("float32"))
    out = {"max1d": tf.nn.max_pool1d(x, 3, 2, "SAME"), "avg1d": tf.nn.avg_pool1d(x, [1, 2, 1], [1, 2, 1], "VALID"),
           "avg1d_same": tf.nn.avg_pool1d(x, 4, 3, "SAME"),
           "max2d": tf.nn.max_pool2d(img, 2, 2, "VALID"), "avg2d": tf.nn.avg_pool2d(img, [1, 3, 2, 1], 1, "SAME")}
    out["grads"] = tf.gradients(tf.reduce_sum(out["max1d"] ** 2) + tf.reduce_sum(out["avg1d_same"] ** 2), x)
    with tf.Session() as s:
        res = s.run(out)
        res["static"] = np.array([str(out["max1d"].shape.as_list()), str(out["avg1d"].shape.as_list())])
        return res


@program
def deprecated_tf1_keywords(tf):
    rng = _rng()
    x = tf.constant(rng.standard_normal((3, 4)).astype("float32"))
    out = {"softmax_dim": tf.nn.softmax(x, dim=0), "log_softmax_dim": tf.nn.log_softmax(x, dim=0),
           "l2_dim": tf.nn.l2_normalize(x, dim=1), "sum_keep_dims": tf.reduce_sum(x, 1, keep_dims=True),
           "mean_reduction_indices": tf.reduce_mean(x, reduction_indices=[0]),
           "max_keep_dims": tf.reduce_max(x, axis=0, keep_dims=True),
           "argmax_dimension": tf.argmax(x, dimension=1), "argmin_dimension": tf.argmin(x, dimension=0),
           "expand_dim": tf.expand_dims(x, dim=0), "squeeze_dims": tf.squeeze(tf.ones([1, 2, 1]), squeeze_dims=[0]),
           "dropout_keep1": tf.nn.dropout(x, keep_prob=1.0),
           "moments_keep_dims": tf.nn.moments(x, [0], keep_dims=True),
           "to_float": tf.to_float(tf.constant([1, 2])), "to_int32": tf.to_int32(tf.constant([1.7, -1.7])),
           "count_nonzero_keep": tf.count_nonzero(x > 0, axis=1, keep_dims=True)}
    with tf.Session() as s:
        return s.run(out)
