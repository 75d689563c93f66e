"""Shared fixtures: a fresh default graph per test, and one test body run on several devices.

With ``GPUNET_TEST_CUPY_DOUBLE=N`` in the environment, the CuPy double of tests/cupy_double (a model
of CuPy on NumPy, NOT CuPy) is installed as ``cupy`` with N fake GPUs before gpunet looks for
GPUs: the suite then runs as on a machine with N GPUs (``HAS_GPU`` true, gpu-marked tests run).
"""
import os
import sys

import pytest

from tests import cupy_double

_DOUBLE_GPUS = os.environ.get("GPUNET_TEST_CUPY_DOUBLE", "").strip()
if _DOUBLE_GPUS:
    cupy_double.install(devices=int(_DOUBLE_GPUS))  # the CuPy double, not CuPy

import gpunet as gn  # noqa: E402  (after the double is in place)
from gpunet.device import canonical_name, registry  # noqa: E402
from gpunet.ops import _cuda  # noqa: E402
from tests.cupy_double import gpunet_fallbacks  # noqa: E402

USING_DOUBLE = bool(_DOUBLE_GPUS)
if USING_DOUBLE:
    gpunet_fallbacks.register_all(cupy_double)


def _real_gpu_count():
    registry._reset_for_tests(0)
    return len(gn.config.list_physical_devices("GPU"))


HAS_GPU = _real_gpu_count() > 0
no_gpu_only = pytest.mark.skipif(HAS_GPU, reason="assumes a machine without GPUs")

# One test body, several devices: the CPU; a virtual GPU (host memory, ownership enforced); marked
# `gpu`, a real GPU through CuPy, and a logical GPU sharing a real card with /gpu:0 (its own stream).
DEVICE_PARAMS = [
    pytest.param(("/cpu:0", 2), id="cpu"),
    pytest.param(("/gpu:1", 2), id="virtual-gpu", marks=pytest.mark.skipif(HAS_GPU, reason="real GPU present")),
    pytest.param(("/gpu:0", 0), id="gpu", marks=[pytest.mark.gpu,
                                                pytest.mark.skipif(not HAS_GPU, reason="no CUDA GPU")]),
    pytest.param(("/gpu:2", 3), id="logical-gpu", marks=[pytest.mark.gpu,
                                                        pytest.mark.skipif(not HAS_GPU, reason="no CUDA GPU")]),
]


# The fixtures that put a test on GPUs where a machine has them: each device of `device`, or the
# virtual GPUs of `vgpus` (logical GPUs on the real cards, each with its own stream, where there are some).
_ON_DEVICES_FIXTURES = ("device", "vgpus")


def pytest_configure(config):
    config.addinivalue_line("markers", "on_devices: runs on GPUs where there are some: uses the `device` or "
                                       "`vgpus` fixture (set by conftest)")


def pytest_collection_modifyitems(config, items):
    """Mark the tests that run on devices, so a GPU run can select them with -m 'gpu or on_devices'."""
    for item in items:
        if any(name in _ON_DEVICES_FIXTURES for name in getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.on_devices)


@pytest.fixture(autouse=True)
def fresh_runtime():
    """Every test starts with an empty default graph and no virtual GPUs."""
    registry._reset_for_tests(0)
    gn.reset_default_graph()
    yield
    registry._reset_for_tests(0)


@pytest.fixture
def vgpus(request):
    """``@pytest.mark.parametrize('vgpus', [2], indirect=True)`` or plain: 2 virtual GPUs."""
    n = getattr(request, "param", 2)
    registry._reset_for_tests(n)
    return n


@pytest.fixture(params=DEVICE_PARAMS)
def device(request):
    """The device string a test body should place its ops on (virtual GPUs set up as needed)."""
    name, virtual = request.param
    registry._reset_for_tests(virtual)
    return name


@pytest.fixture
def cupy_gpus(monkeypatch):
    """CuPy for a test of the GPU paths: the real CuPy (or the CuPy double this run installed) where
    the machine has GPUs; elsewhere the CuPy double — a model of CuPy, not CuPy — with 2 fake GPUs of
    256 MiB, installed for this test only. The tests using it are marked `gpu`."""
    if HAS_GPU:
        return sys.modules["cupy"]
    for name, module in cupy_double.modules().items():
        monkeypatch.setitem(sys.modules, name, module)
    for key, value in {"devices": 2, "memory": 1 << 28}.items():
        monkeypatch.setitem(cupy_double.CONFIG, key, value)
    monkeypatch.setitem(registry._state, "physical", None)   # probe again, finding the double
    monkeypatch.setattr(_cuda, "_KERNELS", {})
    monkeypatch.setattr(_cuda, "_WARMED", set())
    gpunet_fallbacks.register_all(cupy_double)
    registry._reset_for_tests(0)
    return cupy_double


def is_double(cupy) -> bool:
    """Whether ``cupy`` is the CuPy double (a model) rather than CuPy."""
    return cupy is cupy_double


def device_name(short: str) -> str:
    """'/gpu:1' -> the canonical name of that device, as error messages state it."""
    device_type, index = short.strip("/").split(":")
    return canonical_name(device_type.upper(), int(index))
