"""Generates rnn_reference.npz with real TensorFlow (run once, with /work/tfvenv:
``TF_USE_LEGACY_KERAS=1 /work/tfvenv/bin/python generate.py``): for each cell, TF1's
dynamic_rnn on fixed inputs with sequence lengths (and one bidirectional_dynamic_rnn); stores
variables by name, outputs and the flattened final state, so tests/ops/test_rnn.py can copy the
weights into gpunet and compare."""
import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()
CELLS = {
    "basic_rnn": lambda: tf.nn.rnn_cell.BasicRNNCell(4),
    "basic_lstm": lambda: tf.nn.rnn_cell.BasicLSTMCell(4, forget_bias=0.5),
    "lstm": lambda: tf.nn.rnn_cell.LSTMCell(4, use_peepholes=True, num_proj=3, cell_clip=0.8),
    "gru": lambda: tf.nn.rnn_cell.GRUCell(4),
    "multi": lambda: tf.nn.rnn_cell.MultiRNNCell([tf.nn.rnn_cell.BasicLSTMCell(4), tf.nn.rnn_cell.GRUCell(3)]),
}


def main():
    rng = np.random.RandomState(7)
    x = rng.uniform(-1, 1, (3, 5, 2)).astype(np.float32)
    lengths = np.array([5, 2, 0], np.int32)
    arrays = {"inputs": x, "lengths": lengths}
    for key, make in CELLS.items():
        with tf.Graph().as_default(), tf.Session() as sess:
            tf.set_random_seed(1)
            outputs, state = tf.nn.dynamic_rnn(make(), tf.constant(x), sequence_length=lengths, dtype=tf.float32)
            variables = tf.global_variables()
            sess.run(tf.global_variables_initializer())
            for v in variables:
                sess.run(v.assign(rng.uniform(-1, 1, v.shape.as_list()).astype(np.float32)))
            values = sess.run([outputs, tf.nest.flatten(state)] + variables)
            arrays[f"{key}/outputs"] = values[0]
            for k, s in enumerate(values[1]):
                arrays[f"{key}/state{k}"] = s
            for v, value in zip(variables, values[2:]):
                arrays[f"{key}/var/{v.name}"] = value
    arrays.update(bidirectional(rng, x, lengths))
    np.savez("rnn_reference.npz", **arrays)


def bidirectional(rng, x, lengths):
    """bidirectional_dynamic_rnn: a BasicLSTMCell forwards, a GRUCell backwards."""
    arrays = {}
    with tf.Graph().as_default(), tf.Session() as sess:
        (out_fw, out_bw), states = tf.nn.bidirectional_dynamic_rnn(
            tf.nn.rnn_cell.BasicLSTMCell(3), tf.nn.rnn_cell.GRUCell(2), tf.constant(x), sequence_length=lengths,
            dtype=tf.float32)
        variables = tf.global_variables()
        for v in variables:
            sess.run(v.assign(rng.uniform(-1, 1, v.shape.as_list()).astype(np.float32)))
        values = sess.run([out_fw, out_bw, tf.nest.flatten(states)] + variables)
        arrays["bidi/outputs_fw"], arrays["bidi/outputs_bw"] = values[0], values[1]
        for k, s in enumerate(values[2]):
            arrays[f"bidi/state{k}"] = s
        for v, value in zip(variables, values[3:]):
            arrays[f"bidi/var/{v.name}"] = value
    return arrays


if __name__ == "__main__":
    main()
