"""Sampling the API process with py-spy during a load run, and a summary of where its CPU time went.

py-spy is not a project dependency: `.venv/bin/pip install py-spy` (0.4.x) before `python -m bench --profile`.
It attaches to the running uvicorn process from outside (no code change), samples only threads that are running
(an idle event loop waiting on sockets is not counted) and writes collapsed stacks (`frame;frame;... count`),
which `summarise` reads.

    python -m bench.profile .data/bench/profile-guidelines.txt   # the summary again, from a recorded file
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

# Per second. py-spy pauses the process for each sample (its accurate mode: sampling a running process without
# pausing it gave torn stacks here, e.g. JSON decoding "inside" the JWT check), so the rate is kept modest; the
# figures of a profiled run are a little lower than those of a plain one.
SAMPLE_RATE = 100
_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^():]*)(?::(?P<line>\d+))?\)$")

# Where a sample's CPU time goes: the innermost frame (leaf first) whose file starts with one of these prefixes
# decides. py-spy names files relative to their import root ("sqlalchemy/orm/loading.py", "graph/loaders.py").
# Order matters only between overlapping prefixes: the more specific first.
CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("asyncpg (driver, protocol)", ("asyncpg/",)),
    ("SQLAlchemy ORM: rows to objects", ("sqlalchemy/orm/loading.py", "sqlalchemy/orm/instrumentation.py",
                                         "sqlalchemy/orm/state.py", "sqlalchemy/orm/identity.py",
                                         "sqlalchemy/orm/attributes.py", "sqlalchemy/engine/result.py",
                                         "sqlalchemy/engine/row.py", "sqlalchemy/engine/cursor.py")),
    ("SQLAlchemy: SQL compilation", ("sqlalchemy/sql/",)),
    ("SQLAlchemy: session, engine, pool", ("sqlalchemy/",)),
    ("JSON encoding (json)", ("json/",)),
    ("GraphQL parse + validate", ("graphql/language/", "graphql/validation/", "graphql/utilities/")),
    ("dataloaders (aiodataloader, graph/loaders.py)", ("aiodataloader", "graph/loaders.py")),
    ("app code (graph/, services/, core/)", ("graph/", "services/", "core/", "db/")),
    ("Strawberry (resolver wrappers, extensions, view)", ("strawberry/",)),
    ("graphql-core execution", ("graphql/",)),
    ("HTTP server (uvicorn, starlette)", ("uvicorn/", "starlette/", "h11/", "httptools/")),
    ("JWT, hashing", ("jwt/", "argon2/")),
    ("asyncio (tasks, futures, loop)", ("asyncio/",)),
)  # fmt: skip


@dataclass
class Recorder:
    process: subprocess.Popen[bytes]
    output: Path


def py_spy() -> str:
    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(found).exists():
        raise RuntimeError("py-spy is not installed: .venv/bin/pip install py-spy")
    return found


def start(pid: int, prefix: Path, *, seconds: float) -> Recorder:
    output = prefix.with_suffix(".txt")
    command = [py_spy(), "record", "--pid", str(pid), "--duration", str(max(1, round(seconds)))]
    command += ["--rate", str(SAMPLE_RATE), "--format", "raw", "--output", str(output)]
    process = subprocess.Popen(  # noqa: S603 - py-spy with our own arguments
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    return Recorder(process, output)


def finish(recorder: Recorder) -> str:
    """Wait for py-spy to write its file; answers the summary."""
    _, stderr = recorder.process.communicate(timeout=120)
    if recorder.process.returncode != 0 or not recorder.output.exists():
        raise RuntimeError(f"py-spy failed: {stderr.decode(errors='replace')[-1000:]}")
    summary = summarise(recorder.output)
    recorder.output.with_suffix(".summary.txt").write_text(summary + "\n")
    return summary


def category(frames: list[str]) -> str:
    for frame in reversed(frames):
        found = _FRAME.match(frame)
        file = found["file"] if found else ""
        for name, prefixes in CATEGORIES:
            if file.startswith(prefixes):
                return name
    return "other (interpreter, greenlet switches, ...)"


def _short(frame: str) -> str:
    found = _FRAME.match(frame)
    if not found:
        return frame
    file = found["file"]
    file = file.split("site-packages/", 1)[-1]
    return f"{found['function']} ({file}:{found['line'] or '?'})"


def summarise(path: Path, top: int = 25) -> str:
    """Time per category (see CATEGORIES), self time per function and inclusive time per function, as shares of all
    samples. SQLAlchemy's async layer runs the ORM in greenlets, whose stacks py-spy reports as separate roots: their
    samples count like any other."""
    self_time: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        total += count
        self_time[_short(frames[-1])] += count
        categories[category(frames)] += count
        for frame in set(map(_short, frames)):
            inclusive[frame] += count
    if not total:
        return f"{path}: no samples"

    def table(title: str, counter: Counter[str]) -> list[str]:
        return [title, *(f"  {100 * n / total:5.1f}%  {name}" for name, n in counter.most_common(top))]

    lines = [f"{path}: {total} samples at {SAMPLE_RATE}/s (CPU time only)"]
    lines += table("time by category (innermost matching frame):", categories)
    lines += table("self time by function:", self_time)
    lines += table("inclusive time by function:", inclusive)
    return "\n".join(lines)


if __name__ == "__main__":
    for argument in sys.argv[1:]:
        print(summarise(Path(argument)))
