"""``gn.data.Options`` (TF 1.15's ``tf.data.Options``) and ``Dataset.with_options``.

Options are typed attributes, None until set (TF's ``create_option``): setting one of another type is TF's
TypeError, an unknown name TF's AttributeError. ``merge`` combines two sets as TF 1.15 does: a value set
(not the default) in one is taken, sub-options merge in turn, and two different values set for the same
option are TF 1.15's ValueError (TF 2 lets the later one win). A dataset's ``options()`` are those of its
inputs merged, then those its ``with_options`` added.

As in TF, the options of the dataset an iterator reads hold for the whole pipeline (gpunet/data/dataset.py's
``Env.options``). gpunet acts on two. ``deterministic`` (TF 2's name; ``experimental_deterministic`` is TF 1.15's,
the same option): False lets a parallel ``map`` and ``interleave`` hand elements on as they are ready, unless
their own ``deterministic`` argument says otherwise (TFRecordDataset's ``num_parallel_reads`` and the legacy
``parallel_interleave``, ``sloppy`` or not, keep their order). ``experimental_optimization.map_and_batch_fusion``
False: a batch right after a map stops at an element's error rather than read its batch whole (what TF's fused
map and batch do). Every other option is stored, merged and inherited only: gpunet has no graph rewrites to
switch and no thread pools to size (parallel transformations use ``num_parallel_calls`` threads).
"""
from __future__ import annotations

from .dataset import _Unary

__all__ = ["DistributeOptions", "MapVectorizationOptions", "OptimizationOptions", "Options", "StatsOptions",
           "ThreadingOptions", "_WithOptions"]


class _Option:
    """A typed attribute of an options object: None until set; ``make`` gives a sub-options default."""

    def __init__(self, kind, make=None, doc=None):
        self.kind, self.make, self.__doc__ = kind, make, doc

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, options, owner=None):
        if options is None:
            return self
        if self.name not in options._options:
            options._options[self.name] = self.make() if self.make else None
        return options._options[self.name]

    def __set__(self, options, value):
        if not isinstance(value, (self.kind, type(None))):
            raise TypeError(f'Property "{self.name}" must be of type {self.kind}, got: {value!r} '
                            f"(type: {type(value)!r})")
        options._options[self.name] = value


class _Alias:
    """Another name of an option (TF 2's ``deterministic`` for TF 1.15's ``experimental_deterministic``)."""

    def __init__(self, name, doc):
        self.name, self.__doc__ = name, doc

    def __get__(self, options, owner=None):
        return self if options is None else getattr(options, self.name)

    def __set__(self, options, value):
        setattr(options, self.name, value)


class _OptionsBase:
    """Typed options: equal when every option has the same value; unknown names are refused."""

    def __init__(self):
        object.__setattr__(self, "_options", {})

    def __eq__(self, other):
        if not isinstance(other, type(self)):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in set(self._options) | set(other._options))

    def __ne__(self, other):
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = None  # mutable, compared by value

    def __setattr__(self, name, value):
        if not hasattr(self, name):
            raise AttributeError(f"Cannot set the property {name} on {type(self).__name__}.")
        object.__setattr__(self, name, value)

    def merge(self, options):
        """A new options object: these merged with ``options`` (TF 1.15's rules, see the module's docstring)."""
        return _merged(self, options)


def _merged(first, second):
    kind = type(first)
    if not isinstance(second, kind):
        raise TypeError(f"Incompatible options type: {type(second)!r} vs {kind!r}")
    default, result = kind(), kind()
    for options in (first, second):
        for name in list(options._options):
            this, that = getattr(result, name), getattr(options, name)
            if that == getattr(default, name):
                continue
            if this == getattr(default, name):
                setattr(result, name, that)
            elif isinstance(this, _OptionsBase):
                setattr(result, name, _merged(this, that))
            elif this != that:
                raise ValueError(f"Cannot merge incompatible values ({this!r} and {that!r}) of option: {name}")
    return result


class DistributeOptions(_OptionsBase):
    """``experimental_distribute``: ``auto_shard`` (bool, None: True) and ``num_devices`` (int)."""

    auto_shard = _Option(bool, lambda: True, "Whether distribution strategies shard the dataset automatically.")
    num_devices = _Option(int, doc="The number of devices attached to the input pipeline.")


class MapVectorizationOptions(_OptionsBase):
    """``experimental_optimization.map_vectorization``: ``enabled``, ``use_choose_fastest`` (bools)."""

    enabled = _Option(bool, doc="Whether to vectorize map transformations.")
    use_choose_fastest = _Option(bool, doc="Whether to pick the faster of the vectorized and original map.")


class OptimizationOptions(_OptionsBase):
    """``experimental_optimization``: which of TF's static graph rewrites to apply (bools, ``autotune_*`` ints)."""

    apply_default_optimizations = _Option(bool, doc="Whether to apply TF's default static optimizations.")
    autotune = _Option(bool, doc="Whether to tune performance knobs automatically.")
    autotune_algorithm = _Option(int, doc="The autotuning algorithm.")
    autotune_buffers = _Option(bool, doc="Whether autotuning also sizes buffers.")
    autotune_cpu_budget = _Option(int, doc="The CPU budget of autotuning.")
    filter_fusion = _Option(bool, doc="Whether to fuse filter transformations.")
    filter_with_random_uniform_fusion = _Option(bool, doc="Whether to fuse a random filter into sampling.")
    hoist_random_uniform = _Option(bool, doc="Whether to hoist random_uniform ops out of map functions.")
    map_and_batch_fusion = _Option(bool, doc="Whether to fuse map and batch.")
    map_and_filter_fusion = _Option(bool, doc="Whether to fuse map and filter.")
    map_fusion = _Option(bool, doc="Whether to fuse map transformations.")
    map_parallelization = _Option(bool, doc="Whether to parallelize stateless map transformations.")
    map_vectorization = _Option(MapVectorizationOptions, MapVectorizationOptions, "Map vectorization options.")
    noop_elimination = _Option(bool, doc="Whether to eliminate no-op transformations.")
    parallel_batch = _Option(bool, doc="Whether to copy batch elements in parallel.")
    shuffle_and_repeat_fusion = _Option(bool, doc="Whether to fuse shuffle and repeat.")


class StatsOptions(_OptionsBase):
    """``experimental_stats``: ``prefix``, ``counter_prefix`` (str) and ``latency_all_edges`` (bool); TF's
    ``aggregator`` (a StatsAggregator) is not offered."""

    prefix = _Option(str, doc="A prefix for the statistics recorded.")
    counter_prefix = _Option(str, doc="A prefix for the counters recorded.")
    latency_all_edges = _Option(bool, doc="Whether to record the latency of every transformation.")


class ThreadingOptions(_OptionsBase):
    """``experimental_threading``: ``private_threadpool_size`` and ``max_intra_op_parallelism`` (ints)."""

    max_intra_op_parallelism = _Option(int, doc="The most threads one op of the pipeline may use.")
    private_threadpool_size = _Option(int, doc="The size of a thread pool of the pipeline's own.")


class Options(_OptionsBase):
    """TF's ``tf.data.Options``, for ``Dataset.with_options``: stored and merged as TF 1.15 does; gpunet acts on
    ``deterministic`` and ``experimental_optimization.map_and_batch_fusion`` (see gpunet/data/_options.py)."""

    experimental_deterministic = _Option(bool, doc="Whether parallel map and interleave keep the input order "
                                                   "(None: True); TF 1.15's name of ``deterministic``.")
    deterministic = _Alias("experimental_deterministic", "Whether parallel map and interleave keep the input "
                                                         "order (None: True); TF 2's name.")
    experimental_distribute = _Option(DistributeOptions, DistributeOptions, "Distribution options.")
    experimental_optimization = _Option(OptimizationOptions, OptimizationOptions, "Optimization options.")
    experimental_slack = _Option(bool, doc="Whether to add slack to the last prefetch.")
    experimental_stats = _Option(StatsOptions, StatsOptions, "Statistics options.")
    experimental_threading = _Option(ThreadingOptions, ThreadingOptions, "Threading options.")


def options_of(dataset):
    """The options of ``dataset``: its inputs' merged (TF 1.15's ``DatasetV2.options``)."""
    result = Options()
    for input_dataset in dataset._inputs():
        result = result.merge(input_dataset.options())
    return result


class _WithOptions(_Unary):
    """The input's elements, with ``options`` merged into its options (here, when the dataset is made)."""

    def __init__(self, input_dataset, options):
        self._options = input_dataset.options().merge(options)
        super().__init__(input_dataset)

    def options(self):
        return Options().merge(self._options)  # a copy: changing it leaves the dataset's as they are

    def _elements(self, env):
        return self._input._elements(env)

    def _columns(self, env):
        return self._input._columns(env)

    def _blocks(self, env, size):
        return self._input._blocks(env, size)
