"""LambdaCallback takes the test and predict hooks as keywords, as tf_keras 2's does (it sets any keyword as
an attribute); names that are no hook are refused rather than silently kept."""
import numpy as np
import pytest

import gpunet as gn

X, Y = np.ones((4, 2), np.float32), np.ones((4, 1), np.float32)


def _model():
    model = gn.models.Sequential([gn.layers.Dense(1, input_shape=(2,))])
    model.compile("sgd", "mse")
    return model


def test_the_test_and_predict_hooks_run_from_keywords():
    """In tf_keras 2.21's order, with its log keys (the same list, run there)."""
    seen = []

    def recorder(hook):
        return lambda *args: seen.append((hook, *args[:-1], sorted(args[-1])))
    hooks = {hook: recorder(hook) for hook in ("on_test_begin", "on_test_end", "on_test_batch_begin",
                                               "on_test_batch_end", "on_predict_begin", "on_predict_end",
                                               "on_predict_batch_begin", "on_predict_batch_end")}
    callback = gn.callbacks.LambdaCallback(**hooks)
    model = _model()
    model.evaluate(X, Y, batch_size=2, verbose=0, callbacks=[callback])
    model.predict(X, batch_size=4, callbacks=[callback])
    assert seen == [("on_test_begin", []), ("on_test_batch_begin", 0, []), ("on_test_batch_end", 0, ["loss"]),
                    ("on_test_batch_begin", 1, []), ("on_test_batch_end", 1, ["loss"]), ("on_test_end", ["loss"]),
                    ("on_predict_begin", []), ("on_predict_batch_begin", 0, []),
                    ("on_predict_batch_end", 0, ["outputs"]), ("on_predict_end", [])]


def test_a_keyword_that_is_no_hook_is_refused():
    with pytest.raises(TypeError, match=r"LambdaCallback: unexpected keyword argument\(s\) \['on_tset_begin'\]"):
        gn.callbacks.LambdaCallback(on_tset_begin=print)
