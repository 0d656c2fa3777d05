"""Scale-out on Dask: score and snap complaints held in a Dask (dask-geopandas) frame.

The answer is :func:`streetrank.score`'s (and :func:`streetrank.snap`'s) on the same data computed
in memory, bit for bit, for any partitioning: every step calls the Rust code the single-machine
path calls (the working-CRS projection, the street index, the per-segment pressure and the
ranking), and every order-dependent choice uses a complaint's position in the whole input.

The steps (``docs/scale-out.md`` explains them with the memory arithmetic):

1. **Map**, one task per complaint partition: check the points, project them into the working
   CRS, and snap them against the street index, which is *broadcast* (one copy per worker,
   built once per worker process) when it fits in ``max_streets_bytes``; otherwise the streets
   are *tiled*: a grid of tiles over the streets' extent, each tile holding the streets within
   ``max_distance`` of it (the halo), and each complaint is routed to the tile holding its
   projected point and snapped there (a hand-made shuffle: one task per tile).
2. **Reduce**: the matched complaints (40 bytes each) are shuffled by segment; each segment's
   pressure is computed where its complaints land (``streetrank`` core ``pressure_tally``),
   then the tallies (one row per segment) are ranked once on the client (``score_tallies``).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import threading
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Optional, Union

import dask
import dask.dataframe as dd
import geopandas as gpd
import numpy as np
import pandas as pd

from streetrank import _api
from streetrank import _streetrank as _rs

__all__ = ["score", "snap", "streets_bytes"]

_UNDATED = np.iinfo(np.int64).min
#: Bytes a broadcast street index takes in a worker, per vertex and per segment: the Python-side
#: arrays (coordinates 16 B/vertex; offsets, positions, lengths 24 B/segment) plus the Rust index
#: (its copy of the coordinates, chainages, pieces, snap grid). Measured as resident memory on the
#: generated city (100k segments, 338k vertices: 154 MB, snap buffers of a 300k-point batch
#: included); see docs/scale-out.md.
_BYTES_PER_VERTEX = 300
_BYTES_PER_SEGMENT = 500
#: The most tiles per side the partitioned-streets path cuts the extent into.
_MAX_TILES_PER_SIDE = 64
_MATCHED_COLUMNS = {
    "position": np.int64,
    "segment": np.int64,
    "x": np.float64,
    "y": np.float64,
    "created": np.int64,
    "length": np.float64,
}
_TALLY_COLUMNS = {
    "segment": np.int64,
    "raw": np.float64,
    "matched": np.int64,
    "kept": np.int64,
    "future": np.int64,
    "undated": np.int64,
    "duplicates": np.int64,
}
_SNAP_ARRAYS = {
    "segment": np.int64,
    "distance_m": np.float64,
    "fraction": np.float64,
    "chainage_m": np.float64,
    "side": np.int8,
    "runner_up": np.int64,
    "runner_up_m": np.float64,
    "ambiguous": np.bool_,
    "reason": np.int32,
}


def _arr(a: Any, dtype: Any) -> np.ndarray:
    """``a`` as a C-contiguous, ALIGNED array for the extension (arrays that distributed
    deserialises from its frames can be unaligned)."""
    return np.require(a, dtype=dtype, requirements=["C", "A"])


def streets_bytes(n_vertices: int, n_segments: int) -> int:
    """Estimated bytes of a broadcast street index in one worker (see ``docs/scale-out.md``)."""
    return _BYTES_PER_VERTEX * n_vertices + _BYTES_PER_SEGMENT * n_segments


# ---- the streets, picklable --------------------------------------------------------------------

#: Built indexes per worker process, most recent last (only broadcast indexes are kept: a tile
#: is snapped by one task).
_CACHE: OrderedDict[str, Any] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 2


class _Streets:
    """Streets (all, or one tile's) in the working CRS as arrays; pickles without the R-tree,
    which is built on first use in each process (and, for a broadcast index, kept there)."""

    def __init__(
        self, coords: np.ndarray, offsets: np.ndarray, positions: np.ndarray, lengths: np.ndarray, work_crs: str, keep: bool
    ) -> None:
        self.token = uuid.uuid4().hex
        self.coords = coords
        self.offsets = offsets
        self.positions = positions  # global segment positions, ascending
        self.lengths = lengths
        self.work_crs = work_crs
        self.keep = keep
        self._index: Any = None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_index"] = None
        return state

    def __len__(self) -> int:
        return len(self.positions)

    def index(self) -> Any:
        if self._index is not None:
            return self._index
        with _CACHE_LOCK:
            built = _CACHE.get(self.token)
            if built is not None:
                _CACHE.move_to_end(self.token)
        if built is None:
            # Ids are the global positions: the index answers local positions, mapped back below.
            built = _rs.StreetIndex(
                self.positions.tolist(),
                _arr(self.coords, np.float64),
                _arr(self.offsets, np.int64),
                self.work_crs,
                self.work_crs,
            )
            if self.keep:
                with _CACHE_LOCK:
                    _CACHE[self.token] = built
                    while len(_CACHE) > _CACHE_SIZE:
                        _CACHE.popitem(last=False)
        self._index = built
        return built

    def snap(self, x: np.ndarray, y: np.ndarray, max_distance: float, tolerance: float) -> dict[str, Any]:
        """Snap columns with GLOBAL segment positions (-1: none)."""
        d = dict(self.index().snap(x, y, self.work_crs, max_distance, tolerance))
        for key in ("segment", "runner_up"):
            local = d[key]
            d[key] = np.where(local >= 0, self.positions.take(local, mode="clip"), -1)
        return d


def _subset(coords: np.ndarray, offsets: np.ndarray, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The coordinates and offsets of the lines at ``positions`` (ascending)."""
    starts, ends = offsets[positions], offsets[positions + 1]
    counts = ends - starts
    new_offsets = np.zeros(len(positions) + 1, dtype=np.int64)
    np.cumsum(counts, out=new_offsets[1:])
    take = np.repeat(starts - new_offsets[:-1], counts) + np.arange(new_offsets[-1])
    return np.ascontiguousarray(coords[take]), new_offsets


@dataclass(frozen=True)
class _Grid:
    """Tiles over the streets' extent: ``k`` by ``k``, the outer ones unbounded outwards."""

    x0: float
    y0: float
    width: float
    height: float
    k: int

    def cell(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            i = np.floor((x - self.x0) / self.width)
            j = np.floor((y - self.y0) / self.height)
        i = np.where(np.isfinite(i), np.clip(i, 0, self.k - 1), 0).astype(np.int64)
        j = np.where(np.isfinite(j), np.clip(j, 0, self.k - 1), 0).astype(np.int64)
        return j * self.k + i


def _tiles(
    coords: np.ndarray, offsets: np.ndarray, lengths: np.ndarray, work: str, max_distance: float, limit: int, k: Optional[int]
) -> tuple[_Grid, list[Optional[_Streets]]]:
    """Tiles small enough for ``limit`` bytes each (or ``k`` per side when given), each with the
    streets whose bounding box comes within ``max_distance`` of it (plus a margin)."""
    n = len(offsets) - 1
    bx0 = np.minimum.reduceat(coords[:, 0], offsets[:-1])
    bx1 = np.maximum.reduceat(coords[:, 0], offsets[:-1])
    by0 = np.minimum.reduceat(coords[:, 1], offsets[:-1])
    by1 = np.maximum.reduceat(coords[:, 1], offsets[:-1])
    x0, y0, x1, y1 = bx0.min(), by0.min(), bx1.max(), by1.max()
    # The halo: the snap's reach plus a margin far above rounding; extra streets change nothing.
    halo = max_distance * 1.001 + 1.0
    vertices = np.diff(offsets)
    per_segment = _BYTES_PER_VERTEX * vertices + _BYTES_PER_SEGMENT
    side = k if k is not None else max(2, math.ceil(math.sqrt(int(per_segment.sum()) / max(limit, 1))))
    while True:
        grid = _Grid(float(x0), float(y0), max(float(x1 - x0), 1.0) / side, max(float(y1 - y0), 1.0) / side, side)
        # Each segment joins every tile its bounding box, grown by the halo, overlaps (the outer
        # tiles reach outwards without end, as points beyond the extent are routed to them).
        lo, hi = grid.cell(bx0 - halo, by0 - halo), grid.cell(bx1 + halo, by1 + halo)
        i0, j0, i1, j1 = lo % side, lo // side, hi % side, hi // side
        ni, nj = i1 - i0 + 1, j1 - j0 + 1
        seg = np.repeat(np.arange(n), ni * nj)
        first = np.repeat(np.cumsum(ni * nj) - ni * nj, ni * nj)
        r = np.arange(len(seg)) - first
        tile = (j0[seg] + r // ni[seg]) * side + i0[seg] + r % ni[seg]
        load = np.bincount(tile, weights=per_segment[seg], minlength=side * side)
        if k is not None or load.max() <= limit or side >= _MAX_TILES_PER_SIDE:
            break
        side = min(_MAX_TILES_PER_SIDE, side * 2)
    order = np.lexsort((seg, tile))  # by tile, then segment position ascending
    tile, seg = tile[order], seg[order]
    bounds = np.searchsorted(tile, np.arange(side * side + 1))
    members = [seg[bounds[t]:bounds[t + 1]] for t in range(side * side)]
    tiles: list[Optional[_Streets]] = []
    for m in members:
        if len(m) == 0:
            tiles.append(None)
            continue
        c, o = _subset(coords, offsets, m)
        tiles.append(_Streets(c, o, m.astype(np.int64), lengths[m], work, keep=False))
    return grid, tiles


def _client() -> Any:
    """The distributed client the current Dask scheduler is, or None (local threads, processes…)."""
    try:
        from distributed import get_client

        client = get_client()
    except (ImportError, ValueError):
        return None
    return client if dask.base.get_scheduler() == client.get else None


def _default_limit() -> Optional[int]:
    """A quarter of the smallest worker memory limit of the current distributed client, if any."""
    client = _client()
    if client is None:
        return None
    limits = [w.get("memory_limit") or 0 for w in client.scheduler_info()["workers"].values()]
    limits = [v for v in limits if v > 0]
    return min(limits) // 4 if limits else None


# ---- the map step ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    crs: str
    work_crs: str
    id_column: Optional[str]
    max_distance: float
    tolerance: float
    grid: Optional[_Grid]
    digest: bool
    snap: bool


def _frame(part: Any) -> gpd.GeoDataFrame:
    return part if isinstance(part, gpd.GeoDataFrame) else gpd.GeoDataFrame(geometry=part)


def _map_partition(part: Any, ctx: _Context, streets: Optional[_Streets]) -> dict[str, Any]:
    """One complaint partition: checked, projected, snapped (broadcast) or routed (tiles)."""
    frame = _frame(part)
    n = len(frame)
    x, y = _api._points(frame)
    created = _api._created(frame)
    out: dict[str, Any] = {"n": n, "latest": None, "bad": None, "index": frame.index if ctx.snap else None}
    ids: Optional[list[Any]] = None

    def ids_now() -> list[Any]:
        nonlocal ids
        if ids is None:
            ids = _api._ids(frame, ctx.id_column, "complaints[0]")
        return ids

    if not ctx.snap and n:
        ids_now()  # `score` checks every id (none missing); `snap` reads none
    px, py = _rs.project_points(_arr(x, np.float64), _arr(y, np.float64), ctx.crs, ctx.work_crs)
    if not ctx.snap:
        finite = np.isfinite(px) & np.isfinite(py)
        if not finite.all():
            k = int(np.argmin(finite))
            out["bad"] = (k, ids_now()[k], float(px[k]), float(py[k]))
    dated = created != _UNDATED
    if dated.any():
        t = int(created[dated].max())
        k = int(np.flatnonzero(created == t)[0])
        out["latest"] = (t, k, ids_now()[k])
    if ctx.digest:
        out["xy"] = np.ascontiguousarray(np.column_stack((x, y))).tobytes()
        out["ids_json"] = json.dumps(ids_now(), default=str)[1:-1] if n else ""
    local = np.arange(n, dtype=np.int64)
    if streets is not None:
        d = streets.snap(px, py, ctx.max_distance, ctx.tolerance)
        if ctx.snap:
            out["snap"] = d
        else:
            m = d["segment"] >= 0
            seg = d["segment"][m]
            out["rows"] = {"position": local[m], "segment": seg, "x": px[m], "y": py[m], "created": created[m],
                           "length": streets.lengths[seg]}
    else:
        assert ctx.grid is not None
        out["tile"] = ctx.grid.cell(px, py)
        out["points"] = {"position": local, "x": px, "y": py, "created": created}
    return out


def _stats(m: dict[str, Any]) -> dict[str, Any]:
    return {"n": m["n"], "latest": m["latest"], "bad": m["bad"]}


def _matched(m: dict[str, Any], offset: int) -> pd.DataFrame:
    rows = dict(m["rows"])
    rows["position"] = rows["position"] + offset
    return pd.DataFrame(rows, columns=list(_MATCHED_COLUMNS)).astype(_MATCHED_COLUMNS)


def _pick(m: dict[str, Any], tile: int, offset: int, partition: int) -> dict[str, np.ndarray]:
    """The points of partition ``m`` routed to ``tile``, with global positions."""
    sel = np.flatnonzero(m["tile"] == tile)
    p = m["points"]
    return {
        "position": p["position"][sel] + offset,
        "x": p["x"][sel],
        "y": p["y"][sel],
        "created": p["created"][sel],
        "partition": np.full(len(sel), partition, dtype=np.int64),
    }


def _snap_tile(streets: Optional[_Streets], ctx: _Context, reasons: list[str], *picks: dict[str, np.ndarray]) -> dict[str, Any]:
    """Snaps one tile's points against its streets (none: nothing within reach)."""
    cat = {k: np.concatenate([p[k] for p in picks]) if picks else np.empty(0) for k in ("position", "x", "y", "created", "partition")}
    n = len(cat["position"])
    if streets is not None:
        d = streets.snap(_arr(cat["x"], np.float64), _arr(cat["y"], np.float64), ctx.max_distance, ctx.tolerance)
        codes = np.asarray([reasons.index(r) for r in d["reasons"]] or [0], dtype=np.int32)
        d["reason"] = np.where(d["reason"] >= 0, codes.take(np.maximum(d["reason"], 0)), -1).astype(np.int32)
        d["reasons"] = reasons
    else:
        d = {
            "segment": np.full(n, -1, dtype=np.int64),
            "distance_m": np.full(n, np.nan),
            "fraction": np.full(n, np.nan),
            "chainage_m": np.full(n, np.nan),
            "side": np.full(n, -1, dtype=np.int8),
            "runner_up": np.full(n, -1, dtype=np.int64),
            "runner_up_m": np.full(n, np.nan),
            "ambiguous": np.zeros(n, dtype=bool),
            # A non-finite point is its own reason; any other is out of reach of every street.
            "reason": np.where(np.isfinite(cat["x"]) & np.isfinite(cat["y"]), 0, 1).astype(np.int32),
            "reasons": reasons,
        }
    d["position"] = cat["position"].astype(np.int64)
    d["partition"] = cat["partition"].astype(np.int64)
    if not ctx.snap:
        m = d["segment"] >= 0
        seg = d["segment"][m]
        lengths = np.zeros(0) if streets is None else streets.lengths[np.searchsorted(streets.positions, seg)]
        d["rows"] = {"position": d["position"][m], "segment": seg, "x": cat["x"][m], "y": cat["y"][m],
                     "created": cat["created"][m].astype(np.int64), "length": lengths}
    return d


def _tile_rows(d: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(d["rows"], columns=list(_MATCHED_COLUMNS)).astype(_MATCHED_COLUMNS)


def _tally(rows: pd.DataFrame, as_of: int, config_json: str) -> pd.DataFrame:
    col = {c: _arr(rows[c].to_numpy(), t) for c, t in _MATCHED_COLUMNS.items()}
    d = _rs.tally_segments(
        col["segment"], col["position"], col["x"], col["y"], col["created"], col["length"], as_of, config_json
    )
    return pd.DataFrame({c: d[c] for c in _TALLY_COLUMNS}).astype(_TALLY_COLUMNS)


# ---- shared set-up -----------------------------------------------------------------------------


def _local_streets(streets: Any) -> gpd.GeoDataFrame:
    """The streets in memory (a dask-geopandas frame is computed: the ranking has one row per
    segment, so the client holds them anyway)."""
    if isinstance(streets, dd.DataFrame):
        streets = streets.compute()
    if not isinstance(streets, gpd.GeoDataFrame):
        raise TypeError(f"streets: expected a GeoDataFrame or a dask-geopandas GeoDataFrame, got {type(streets).__name__}")
    return streets


def _meta(complaints: Any) -> Union[gpd.GeoDataFrame, gpd.GeoSeries]:
    if not isinstance(complaints, (dd.DataFrame, dd.Series)):
        raise TypeError(
            "complaints: expected a dask-geopandas GeoDataFrame or GeoSeries (use streetrank.score for "
            f"in-memory frames), got {type(complaints).__name__}"
        )
    meta = complaints._meta
    if not isinstance(meta, (gpd.GeoDataFrame, gpd.GeoSeries)):
        raise TypeError(
            "complaints: a dask frame of Points is needed: make one with dask_geopandas "
            "(e.g. `dask_geopandas.from_dask_dataframe(df, geometry=dask_geopandas.points_from_xy(df, 'x', 'y', crs=...))`)"
        )
    return meta


@dataclass
class _Setup:
    streets: gpd.GeoDataFrame
    config_json: str
    street_arrays: dict[str, Any]
    digests: list[tuple[str, str, str]]
    ctx: _Context
    broadcast: Optional[_Streets]
    tiles: list[Optional[_Streets]]
    mapped: list[Any]


def _setup(
    streets: Any,
    complaints: Any,
    config: Union[dict[str, Any], _api._PathLike, None],
    id_column: Optional[str],
    complaint_id_column: Optional[str],
    max_streets_bytes: Optional[int],
    tiles_per_side: Optional[int],
    snap: bool,
    max_distance: Optional[float] = None,
    tolerance: Optional[float] = None,
) -> _Setup:
    streets = _local_streets(streets)
    meta = _meta(complaints)
    # The single machine's own preparation, on the streets and the complaints' (empty) meta:
    # the same config (mappings from the frames' attrs), street arrays and street digest.
    config_json, street_arrays, _, digests = _api._prepare(streets, meta, config, id_column, complaint_id_column)
    cfg = json.loads(config_json)
    max_d = float(cfg["snap"]["max_distance_m"]) if max_distance is None else float(max_distance)
    tol = float(cfg["snap"]["ambiguity_tolerance_m"]) if tolerance is None else float(tolerance)
    if snap:
        # `StreetIndex` works in the config-free working CRS (the streets' `work_crs_given`).
        given = _api._attrs(streets).get("work_crs_given")
        config_json = _rs.load_config(json=json.dumps({**cfg, "work_crs": given}))
    proj = _rs.project_streets(
        street_arrays["ids"], street_arrays["coords"], street_arrays["offsets"], street_arrays["crs"], config_json
    )
    coords, offsets, lengths, work = proj["coords"], street_arrays["offsets"], proj["lengths"], proj["work_crs"]
    n_seg = len(offsets) - 1
    limit = max_streets_bytes if max_streets_bytes is not None else _default_limit()
    need = streets_bytes(len(coords), n_seg)
    tiled = n_seg > 0 and (tiles_per_side is not None or (limit is not None and need > limit))
    grid: Optional[_Grid] = None
    tile_list: list[Optional[_Streets]] = []
    broadcast: Optional[_Streets] = None
    if tiled:
        grid, tile_list = _tiles(coords, offsets, lengths, work, max_d, limit or need, tiles_per_side)
    else:
        broadcast = _Streets(coords, offsets, np.arange(n_seg, dtype=np.int64), lengths, work, keep=True)
    # `_digest`'s test, on the frame `_prepare` hashed: the file's digest when it names one.
    source = _api._attrs(_frame(meta)).get("source")
    has_source = isinstance(source, list) and len(source) == 3 and source[0] == "complaints"
    ctx = _Context(
        crs=_api._crs_def(meta, "points" if snap else "complaints[0]"),
        work_crs=work,
        id_column=complaint_id_column,
        max_distance=max_d,
        tolerance=tol,
        grid=grid,
        digest=not snap and not has_source,
        snap=snap,
    )
    if broadcast is not None:
        shared = _share(broadcast, everywhere=True)
        mapped = [dask.delayed(_map_partition)(p, ctx, shared) for p in complaints.to_delayed()]
    else:
        mapped = [dask.delayed(_map_partition)(p, ctx, None) for p in complaints.to_delayed()]
    return _Setup(streets, config_json, street_arrays, digests, ctx, broadcast, tile_list, mapped)


def _share(obj: Any, everywhere: bool) -> Any:
    """``obj`` for the tasks: scattered once (to every worker when ``everywhere``) under a
    distributed client, rather than pickled into the task graph; else a delayed literal."""
    client = _client()
    if client is None:
        return dask.delayed(obj, pure=False)
    return client.scatter(obj, broadcast=everywhere, hash=False)


def _offsets(stats: Sequence[dict[str, Any]]) -> np.ndarray:
    counts = np.asarray([s["n"] for s in stats], dtype=np.int64)
    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return offsets


def _tile_results(s: _Setup, mapped: Sequence[Any], offsets: np.ndarray) -> list[Any]:
    reasons = _rs.unmatched_reasons(s.ctx.max_distance)
    out = []
    for t, streets in enumerate(s.tiles):
        shared = _share(streets, everywhere=False) if streets is not None else None
        picks = [dask.delayed(_pick)(m, t, int(offsets[k]), k) for k, m in enumerate(mapped)]
        out.append(dask.delayed(_snap_tile)(shared, s.ctx, reasons, *picks))
    return out


# ---- score -------------------------------------------------------------------------------------


def score(
    streets: Any,
    complaints: Any,
    *,
    config: Union[dict[str, Any], _api._PathLike, None] = None,
    as_of: Optional[str] = None,
    ratings: Optional[_api._PathLike] = None,
    on_error: Literal["fail", "skip"] = "fail",
    id_column: Optional[str] = None,
    complaint_id_column: Optional[str] = None,
    profile: Literal["publish", "internal"] = "publish",
    max_streets_bytes: Optional[int] = None,
    tiles_per_side: Optional[int] = None,
) -> gpd.GeoDataFrame:
    """Rank the segments for repair from complaints in a Dask frame: :func:`streetrank.score`'s
    result, bit for bit, on the same data in memory, for any partitioning.

    Runs on the current Dask scheduler (a ``distributed.Client`` when one is active).

    Parameters
    ----------
    streets : geopandas.GeoDataFrame or dask_geopandas.GeoDataFrame
        As for :func:`streetrank.score` (a Dask frame is computed: the result has one row per
        segment, so the client holds the streets anyway).
    complaints : dask_geopandas.GeoDataFrame or dask_geopandas.GeoSeries
        Point complaints with a CRS, partitioned any way; input order is partition order, then
        row order (the order ``complaints.compute()`` gives).
    config, as_of, ratings, on_error, id_column, complaint_id_column, profile
        As for :func:`streetrank.score`.
    max_streets_bytes : int, optional
        The most bytes a worker may give the street index. Default: a quarter of the smallest
        worker memory limit of the active ``distributed.Client`` (no limit without one). Streets
        that need more (:func:`streets_bytes`) are tiled with a halo of ``max_distance``.
    tiles_per_side : int, optional
        Tile the streets into this many tiles per side whatever their size (tests, tuning).

    Returns
    -------
    geopandas.GeoDataFrame
        As :func:`streetrank.score`.

    Examples
    --------
    >>> import dask_geopandas, geopandas as gpd, shapely, streetrank, streetrank.dask
    >>> streets = gpd.GeoDataFrame(
    ...     geometry=[shapely.LineString([(0, 0), (100, 0)]), shapely.LineString([(0, 50), (100, 50)])],
    ...     index=[1, 2], crs="EPSG:32618")
    >>> pts = gpd.GeoDataFrame(geometry=shapely.points([(10, 2), (60, 1), (50, 48)]), crs="EPSG:32618")
    >>> ranked = streetrank.dask.score(streets, dask_geopandas.from_geopandas(pts, npartitions=2),
    ...                                as_of="2020-01-01", profile="internal")
    >>> ranked[["rank", "segment_id", "complaints"]].to_numpy().tolist()
    [[1, 1, 2], [2, 2, 1]]
    """
    _api._check_profile(profile)
    s = _setup(streets, complaints, config, id_column, complaint_id_column, max_streets_bytes, tiles_per_side, snap=False)
    mapped = dask.persist(*s.mapped)
    stats = dask.compute(*[dask.delayed(_stats)(m) for m in mapped])
    offsets = _offsets(stats)
    # The first non-finite projected point in input order fails as `score` fails.
    for st in stats:
        if st["bad"] is not None:
            _, bad_id, bx, by = st["bad"]
            _rs.check_complaint(bad_id, bx, by)
    latest = None
    for k, st in enumerate(stats):
        if st["latest"] is not None and (latest is None or st["latest"][0] > latest[0]):
            t, pos, cid = st["latest"]
            latest = (t, int(offsets[k]) + pos, cid)
    as_of_s = _rs.resolve_as_of(s.config_json, as_of, None if latest is None else latest[0])

    if s.broadcast is not None:
        frames = [dask.delayed(_matched)(m, int(offsets[k])) for k, m in enumerate(mapped)]
    else:
        frames = [dask.delayed(_tile_rows)(t) for t in _tile_results(s, mapped, offsets)]
    meta_rows = pd.DataFrame({c: pd.Series(dtype=t) for c, t in _MATCHED_COLUMNS.items()})
    rows = dd.from_delayed(frames, meta=meta_rows, verify_meta=False)
    # Every complaint of a segment in one partition, then each segment's pressure there.
    method = "p2p" if _client() is not None else "tasks"  # p2p needs the distributed scheduler
    rows = rows.shuffle(on="segment", npartitions=max(1, rows.npartitions), shuffle_method=method)
    meta_tally = pd.DataFrame({c: pd.Series(dtype=t) for c, t in _TALLY_COLUMNS.items()})
    tallies = rows.map_partitions(_tally, as_of_s, s.config_json, meta=meta_tally).compute()
    matched = int(tallies["matched"].sum())

    digests = list(s.digests)
    if s.ctx.digest:
        digests[1] = _stream_digest(mapped)
    out = _rs.score_tallies(
        s.street_arrays,
        {c: np.ascontiguousarray(tallies[c].to_numpy(), dtype=t) for c, t in _TALLY_COLUMNS.items()},
        int(offsets[-1]),
        matched,
        latest,
        s.config_json,
        digests,
        as_of,
        None if ratings is None else os.fspath(ratings),
        on_error,
        profile,
        text_buffers=_api._arrow_strings() is not None,
    )
    return _api._ranking_frame(s.streets, out, s.config_json, id_column, profile)


def _stream_digest(mapped: Sequence[Any]) -> tuple[str, str, str]:
    """``_api._digest`` of the whole complaint frame, fed partition by partition in order (one
    partition's bytes on the client at a time): the coordinates, then the ids' JSON."""
    h = hashlib.sha256()
    for m in mapped:
        (xy,) = dask.compute(dask.delayed(lambda d: d["xy"])(m))
        h.update(xy)
    h.update(b"[")
    first = True
    for m in mapped:
        (text,) = dask.compute(dask.delayed(lambda d: d["ids_json"])(m))
        if text:
            if not first:
                h.update(b", ")
            h.update(text.encode())
            first = False
    h.update(b"]")
    return ("complaints", "GeoDataFrame", h.hexdigest())


# ---- snap --------------------------------------------------------------------------------------


def _for_partition(tile: dict[str, Any], partition: int) -> dict[str, np.ndarray]:
    """The part of one tile's snap results that belongs to complaint partition ``partition``."""
    sel = np.flatnonzero(tile["partition"] == partition)
    return {key: tile[key][sel] for key in ("position", *_SNAP_ARRAYS)}


def _snap_part(m: dict[str, Any], lookup: Any, reasons: list[str], *pieces: dict[str, Any]) -> pd.DataFrame:
    """One partition's assignments table, in its row order, with its index; ``pieces`` are
    its rows' results from each tile (tiled streets), else ``m`` holds them."""
    d: dict[str, Any]
    if pieces:
        order = np.argsort(np.concatenate([p["position"] for p in pieces]), kind="stable")
        d = {key: np.concatenate([p[key] for p in pieces])[order] for key in _SNAP_ARRAYS}
    else:
        d = dict(m["snap"])
        codes = np.asarray([reasons.index(r) for r in d["reasons"]] or [0], dtype=np.int32)
        d["reason"] = np.where(d["reason"] >= 0, codes.take(np.maximum(d["reason"], 0)), -1).astype(np.int32)
    d = {k: np.asarray(d[k], dtype=t) for k, t in _SNAP_ARRAYS.items()}
    d["reasons"] = reasons
    return _api._snap_frame(d, lookup, m["index"])


def _index_only(m: dict[str, Any]) -> dict[str, Any]:
    return {"index": m["index"]}


def snap(
    complaints: Any,
    streets: Any,
    *,
    max_distance: float = 30.0,
    ambiguity_tolerance: float = 1.0,
    id_column: Optional[str] = None,
    profile: Literal["publish", "internal"] = "publish",
    max_streets_bytes: Optional[int] = None,
    tiles_per_side: Optional[int] = None,
) -> dd.DataFrame:
    """Snap complaints in a Dask frame to streets: :func:`streetrank.snap`'s table, partitioned
    like ``complaints`` (same rows, values and index), an **internal** table (docs/privacy.md).

    Under ``profile="publish"`` (the default) it is refused with a ``ValueError``, as
    :func:`streetrank.snap` refuses. ``max_streets_bytes`` and ``tiles_per_side`` as for
    :func:`score`. ``unmatched_reason`` is categorical over every reason text (the single
    machine's lists only those that occur).

    Examples
    --------
    >>> import dask_geopandas, geopandas as gpd, shapely, streetrank.dask
    >>> streets = gpd.GeoDataFrame(geometry=[shapely.LineString([(0, 0), (100, 0)])],
    ...                            index=[7], crs="EPSG:32618")
    >>> pts = gpd.GeoDataFrame(geometry=shapely.points([(25, 3), (25, 90)]), crs="EPSG:32618")
    >>> r = streetrank.dask.snap(dask_geopandas.from_geopandas(pts, npartitions=2), streets,
    ...                          profile="internal").compute()
    >>> r["segment_id"].tolist(), r["unmatched_reason"].tolist()
    ([7, <NA>], [nan, 'no street within 30 m'])
    """
    _api._check_profile(profile)
    if profile != "internal":
        raise ValueError(_rs.per_complaint_refusal("snap"))
    s = _setup(streets, complaints, None, id_column, None, max_streets_bytes, tiles_per_side, snap=True,
               max_distance=max_distance, tolerance=ambiguity_tolerance)
    reasons = _rs.unmatched_reasons(s.ctx.max_distance)
    lookup = _share(_api._id_lookup(s.street_arrays["ids"]), everywhere=True)
    mapped = list(dask.persist(*s.mapped))
    if s.broadcast is not None:
        parts = [dask.delayed(_snap_part)(m, lookup, reasons) for m in mapped]
    else:
        stats = dask.compute(*[dask.delayed(_stats)(m) for m in mapped])
        tiles = list(dask.persist(*_tile_results(s, mapped, _offsets(stats))))
        # Each output partition gathers only its own rows from each tile.
        parts = [
            dask.delayed(_snap_part)(
                dask.delayed(_index_only)(m), lookup, reasons, *[dask.delayed(_for_partition)(t, k) for t in tiles]
            )
            for k, m in enumerate(mapped)
        ]
    meta = _snap_meta(complaints, _api._id_lookup(s.street_arrays["ids"]), reasons)
    return dd.from_delayed(parts, meta=meta, divisions=complaints.divisions, verify_meta=False)


def _snap_meta(complaints: Any, lookup: Any, reasons: list[str]) -> pd.DataFrame:
    d: dict[str, Any] = {k: np.zeros(0, dtype=t) for k, t in _SNAP_ARRAYS.items()}
    d["reasons"] = reasons
    return _api._snap_frame(d, lookup, complaints._meta.index)
