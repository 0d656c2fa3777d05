"""Shared fixtures: the real city data and the CLI binary.

``STREETRANK_DATA`` (default ``../shared/data`` from the repository root) must hold ``syracuse/``
and ``washington-dc/``; the tests fail, not skip, without it. ``STREETRANK_BIN`` names the CLI
binary (default ``$CARGO_TARGET_DIR/release/streetrank``, else ``target/release/streetrank``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def data_dir() -> Path:
    d = Path(os.environ.get("STREETRANK_DATA", ROOT.parent / "shared" / "data"))
    if not (d / "syracuse").is_dir() or not (d / "washington-dc").is_dir():
        pytest.fail(f"the real city data is not at {d}: set STREETRANK_DATA to the folder holding syracuse/ and washington-dc/")
    return d


@pytest.fixture(scope="session")
def cli() -> Path:
    env = os.environ.get("STREETRANK_BIN")
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    p = Path(env) if env else target / "release" / "streetrank"
    if not p.is_file():
        pytest.fail(f"no streetrank binary at {p}: run `cargo build --release -p streetrank-cli` or set STREETRANK_BIN")
    return p
