"""Privacy profiles in Python (issue 6): the CLI's rules, on hand-made frames."""

from __future__ import annotations

import json
import subprocess
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import streetrank


def _city() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Four parallel 100 m streets with 1, 2, 3 and 0 complaints."""
    lines = [shapely.LineString([(0, 200 * k), (100, 200 * k)]) for k in range(4)]
    streets = gpd.GeoDataFrame({"OWNER_PHONE": ["202-555-0100"] * 4, "label": list("abcd")},
                               geometry=lines, index=[1, 2, 3, 4], crs="EPSG:32618")
    xy = [(10 + 60 * (j % 2), 200 * k + 2) for k, n in enumerate([1, 2, 3, 0]) for j in range(n)]
    pts = gpd.GeoDataFrame(geometry=shapely.points(np.asarray(xy, dtype=float)), crs="EPSG:32618")
    return streets, pts


def test_publish_suppresses_small_counts_and_keeps_the_rank() -> None:
    streets, pts = _city()
    streets = streets.drop(columns="OWNER_PHONE")
    pub = streetrank.score(streets, pts, as_of="2020-01-01").set_index("segment_id").sort_index()
    full = streetrank.score(streets, pts, as_of="2020-01-01", profile="internal").set_index("segment_id").sort_index()
    assert full["complaints"].tolist() == [1, 2, 3, 0]
    small = pub["complaints"].isna()
    assert small.tolist() == [True, True, False, False]
    for c in ("complaints_kept", "pressure_raw", "pressure_norm", "pressure_pts", "score"):
        assert pub.loc[small, c].isna().all(), c
        assert pub.loc[~small, c].tolist() == full.loc[~small, c].tolist(), c
    assert pub["rank"].tolist() == full["rank"].tolist()
    k2 = streetrank.score(streets, pts, as_of="2020-01-01", config={"privacy": {"min_count": 2}})
    assert int(k2["complaints"].isna().sum()) == 1


def test_publish_carries_only_kept_street_columns_and_warns_about_personal_ones() -> None:
    streets, pts = _city()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pub = streetrank.score(streets, pts, as_of="2020-01-01")
    assert "OWNER_PHONE" not in pub.columns and "label" not in pub.columns
    with pytest.warns(streetrank.PersonalDataWarning, match="streets column `OWNER_PHONE` looks personal"):
        full = streetrank.score(streets, pts, as_of="2020-01-01", profile="internal")
    assert {"OWNER_PHONE", "label"} <= set(full.columns)
    with pytest.warns(streetrank.PersonalDataWarning, match="OWNER_PHONE"):
        kept = streetrank.score(streets, pts, as_of="2020-01-01", config={"streets": {"keep": ["OWNER_PHONE"]}})
    assert "OWNER_PHONE" in kept.columns and "label" not in kept.columns
    assert issubclass(streetrank.PersonalDataWarning, UserWarning)


def test_a_per_complaint_table_needs_internal() -> None:
    streets, pts = _city()
    with pytest.raises(ValueError, match='profile="internal"'):
        streetrank.snap(pts, streets)
    with pytest.raises(ValueError, match="profile='open'"):
        streetrank.score(streets, pts, profile="open")  # type: ignore[arg-type]
    assert len(streetrank.snap(pts, streets, profile="internal")) == len(pts)


def test_publish_matches_the_cli(cli: Path, tmp_path: Path) -> None:
    streets, pts = _city()
    s, c = tmp_path / "streets.csv", tmp_path / "complaints.csv"
    pd.DataFrame({"segment_id": streets.index, "WKT": streets.geometry.to_wkt()}).to_csv(s, index=False)
    pd.DataFrame({"id": range(len(pts)), "x": pts.geometry.x, "y": pts.geometry.y}).to_csv(c, index=False)
    cfg = tmp_path / "run.toml"
    cfg.write_text('[streets]\nid = "segment_id"\ncrs = "EPSG:32618"\n'
                   '[complaints]\nid = "id"\nx = "x"\ny = "y"\ncrs = "EPSG:32618"\n')
    out = tmp_path / "r.csv"
    subprocess.run([str(cli), "--quiet", "score", "--streets", str(s), "--complaints", str(c), "--config", str(cfg),
                    "--as-of", "2020-01-01", "-o", str(out)], check=True, capture_output=True)
    want = pd.read_csv(out, dtype=str, keep_default_na=False).set_index("segment_id").sort_index()
    got = streetrank.score(streets, pts, as_of="2020-01-01").set_index("segment_id").sort_index()
    assert want["complaints"].tolist() == ["", "", "3", "0"]
    for col in ("rank", "complaints", "complaints_kept", "score", "pressure_raw", "pressure_pts"):
        g, w = got[col].tolist(), want[col].tolist()
        assert [pd.isna(v) for v in g] == [x == "" for x in w], col
        assert [float(v) for v in g if not pd.isna(v)] == [float(x) for x in w if x != ""], col
    assert (tmp_path / "r.csv.manifest.json").exists()


def test_the_plan_report_gets_a_manifest(tmp_path: Path) -> None:
    streets, pts = _city()
    streets = streets.drop(columns="OWNER_PHONE")
    report = tmp_path / "plan.html"
    work, _ = streetrank.plan(streets, pts, budget=1e7, as_of="2020-01-01", report=report)
    manifest = json.loads((tmp_path / "plan.html.manifest.json").read_text())
    assert manifest["profile"] == "publish" and manifest["min_count"] == 3
    assert manifest["settings_hash"] == work.attrs["streetrank"]["settings_hash"]
    quoted = work.loc[work["why"].str.contains("many complaints"), "segment_id"].tolist()
    internal, _ = streetrank.plan(streets, pts, budget=1e7, as_of="2020-01-01", profile="internal")
    assert len(quoted) < len(internal.loc[internal["why"].str.contains("many complaints")])
