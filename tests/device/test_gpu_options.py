"""TF1's GPU options honoured (D8): visible_device_list, per_process_gpu_memory_fraction, allow_growth,
device_count; options gpunet cannot honour raise ValueError naming them.

The `gpu`-marked tests run on CuPy where there are GPUs, elsewhere on the CuPy double (a model of
CuPy, not CuPy; tests/cupy_double).
"""
import re

import numpy as np
import pytest

import gpunet as gn
from gpunet.device import GpuSettings
from tests.conftest import device_name, no_gpu_only

CPU = device_name("/cpu:0")


def _gpu_options(**kwargs):
    return gn.ConfigProto(gpu_options=gn.GPUOptions(**kwargs))


# -- what cannot be honoured raises --------------------------------------------------------------
@pytest.mark.parametrize("kwargs, message", [
    ({"visible_device_list": "0,a"}, "GPUOptions.visible_device_list: 'a' is not a GPU id (expected comma-separated "
                                     "integers such as '0,1'), got '0,a'"),
    ({"visible_device_list": "-1"}, "GPUOptions.visible_device_list: '-1' is not a GPU id"),
    ({"visible_device_list": "1,1"}, "GPUOptions.visible_device_list names a GPU twice: '1,1'"),
    ({"per_process_gpu_memory_fraction": 1.5}, "GPUOptions.per_process_gpu_memory_fraction must be a number in "
                                               "[0, 1], got 1.5 (values above 1, oversubscription with unified "
                                               "memory, are not supported)"),
    ({"per_process_gpu_memory_fraction": -0.1}, "GPUOptions.per_process_gpu_memory_fraction must be a number"),
], ids=["visible-not-a-number", "visible-negative", "visible-twice", "fraction-above-1", "fraction-negative"])
def test_gpu_options_that_cannot_be_honoured_raise(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        gn.Session(config=_gpu_options(**kwargs))


@pytest.mark.parametrize("kwargs, argument", [
    ({"visible_device_list": 0}, "visible_device_list"),
    ({"per_process_gpu_memory_fraction": "0.5"}, "per_process_gpu_memory_fraction"),
    ({"allow_growth": "yes"}, "allow_growth"),
], ids=["visible-not-a-string", "fraction-string", "growth-not-a-bool"])
def test_gpu_options_of_the_wrong_type_raise_type_error_naming_the_argument(kwargs, argument):
    with pytest.raises(TypeError, match=f"GPUOptions: argument `{argument}` must be"):
        gn.GPUOptions(**kwargs)


@pytest.mark.parametrize("device_count, message", [
    ({"TPU": 1}, "ConfigProto.device_count: unknown device type 'TPU' (gpunet has 'CPU' and 'GPU')"),
    ({"GPU": -1}, "ConfigProto.device_count['GPU'] must be an integer >= 0, got -1"),
    ({"CPU": 4}, "ConfigProto.device_count['CPU'] = 4: gpunet has exactly one CPU device (/cpu:0)"),
])
def test_device_counts_that_cannot_be_honoured_raise(device_count, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        gn.Session(config=gn.ConfigProto(device_count=device_count))


def test_a_device_count_of_the_wrong_type_raises_type_error_naming_it():
    message = "ConfigProto: argument `device_count['GPU']` must be int, got float"
    with pytest.raises(TypeError, match=re.escape(message)):
        gn.ConfigProto(device_count={"GPU": 1.0})


def test_settings_parse_to_physical_ids():
    settings = GpuSettings.parse("1, 0", 0.25, True)
    assert settings == GpuSettings(visible=(1, 0), memory_fraction=0.25, allow_growth=True)
    assert settings.physical_ids(2) == [1, 0]
    assert GpuSettings.parse().physical_ids(3) == [0, 1, 2]
    assert GpuSettings.parse("0").physical_ids(0) == []  # no GPU: nothing to select, as TF1 on a CPU machine
    assert GpuSettings.parse(allow_growth=True).is_default and not settings.is_default


@no_gpu_only
def test_gpu_options_on_a_machine_without_gpus_leave_the_cpu(vgpus):
    with gn.Session(config=_gpu_options(visible_device_list="0", per_process_gpu_memory_fraction=0.5,
                                        allow_growth=True)) as sess:
        assert [d.name for d in sess.list_devices()] == [CPU] + [device_name(f"/gpu:{i}") for i in range(vgpus)]


# -- device_count={'GPU': n} ------------------------------------------------------------------------
def _cpu_machine_behaviour(config):
    """What an unscoped op, a soft /gpu:0 request and a hard one do under ``config``."""
    a = gn.constant([1.0, 2.0], name="a") * 2.0
    with gn.device("/gpu:0"):
        b = gn.add(a, 1.0, name="b")
    soft = gn.ConfigProto(allow_soft_placement=True, device_count=config.device_count,
                          gpu_options=config.gpu_options)
    with gn.Session(config=soft) as sess:
        report = sess.placement_report(b)
        placed = [(r.op, r.assigned, r.reason) for r in report.rows]
        soft_value = sess.run(b).tolist()
    with gn.Session(config=config) as sess:
        with pytest.raises(gn.errors.InvalidArgumentError) as info:
            sess.run(b)
    return placed, soft_value, str(info.value)


@pytest.mark.gpu
def test_device_count_gpu_0_places_exactly_as_a_cpu_machine(cupy_gpus, monkeypatch):
    hidden = _cpu_machine_behaviour(gn.ConfigProto(device_count={"GPU": 0}))
    assert [row[1] for row in hidden[0]] == [CPU] * len(hidden[0]) and hidden[1] == [3.0, 5.0]
    from gpunet.device import registry
    monkeypatch.setitem(registry._state, "physical", (None, 0))  # now a machine without GPUs
    registry._reset_for_tests(0)
    gn.reset_default_graph()
    assert _cpu_machine_behaviour(gn.ConfigProto()) == hidden


@pytest.mark.gpu
def test_device_count_gpu_n_keeps_the_first_n_gpus(cupy_gpus):
    with gn.Session(config=gn.ConfigProto(device_count={"GPU": 1, "CPU": 1})) as sess:
        assert [d.name for d in sess.list_devices()] == [CPU, device_name("/gpu:0")]
    with gn.Session() as sess:  # another session sees every GPU: device_count is per session, as in TF1
        assert len(sess.list_devices()) == 1 + cupy_gpus.cuda.runtime.getDeviceCount()


# -- visible_device_list and the memory cap on GPUs ------------------------------------------------------
@pytest.mark.gpu
def test_visible_device_list_maps_logical_gpus_to_physical_ones(cupy_gpus):
    if cupy_gpus.cuda.runtime.getDeviceCount() < 2:
        pytest.skip("needs two physical GPUs")
    with gn.Session(config=_gpu_options(visible_device_list="1,0")) as sess:
        gpus = [d.backend.physical_id for d in sess.list_devices()[1:]]
    assert gpus == [1, 0]
    with gn.device("/gpu:0"):
        x = gn.constant(np.arange(4, dtype=np.float32)) * 2.0
    with gn.Session() as sess:  # the options the first session fixed hold for the process
        out = sess.run(x)
        assert sess.list_devices()[1].backend.physical_id == 1
    np.testing.assert_array_equal(out, np.arange(4) * 2.0)


@pytest.mark.gpu
def test_visible_device_list_naming_a_missing_gpu_raises(cupy_gpus):
    count = cupy_gpus.cuda.runtime.getDeviceCount()
    with pytest.raises(ValueError, match=re.escape(f"GPUOptions.visible_device_list names GPU {count}, but this "
                                                   f"process has {count} physical GPU(s)")):
        gn.Session(config=_gpu_options(visible_device_list=str(count)))


@pytest.mark.gpu
def test_gpu_options_are_fixed_by_the_first_session(cupy_gpus):
    gn.Session(config=_gpu_options(visible_device_list="0"))
    gn.Session()  # default options: accepts what is fixed
    with pytest.raises(ValueError, match="GPU options .* differ from those the first session fixed .*; GPU options "
                                         "are process-wide"):
        gn.Session(config=_gpu_options(per_process_gpu_memory_fraction=0.5))


@pytest.mark.gpu
def test_the_memory_fraction_caps_each_gpus_pool_until_reset(cupy_gpus):
    from gpunet.device import registry
    total = cupy_gpus.cuda.runtime.memGetInfo()[1]
    with gn.Session(config=_gpu_options(per_process_gpu_memory_fraction=0.25, allow_growth=True)) as sess:
        info = sess.list_devices()[1].backend.memory_info()
    assert (info.limit_bytes, info.total_bytes) == (int(0.25 * total), total)
    registry._reset_for_tests(0)
    with cupy_gpus.cuda.Device(0):
        assert cupy_gpus.get_default_memory_pool().get_limit() == 0
