#!/usr/bin/python3
# tests/fuzz/make-seeds.py — builds the fuzzers' seed corpora from tests/data
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Usage: make-seeds.py OUTPUT_DIR
# Writes OUTPUT_DIR/fuzz-extractor, fuzz-status-file and fuzz-rule: the real-run
# logs cut into pieces (with a control header, see fuzz-extractor.c), the status
# files whole and cut mid-write, and a few rules over log lines. Plus the
# committed inputs of tests/fuzz/regressions. Nothing is written in the source tree.
import pathlib
import random
import shutil
import struct
import sys

PIECE = 4096
HERE = pathlib.Path(__file__).resolve().parent
DATA = HERE.parent / "data"


def extractor_header(rng, size):
    """n_cuts, then per cut a 16-bit length and an action byte, then the exit byte."""
    n_cuts = rng.randint(0, 4)
    header = bytes([n_cuts])
    for _ in range(n_cuts):
        header += struct.pack("<HB", rng.randint(0, max(size, 1)), rng.randint(0, 7))
    return header + bytes([rng.choice([0, 1, 128, 128 + 9])])


def main():
    out = pathlib.Path(sys.argv[1])
    rng = random.Random(7)
    dirs = {}
    for target in ("fuzz-extractor", "fuzz-status-file", "fuzz-rule"):
        dirs[target] = out / target
        dirs[target].mkdir(parents=True, exist_ok=True)
        regressions = HERE / "regressions" / target
        if regressions.is_dir():
            for path in regressions.iterdir():
                shutil.copy(path, dirs[target] / path.name)

    logs = sorted((DATA / "real-runs").glob("*.log")) + sorted((DATA / "failures").glob("*.log"))
    lines = []
    for log in logs:
        data = log.read_bytes()
        lines += data.splitlines()[:200]
        for i, start in enumerate(range(0, len(data), PIECE)):
            piece = data[start:start + PIECE]
            (dirs["fuzz-extractor"] / f"{log.stem}-{i}").write_bytes(extractor_header(rng, len(piece)) + piece)
        # The tail too, where runs end and fail.
        tail = data[-PIECE:]
        (dirs["fuzz-extractor"] / f"{log.stem}-tail").write_bytes(extractor_header(rng, len(tail)) + tail)

    for status in sorted((DATA / "status").iterdir()):
        data = status.read_bytes()
        (dirs["fuzz-status-file"] / status.name).write_bytes(data)
        (dirs["fuzz-status-file"] / (status.name + "-cut")).write_bytes(data[:len(data) // 2])

    rules = [
        (rb"checkpoint saved to (\S+)", rb"Saved \1"),
        (rb"(?i)loss[=:]\s*([0-9.e+-]+|nan)", rb"loss \1"),
        (rb"Epoch (\d+)/(\d+)", rb"\2 - \1 \\ \0"),
        (rb"(a|aa)+$", b""),
        (rb"^\[rank(\d+)\]:", rb"rank \1"),
    ]
    for i, (regex, template) in enumerate(rules):
        sample = b"\n".join(rng.sample(lines, min(20, len(lines))))
        (dirs["fuzz-rule"] / f"rule-{i}").write_bytes(regex + b"\0" + template + b"\0" + sample)


if __name__ == "__main__":
    main()
