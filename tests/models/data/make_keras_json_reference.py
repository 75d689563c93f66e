"""Writes keras_json_reference.json + keras_json_reference.npz: tf_keras 2.21 models (Sequential and functional,
every layer class gpunet exports, non-default arguments) as ``model.to_json()``, with random weights, a fixed
input and the model's outputs for it. Run with /work/tfvenv/bin/python (TF 2.21 + tf_keras 2.21) from this folder.
gpunet must rebuild each model from its JSON, take the weights and give the same outputs
(tests/models/test_keras_json_interop.py)."""
import json
import os

import numpy as np
import tf_keras as keras

L, K = keras.layers, keras
init, reg, con = keras.initializers, keras.regularizers, keras.constraints
RNG = np.random.default_rng(7)


def dense_seq():
    return K.Sequential([
        L.Dense(5, input_shape=(4,), activation="relu", kernel_initializer=init.RandomNormal(stddev=0.1),
                bias_initializer=init.Constant(0.2), kernel_regularizer=reg.l2(0.01), bias_regularizer=reg.l1(0.02),
                kernel_constraint=con.MaxNorm(2.0), bias_constraint=con.NonNeg(), name="d1"),
        L.Activation("tanh"), L.Dropout(0.3, seed=1), L.Dense(3, use_bias=False, activation="softmax",
                                                               kernel_initializer="he_uniform")], name="dense_seq")


def activations_seq():
    return K.Sequential([
        L.InputLayer(input_shape=(6,)), L.Dense(6, kernel_regularizer=reg.l1_l2(0.01, 0.02)), L.LeakyReLU(0.2),
        L.ELU(0.7), L.ReLU(max_value=1.5, negative_slope=0.1, threshold=0.05), L.ThresholdedReLU(0.1),
        L.PReLU(alpha_initializer=init.Constant(0.25), alpha_constraint=con.NonNeg()), L.Softmax(axis=-1),
        L.ActivityRegularization(l1=0.01, l2=0.02)], name="activations_seq")


def conv2d_seq():
    return K.Sequential([
        L.Conv2D(4, 3, strides=1, padding="same", activation="relu", input_shape=(8, 8, 3),
                 kernel_initializer="glorot_normal", kernel_constraint=con.UnitNorm(axis=[0, 1, 2]),
                 kernel_regularizer=reg.l2(0.01), bias_regularizer=reg.l1(0.01)),
        L.ZeroPadding2D(((1, 0), (0, 1))), L.Cropping2D(((1, 1), (0, 1))), L.MaxPooling2D(2, padding="same"),
        L.UpSampling2D((2, 1)), L.AveragePooling2D((2, 2), strides=1), L.SeparableConv2D(5, 2, depth_multiplier=2),
        L.DepthwiseConv2D(2, depth_multiplier=2, padding="same"), L.Conv2DTranspose(3, 2, strides=2),
        L.BatchNormalization(momentum=0.9, epsilon=1e-2), L.SpatialDropout2D(0.2), L.GaussianNoise(0.1),
        L.GaussianDropout(0.1), L.AlphaDropout(0.1), L.GlobalMaxPooling2D()], name="conv2d_seq")


def conv2d_channels_first():
    x = L.Input((3, 6, 6), name="img")
    y = L.Conv2D(4, (2, 3), padding="valid", data_format="channels_first", dilation_rate=(1, 1))(x)
    y = L.ZeroPadding2D(1, data_format="channels_first")(y)
    y = L.Cropping2D(((0, 1), (1, 0)), data_format="channels_first")(y)
    y = L.UpSampling2D(2, data_format="channels_first")(y)
    y = L.MaxPooling2D(2, data_format="channels_first")(y)
    y = L.AveragePooling2D(2, data_format="channels_first", padding="same")(y)
    y = L.SpatialDropout2D(0.2, data_format="channels_first")(y)
    y = L.Permute((2, 3, 1))(y)
    y = L.Conv2DTranspose(2, 3, strides=1, padding="same", data_format="channels_last")(y)
    a = L.GlobalAveragePooling2D()(y)
    b = L.GlobalMaxPooling2D(keepdims=True, data_format="channels_first")(y)
    b = L.Flatten()(b)
    return K.Model(x, [a, b], name="conv2d_channels_first")


def conv1d_func():
    x = L.Input((10, 3), name="seq")
    y = L.Conv1D(4, 3, padding="causal", activation="elu", dilation_rate=2)(x)
    y = L.ZeroPadding1D((1, 2))(y)
    y = L.Cropping1D((2, 1))(y)
    y = L.MaxPooling1D(2, padding="same")(y)
    y = L.UpSampling1D(3)(y)
    y = L.AveragePooling1D(3, strides=2)(y)
    y = L.SpatialDropout1D(0.1)(y)
    y = L.Conv1D(3, 2, strides=2, padding="same", data_format="channels_last")(y)
    a = L.GlobalAveragePooling1D()(y)
    b = L.GlobalMaxPooling1D()(y)
    c = L.LayerNormalization(epsilon=1e-4, center=False)(L.Concatenate()([a, b]))
    return K.Model(x, c, name="conv1d_func")


def merges_func():
    a, b = L.Input((4,), name="a"), L.Input((4,), name="b")
    d = L.Dense(4, name="shared")
    da, db = d(a), d(b)  # a shared layer: two nodes
    outs = [L.Add()([da, db]), L.Subtract()([da, db]), L.Multiply()([da, db]), L.Average()([da, db]),
            L.Maximum()([da, db]), L.Minimum()([da, db]), L.Concatenate(axis=-1)([da, db]),
            L.Dot(axes=1, normalize=True)([da, db])]
    r = L.RepeatVector(3)(outs[0])
    r = L.Reshape((4, 3))(r)
    outs.append(L.Flatten()(r))
    return K.Model([a, b], outs, name="merges_func")


def embedding_lstm():
    return K.Sequential([
        L.Embedding(20, 6, input_length=7, mask_zero=True, embeddings_initializer=init.RandomUniform(-0.1, 0.1),
                    embeddings_regularizer=reg.l2(0.001)),
        L.LSTM(5, return_sequences=True, recurrent_activation="hard_sigmoid", unit_forget_bias=False, dropout=0.1,
               recurrent_dropout=0.1),
        L.GRU(4, return_sequences=True, reset_after=True, activation="relu"),
        L.SimpleRNN(3, go_backwards=True, activation="tanh")], name="embedding_lstm")


def masking_rnn():
    x = L.Input((6, 3), name="x")
    m = L.Masking(mask_value=0.0)(x)
    y = L.Bidirectional(L.LSTM(4, return_sequences=True), merge_mode="sum")(m)
    y = L.Bidirectional(L.GRU(3, reset_after=False, return_sequences=True), merge_mode="concat")(y)
    y = L.TimeDistributed(L.Dense(2, activation="sigmoid"))(y)
    z = L.Bidirectional(L.SimpleRNN(2, return_state=False), merge_mode="ave")(m)
    s, h, c = L.LSTM(3, return_sequences=True, return_state=True, stateful=False, name="lstm_state")(x)
    w = L.GRU(3, name="gru_init")(x, initial_state=h)
    return K.Model(x, [y, z, s, c, w], name="masking_rnn")


def bidirectional_mul():
    return K.Sequential([L.InputLayer(input_shape=(5, 2)),
                         L.Bidirectional(L.SimpleRNN(3, return_sequences=True), merge_mode="mul"),
                         L.TimeDistributed(L.Dense(4)), L.LSTM(2, go_backwards=True, use_bias=False,
                                                                  unroll=True)], name="bidirectional_mul")


def time_distributed_conv():
    x = L.Input((3, 6, 6, 2), name="frames")
    y = L.TimeDistributed(L.Conv2D(3, 3, activation="relu"))(x)
    y = L.TimeDistributed(L.MaxPooling2D(2))(y)
    y = L.TimeDistributed(L.Flatten())(y)
    y = L.SimpleRNN(4)(y)
    return K.Model(x, y, name="time_distributed_conv")


def nested_models():
    inner = K.Sequential([L.Dense(4, activation="relu", input_shape=(3,)), L.Dense(3)], name="inner_seq")
    ix = L.Input((3,), name="ix")
    inner_f = K.Model(ix, L.Dense(3, activation="tanh", name="inner_dense")(ix), name="inner_func")
    x1, x2 = L.Input((3,), name="x1"), L.Input((3,), name="x2")
    a, b = inner(x1), inner(x2)  # shared nested model: nodes 1 and 2 in tf_keras's numbering
    c = inner_f(L.Add()([a, b]))
    out = L.Dense(2, name="head")(L.Concatenate()([a, c]))
    return K.Model([x1, x2], [out, b], name="nested_models")


def sequential_in_sequential():
    inner = K.Sequential([L.Dense(4, input_shape=(3,)), L.ReLU()], name="inner")
    return K.Sequential([L.InputLayer(input_shape=(3,)), inner, L.Dense(2)], name="sequential_in_sequential")


def conv3d_noise():
    x = L.Input((4, 4, 4, 2), name="vol")
    y = L.SpatialDropout3D(0.2)(x)
    y = L.Reshape((16, 8))(y)
    y = L.Conv1D(2, 1)(y)
    return K.Model(x, y, name="conv3d_noise")


def batchnorm_func():
    x = L.Input((5, 4), name="x")
    y = L.BatchNormalization(axis=1, center=False, scale=True, momentum=0.5,
                             gamma_initializer=init.Ones(), moving_variance_initializer="ones")(x)
    y = L.LayerNormalization(axis=[1, 2], scale=False)(y)
    y = L.Dense(3, kernel_initializer=init.Orthogonal(gain=0.5), bias_initializer=init.TruncatedNormal(stddev=0.2))(y)
    y = L.Dense(2, kernel_initializer=init.VarianceScaling(scale=2.0, mode="fan_out", distribution="uniform"),
                bias_initializer=init.HeNormal())(y)
    return K.Model(x, y, name="batchnorm_func")


def multi_io_embedding():
    t, v = L.Input((5,), dtype="int32", name="tokens"), L.Input((2,), name="values")
    e = L.Embedding(10, 3, name="emb")(t)
    e = L.Flatten()(e)
    h = L.Concatenate()([e, v])
    return K.Model([t, v], [L.Dense(1, name="out_a")(h), L.Dense(2, activation="softmax", name="out_b")(h)],
                   name="multi_io_embedding")


def lambda_func():
    x = L.Input((4,), name="x")
    y = L.Lambda(lambda t, k=2.0: t * k + 1.0, output_shape=(4,), arguments={"k": 3.0}, name="affine")(x)
    z = L.Lambda(lambda t: t * t, name="square")(L.Dense(3)(y))
    return K.Model(x, [y, z], name="lambda_func")


BUILDERS = [dense_seq, activations_seq, conv2d_seq, conv2d_channels_first, conv1d_func, merges_func, embedding_lstm,
            masking_rnn, bidirectional_mul, time_distributed_conv, nested_models, sequential_in_sequential,
            conv3d_noise, batchnorm_func, multi_io_embedding, lambda_func]


def _inputs(model):
    arrays = []
    for t in model.inputs:
        shape = [2] + t.shape.as_list()[1:]
        if t.dtype.is_integer or model.layers[0].__class__.__name__ == "Embedding":
            arrays.append(RNG.integers(0, 10, shape).astype("int32"))
            arrays[-1][0, -2:] = 0  # padding (masked by mask_zero)
        else:
            a = RNG.uniform(-1, 1, shape).astype("float32")
            if len(shape) == 3:
                a[1, -2:] = 0.0  # masked steps for Masking
            arrays.append(a)
    return arrays


def _weights(model):
    out = []
    for w in model.weights:
        low, high = (0.5, 1.5) if "variance" in w.name else (-0.5, 0.5)
        out.append(RNG.uniform(low, high, w.shape).astype("float32"))
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    configs, arrays = {}, {}
    for build in BUILDERS:
        keras.backend.clear_session()
        model = build()
        model.set_weights(_weights(model))
        xs = _inputs(model)
        ys = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
        ys = ys if isinstance(ys, list) else [ys]
        name = build.__name__
        configs[name] = model.to_json()
        for prefix, group in (("w", model.get_weights()), ("x", xs), ("y", ys)):
            for i, a in enumerate(group):
                arrays[f"{name}/{prefix}{i:02d}"] = a
    with open(os.path.join(here, "keras_json_reference.json"), "w") as f:
        json.dump({"tf_keras": keras.__version__, "models": configs}, f, indent=0, sort_keys=True)
    np.savez_compressed(os.path.join(here, "keras_json_reference.npz"), **arrays)


if __name__ == "__main__":
    main()
