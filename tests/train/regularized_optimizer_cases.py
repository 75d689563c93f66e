"""The optimizer cases frozen from TF1 into regularized_optimizers_reference.npz (written by
make_regularized_optimizers_reference.py): a small model (a dense layer and an embedding), its
inputs, and each optimizer with a few hyperparameter settings, as ``(id, TF1 class name, kwargs)``.
Shared by the generator (run under real TF) and the tests (run under gpunet)."""
import numpy as np

STEPS = 5
_rng = np.random.default_rng(7)
X = _rng.normal(size=(5, 3)).astype(np.float32)
Y = _rng.uniform(-0.9, 0.9, size=(5, 2)).astype(np.float32)
KERNEL = _rng.normal(scale=0.5, size=(3, 2)).astype(np.float32)
BIAS = np.array([0.1, -0.2], np.float32)
EMBEDDING = _rng.normal(size=(4, 2)).astype(np.float32)
WEIGHTS = _rng.normal(size=(6, 2)).astype(np.float32)
IDS = {"all_rows": np.array([0, 1, 2, 3, 1, 3], np.int32),   # every row looked up (with repeats)
       "some_rows": np.array([0, 2, 2, 0, 2, 0], np.int32)}  # rows 1 and 3 never looked up
# how the gradients are applied: as computed (the embedding's is gathered rows: TF1's sparse update, only the rows
# looked up change), or made dense first (every row is updated, those not looked up with a zero gradient)
MODES = [("all_rows", "as_computed"), ("some_rows", "as_computed"), ("some_rows", "dense")]

CASES = [
    ("adadelta", "AdadeltaOptimizer", {"learning_rate": 1.0}),
    ("adadelta-rho", "AdadeltaOptimizer", {"learning_rate": 0.5, "rho": 0.8, "epsilon": 1e-4}),
    ("ftrl", "FtrlOptimizer", {"learning_rate": 0.1}),
    ("ftrl-l1-l2", "FtrlOptimizer", {"learning_rate": 0.2, "l1_regularization_strength": 0.01,
                                     "l2_regularization_strength": 0.05}),
    ("ftrl-power", "FtrlOptimizer", {"learning_rate": 0.1, "learning_rate_power": -0.7,
                                     "initial_accumulator_value": 0.5, "l1_regularization_strength": 0.001}),
    ("ftrl-power-0", "FtrlOptimizer", {"learning_rate": 0.05, "learning_rate_power": 0.0}),
    ("ftrl-shrinkage", "FtrlOptimizer", {"learning_rate": 0.2, "l1_regularization_strength": 0.01,
                                         "l2_regularization_strength": 0.02,
                                         "l2_shrinkage_regularization_strength": 0.1}),
    ("ftrl-beta", "FtrlOptimizer", {"learning_rate": 0.1, "beta": 0.3, "l2_regularization_strength": 0.01}),
    ("ftrl-names", "FtrlOptimizer", {"learning_rate": 0.1, "accum_name": "acc", "linear_name": "lin"}),
    ("proximal-gd", "ProximalGradientDescentOptimizer", {"learning_rate": 0.1}),
    ("proximal-gd-l1-l2", "ProximalGradientDescentOptimizer", {"learning_rate": 0.1,
                                                               "l1_regularization_strength": 0.05,
                                                               "l2_regularization_strength": 0.1}),
    ("proximal-gd-negative-l1", "ProximalGradientDescentOptimizer", {"learning_rate": 0.1,
                                                                     "l1_regularization_strength": -0.05}),
    ("proximal-adagrad", "ProximalAdagradOptimizer", {"learning_rate": 0.1}),
    ("proximal-adagrad-l1-l2", "ProximalAdagradOptimizer", {"learning_rate": 0.2, "initial_accumulator_value": 0.5,
                                                            "l1_regularization_strength": 0.01,
                                                            "l2_regularization_strength": 0.02}),
    ("adagrad-da", "AdagradDAOptimizer", {"learning_rate": 0.1}),
    ("adagrad-da-l1-l2", "AdagradDAOptimizer", {"learning_rate": 0.2, "l1_regularization_strength": 0.01,
                                                "l2_regularization_strength": 0.02,
                                                "initial_gradient_squared_accumulator_value": 0.3}),
]
# AdagradDA takes the global step; these also advance it in minimize (the others do not, so t stays 1)
ADVANCES_GLOBAL_STEP = {"adagrad-da-l1-l2"}


def build_loss(tf):
    """The model's loss, in TF1's or gpunet's API (``tf`` is either module): variables
    ``dense/kernel``, ``dense/bias``, ``embedding``; the ids come from an int32 placeholder."""
    with tf.variable_scope("dense"):
        kernel = tf.get_variable("kernel", initializer=KERNEL)
        bias = tf.get_variable("bias", initializer=BIAS)
    embedding = tf.get_variable("embedding", initializer=EMBEDDING)
    ids = tf.placeholder(tf.int32, [6], name="ids")
    hidden = tf.tanh(tf.matmul(tf.constant(X), kernel) + bias)
    rows = tf.nn.embedding_lookup(embedding, ids)
    loss = tf.reduce_mean(tf.square(hidden - Y)) + tf.reduce_sum(tf.square(rows) * WEIGHTS) * 0.1
    return loss, ids


def assert_variables_equal_tf1(got, want, where):
    """``got`` has exactly TF1's variables (slots included, by TF1's names), each of TF1's dtype and value."""
    assert sorted(got) == sorted(want)
    for name, value in want.items():
        assert got[name].dtype == value.dtype, name
        np.testing.assert_allclose(got[name], value, rtol=2e-6, atol=1e-6, err_msg=f"{where} {name}")
