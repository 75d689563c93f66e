#!/usr/bin/env bash
# Creates .venv (once) and installs gpunet with the extras the demo and the tests need, plus the
# gpu extra (CuPy with its CUDA libraries) where nvidia-smi finds a GPU.
# Re-installs only when setup.cfg or that choice changes. Usage: source scripts/setup_venv.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
extras="test,datasets"
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
    extras="$extras,gpu"
fi
stamp="$venv/.gpunet-installed"
want="$( (sha256sum "$root/setup.cfg" "$root/pyproject.toml"; echo "$extras") | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    "$venv/bin/python" -m pip install --quiet -e "$root[$extras]"
    echo "$want" > "$stamp"
fi
export PATH="$venv/bin:$PATH"
