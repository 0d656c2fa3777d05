"""Python and the CLI give identical rankings and assignments on both real cities (issue 3)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import streetrank

RANK_COLUMNS = [
    "rank", "segment_id", "score",
    *[f"{f}_{k}" for f in ("pressure", "condition", "usage", "equity") for k in ("raw", "norm", "pts")],
    "complaints", "complaints_kept", "condition_missing", "length_m", "settings_hash",
]
SNAP_COLUMNS = ["matched", "segment_id", "distance_m", "fraction", "chainage_m", "side",
                "runner_up_id", "runner_up_m", "ambiguous", "unmatched_reason"]


def _run_cli(cli: Path, tmp: Path, args: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The CLI's ranking and assignments, under ``--profile internal`` (the assignments need it)."""
    out, assign = tmp / "ranking.csv", tmp / "assignments.csv"
    subprocess.run([str(cli), "--quiet", "score", *args, "--profile", "internal", "-o", str(out),
                    "--assignments", str(assign)], check=True, capture_output=True)
    return pd.read_csv(out, dtype=str, keep_default_na=False), pd.read_csv(assign, dtype=str, keep_default_na=False)


def _text(v: object) -> str:
    """A cell as the CLI's CSV writes it (Rust's shortest round-trip float formatting)."""
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (float, np.floating)):
        f = float(v)
        return str(int(f)) if f.is_integer() and abs(f) < 1e16 else repr(f)
    return str(v)


def _compare(py: pd.DataFrame, cli: pd.DataFrame, columns: list[str], what: str) -> None:
    assert len(py) == len(cli), what
    for c in columns:
        got = [_text(v) for v in py[c].tolist()]
        want = cli[c].tolist()
        bad = [i for i, (g, w) in enumerate(zip(got, want)) if g != w and not _close(g, w)]
        assert not bad, f"{what}.{c}: {len(bad)} rows differ, first row {bad[0]}: {got[bad[0]]!r} != {want[bad[0]]!r}"


def _close(a: str, b: str) -> bool:
    """Equal numbers written differently (`1e-5` vs `0.00001`): the same f64 either way."""
    try:
        return float(a) == float(b)
    except ValueError:
        return False


def _check(streets, complaints, cli_rank, cli_assign, **score_kw) -> dict[str, int]:
    ranked = streetrank.score(streets, complaints, profile="internal", **score_kw)
    _compare(ranked, cli_rank, RANK_COLUMNS, "ranking")
    frames = complaints if isinstance(complaints, list) else [complaints]
    cfg = score_kw.get("config") or {}
    snap_cfg = cfg.get("snap", {})
    index = streetrank.StreetIndex(streets)
    snapped = pd.concat([index.snap(f, max_distance=snap_cfg.get("max_distance_m", 30.0)) for f in frames])
    assert [_text(v) for v in snapped.index] == cli_assign["complaint_id"].tolist()
    _compare(snapped, cli_assign, SNAP_COLUMNS, "assignments")
    return {"segments": len(ranked), "complaints": len(snapped), "matched": int(snapped["matched"].sum())}


def test_syracuse_matches_cli(cli: Path, data_dir: Path, tmp_path: Path) -> None:
    raw = data_dir / "syracuse" / "original" / "RoadsChallenge" / "data"
    streets_path, potholes = raw / "street_shapefile.zip", raw / "potholes.csv"
    ratings = data_dir / "syracuse" / "converted" / "road_ratings_2000_2015_long.csv"
    cli_rank, cli_assign = _run_cli(cli, tmp_path, [
        "--streets", str(streets_path), "--complaints", str(potholes), "--swap-xy",
        "--ratings", str(ratings), "--on-error", "skip", "--condition-worst", "1", "--condition-best", "10"])
    streets = streetrank.read_streets(streets_path, on_error="skip")
    complaints = streetrank.read_complaints(potholes, streets=streets, swap_xy=True, on_error="skip")
    counts = _check(streets, complaints, cli_rank, cli_assign,
                    config={"score": {"condition": {"worst": 1.0, "best": 10.0}}},
                    ratings=ratings, on_error="skip")
    assert counts["segments"] > 1000 and counts["matched"] > 0.9 * counts["complaints"], counts


def test_washington_dc_matches_cli(cli: Path, data_dir: Path, tmp_path: Path) -> None:
    dc = data_dir / "washington-dc" / "original"
    streets_path = dc / "Correlated-Capstone" / "tl_2018_11001_roads.zip"
    maps = dc / "dc-maps" / "maps"
    files = [maps / f"{n}-last-30-days.geojson" for n in ("pothole", "street-alley-repair", "sidewalk-repair")]
    args = ["--streets", str(streets_path), "--on-error", "skip"]
    for f in files:
        args += ["--complaints", str(f)]
    cli_rank, cli_assign = _run_cli(cli, tmp_path, args)
    streets = streetrank.read_streets(streets_path, on_error="skip")
    frames = [streetrank.read_complaints(f, streets=streets, on_error="skip") for f in files]
    counts = _check(streets, frames, cli_rank, cli_assign)
    assert counts["segments"] > 1000 and counts["complaints"] > 0, counts


def test_washington_dc_publish_matches_cli(cli: Path, data_dir: Path, tmp_path: Path) -> None:
    """Issue 6: under the default publish profile both suppress the same small counts and scores."""
    dc = data_dir / "washington-dc" / "original"
    streets_path = dc / "Correlated-Capstone" / "tl_2018_11001_roads.zip"
    maps = dc / "dc-maps" / "maps"
    files = [maps / f"{n}-last-30-days.geojson" for n in ("pothole", "street-alley-repair", "sidewalk-repair")]
    out = tmp_path / "ranking.csv"
    args = [str(cli), "--quiet", "score", "--streets", str(streets_path), "--on-error", "skip", "-o", str(out)]
    for f in files:
        args += ["--complaints", str(f)]
    subprocess.run(args, check=True, capture_output=True)
    cli_rank = pd.read_csv(out, dtype=str, keep_default_na=False)
    streets = streetrank.read_streets(streets_path, on_error="skip")
    frames = [streetrank.read_complaints(f, streets=streets, on_error="skip") for f in files]
    ranked = streetrank.score(streets, frames)
    _compare(ranked, cli_rank, RANK_COLUMNS, "publish ranking")
    small = int(ranked["complaints"].isna().sum())
    assert small > 10 and small == int((cli_rank["complaints"] == "").sum())
    assert ranked.loc[ranked["complaints"].isna(), "score"].isna().all()


@pytest.mark.parametrize("bad", ["nope.zip", "nope.geojson"])
def test_missing_file_is_file_not_found(bad: str, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        streetrank.read_streets(tmp_path / bad)
