"""``gn.optimizers``: Keras 2 optimizers (SGD, Adagrad, RMSprop, Adam, Adadelta, Adamax, Nadam) with tf_keras 2.x
defaults.

They share the fused update ops of ``gn.train`` but never its defaults: RMSprop's mean square starts
at 0 (TF1's RMSPropOptimizer starts it at 1.0), epsilons are 1e-7, the learning rate comes first
(``lr=`` or ``learning_rate=``), ``decay=`` divides it by ``1 + decay * iterations``."""
from __future__ import annotations

import gpunet as gn

__all__ = ["Adagrad", "Adam", "Optimizer", "RMSprop", "SGD", "get"]


class _KerasRMSProp(gn.train.RMSPropOptimizer):
    """TF1's RMSProp update with Keras's start: the mean square is 0, not 1."""

    def _create_slots(self, var_list):
        for v in var_list:
            self._zeros_slot(v, "rms", self._name)
            if self._momentum_slot:
                self._zeros_slot(v, "momentum", self._name)
            if self._centered:
                self._zeros_slot(v, "mg", self._name)


class _KerasMomentum(gn.train.Optimizer):
    """Keras's momentum form, exact under a changing learning rate: ``v = momentum * v - lr * grad;
    var += v`` (Nesterov: ``var += momentum * v - lr * grad``). Slot ``<var>/<name>``."""

    def __init__(self, learning_rate, momentum, nesterov, name):
        super().__init__(False, name)
        self._learning_rate, self._momentum, self._nesterov = learning_rate, momentum, nesterov

    def _create_slots(self, var_list):
        for v in var_list:
            self._zeros_slot(v, "momentum", self._name)

    def _apply_dense(self, grad, var):
        velocity = self.get_slot(var, "momentum")
        lr_grad = self._hyper(self._learning_rate, var, "learning_rate") * grad
        momentum = self._hyper(self._momentum, var, "momentum")
        new_velocity = momentum * velocity.value() - lr_grad
        step = momentum * new_velocity - lr_grad if self._nesterov else new_velocity
        with gn.control_dependencies([velocity.assign(new_velocity, read_value=False)]):
            return var.assign_add(step, read_value=False)


class _KerasAdagrad(gn.train.Optimizer):
    """tf_keras's Adagrad: ``accum += grad ** 2; var -= lr * grad / sqrt(accum + epsilon)`` (epsilon inside
    the root, so an accumulator starting at 0 is allowed). Slot ``<var>/<name>`` ("accumulator")."""

    def __init__(self, learning_rate, initial_accumulator_value, epsilon, name):
        super().__init__(False, name)
        self._learning_rate, self._initial, self._epsilon = learning_rate, initial_accumulator_value, epsilon

    def _create_slots(self, var_list):
        for v in var_list:
            self._get_or_make_slot(v, self._initial, "accumulator", self._name)

    def _apply_dense(self, grad, var):
        accumulator = self.get_slot(var, "accumulator")
        new_accumulator = accumulator.value() + grad * grad
        lr = self._hyper(self._learning_rate, var, "learning_rate")
        step = lr * grad / gn.sqrt(new_accumulator + self._hyper(self._epsilon, var, "epsilon"))
        with gn.control_dependencies([accumulator.assign(new_accumulator, read_value=False)]):
            return var.assign_sub(step, read_value=False)


class _KerasAdam(gn.train.Optimizer):
    """tf_keras's Adam (and AMSGrad): ``m += (grad - m) * (1 - beta_1); v += (grad ** 2 - v) * (1 - beta_2)``,
    ``var -= m * lr * sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t) / (sqrt(v) + epsilon)`` with ``t`` the
    step counted by ``iterations`` (so the optimizer's whole state is its slots and ``iterations``)."""

    def __init__(self, learning_rate, hyper, iterations, name):
        super().__init__(False, name)
        self._learning_rate, self._h, self._iterations = learning_rate, hyper, iterations

    def _create_slots(self, var_list):
        for v in var_list:
            for slot in ("m", "v", "vhat") if self._h["amsgrad"] else ("m", "v"):
                self._zeros_slot(v, slot, self._name)

    def _apply_dense(self, grad, var):
        h, m, v = self._h, self.get_slot(var, "m"), self.get_slot(var, "v")
        beta_1, beta_2 = self._hyper(h["beta_1"], var, "beta_1"), self._hyper(h["beta_2"], var, "beta_2")
        t = gn.cast(self._iterations.value() + 1, var.dtype)
        alpha = self._hyper(self._learning_rate, var, "learning_rate") * gn.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
        new_m = m.value() + (grad - m.value()) * (1 - beta_1)
        new_v = v.value() + (grad * grad - v.value()) * (1 - beta_2)
        assigns = [m.assign(new_m, read_value=False), v.assign(new_v, read_value=False)]
        if h["amsgrad"]:
            v_hat = self.get_slot(var, "vhat")
            new_v = gn.maximum(v_hat.value(), new_v)
            assigns.append(v_hat.assign(new_v, read_value=False))
        step = new_m * alpha / (gn.sqrt(new_v) + self._hyper(h["epsilon"], var, "epsilon"))
        with gn.control_dependencies(assigns):
            return var.assign_sub(step, read_value=False)


class Optimizer:
    """A Keras 2 optimizer: hyperparameters now, a graph optimizer when a model compiles."""

    _defaults = {"learning_rate": 0.001}

    def __init__(self, learning_rate=None, decay=0.0, clipnorm=None, clipvalue=None, name=None, lr=None, **hyper):
        if learning_rate is not None and lr is not None:
            raise ValueError("Give the learning rate once: lr= or learning_rate=, not both")
        unknown = set(hyper) - set(self._defaults)
        if unknown:
            raise TypeError(f"{type(self).__name__}: unexpected keyword argument(s) {sorted(unknown)}")
        rate = learning_rate if learning_rate is not None else lr
        self._lr_variable = None  # the graph's learning rate, made with the first training step
        self.learning_rate = float(self._defaults["learning_rate"] if rate is None else rate)
        self.decay, self.clipnorm, self.clipvalue = float(decay), clipnorm, clipvalue
        self.hyper = {k: hyper.get(k, v) for k, v in self._defaults.items() if k != "learning_rate"}
        self.name = name or type(self).__name__
        self.iterations = None
        self._updater, self._updater_graph = None, None  # one graph optimizer per graph: train steps share slots

    @property
    def learning_rate(self):
        """The learning rate (a float); setting it changes the rate of the training steps already built too
        (what ``LearningRateScheduler`` and ``ReduceLROnPlateau`` do between epochs)."""
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        self._learning_rate = float(value)
        if self._lr_variable is not None:
            from gpunet import backend as K  # backend needs gn whole (this module is imported by gn)
            K.set_value(self._lr_variable, self._learning_rate)

    lr = learning_rate  # Keras 2's older name

    def _graph_optimizer(self, learning_rate):
        raise NotImplementedError

    def _current_learning_rate(self):
        if not self.decay:
            return self._lr_variable
        steps = gn.cast(self.iterations.value(), gn.float32)
        return self._lr_variable / (1.0 + self.decay * steps)

    def _clip(self, grads_and_vars):
        pairs = [(g, v) for g, v in grads_and_vars if g is not None]
        if self.clipvalue is not None:
            pairs = [(gn.clip_by_value(g, -self.clipvalue, self.clipvalue), v) for g, v in pairs]
        if self.clipnorm is not None:
            pairs = [(g * (self.clipnorm / gn.maximum(gn.sqrt(gn.reduce_sum(g * g)), self.clipnorm)), v)
                     for g, v in pairs]
        return pairs

    def minimize(self, loss, var_list):
        """The training op: one update per variable of ``var_list``, then ``iterations += 1``."""
        return self.apply_gradients(lambda optimizer: optimizer.compute_gradients(loss, var_list=var_list))

    def apply_gradients(self, grads_and_vars):
        """The training op for given ``[(gradient, variable)]`` (or a function of the graph optimizer
        returning them): clipped as configured, one update each, then ``iterations += 1``."""
        with gn.name_scope(None), gn.variable_scope(None, default_name=self.name):
            if self.iterations is None:
                self.iterations = gn.Variable(0, dtype=gn.int64, name="iterations", trainable=False)
                self._lr_variable = gn.Variable(self._learning_rate, dtype=gn.float32, name="learning_rate",
                                                trainable=False)
            if self._updater is None or self._updater_graph is not gn.get_default_graph():
                self._updater = self._graph_optimizer(self._current_learning_rate())
                self._updater_graph = gn.get_default_graph()
            optimizer = self._updater
            pairs = grads_and_vars(optimizer) if callable(grads_and_vars) else grads_and_vars
            return optimizer.apply_gradients(self._clip(pairs), global_step=self.iterations)

    def state_variables(self, var_list):
        """``[(name, variable)]``: the optimizer's whole state for ``var_list`` — ``'iterations'``, then
        ``'<i>/<slot>'`` for each slot of ``var_list[i]`` (by slot name). Empty before any training step
        was built."""
        if self.iterations is None or self._updater is None:
            return []
        state = [("iterations", self.iterations)]
        for i, var in enumerate(var_list):
            for slot in self._updater.get_slot_names():
                found = self._updater.get_slot(var, slot)
                if found is not None:
                    state.append((f"{i}/{slot}", found))
        return state

    def get_config(self):
        return {"name": self.name, "learning_rate": self.learning_rate, "decay": self.decay, **self.hyper}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class SGD(Optimizer):
    """``velocity = momentum * velocity - lr * grad; var += velocity`` (plain SGD with momentum 0)."""

    _defaults = {"learning_rate": 0.01, "momentum": 0.0, "nesterov": False}

    def _graph_optimizer(self, learning_rate):
        momentum = self.hyper["momentum"]
        if not momentum:
            return gn.train.GradientDescentOptimizer(learning_rate, name=self.name)
        return _KerasMomentum(learning_rate, momentum, self.hyper["nesterov"], self.name)


class Adagrad(Optimizer):
    """``accum += grad ** 2; var -= lr * grad / sqrt(accum + epsilon)``; the accumulator starts at 0.1."""

    _defaults = {"learning_rate": 0.001, "initial_accumulator_value": 0.1, "epsilon": 1e-7}

    def _graph_optimizer(self, learning_rate):
        h = self.hyper
        if h["initial_accumulator_value"] < 0:
            raise ValueError(f"initial_accumulator_value must be non-negative: {h['initial_accumulator_value']}")
        return _KerasAdagrad(learning_rate, h["initial_accumulator_value"], h["epsilon"], name=self.name)


class RMSprop(Optimizer):
    """``ms = rho * ms + (1 - rho) * grad ** 2; var -= lr * grad / sqrt(ms + epsilon)``, ms from 0."""

    _defaults = {"learning_rate": 0.001, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-7, "centered": False}

    def _graph_optimizer(self, learning_rate):
        h = self.hyper
        return _KerasRMSProp(learning_rate, decay=h["rho"], momentum=h["momentum"], epsilon=h["epsilon"],
                             centered=h["centered"], name=self.name)


class Adam(Optimizer):
    """Adam with Keras's epsilon 1e-7 (``beta_1`` 0.9, ``beta_2`` 0.999); ``amsgrad=True`` divides by the
    running maximum of ``v``."""

    _defaults = {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7, "amsgrad": False}

    def _graph_optimizer(self, learning_rate):
        return _KerasAdam(learning_rate, self.hyper, self.iterations, name=self.name)


# Adadelta, Adamax and Nadam (they subclass Optimizer)
from ._optimizers_more import Adadelta, Adamax, Nadam  # noqa: E402

__all__ += ["Adadelta", "Adamax", "Nadam"]
_BY_NAME = {"sgd": SGD, "adagrad": Adagrad, "rmsprop": RMSprop, "adam": Adam, "adadelta": Adadelta, "adamax": Adamax,
            "nadam": Nadam}


def get(identifier):
    """An optimizer from a Keras name (``'rmsprop'``), a config dict or an optimizer object."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        key = identifier.lower()
        if key not in _BY_NAME:
            raise ValueError(f"Unknown optimizer: {identifier!r}; known: {sorted(_BY_NAME)}")
        return _BY_NAME[key]()
    if isinstance(identifier, dict):
        return _BY_NAME[identifier["class_name"].lower()].from_config(identifier["config"])
    raise TypeError(f"Could not interpret optimizer identifier: {identifier!r} (give 'rmsprop', 'adam', "
                    f"'sgd', 'adagrad', 'adadelta', 'adamax', 'nadam' or a gn.optimizers object)")
