"""``make bench``: run every ``bench/bench_*.py`` and write ``bench/RESULTS.md``.

Each benchmark module exposes ``run() -> str`` returning a Markdown section (tables of
medians and ratios measured in this one run). Pass module names to run only those:
``python -m bench jwt``.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).parent
PACKAGES = ("gatepass", "cryptography", "pyjwt", "joserfc", "orjson", "starlette", "argon2-cffi")


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = []
    for name in PACKAGES:
        try:
            versions.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            continue
    return "\n".join(
        [
            f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
            f"- Machine: {cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
            f"- Python: {platform.python_implementation()} {platform.python_version()}",
            f"- Packages: {', '.join(versions)}",
            f"- Command: `make bench` (`python -m bench {' '.join(sys.argv[1:])}`)".replace(
                " `)", "`)"
            ),
        ]
    )


def main(argv: list[str]) -> None:
    names = argv or sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))
    sections = []
    for name in names:
        module = importlib.import_module(f"bench.bench_{name}")
        print(f"== {name}", flush=True)
        section = module.run()
        print(section, flush=True)
        sections.append(section)
    text = "# Benchmark results\n\n" + _machine() + "\n\n" + "\n\n".join(sections) + "\n"
    (HERE / "RESULTS.md").write_text(text)
    print(f"wrote {HERE / 'RESULTS.md'}")


if __name__ == "__main__":
    main(sys.argv[1:])
