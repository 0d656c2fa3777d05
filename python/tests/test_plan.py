"""Repair planning (issue 5): ``streetrank.plan`` gives the CLI's plan, and the HTML report is
self-contained and draws its map and charts in a real browser (headless Chromium)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import streetrank

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CHROMIUM = "/usr/bin/chromium"
COMPLAINT_COLUMNS = ["request_id", "created_at", "category", "status", "lon", "lat"]


def _text(v: object) -> str:
    """A cell as the CLI's CSV writes it."""
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, (float, np.floating)):
        f = float(v)
        return str(int(f)) if f.is_integer() and abs(f) < 1e16 else repr(f)
    return str(v)


def _same(a: str, b: str) -> bool:
    if a == b:
        return True
    try:
        return float(a) == float(b)
    except ValueError:
        return False


@pytest.fixture(scope="module")
def city(cli: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("plan") / "city"
    subprocess.run([str(cli), "--quiet", "generate", "--preset", "small", "--out-dir", str(d)], check=True)
    return d


@pytest.fixture(scope="module")
def cli_plan(cli: Path, city: Path) -> dict[str, Path]:
    out = {k: city.parent / f"cli.{k}" for k in ("csv", "json", "html")}
    subprocess.run(
        [str(cli), "--quiet", "plan",
         "--streets", str(city / "streets.geojson"), "--complaints", str(city / "complaints.csv"),
         "--ratings", str(city / "ratings.csv"), "--config", str(city / "config.toml"),
         "--budget", "1.5e6,1e6", "--years", "3", "--method", "exact",
         "-o", str(out["csv"]), "--summary-json", str(out["json"]), "--report", str(out["html"])],
        check=True, capture_output=True)
    return out


def _python_plan(city: Path, report: Path | None = None) -> tuple:
    cfg = tomllib.loads((city / "config.toml").read_text())
    streets = streetrank.read_streets(city / "streets.geojson", **cfg["streets"])
    complaints = streetrank.read_complaints(city / "complaints.csv", streets=streets, **cfg["complaints"])
    return streetrank.plan(
        streets, complaints, config=city / "config.toml", ratings=city / "ratings.csv",
        budget=[1.5e6, 1e6], years=3, method="exact", report=report)


def test_python_plan_matches_the_cli(city: Path, cli_plan: dict[str, Path], tmp_path: Path) -> None:
    report = tmp_path / "py.html"
    work, summary = _python_plan(city, report)
    want = pd.read_csv(cli_plan["csv"], dtype=str, keep_default_na=False)
    assert len(work) == len(want) > 0
    for c in want.columns:
        if c == "wkt":
            continue
        got = [_text(v) for v in work[c].tolist()]
        bad = [i for i, (g, w) in enumerate(zip(got, want[c].tolist())) if not _same(g, w)]
        assert not bad, f"{c}: {len(bad)} rows differ, first {got[bad[0]]!r} != {want[c][bad[0]]!r}"
    assert summary == json.loads(cli_plan["json"].read_text())
    assert work.attrs["streetrank"]["settings_hash"] == summary["settings_hash"]
    # The same report, byte for byte.
    assert report.read_bytes() == cli_plan["html"].read_bytes()
    # Geometry: the planned segments' own lines, in the streets' CRS.
    assert work.geometry.geom_type.eq("LineString").all()
    assert work.crs is not None
    for c in COMPLAINT_COLUMNS:
        assert c not in work.columns


def test_plan_spends_within_each_budget(city: Path, cli_plan: dict[str, Path]) -> None:
    summary = json.loads(cli_plan["json"].read_text())
    for y, budget in zip(summary["years"], [1.5e6, 1e6, 1e6]):
        assert y["budget"] == budget
        assert 0.9 * budget < y["spent"] <= budget * (1 + 1e-9)
        assert abs(sum(y["band_shares"].values()) - 1) < 1e-9
        assert len(y["spend_by_district"]) >= 2


def test_plan_argument_errors(city: Path) -> None:
    streets = streetrank.read_streets(city / "streets.geojson", id="segment_id")
    pts = streetrank.read_complaints(city / "complaints.csv", streets=streets, id="request_id", x="lon", y="lat",
                                     created="created_at")
    with pytest.raises(streetrank.ConfigError, match="plan needs a budget"):
        streetrank.plan(streets, pts)
    with pytest.raises(streetrank.ConfigError, match="method="):
        streetrank.plan(streets, pts, budget=1e5, method="best")  # type: ignore[arg-type]
    with pytest.raises(streetrank.ConfigError, match="fit_ratings=True needs ratings"):
        streetrank.plan(streets, pts, budget=1e5, fit_ratings=True)


def _browser():
    """Playwright's Chromium driver on the system's Chromium (no browser download)."""
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"no Chromium at {CHROMIUM}: run .ci/setup (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is not installed: run .ci/setup (.ci/requirements.txt)")
    return sync_playwright


def test_report_opens_offline_and_draws_map_and_charts(cli_plan: dict[str, Path], tmp_path: Path) -> None:
    from PIL import Image

    sync_playwright = _browser()
    html = cli_plan["html"].resolve()
    shot = tmp_path / "report.png"
    requests: list[str] = []
    boxes: dict[str, dict] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 1000}, device_scale_factor=1)
            page.on("request", lambda r: requests.append(r.url))
            page.goto(html.as_uri(), wait_until="load")
            for sel in ("#map", "#chart-condition", "#chart-spend", "#chart-frontier"):
                box = page.locator(sel).bounding_box()
                assert box is not None and box["width"] > 100 and box["height"] > 100, (sel, box)
                boxes[sel] = box
            drawn = page.evaluate(
                """() => ({
                    planned: document.querySelectorAll('#map path.planned').length,
                    legend: document.querySelectorAll('#map .legend text').length,
                    bars: document.querySelectorAll('#chart-spend rect.bar').length,
                    points: document.querySelectorAll('#chart-condition circle').length,
                    frontier: document.querySelectorAll('#chart-frontier circle').length,
                    mapLen: document.querySelector('#map path.planned').getTotalLength(),
                })"""
            )
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    # Nothing but the file itself: no script, font, stylesheet or image was fetched.
    assert requests == [html.as_uri()], requests
    assert drawn["planned"] >= 1 and drawn["legend"] >= 2 and drawn["mapLen"] > 0, drawn
    assert drawn["bars"] >= 3 and drawn["points"] == 4 and drawn["frontier"] == 5, drawn
    img = Image.open(shot).convert("RGB")
    for sel, box in boxes.items():
        crop = np.asarray(img.crop((int(box["x"]), int(box["y"]), int(box["x"] + box["width"]),
                                    int(box["y"] + box["height"]))), dtype=np.int16)
        background = crop[2, 2]
        differs = (np.abs(crop - background).sum(axis=2) > 30).mean()
        # The map is mostly streets; a chart at least has its axes, series and labels.
        need = 0.05 if sel == "#map" else 0.01
        assert differs > need, (sel, differs)
    # Colour (not only grey): the planned segments and the bars are drawn in colour.
    arr = np.asarray(img, dtype=np.int16)
    saturated = (arr.max(axis=2) - arr.min(axis=2)) > 60
    assert saturated.mean() > 0.005
    shutil.copy(shot, tmp_path / "kept.png")
