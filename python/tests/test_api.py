"""The Python API on small hand-made frames: CRS handling, errors, index join, config."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import streetrank


def _streets(crs: str | None = "EPSG:32618") -> gpd.GeoDataFrame:
    lines = [shapely.LineString([(0, 0), (100, 0)]), shapely.LineString([(0, 50), (100, 50)])]
    return gpd.GeoDataFrame({"road_class": ["residential", "primary"]}, geometry=lines, index=[10, 20], crs=crs)


def _points(xy: list[tuple[float, float]], crs: str | None = "EPSG:32618", index: list[str] | None = None) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=shapely.points(np.asarray(xy, dtype=float).reshape(-1, 2)), index=index, crs=crs)


@pytest.mark.parametrize(
    ("xy", "segment", "distance", "side"),
    [
        ((40, 10), 10, 10.0, "left"),   # plain
        ((40, 0), 10, 0.0, "on"),       # exactly on the line
        ((40, 45), 20, 5.0, "right"),
        ((40, 20), 10, 20.0, "left"),   # nearer the first street
    ],
)
def test_snap_table(xy: tuple[float, float], segment: int, distance: float, side: str) -> None:
    r = streetrank.snap(_points([xy]), _streets(), profile="internal")
    assert r["segment_id"].tolist() == [segment]
    assert r["distance_m"].tolist() == [distance]
    assert r["side"].tolist() == [side]


def test_tie_is_ambiguous_and_boundary_is_inclusive() -> None:
    r = streetrank.snap(_points([(40, 25), (40, -30), (40, -30.5)]), _streets(), profile="internal")
    assert r["ambiguous"].tolist() == [True, False, False]
    assert r["matched"].tolist() == [True, True, False]
    assert r["unmatched_reason"].tolist()[2] == "no street within 30 m"


def test_result_is_joined_back_by_index() -> None:
    r = streetrank.snap(_points([(40, 45), (40, 5)], index=["b", "a"]), _streets(), profile="internal")
    assert r.index.tolist() == ["b", "a"]
    assert r.loc["a", "segment_id"] == 10


def test_empty_points() -> None:
    r = streetrank.snap(_points([]), _streets(), profile="internal")
    assert len(r) == 0 and "segment_id" in r.columns


def test_geographic_crs_is_projected_to_utm_and_said_so() -> None:
    streets = _streets().to_crs("EPSG:4326")
    pts = _points([(40, 10)]).to_crs("EPSG:4326")
    index = streetrank.StreetIndex(streets)
    assert index.work_crs == "EPSG:32617"  # (0, 0) of zone 18 lies in zone 17
    assert index.snap(pts)["distance_m"].iloc[0] == pytest.approx(10.0, abs=0.1)  # another zone: scale differs slightly
    ranked = streetrank.score(streets, pts, as_of="2020-01-01")
    meta = ranked.attrs["streetrank"]
    assert meta["reprojected"] and meta["work_crs"] == "EPSG:32617"
    assert ranked.crs == streets.crs


def test_missing_crs_raises_crs_error_with_the_fix() -> None:
    with pytest.raises(streetrank.CRSError, match="set_crs"):
        streetrank.StreetIndex(_streets(crs=None))
    with pytest.raises(streetrank.StreetrankError, match="set_crs"):
        streetrank.snap(_points([(1, 1)], crs=None), _streets(), profile="internal")


def test_bad_data_raises_data_error() -> None:
    multi = gpd.GeoDataFrame(geometry=[shapely.MultiLineString([[(0, 0), (1, 0)]])], crs="EPSG:32618")
    with pytest.raises(streetrank.DataError, match="explode"):
        streetrank.StreetIndex(multi)
    zero = gpd.GeoDataFrame(geometry=[shapely.LineString([(5, 5), (5, 5)])], crs="EPSG:32618")
    with pytest.raises(streetrank.DataError):
        streetrank.StreetIndex(zero)
    dup = _streets().set_axis([1, 1])
    with pytest.raises(streetrank.DataError, match="1"):
        streetrank.score(dup, _points([(1, 1)]))
    nan = _points([(np.nan, 1.0)])
    with pytest.raises(streetrank.DataError):
        streetrank.score(_streets(), nan)


def test_config_errors() -> None:
    with pytest.raises(streetrank.ConfigError, match="bogus"):
        streetrank.score(_streets(), _points([(1, 1)]), config={"score": {"bogus": 1}})
    with pytest.raises(streetrank.ConfigError):
        streetrank.snap(_points([(1, 1)]), _streets(), max_distance=-1.0, profile="internal")
    with pytest.raises(streetrank.ConfigError, match="as_of"):
        streetrank.score(_streets(), _points([(1, 1)]), as_of="yesterday")


def test_config_dict_and_toml_path_agree(tmp_path) -> None:
    pts = _points([(10, 2), (60, 1), (50, 48)])
    toml = tmp_path / "run.toml"
    toml.write_text("[snap]\nmax_distance_m = 3.0\n")
    a = streetrank.score(_streets(), pts, config={"snap": {"max_distance_m": 3.0}}, as_of="2020-01-01", profile="internal")
    b = streetrank.score(_streets(), pts, config=toml, as_of="2020-01-01", profile="internal")
    assert a["complaints"].tolist() == b["complaints"].tolist() == [2, 1]
    assert a.attrs["streetrank"]["settings_hash"] == b.attrs["streetrank"]["settings_hash"]
    assert a["road_class"].tolist() == ["residential", "primary"]


@pytest.mark.parametrize(
    ("geometry", "message"),
    [
        (None, "must all be Points"),
        (shapely.LineString([(0, 0), (1, 1)]), "must all be Points"),
        (shapely.MultiPoint([(40, 10)]), "must all be Points"),
        (shapely.Point(), "empty points"),
    ],
)
def test_points_that_are_not_points_raise(geometry: shapely.Geometry | None, message: str) -> None:
    pts = gpd.GeoDataFrame(geometry=[shapely.Point(40, 10), geometry], crs="EPSG:32618")
    with pytest.raises(streetrank.DataError, match=message):
        streetrank.snap(pts, _streets(), profile="internal")


def test_nan_point_is_unmatched_not_an_error() -> None:
    r = streetrank.snap(_points([(np.nan, 1.0), (40, 10), (1.0, np.inf)]), _streets(), profile="internal")
    assert r["matched"].tolist() == [False, True, False]
    assert r["unmatched_reason"].tolist()[0] == r["unmatched_reason"].tolist()[2] == "coordinates not finite"
    assert r["segment_id"].isna().tolist() == [True, False, True]


@pytest.mark.parametrize(
    ("index", "dtype"),
    [([10, 20], "Int64"), (["a", "b"], "string"), ([1.5, 2.5], "string")],
)
def test_segment_ids_keep_their_kind_and_missing_is_na(index: list[object], dtype: str) -> None:
    r = streetrank.snap(_points([(40, 25), (40, 45), (40, 500)]), _streets().set_axis(index), profile="internal")
    want = [str(i) if dtype == "string" else i for i in index]
    assert r["segment_id"].dtype == dtype and r["runner_up_id"].dtype == dtype
    assert r["segment_id"].tolist()[:2] == [want[0], want[1]] and r["segment_id"].isna().tolist() == [False, False, True]
    assert r["runner_up_id"].tolist()[0] == want[1] and r["runner_up_id"].isna().tolist() == [False, True, True]


def test_large_batch_equals_small_batches() -> None:
    # Large batches are split over threads, each with its own reason codes: with two or more
    # threads the first run sees only "no street" (first half: far away), later ones "not
    # finite" first (second half: near, or NaN every 1000th row, and the last row far). The
    # merged codes must follow first appearance overall and every row must equal what a small
    # (single-run) batch gives.
    rng = np.random.default_rng(3)
    n = 3 * 65_536 + 7
    xy = np.column_stack([rng.uniform(0, 100, n), rng.uniform(-20, 70, n)])
    xy[: n // 2, 0] = 1000.0
    xy[n // 2 :: 1000] = np.nan
    xy[-1] = (1000.0, 0.0)
    index = streetrank.StreetIndex(_streets())
    big = index.snap(_points(xy.tolist()))
    first_seen = list(dict.fromkeys(big["unmatched_reason"].dropna()))
    assert list(big["unmatched_reason"].cat.categories) == first_seen == ["no street within 30 m", "coordinates not finite"]
    small = [index.snap(_points(xy[k : k + 50_000].tolist())) for k in range(0, n, 50_000)]
    want = pd.concat([s.astype({"unmatched_reason": object}) for s in small], ignore_index=True)
    pd.testing.assert_frame_equal(big.astype({"unmatched_reason": object}), want)


def test_batches_over_a_million_points_are_answered_in_chunks_like_one() -> None:
    """StreetIndex.snap answers 2^20 points at a time: the reason codes follow first appearance
    over the chunks (the NaN point is the only one in the second chunk), and rows on either side
    of the boundary equal a small batch's."""
    chunk = 1 << 20
    rng = np.random.default_rng(11)
    n = chunk + 40_000
    xy = np.column_stack([rng.uniform(0, 100, n), rng.uniform(-20, 70, n)])
    xy[500] = (1000.0, 0.0)
    xy[chunk + 10] = np.nan
    index = streetrank.StreetIndex(_streets())
    big = index.snap(_points(xy))
    assert list(big["unmatched_reason"].cat.categories) == ["no street within 30 m", "coordinates not finite"]
    assert big["unmatched_reason"].notna().sum() == 2  # every other point is within 20 m of a street
    assert big["unmatched_reason"].iloc[chunk + 10] == "coordinates not finite"
    for lo, hi in ((0, 1_000), (chunk - 1_000, chunk + 1_000), (n - 1_000, n)):
        small = index.snap(_points(xy[lo:hi]))
        want = small.astype({"unmatched_reason": object}).set_axis(big.index[lo:hi])
        pd.testing.assert_frame_equal(big.iloc[lo:hi].astype({"unmatched_reason": object}), want)


def test_raw_snap_takes_strided_arrays_and_checks_lengths() -> None:
    index = streetrank.StreetIndex(_streets())
    xy = np.array([[40.0, 10.0], [40.0, 45.0], [40.0, 500.0]])
    strided = index._index.snap(xy[:, 0], xy[:, 1], "EPSG:32618", 30.0, 1.0)
    contiguous = index._index.snap(xy[:, 0].copy(), xy[:, 1].copy(), "EPSG:32618", 30.0, 1.0)
    assert xy[:, 0].strides != xy[:, 0].copy().strides
    for k in ("segment", "distance_m", "side", "reason"):
        np.testing.assert_array_equal(strided[k], contiguous[k])
    with pytest.raises(streetrank.DataError, match="2 x but 3 y"):
        index._index.snap(xy[:2, 0], xy[:, 1], "EPSG:32618", 30.0, 1.0)


def test_repeated_snaps_in_other_crss_agree() -> None:
    index = streetrank.StreetIndex(_streets())
    pts = _points([(40, 10), (60, 47)])
    first = index.snap(pts.to_crs("EPSG:4326"))
    index.snap(pts.to_crs("EPSG:3857"))
    again = index.snap(pts.to_crs("EPSG:4326"))
    assert first["segment_id"].tolist() == again["segment_id"].tolist() == [10, 20]
    assert first["distance_m"].tolist() == again["distance_m"].tolist()
    assert index.snap(pts)["distance_m"].tolist() == pytest.approx(first["distance_m"].tolist(), abs=1e-6)


def _texts_reference(frame: pd.DataFrame, name: str) -> list[object]:
    """`_texts` as it was first written: `pd.isna` and `str` per value."""
    return [None if pd.isna(v) else str(v) for v in frame[name].tolist()]


@pytest.mark.parametrize(
    "column",
    [
        pd.array(["Pothole", "Crack", "Pothole"], dtype="string"),
        pd.array(["Pothole", None, "Crack"], dtype="string"),
        pd.Series(["Pothole", None, np.nan, "Crack"], dtype=object),
        pd.Series(["a", 7, 2.5, True], dtype=object),
        pd.Series([1, 1.0, True, "1"], dtype=object),
        pd.Categorical(["Closed", None, "Open"]),
        pd.Series([1.0, np.nan, 3.5]),
        pd.Series([1, 2, 3]),
        pd.Series(pd.to_datetime(["2024-01-02", None])),
    ],
    ids=["string", "string-na", "object-na", "object-mixed", "object-equal-keys", "categorical", "float-nan", "int", "datetime"],
)
def test_texts_equal_the_per_value_reference(column: object) -> None:
    from streetrank import _api

    frame = pd.DataFrame({"category": column})
    got = _api._texts(frame, "category")
    assert got == _texts_reference(frame, "category")
    assert all(v is None or type(v) is str for v in got)
    assert _api._texts(frame, "status") == [None] * len(frame)
    # What the extension is given: codes into the distinct texts, decoding to the same texts.
    codes, values = _api._coded_column(frame, "category")
    assert codes.dtype == np.int64 and len(set(values)) == len(values)
    assert [None if c == -1 else values[c] for c in codes.tolist()] == got
    codes, values = _api._coded_column(frame, "status")
    assert codes.tolist() == [-1] * len(frame) and values == []


@pytest.mark.parametrize(
    ("index", "want"),
    [
        (pd.Index([10, 20, 30]), [10, 20, 30]),
        (pd.Index(["S-1", "S-2"], dtype="string"), ["S-1", "S-2"]),
        (pd.Index(["S-1", 2, True], dtype=object), ["S-1", 2, "True"]),
        (pd.Index([1.5, 2.0]), ["1.5", "2.0"]),
    ],
    ids=["int", "string", "object-mixed", "float"],
)
def test_ids_keep_ints_and_texts(index: pd.Index, want: list[object]) -> None:
    from streetrank import _api

    got = _api._ids(pd.DataFrame({"v": range(len(index))}, index=index), None, "streets")
    assert got == want
    assert [type(v) for v in got] == [type(v) for v in want]


def test_unsigned_ids_beyond_int64_are_refused_not_wrapped() -> None:
    """A uint64 id above 2^63 - 1 would wrap to a negative int64 and come back as another id."""
    fits = pd.Index(np.array([10, 2**63 - 1], dtype=np.uint64))
    streets = _streets().set_axis(fits)
    ranked = streetrank.score(streets, _points([(40, 10)], index=["c1"]), profile="internal")
    assert sorted(ranked["segment_id"].tolist()) == [10, 2**63 - 1]
    assert streetrank.StreetIndex(streets).snap(_points([(40, 45)]))["segment_id"].tolist() == [2**63 - 1]
    wraps = _streets().set_axis(pd.Index(np.array([10, 2**63 + 5], dtype=np.uint64)))
    for call in (lambda: streetrank.StreetIndex(wraps), lambda: streetrank.score(wraps, _points([(40, 10)]))):
        with pytest.raises(streetrank.DataError, match=r"streets: id 9223372036854775813 \(row 1\) is outside the 64-bit"):
            call()
    column = _streets().assign(sid=pd.array([1, 2**64 - 1], dtype="UInt64"))
    with pytest.raises(streetrank.DataError, match=r"id 18446744073709551615 \(row 1\).*frame\['sid'\]"):
        streetrank.StreetIndex(column, id_column="sid")
    objects = _streets().set_axis(pd.Index([10, -(2**63) - 1], dtype=object))
    with pytest.raises(streetrank.DataError, match="street ids: id -9223372036854775809 is outside the 64-bit"):
        streetrank.StreetIndex(objects)


def test_text_ids_cross_as_arrow_buffers_with_the_same_result(tmp_path, monkeypatch) -> None:
    """Text ids go between the extension and pandas as Arrow buffers (no Python object per id):
    the frames, rankings and digests are those of the list path, for sliced and chunked columns,
    non-ASCII ids and ids of both kinds in one file."""
    from streetrank import _api

    path = tmp_path / "c.csv"
    ids = ["R-1", "Ré-2", "R-3", "日本-4", "R-5", "R-6"]
    rows = [f"{i},-76.15{k},43.05{k}" for k, i in enumerate(ids)]
    path.write_text("id,lon,lat\n" + "\n".join(rows) + "\n", encoding="utf-8")
    mixed = tmp_path / "mixed.csv"
    mixed.write_text("id,lon,lat\n12,-76.15,43.05\nA5,-76.16,43.06\n")
    fast = streetrank.read_complaints(path)
    fast_mixed = streetrank.read_complaints(mixed)
    assert fast.index.tolist() == ids and fast.index.dtype == pd.Index(["x"]).dtype
    assert fast_mixed.index.tolist() == [12, "A5"]
    monkeypatch.setattr(_api, "_arrow_strings", lambda: None)
    slow = streetrank.read_complaints(path)
    pd.testing.assert_frame_equal(fast, slow)
    pd.testing.assert_frame_equal(fast_mixed, streetrank.read_complaints(mixed))
    monkeypatch.undo()

    streets = _streets().to_crs("EPSG:4326").set_axis(pd.Index(["S-1", "Sé-2"], dtype="string"))
    streets.geometry = streets.geometry.translate(-76.15 - streets.total_bounds[0], 43.05 - streets.total_bounds[1])
    whole = pd.concat([fast.iloc[:3], fast.iloc[3:]])  # two Arrow chunks
    assert len(whole.index.array.__arrow_array__().chunks) == 2
    for frame in (fast, fast.iloc[2:], whole):
        buffers = _api._id_values(frame, None, "c", texts=True)
        assert isinstance(buffers, tuple)
        listed = _api._id_values(frame, None, "c")
        assert listed == frame.index.tolist()
        assert _api._digest(frame.iloc[:0], "complaints", [], buffers) == _api._digest(
            frame.iloc[:0], "complaints", [], listed
        )
        as_objects = frame.set_axis(pd.Index(listed, dtype=object))
        a = streetrank.score(streets, frame, profile="internal")
        b = streetrank.score(streets, as_objects, profile="internal")
        pd.testing.assert_frame_equal(a, b)
        assert a["complaints"].sum() == int("R-1" in frame.index)  # the one on a street


def test_text_columns_of_rankings_and_plans_cross_as_arrow_buffers_with_the_same_result(monkeypatch) -> None:
    """The ranking's and the plan's text columns (segment ids, road class with a gap, the
    settings hash, treatments) come as Arrow buffers when pandas' strings are Arrow's; the
    frames equal those of the list path, dtypes and missing values included (a column with no
    text at all, district here, stays what the list path makes of it)."""
    from streetrank import _api

    streets = _streets().set_axis(pd.Index(["S-1", "Sé-2"], dtype="string"))
    streets["road_class"] = pd.array([None, "primary"], dtype="string")
    streets["condition"] = [30.0, 80.0]
    pts = _points([(40, 10), (60, 45), (70, 47)], index=["a", "b", "c"])
    buffered: list[str] = []
    table_columns = _api._table_columns
    monkeypatch.setattr(
        _api, "_table_columns", lambda c: buffered.extend(k for k, v in c.items() if isinstance(v, tuple)) or table_columns(c)
    )
    fast = streetrank.score(streets, pts, profile="internal")
    plan_fast, _ = streetrank.plan(streets, pts, budget=30_000, as_of="2020-01-01", profile="internal")
    assert {"segment_id", "road_class", "settings_hash", "treatment"} <= set(buffered)
    assert fast["segment_id"].dtype == "string" and fast["road_class"].isna().sum() == 1
    monkeypatch.setattr(_api, "_arrow_strings", lambda: None)
    slow = streetrank.score(streets, pts, profile="internal")
    plan_slow, _ = streetrank.plan(streets, pts, budget=30_000, as_of="2020-01-01", profile="internal")
    pd.testing.assert_frame_equal(fast, slow)
    pd.testing.assert_frame_equal(plan_fast, plan_slow)


def test_malformed_text_id_buffers_are_a_data_error() -> None:
    coords = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 5.0], [10.0, 5.0]])
    offsets = np.array([0, 2, 4], dtype=np.int64)
    good = streetrank._streetrank.StreetIndex(
        (np.array([0, 1, 3], dtype=np.int64), np.frombuffer("aéb".encode(), dtype=np.uint8)), coords, offsets,
        "EPSG:32618",
    )
    assert len(good) == 2
    for ids, why in [
        ((np.array([0, 2, 1], dtype=np.int64), b"abc"), "descend at id 1"),
        ((np.array([0, 1, 9], dtype=np.int64), b"abc"), "outside the 3 bytes"),
        ((np.array([0, 2, 4], dtype=np.int64), "aéb".encode()), "cut a character at id 1"),
        ((np.array([0, 1, 2], dtype=np.int64), b"a\xff"), "not UTF-8"),
    ]:
        with pytest.raises(streetrank.DataError, match=why):
            streetrank._streetrank.StreetIndex((ids[0], np.frombuffer(ids[1], dtype=np.uint8)), coords, offsets, "EPSG:32618")


def test_coded_texts_make_a_string_column_with_missing_values() -> None:
    from streetrank import _api

    got = _api._coded_texts((np.array([0, -1, 1, 0], dtype=np.int64), ["Pothole", "Crack"]))
    assert got.dtype == "string"
    assert got.tolist() == ["Pothole", pd.NA, "Crack", "Pothole"]
    empty = _api._coded_texts((np.array([], dtype=np.int64), []))
    assert empty.dtype == "string" and len(empty) == 0
    none = _api._coded_texts((np.array([-1, -1], dtype=np.int64), []))
    assert none.isna().all()


def test_read_complaints_keeps_blank_and_repeated_categories(tmp_path) -> None:
    path = tmp_path / "c.csv"
    path.write_text(
        "id,lon,lat,category,status\n"
        "A,-76.15,43.05,Pothole,Open\n"
        "B,-76.15,43.05,,Closed\n"
        "C,-76.15,43.05,Crack,\n"
        "D,-76.15,43.05,Pothole,Open\n"
    )
    c = streetrank.read_complaints(path)
    assert c["category"].dtype == "string" and c["status"].dtype == "string"
    assert c["category"].tolist() == ["Pothole", pd.NA, "Crack", "Pothole"]
    assert c["status"].tolist() == ["Open", "Closed", pd.NA, "Open"]


def test_read_complaints_skips_a_repeated_id_and_keeps_the_columns_in_step(tmp_path) -> None:
    """A repeat is found once the whole file is read and taken back out of every column; the
    file is read in blocks, each handed on as it is parsed (tiny rows here, so the block sizes
    only matter on large files: the CLI parity tests cover those)."""
    path = tmp_path / "c.csv"
    path.write_text(
        "id,lon,lat,category,status,note\n"
        "1,-76.151,43.051,Pothole,Open,a\n"
        "2,-76.152,43.052,Crack,,b\n"
        "1,-76.153,43.053,Sinkhole,Closed,c\n"
        "3,-76.154,43.054,,Open,d\n"
    )
    c = streetrank.read_complaints(path, on_error="skip", keep=["note"])
    assert c.index.tolist() == [1, 2, 3]
    assert c["category"].tolist() == ["Pothole", "Crack", pd.NA]
    assert c["status"].tolist() == ["Open", pd.NA, "Open"]
    assert c["note"].tolist() == ["a", "b", "d"]
    assert np.allclose(c.geometry.x, [-76.151, -76.152, -76.154]) and np.allclose(c.geometry.y, [43.051, 43.052, 43.054])
    assert c.attrs["streetrank"]["report"]["skipped"] == {"duplicate id": 1}
    with pytest.raises(streetrank.InputError, match="record 3, field `id`: id `1` was already used by record 1"):
        streetrank.read_complaints(path, keep=["note"])


@pytest.mark.parametrize("kept", ["created", "category", "status", "geometry"])
def test_read_complaints_refuses_a_kept_column_named_as_its_own(tmp_path, kept: str) -> None:
    # A kept column used to replace the mapped one of its name silently: a kept raw `category`
    # beside `category = "service"` would have given score() the wrong categories.
    path = tmp_path / "c.csv"
    path.write_text(
        "id,lon,lat,created_at,service,state,created,category,status,geometry\n"
        "A,-76.15,43.05,2024-05-01,Pothole,Open,yesterday,Crack,Closed,POINT (0 0)\n"
    )
    mapping = {"created": "created_at", "category": "service", "status": "state"}
    with pytest.raises(streetrank.ConfigError, match=f"keep: `{kept}` is kept, but the frame has"):
        streetrank.read_complaints(path, keep=[kept], **mapping)
    c = streetrank.read_complaints(path, keep=["id"], **mapping)
    assert c["category"].tolist() == ["Pothole"] and c["status"].tolist() == ["Open"]
    assert c["created"].tolist() == [pd.Timestamp("2024-05-01", tz="UTC")]


def test_read_streets_refuses_a_kept_column_named_as_its_own(tmp_path) -> None:
    path = tmp_path / "s.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature",
        "properties": {"sid": 1, "ward": "W1", "district": "D9"},
        "geometry": {"type": "LineString", "coordinates": [[-76.15, 43.05], [-76.149, 43.05]]},
    }]}))
    with pytest.raises(streetrank.ConfigError, match="keep: `district` is kept"):
        streetrank.read_streets(path, id="sid", district="ward", keep=["district"])
    s = streetrank.read_streets(path, id="sid", district="ward")
    assert s["district"].tolist() == ["W1"]




def _dated(xy: list[tuple[float, float]], created: list[str], index: list[object]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"created": pd.to_datetime(created)}, geometry=shapely.points(np.asarray(xy, dtype=float)), index=index, crs="EPSG:32618"
    )


@pytest.mark.parametrize("ids", [[1, 2, 3, 4], ["r1", "r2", "r3", "r4"]])
def test_score_on_several_frames_equals_score_on_their_rows_together(ids: list[object]) -> None:
    """Frames are scored as one batch of their rows in order; the note names the latest
    complaint, found in the second frame, by its id (integer ids cross as one array)."""
    xy = [(10, 2), (60, 1), (50, 48), (20, 3)]
    created = ["2020-01-01", "2020-03-01", "2020-05-01", "2020-02-01"]
    a, b = _dated(xy[:2], created[:2], ids[:2]), _dated(xy[2:], created[2:], ids[2:])
    apart = streetrank.score(_streets(), [a, b], profile="internal")
    together = streetrank.score(_streets(), _dated(xy, created, ids), profile="internal")
    columns = ["segment_id", "score", "pressure_raw", "complaints", "complaints_kept"]
    assert apart[columns].to_numpy().tolist() == together[columns].to_numpy().tolist()
    assert dict(zip(apart["segment_id"].tolist(), apart["complaints"].tolist())) == {10: 3, 20: 1}
    assert f"(complaint {ids[2]})" in apart.attrs["streetrank"]["notes"][0]


def test_score_refuses_an_id_in_two_frames_and_a_point_that_is_not_finite() -> None:
    a = _dated([(10, 2), (60, 1)], ["2020-01-01", "2020-03-01"], [10, 11])
    b = _dated([(50, 48), (20, 3)], ["2020-05-01", "2020-02-01"], [12, 11])
    with pytest.raises(streetrank.ConfigError, match="complaint id 11 is in both complaint frame 0 and complaint frame 1"):
        streetrank.score(_streets(), [a, b])
    c = _dated([(10, 2), (np.nan, 1)], ["2020-01-01", "2020-03-01"], ["r1", "r2"])
    with pytest.raises(streetrank.DataError, match=r"complaint r2: coordinate 0 is not a finite number \(NaN, 1\)"):
        streetrank.score(_streets(), c)


def test_the_first_bad_street_in_order_is_the_one_named() -> None:
    """Streets are built in parallel; of several bad ones, the error names the first."""
    good = [shapely.LineString([(0, k), (100, k)]) for k in range(20_000)]
    lines = good[:]
    for k in (7_000, 12_000, 19_000):
        lines[k] = shapely.LineString([(5, 5), (5, 5)])
    streets = gpd.GeoDataFrame(geometry=lines, index=range(100, 20_100), crs="EPSG:32618")
    for _ in range(8):  # rayon may meet any of them first
        with pytest.raises(streetrank.DataError, match="7100"):
            streetrank.StreetIndex(streets)
    lanes = gpd.GeoDataFrame({"lanes": [2.0] * 5_000 + [2.5] + [1.5] * 5}, geometry=good[:5_006], crs="EPSG:32618")
    with pytest.raises(streetrank.DataError, match=r"lanes of street 5000: 2\.5 is not a whole number"):
        streetrank.score(lanes, _points([(1, 1)]))


def test_score_checks_every_id_of_a_single_frame_and_complaints_before_ratings(tmp_path) -> None:
    big = _dated([(10, 2), (60, 1)], ["2020-01-01", "2020-03-01"], [1, 2])
    big.index = pd.Index([1, 2**64], dtype=object)
    with pytest.raises(streetrank.DataError, match="complaint ids: id 18446744073709551616 is outside the 64-bit"):
        streetrank.score(_streets(), big)
    nan = _dated([(np.nan, 1)], ["2020-01-01"], ["r1"])
    with pytest.raises(streetrank.DataError, match="complaint r1: coordinate 0 is not a finite number"):
        streetrank.score(_streets(), nan, ratings=tmp_path / "missing.csv")


def test_read_complaints_over_several_pieces_keeps_the_columns_in_step(tmp_path) -> None:
    """~3 MB: the reader hands the file on in pieces of 1 MiB; the repeats dropped at the end
    are in different pieces from the ids they repeat."""
    n = 70_000
    rng = np.random.default_rng(7)
    ids = np.arange(n)
    repeats = [30_000, 50_000, 69_999]
    ids[repeats] = [5, 40_000, 100]
    categories = np.array(["Pothole", "Crack", "Sinkhole", ""])[rng.integers(0, 4, n)]
    lon = -76.15 + rng.random(n) * 0.01
    lat = 43.05 + rng.random(n) * 0.01
    lines = [f"{i},{x:.7f},{y:.7f},{c},note{k}" for k, (i, x, y, c) in enumerate(zip(ids, lon, lat, categories))]
    path = tmp_path / "c.csv"
    path.write_text("id,lon,lat,category,note\n" + "\n".join(lines) + "\n")
    assert path.stat().st_size > 2_500_000
    c = streetrank.read_complaints(path, on_error="skip", keep=["note"])
    kept = np.setdiff1d(np.arange(n), repeats)
    assert c.index.tolist() == ids[kept].tolist()
    want = [pd.NA if v == "" else v for v in categories[kept]]
    assert c["category"].tolist() == want
    assert c["note"].tolist() == [f"note{k}" for k in kept]
    assert np.allclose(c.geometry.x, np.round(lon[kept], 7)) and np.allclose(c.geometry.y, np.round(lat[kept], 7))


def test_publish_suppression_in_a_late_run_of_rows_gives_a_nullable_column() -> None:
    """The ranking crosses into Python in runs of rows built in parallel; a suppressed count
    (1 complaint, k = 3) only in a late run turns the whole column into a nullable one."""
    n = 17_000
    lines = [shapely.LineString([(0, 100 * k), (100, 100 * k)]) for k in range(n + 1)]
    streets = gpd.GeoDataFrame(geometry=lines, index=range(1, n + 2), crs="EPSG:32618")
    xy = [(50, 100 * k) for k in range(n) for _ in range(3)] + [(50, 100 * n)]
    ranked = streetrank.score(streets, _points(xy), as_of="2020-01-01")
    assert ranked["complaints"].dtype == "Int64"
    assert ranked["complaints"].isna().tolist() == [False] * n + [True]
    assert ranked["segment_id"].iloc[-1] == n + 1 and ranked["complaints"].iloc[:n].eq(3).all()
