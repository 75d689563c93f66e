"""Device specifications: parsing, canonical names and TF1 merge rules."""
from __future__ import annotations

__all__ = ["DeviceSpec", "canonical_name"]

_FIELDS = ("job", "replica", "task", "device_type", "device_index")
_LOCAL = {"job": "localhost", "replica": 0, "task": 0}
_BARE_TYPES = {"cpu", "gpu", "tpu", "xla_cpu", "xla_gpu"}  # accepted without the 'device:' prefix


class DeviceSpec:
    """A possibly partial device name such as ``/job:worker/task:1/device:GPU:0``.

    Fields left as ``None`` are unspecified; ``device_index`` ``None`` means "any" (``*``).
    """

    __slots__ = _FIELDS

    def __init__(self, job=None, replica=None, task=None, device_type=None, device_index=None):
        self.job = job
        self.replica = None if replica is None else int(replica)
        self.task = None if task is None else int(task)
        self.device_type = None if device_type is None else str(device_type).upper()
        self.device_index = None if device_index is None else int(device_index)

    @classmethod
    def from_string(cls, spec: str) -> "DeviceSpec":
        if not isinstance(spec, str):
            raise TypeError(f"A device string must be a str, got {type(spec).__name__}: {spec!r}")
        fields: dict = {}
        for part in (p for p in spec.strip().split("/") if p):
            _parse_part(part, spec, fields)
        return cls(**fields)

    def merge(self, other: "DeviceSpec") -> "DeviceSpec":
        """Fields set in ``other`` override ours (an inner scope over an outer one)."""
        merged = {f: getattr(self, f) for f in _FIELDS}
        if other.device_type is not None and other.device_type != self.device_type:
            merged["device_index"] = None  # a new type never keeps the old type's index
        merged.update({f: getattr(other, f) for f in _FIELDS if getattr(other, f) is not None})
        return DeviceSpec(**merged)

    def to_string(self) -> str:
        parts = []
        if self.job is not None:
            parts.append(f"/job:{self.job}")
        if self.replica is not None:
            parts.append(f"/replica:{self.replica}")
        if self.task is not None:
            parts.append(f"/task:{self.task}")
        if self.device_type is not None:
            index = "*" if self.device_index is None else self.device_index
            parts.append(f"/device:{self.device_type}:{index}")
        return "".join(parts)

    def canonical(self) -> str:
        """Full name with this process's job/replica/task filled in; '' when nothing is set."""
        if all(getattr(self, f) is None for f in _FIELDS):
            return ""
        filled = {f: getattr(self, f) if getattr(self, f) is not None else _LOCAL.get(f) for f in _FIELDS}
        return DeviceSpec(**filled).to_string()

    def is_local(self) -> bool:
        return all(getattr(self, f) in (None, v) for f, v in _LOCAL.items())

    def __eq__(self, other):
        return isinstance(other, DeviceSpec) and all(getattr(self, f) == getattr(other, f) for f in _FIELDS)

    def __hash__(self):
        return hash(tuple(getattr(self, f) for f in _FIELDS))

    def __repr__(self):
        return f"DeviceSpec({self.to_string()!r})"

    __str__ = to_string


def _parse_part(part: str, spec: str, fields: dict) -> None:
    pieces = part.split(":")
    key = pieces[0].lower()
    if key in ("job", "replica", "task") and len(pieces) == 2:
        _set(fields, key, pieces[1] if key == "job" else _index(pieces[1], spec), spec)
    elif key == "device" and len(pieces) in (2, 3):
        _set_device(fields, pieces[1], pieces[2] if len(pieces) == 3 else "*", spec)
    elif len(pieces) in (1, 2) and key in _BARE_TYPES:
        _set_device(fields, pieces[0], pieces[1] if len(pieces) == 2 else "*", spec)
    else:
        raise ValueError(f"Unknown attribute {pieces[0]!r} is encountered while parsing the device spec: {spec!r}.")


def _set_device(fields: dict, dtype: str, index: str, spec: str) -> None:
    if "device_type" in fields:
        raise ValueError(f"Multiple device types are not allowed while parsing the device spec: {spec!r}.")
    if not dtype.replace("_", "").isalnum():
        raise ValueError(f"Bad device type {dtype!r} in the device spec {spec!r}.")
    fields["device_type"] = dtype.upper()
    fields["device_index"] = None if index == "*" else _index(index, spec)


def _set(fields: dict, key: str, value, spec: str) -> None:
    if key in fields:
        raise ValueError(f"{key!r} is given twice in the device spec {spec!r}.")
    fields[key] = value


def _index(text: str, spec: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"Bad device index {text!r} in the device spec {spec!r}: expected an integer.") from None
    if value < 0:
        raise ValueError(f"Bad device index {text!r} in the device spec {spec!r}: it must be >= 0.")
    return value


def canonical_name(device_type: str, index: int) -> str:
    return f"/job:localhost/replica:0/task:0/device:{device_type}:{index}"
