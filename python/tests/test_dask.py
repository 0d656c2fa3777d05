"""Issue 7: ``streetrank.dask`` on a LocalCluster gives the single machine's answer, byte for byte.

Each comparison writes both rankings (and assignment tables) to CSV and compares the bytes:
for 1, 7 and 64 partitions and a shuffled partition order, on both real cities and the
generated city in ``fixtures/city``, with the street index broadcast and with the streets
tiled (the partitioned-streets path, forced by a small memory budget).
"""

from __future__ import annotations

import json
import tomllib
import warnings
from pathlib import Path
from typing import Any, Iterator

import dask
import dask.dataframe as dd
import dask_geopandas  # noqa: F401  (registers GeoDataFrame partitions: from_delayed gives dask-geopandas frames)
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import streetrank
import streetrank.dask as srd

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    from distributed import Client, LocalCluster

    with warnings.catch_warnings():
        # distributed warns about ports and the dashboard on some machines: not our subject.
        warnings.simplefilter("ignore")
        # A 256 MB worker memory limit that is reported but not enforced (no pause, spill or
        # kill), so that the default street budget (a quarter of it) is small and known.
        with dask.config.set({
            "distributed.worker.memory.target": False,
            "distributed.worker.memory.spill": False,
            "distributed.worker.memory.pause": False,
            "distributed.worker.memory.terminate": False,
        }):
            cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                   memory_limit="256MB", dashboard_address=None)
            c = Client(cluster)
    try:
        yield c
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            c.close()
            cluster.close()


Case = tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, dict[str, Any]]


@pytest.fixture(scope="module")
def syracuse(data_dir: Path) -> Case:
    raw = data_dir / "syracuse" / "original" / "RoadsChallenge" / "data"
    ratings = data_dir / "syracuse" / "converted" / "road_ratings_2000_2015_long.csv"
    streets = streetrank.read_streets(raw / "street_shapefile.zip", on_error="skip")
    complaints = streetrank.read_complaints(raw / "potholes.csv", streets=streets, swap_xy=True, on_error="skip")
    kw = {"config": {"score": {"condition": {"worst": 1.0, "best": 10.0}}}, "ratings": ratings, "on_error": "skip"}
    return streets, complaints, kw


@pytest.fixture(scope="module")
def washington_dc(data_dir: Path) -> Case:
    dc = data_dir / "washington-dc" / "original"
    streets = streetrank.read_streets(dc / "Correlated-Capstone" / "tl_2018_11001_roads.zip", on_error="skip")
    maps = dc / "dc-maps" / "maps"
    frames = [streetrank.read_complaints(maps / f"{n}-last-30-days.geojson", streets=streets, on_error="skip")
              for n in ("pothole", "street-alley-repair", "sidewalk-repair")]
    # One frame (the Dask path takes one): the three files' rows one after the other.
    complaints = pd.concat(frames)
    complaints.attrs = {}
    return streets, complaints, {}


@pytest.fixture(scope="module")
def city() -> Case:
    d = ROOT / "fixtures" / "city"
    cfg = tomllib.loads((d / "config.toml").read_text())
    streets = streetrank.read_streets(d / "streets.geojson", **cfg["streets"])
    complaints = streetrank.read_complaints(d / "complaints.csv", streets=streets, **cfg["complaints"])
    return streets, complaints, {"config": d / "config.toml", "ratings": d / "ratings.csv"}


CASES = ["syracuse", "washington_dc", "city"]


def _chunks(frame: gpd.GeoDataFrame, n: int) -> list[gpd.GeoDataFrame]:
    bounds = np.linspace(0, len(frame), n + 1).round().astype(int)
    return [frame.iloc[a:b] for a, b in zip(bounds[:-1], bounds[1:])]


def _dask(chunks: list[gpd.GeoDataFrame]) -> Any:
    """A dask-geopandas frame with exactly these partitions, in this order."""
    meta = chunks[0].iloc[:0]
    return dd.from_delayed([dask.delayed(c) for c in chunks], meta=meta, verify_meta=False)


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv().encode()


def _same_ranking(streets: gpd.GeoDataFrame, complaints: gpd.GeoDataFrame, ddf: Any,
                  max_streets_bytes: int | None = None, tiles_per_side: int | None = None, **kw: Any) -> gpd.GeoDataFrame:
    one = streetrank.score(streets, complaints, **kw)
    many = srd.score(streets, ddf, max_streets_bytes=max_streets_bytes, tiles_per_side=tiles_per_side, **kw)
    assert _csv(many) == _csv(one)
    assert many.attrs == one.attrs
    assert list(many.columns) == list(one.columns) and many.index.equals(one.index)
    return many


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("partitions", [1, 7, 64])
def test_ranking_identical_broadcast(client: Any, request: pytest.FixtureRequest, name: str, partitions: int) -> None:
    streets, complaints, kw = request.getfixturevalue(name)
    ddf = _dask(_chunks(complaints, partitions))
    assert ddf.npartitions == partitions
    ranked = _same_ranking(streets, complaints, ddf, profile="internal", max_streets_bytes=10**12, **kw)
    assert int(ranked["complaints"].sum()) > 0


@pytest.mark.parametrize("name", CASES)
def test_ranking_identical_tiled_and_shuffled(client: Any, request: pytest.FixtureRequest, name: str,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Partitioned streets (a budget a tenth of the index) and partitions in a shuffled order."""
    streets, complaints, kw = request.getfixturevalue(name)
    tiled = []
    real = srd._tiles
    monkeypatch.setattr(srd, "_tiles", lambda *a: tiled.append(real(*a)) or tiled[-1])
    chunks = _chunks(complaints, 7)
    order = np.random.default_rng(7).permutation(len(chunks))
    shuffled = pd.concat([chunks[i] for i in order])
    shuffled.attrs = complaints.attrs
    n_vertices = len(shapely.get_coordinates(streets.geometry.to_numpy()))
    budget = srd.streets_bytes(n_vertices, len(streets)) // 10
    _same_ranking(streets, shuffled, _dask([chunks[i] for i in order]), profile="internal",
                  max_streets_bytes=budget, **kw)
    grid, tiles = tiled[0]
    assert grid.k >= 4 and sum(t is not None for t in tiles) > 4


def test_publish_profile_identical(client: Any, washington_dc: Case) -> None:
    streets, complaints, kw = washington_dc
    ranked = _same_ranking(streets, complaints, _dask(_chunks(complaints, 7)), **kw)
    assert ranked["complaints"].isna().sum() > 10


def test_default_budget_is_a_quarter_of_the_worker_memory(client: Any, washington_dc: Case,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The DC streets (about 33 MB of index) fit a quarter of the workers' 256 MB; a 40 MB limit
    reported by the scheduler sends them down the partitioned-streets path."""
    assert srd._default_limit() == 256_000_000 // 4
    streets, complaints, kw = washington_dc
    info = client.scheduler_info()
    for w in info["workers"].values():
        w["memory_limit"] = 40_000_000
    monkeypatch.setattr(type(client), "scheduler_info", lambda self, **k: info)
    tiled = []
    real = srd._tiles
    monkeypatch.setattr(srd, "_tiles", lambda *a: tiled.append(real(*a)) or tiled[-1])
    _same_ranking(streets, complaints, _dask(_chunks(complaints, 3)), profile="internal", **kw)
    grid, tiles = tiled[0]
    assert grid.k >= 2 and sum(t is not None for t in tiles) >= 4


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("tiles", [None, 3])
def test_assignments_identical(client: Any, request: pytest.FixtureRequest, name: str, tiles: int | None) -> None:
    streets, complaints, _ = request.getfixturevalue(name)
    one = streetrank.snap(complaints, streets, profile="internal")
    ddf = _dask(_chunks(complaints, 7))
    many = srd.snap(ddf, streets, profile="internal", tiles_per_side=tiles)
    assert many.npartitions == 7
    assert _csv(many.compute()) == _csv(one)


def _border_case() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Two parallel streets 60 m apart; with 2 tiles per side the tile border runs midway."""
    streets = gpd.GeoDataFrame(
        {"road_class": ["local"] * 3},
        geometry=[shapely.LineString([(130, 0), (130, 200)]), shapely.LineString([(70, 0), (70, 200)]),
                  shapely.LineString([(70, 0), (130, 0)])],
        index=["east", "west", "south"], crs="EPSG:32618")
    points = gpd.GeoDataFrame(
        {"created": pd.to_datetime(["2020-01-01", "2020-01-02", "2020-01-02", "2020-01-03", "2020-01-03"], utc=True)},
        # Equidistant (30 m, inclusive) across the border; exactly on the border; a tile corner;
        # a hair west of the border; the same spot again (a duplicate) in another partition.
        geometry=shapely.points([(100, 50), (100, 150), (100, 100), (99.999, 60), (100, 50)]),
        index=["a", "b", "c", "d", "a"], crs="EPSG:32618")
    return streets, points


def test_tie_and_points_on_the_tile_border(client: Any) -> None:
    streets, points = _border_case()
    one = streetrank.snap(points, streets, profile="internal")
    # The tie goes to the lower position: "east", in the eastern tile.
    assert one["segment_id"].tolist()[:3] == ["east", "east", "east"] and one["ambiguous"].iloc[0]
    for tiles in (None, 2):
        many = srd.snap(_dask(_chunks(points, 2)), streets, profile="internal", tiles_per_side=tiles)
        assert _csv(many.compute()) == _csv(one)
        # The repeated id "a" in both partitions counts twice, as on one machine.
        _same_ranking(streets, points, _dask(_chunks(points, 2)), profile="internal",
                      as_of="2020-02-01", tiles_per_side=tiles)


def test_tiles_hold_every_street_within_reach(city: Case) -> None:
    """Brute force: each tile holds every street within max_distance of it (the halo), so a
    point routed to a tile sees every street a snap could pick."""
    streets, _, _ = city
    from streetrank import _api
    from streetrank import _streetrank as rs

    config_json, arrays, _, _ = _api._prepare(streets, [], None, None, None)
    proj = rs.project_streets(arrays["ids"], arrays["coords"], arrays["offsets"], arrays["crs"], config_json)
    grid, tiles = srd._tiles(proj["coords"], arrays["offsets"], proj["lengths"], proj["work_crs"], 30.0, 1, 5)
    lines = shapely.from_ragged_array(shapely.GeometryType.LINESTRING, proj["coords"], (arrays["offsets"],))
    far = 1e9
    for t, tile in enumerate(tiles):
        i, j = t % grid.k, t // grid.k
        box = shapely.box(
            -far if i == 0 else grid.x0 + i * grid.width, -far if j == 0 else grid.y0 + j * grid.height,
            far if i == grid.k - 1 else grid.x0 + (i + 1) * grid.width,
            far if j == grid.k - 1 else grid.y0 + (j + 1) * grid.height)
        within = set(np.flatnonzero(shapely.distance(lines, box) <= 30.0).tolist())
        held = set() if tile is None else set(tile.positions.tolist())
        assert within <= held, (t, sorted(within - held)[:5])
        assert list(sorted(held)) == ([] if tile is None else tile.positions.tolist())  # global order kept


def test_geoseries_and_local_scheduler(city: Case) -> None:
    """A dask-geopandas GeoSeries, on Dask's local threads (no distributed client)."""
    streets, complaints, kw = city
    points = complaints.geometry.iloc[:4000]
    one = streetrank.score(streets, points, config=kw["config"], profile="internal")
    with dask.config.set(scheduler="threads"):
        many = srd.score(streets, _dask(_chunks(points, 4)), config=kw["config"], profile="internal")
    assert _csv(many) == _csv(one)


def test_repeated_ids_and_default_as_of(client: Any, city: Case) -> None:
    """Ids repeated across partitions count as on one machine; without as_of the latest complaint
    (named in the notes) is found across partitions."""
    streets, complaints, _ = city
    doubled = pd.concat([complaints.iloc[:3000], complaints.iloc[1000:2000]])
    doubled.attrs = {}
    ranked = _same_ranking(streets, doubled, _dask(_chunks(doubled, 5)), profile="internal")
    assert any("as_of not set" in n for n in ranked.attrs["streetrank"]["notes"])


def test_errors_match_the_single_machine(client: Any) -> None:
    streets, points = _border_case()
    with pytest.raises(ValueError, match="internal"):
        srd.snap(_dask([points]), streets)
    with pytest.raises(TypeError, match="dask-geopandas"):
        srd.score(streets, points)
    lines = gpd.GeoDataFrame(geometry=[shapely.LineString([(0, 0), (1, 1)])], crs="EPSG:32618")
    with pytest.raises(streetrank.DataError, match="Points") as single:
        streetrank.score(streets, lines)
    with pytest.raises(streetrank.DataError, match="Points") as dist:
        srd.score(streets, _dask([lines]))
    assert str(dist.value) == str(single.value)
    # A point PROJ cannot move: the same error class and text, except that the coordinate's
    # number counts within its partition.
    far = gpd.GeoDataFrame(geometry=shapely.points([(1, 1), (1e300, 1e300)]), index=[1, 2], crs="EPSG:4326")
    with pytest.raises(streetrank.CRSError) as single:
        streetrank.score(streets, far)
    with pytest.raises(streetrank.CRSError) as dist:
        srd.score(streets, _dask(_chunks(far, 2)))
    assert str(dist.value).replace("coordinate 0 ", "coordinate 1 ") == str(single.value)


# PySpark 4.3 warns about pandas 3 and calls a deprecated pandas keyword in toPandas.
@pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")
@pytest.mark.filterwarnings("ignore:The copy keyword is deprecated")
def test_spark_map_in_pandas_identical(city: Case, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Spark pattern of docs/scale-out.md (mapInPandas with a broadcast street set, a groupBy
    on segment for the tallies) in local mode: the single machine's ranking, byte for byte."""
    import os
    import sys

    monkeypatch.setenv("PYSPARK_PYTHON", sys.executable)  # the executors import this streetrank
    from pyspark.sql import SparkSession

    from streetrank import _api
    from streetrank import _streetrank as rs

    streets, complaints, kw = city
    one = streetrank.score(streets, complaints, config=kw["config"], profile="internal")

    spark = (SparkSession.builder.master("local[2]").appName("streetrank-test")
             .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4").getOrCreate())
    try:
        config_json, arrays, _, digests = _api._prepare(streets, complaints.iloc[:0], kw["config"], None, None)
        proj = rs.project_streets(arrays["ids"], arrays["coords"], arrays["offsets"], arrays["crs"], config_json)
        n = len(arrays["offsets"]) - 1
        bc = spark.sparkContext.broadcast(
            srd._Streets(proj["coords"], arrays["offsets"], np.arange(n), proj["lengths"], proj["work_crs"], keep=True))
        run = json.loads(config_json)
        max_d, tol = run["snap"]["max_distance_m"], run["snap"]["ambiguity_tolerance_m"]
        crs, work = _api._crs_def(complaints, "complaints[0]"), proj["work_crs"]
        x, y = _api._points(complaints)
        created = _api._created(complaints)
        table = pd.DataFrame({"position": np.arange(len(complaints), dtype=np.int64), "x": x, "y": y, "created": created})

        def snap(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
            streets_ = bc.value
            for b in batches:
                px, py = rs.project_points(np.ascontiguousarray(b["x"].to_numpy(float)),
                                           np.ascontiguousarray(b["y"].to_numpy(float)), crs, work)
                s = streets_.snap(px, py, max_d, tol)
                m = s["segment"] >= 0
                seg = s["segment"][m]
                yield pd.DataFrame({"position": b["position"].to_numpy()[m], "segment": seg, "x": px[m], "y": py[m],
                                    "created": b["created"].to_numpy()[m], "length": streets_.lengths[seg]})

        def tally(rows: pd.DataFrame) -> pd.DataFrame:
            cols = (np.ascontiguousarray(rows[c].to_numpy()) for c in ("segment", "position", "x", "y", "created", "length"))
            return pd.DataFrame(rs.tally_segments(*cols, as_of_s, config_json))

        dated = created != np.iinfo(np.int64).min
        t = int(created[dated].max())
        k = int(np.flatnonzero(created == t)[0])
        latest = (t, k, _api._ids(complaints.iloc[k:k + 1], None, "complaints")[0])
        as_of_s = rs.resolve_as_of(config_json, None, t)
        matched = spark.createDataFrame(table).repartition(7).mapInPandas(
            snap, "position long, segment long, x double, y double, created long, length double")
        tallies = matched.groupBy("segment").applyInPandas(
            tally, "segment long, raw double, matched long, kept long, future long, undated long, duplicates long",
        ).toPandas()
        out = rs.score_tallies(arrays, {c: np.ascontiguousarray(tallies[c].to_numpy()) for c in tallies}, len(table),
                               int(tallies["matched"].sum()), latest, config_json, digests, None, None, "fail", "internal")
        ranked = _api._ranking_frame(streets, out, config_json, None, "internal")
    finally:
        spark.stop()
    assert os.environ["PYSPARK_PYTHON"] == sys.executable
    assert _csv(ranked) == _csv(one)
