"""A small reader of the Dockerfile: its stages and their instructions (continuation lines joined,
comments dropped), enough to replay a stage's COPY and pip lines without a Docker engine."""
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Stage:
    """One ``FROM image AS name`` stage and its ``(INSTRUCTION, arguments)`` in order."""

    image: str
    name: str
    instructions: list = field(default_factory=list)

    def all(self, keyword):
        return [args for kw, args in self.instructions if kw == keyword]


def stages(text):
    """The stages of a Dockerfile's text."""
    found = []
    for keyword, args in _instructions(text):
        if keyword == "FROM":
            match = re.fullmatch(r"(\S+)(?:\s+AS\s+(\S+))?", args, flags=re.IGNORECASE)
            found.append(Stage(match.group(1), match.group(2) or ""))
        else:
            found[-1].instructions.append((keyword, args))
    return found


def _instructions(text):
    logical, pending = [], ""
    for line in text.splitlines():
        if line.lstrip().startswith("#") or not line.strip():
            continue
        pending += line.rstrip()
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        logical.append(pending.strip())
        pending = ""
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in logical]


def ignored(path, patterns):
    """Whether .dockerignore's ``patterns`` leave ``path`` (relative, '/'-separated) out of the context.
    As Docker reads them: anchored at the context's root, ``*`` within one name, ``**`` across folders;
    a folder left out takes its contents with it."""
    parts = path.split("/")
    prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    return any(_pattern(p).fullmatch(prefix) for p in patterns for prefix in prefixes)


def _pattern(text):
    regex = ""
    for token in re.split(r"(\*\*/|\*\*|\*|\?)", text.strip("/")):
        regex += {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}.get(token, re.escape(token))
    return re.compile(regex)


def copy_into(stage, root: Path, target: Path, patterns):
    """Replays the stage's COPY lines (from the build context ``root``) into ``target``, the WORKDIR;
    a source missing from the context (absent, or left out by .dockerignore) raises FileNotFoundError."""
    for args in stage.all("COPY"):
        *sources, destination = args.split()
        for source in sources:
            if source.startswith("--"):
                raise AssertionError(f"COPY option {source} is not replayed by this test")
            origin = root / source
            if not origin.exists() or ignored(source, patterns):
                raise FileNotFoundError(f"COPY {source}: not in the build context")
            where = target / destination
            if origin.is_dir():
                shutil.copytree(origin, where, ignore=lambda folder, names: [
                    n for n in names if ignored(Path(folder, n).relative_to(root).as_posix(), patterns)])
            else:
                where.mkdir(parents=True, exist_ok=True) if destination.endswith("/") else None
                shutil.copy2(origin, where / origin.name if destination.endswith("/") else where)


def pip_commands(stage):
    """The ``pip install ...`` commands of the stage's RUN lines (each ``&&`` part that is one)."""
    commands = []
    for args in stage.all("RUN"):
        commands += [part.strip() for part in args.split("&&") if part.strip().startswith("pip install")]
    return commands
