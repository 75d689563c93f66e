# gpunet-bench, the benchmark job, in a container. There are two targets:
#   GPU machines (the default, last stage):
#     docker build -t gpunet-bench .
#     docker run --rm --gpus all -v "$PWD/results:/results" gpunet-bench run --model resnet20 --num_gpus 1,2,4,8
#   Anywhere (virtual GPUs in host memory):
#     docker build --target cpu -t gpunet-bench:cpu .
#     docker run --rm -v "$PWD/results:/results" gpunet-bench:cpu run --model lenet --num_gpus 1,2
# Results go to /results/bench.json (GPUNET_BENCH_JSON; --json PATH overrides it): mount a folder there.
# tests/bench_job/test_dockerfile.py lints this file with hadolint and runs the cpu stage's pip lines.

# ---- cpu: slim Python; no GPU, so gpunet-bench runs on virtual GPUs --------------------------------
FROM python:3.11.9-slim-bookworm AS cpu
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv PATH=/opt/venv/bin:$PATH \
    GPUNET_BENCH_JSON=/results/bench.json MPLCONFIGDIR=/tmp/matplotlib
WORKDIR /src
COPY pyproject.toml setup.cfg README.md ./
COPY gpunet ./gpunet
RUN python -m venv /opt/venv && pip install --no-cache-dir './[bench,datasets]'
RUN useradd --create-home --uid 10001 bench && mkdir -p /results && chown bench /results
USER 10001
WORKDIR /home/bench
VOLUME ["/results"]
ENTRYPOINT ["gpunet-bench"]
CMD ["run", "--model", "resnet20"]

# ---- gpu: the CUDA runtime with cuDNN, CuPy from the gpu extra -------------------------------------
FROM nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04 AS gpu
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv PATH=/opt/venv/bin:$PATH \
    GPUNET_BENCH_JSON=/results/bench.json MPLCONFIGDIR=/tmp/matplotlib
# The pinned base tag fixes the Ubuntu release, and so the python3 it ships (3.10).
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 python3-venv \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml setup.cfg README.md ./
COPY gpunet ./gpunet
RUN python3 -m venv /opt/venv && pip install --no-cache-dir './[gpu,bench,datasets]'
RUN useradd --create-home --uid 10001 bench && mkdir -p /results && chown bench /results
USER 10001
WORKDIR /home/bench
VOLUME ["/results"]
ENTRYPOINT ["gpunet-bench"]
CMD ["run", "--model", "resnet20"]
