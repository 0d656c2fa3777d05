"""The public API: GeoDataFrames in, GeoDataFrames out. Conversion only; Rust decides everything."""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from collections.abc import Callable, Sequence
from typing import Any, Literal, Optional, Union, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from streetrank import _streetrank as _rs
from streetrank._streetrank import ConfigError, CRSError, DataError

_PathLike = Union[str, "os.PathLike[str]"]

#: Street columns that feed the scoring model (the names ``read_streets`` gives them).
_STREET_ATTRIBUTES = ("road_class", "condition", "aadt", "width_m", "lanes", "district")
_COMPLAINT_ATTRIBUTES = ("created", "category", "status")
_SIDES = ["left", "right", "on"]
#: How many values of a column the personal-data check samples (the CLI's number).
_PERSONAL_SAMPLE = 1000


class PersonalDataWarning(UserWarning):
    """An input column that looks personal (a name, phone number, e-mail or street address) reaches
    the result; see ``docs/privacy.md``. The CLI prints the same warning on stderr."""


def _check_profile(profile: str) -> None:
    if profile not in ("publish", "internal"):
        raise ValueError(f"profile={profile!r}: expected 'publish' (the default) or 'internal'")


def _warn_personal(frame: pd.DataFrame, columns: Sequence[str], role: str, stacklevel: int = 3) -> None:
    """Warn about each of ``columns`` of ``frame`` that looks personal by name or sampled values."""
    for c in columns:
        values = frame[c].dropna().head(_PERSONAL_SAMPLE)
        sample = [v if isinstance(v, str) else None for v in values.tolist()]
        reason = _rs.looks_personal(role, str(c), sample)
        if reason is not None:
            warnings.warn(
                f"{role} column `{c}` looks personal ({reason}) and is written to the output; "
                "drop it unless the result stays internal (see docs/privacy.md)",
                PersonalDataWarning,
                stacklevel=stacklevel,
            )


def _crs_def(frame: gpd.GeoDataFrame | gpd.GeoSeries, what: str) -> str:
    """The CRS of a frame as a definition PROJ reads; a missing CRS is a ``CRSError``."""
    crs = frame.crs
    if crs is None:
        raise CRSError(
            f"{what} has no CRS, so streetrank cannot tell metres from degrees. Fix: set it, "
            f"e.g. `{what} = {what}.set_crs('EPSG:4326')` for longitude/latitude"
        )
    auth = pyproj.CRS.from_user_input(crs).to_authority(min_confidence=100)
    return f"{auth[0]}:{auth[1]}" if auth else crs.to_wkt()


def _ids(frame: pd.DataFrame, id_column: Optional[str], what: str) -> list[Any]:
    """The ids of a frame's rows: ``id_column`` when given, else the index."""
    ids = _id_values(frame, id_column, what)  # without ``texts``: an array or a list, never buffers
    if isinstance(ids, np.ndarray):
        return ids.tolist()
    return cast(list[Any], ids)


def _id_values(
    frame: pd.DataFrame, id_column: Optional[str], what: str, texts: bool = False
) -> np.ndarray | list[Any] | tuple[np.ndarray, np.ndarray]:
    """``_ids``, with integer ids as one int64 array (no Python object per row) and, with
    ``texts``, an Arrow-backed string column as its buffers (``_text_buffers``)."""
    values = frame[id_column] if id_column is not None else frame.index.to_series()
    if values.isna().any():
        raise DataError(f"{what}: ids must not be missing (column {id_column or 'index'})")
    if pd.api.types.is_integer_dtype(values.dtype):
        if pd.api.types.is_unsigned_integer_dtype(values.dtype):
            over = np.flatnonzero(values.to_numpy(dtype=np.uint64) > np.iinfo(np.int64).max)
            if len(over):
                fix = f"frame[{id_column!r}] = frame[{id_column!r}]" if id_column else "frame.index = frame.index"
                raise DataError(
                    f"{what}: id {values.iloc[over[0]]} (row {over[0]}) is outside the 64-bit signed integer range "
                    f"streetrank keeps integer ids in (it would wrap to a negative number). Fix: use the ids as "
                    f"text, e.g. `{fix}.astype(str)`"
                )
        return np.ascontiguousarray(values.to_numpy(dtype=np.int64))
    if isinstance(values.dtype, pd.StringDtype):  # all `str`: none is missing
        buffers = _text_buffers(values) if texts else None
        return values.tolist() if buffers is None else buffers
    items = values.tolist()
    # A Python int outside int64 is refused on the Rust side (`convert::ids`), with the fix.
    return [v if isinstance(v, (int, str)) and not isinstance(v, bool) else str(v) for v in items]


def _text_buffers(values: pd.Series) -> Optional[tuple[np.ndarray, np.ndarray]]:
    """A string column without missing values as Arrow buffers, ``(offsets, data)``: ``n + 1``
    int64 byte offsets into the UTF-8 ``data``, which the extension reads without a Python
    object per row (10M ids: ``tolist`` alone took 0.8 s). ``None`` unless Arrow holds it."""
    if getattr(values.dtype, "storage", None) != "pyarrow":
        return None
    import pyarrow as pa

    arr = values.array.__arrow_array__()
    if isinstance(arr, pa.ChunkedArray):  # one chunk taken as it is: combine_chunks copies it
        arr = arr.chunk(0) if arr.num_chunks == 1 else arr.combine_chunks()
    if pa.types.is_string(arr.type):
        arr = arr.cast(pa.large_string())
    if not pa.types.is_large_string(arr.type) or arr.null_count:
        return None
    _, offsets, data = arr.buffers()
    at = np.frombuffer(offsets, dtype=np.int64)[arr.offset : arr.offset + len(arr) + 1]
    return at, (np.frombuffer(data, dtype=np.uint8) if data is not None else np.empty(0, dtype=np.uint8))


def _arrow_strings() -> Optional[pd.api.extensions.ExtensionDtype]:
    """The dtype pandas gives a list of ``str``, when Arrow holds it (pandas 3 with pyarrow)."""
    dtype = pd.Index(["x"]).dtype
    return dtype if getattr(dtype, "storage", None) == "pyarrow" else None


def _id_index(ids: Any, name: str, dtype: Optional[pd.api.extensions.ExtensionDtype]) -> pd.Index:
    """The index of a frame read by the extension: ``ids`` an int64 array, a list, or text ids
    as Arrow buffers (asked for when ``dtype`` is Arrow's, and made into one without copies)."""
    if isinstance(ids, tuple):
        return pd.Index(pd.array(_arrow_texts(*ids), dtype=dtype), name=name)
    return pd.Index(ids, name=name)


def _arrow_texts(offsets: np.ndarray, data: np.ndarray, valid: Optional[np.ndarray] = None) -> Any:
    """A ``pyarrow.LargeStringArray`` over text buffers (``_text_buffers``, ``_id_index``,
    ``_table_columns``), not copied; ``valid``: which are there (default all)."""
    import pyarrow as pa

    nulls = None if valid is None or valid.all() else pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.LargeStringArray.from_buffers(len(offsets) - 1, pa.py_buffer(offsets), pa.py_buffer(data), nulls)


def _table_columns(columns: dict[str, Any]) -> dict[str, Any]:
    """The columns of a table from the extension, the text columns it sent as Arrow buffers
    (``text_buffers=True``, asked for when ``_arrow_strings`` says Arrow holds pandas' strings)
    made arrays of that dtype: what pandas makes of the list of ``str`` and ``None`` it sends
    otherwise, without a Python object per row."""
    strings = _arrow_strings()
    return {k: pd.array(_arrow_texts(*v), dtype=strings) if isinstance(v, tuple) else v for k, v in columns.items()}


def _lines(streets: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Street geometry as ``(n, 2)`` coordinates and line offsets (``shapely.to_ragged_array``)."""
    geoms = streets.geometry.to_numpy()
    if len(geoms) == 0:
        return np.empty((0, 2)), np.zeros(1, dtype=np.int64)
    kinds = set(shapely.get_type_id(geoms).tolist())
    if kinds - {int(shapely.GeometryType.LINESTRING)}:
        raise DataError(
            "streets must all be LineStrings (got geometry type ids "
            f"{sorted(kinds)}). Fix: `streets = streets.explode(index_parts=False)` splits "
            "MultiLineStrings; drop missing or empty geometries first"
        )
    _, coords, offsets = shapely.to_ragged_array(geoms, include_z=False)
    return np.ascontiguousarray(coords, dtype=np.float64), np.asarray(offsets[0], dtype=np.int64)


def _points(points: gpd.GeoDataFrame | gpd.GeoSeries) -> tuple[np.ndarray, np.ndarray]:
    """Point geometry as ``x`` and ``y`` arrays; anything but non-empty Points is a ``DataError``."""
    geoms = points.geometry.to_numpy() if isinstance(points, gpd.GeoDataFrame) else points.to_numpy()
    # Fast path, one pass per axis: get_x/get_y give NaN for missing and non-Point geometries and
    # raise (or give NaN) for empty Points, so NaN-free results mean only non-empty Points.
    # Anything else (or a Point with a NaN coordinate) takes the exact checks below.
    try:
        x, y = shapely.get_x(geoms), shapely.get_y(geoms)
        if not (np.isnan(x).any() or np.isnan(y).any()):
            return x, y
    except shapely.errors.GEOSException:
        pass
    if len(geoms) and not (shapely.get_type_id(geoms) == int(shapely.GeometryType.POINT)).all():
        raise DataError("complaints must all be Points. Fix: `gdf.geometry = gdf.representative_point()`")
    xy = shapely.get_coordinates(geoms)
    if len(xy) != len(geoms):  # get_coordinates skips empty points
        raise DataError("complaints hold empty points. Fix: drop them, `gdf[~gdf.is_empty]`")
    return xy[:, 0], xy[:, 1]


def _coded_texts(coded: tuple[np.ndarray, list[str]]) -> pd.api.extensions.ExtensionArray:
    """A ``string`` column from the extension's ``(codes, values)``: code -1 is missing."""
    codes, values = coded
    # Taken from the few distinct texts as a string array: no Python object per row (a tenth
    # of the time of converting an object array of the rows, measured on 10M rows).
    return pd.array(values, dtype="string").take(codes, allow_fill=True)


def _mapping_json(mapping: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in mapping.items() if v is not None})


def _attrs(frame: pd.DataFrame) -> dict[str, Any]:
    meta = frame.attrs.get("streetrank")
    return meta if isinstance(meta, dict) else {}


def read_streets(
    path: _PathLike, *, on_error: Literal["fail", "skip"] = "fail", work_crs: Optional[str] = None, **mapping: Any
) -> gpd.GeoDataFrame:
    """Read a street centerline file with streetrank's own reader.

    Parameters
    ----------
    path : str or os.PathLike
        A Shapefile (``.shp``, or a ``.zip`` holding one), GeoJSON, or CSV with a WKT column.
    on_error : {"fail", "skip"}, default "fail"
        Stop at the first bad feature, or skip and count bad features.
    work_crs : str, optional
        The metric CRS to project into; default the UTM zone of the streets' centre.
    **mapping
        The ``[streets]`` table of the CLI's config: ``id``, ``road_class``, ``condition``,
        ``aadt``, ``width``, ``width_unit``, ``lanes``, ``district``, ``keep``, ``crs``,
        ``layer``, ``geometry``. Unknown keys raise ``ConfigError``.

    Returns
    -------
    geopandas.GeoDataFrame
        One LineString row per segment in the working CRS, indexed by segment id, with the
        columns ``road_class``, ``condition``, ``aadt``, ``width_m``, ``lanes``, ``district``
        and any kept columns (a kept column named as one of these raises ``ConfigError``).
        ``.attrs["streetrank"]`` holds the file's digest, the mapping, the CRSs and the load
        report.

    Examples
    --------
    >>> import streetrank
    >>> streets = streetrank.read_streets("../fixtures/city/streets.geojson")  # doctest: +SKIP
    """
    mapping_json = _mapping_json(mapping)
    strings = _arrow_strings()
    d = _rs.read_streets(os.fspath(path), mapping_json, on_error, work_crs, strings is not None)
    geometry = shapely.from_ragged_array(
        shapely.GeometryType.LINESTRING, d["coords"], (d["offsets"],)
    )
    index = _id_index(d["ids"], "segment_id", strings)
    data: dict[str, Any] = {
        "road_class": _coded_texts(d["road_class"]),
        "condition": d["condition"],
        "aadt": d["aadt"],
        "width_m": d["width_m"],
        "lanes": pd.arrays.IntegerArray(
            np.where(np.isnan(d["lanes"]), 0, d["lanes"]).astype(np.int64), np.isnan(d["lanes"])
        ),
        "district": _coded_texts(d["district"]),
    }
    _add_kept(data, d["properties"], "streets")
    gdf = gpd.GeoDataFrame(data, index=index, geometry=geometry, crs=d["work_crs"])
    gdf.attrs["streetrank"] = {
        "source": ["streets", os.path.basename(os.fspath(path)), d["sha256"]],
        "mapping": json.loads(d["mapping"]),
        "work_crs_given": work_crs,
        "work_crs": d["work_crs_label"],
        "source_crs": d["source_crs"],
        "extent_lonlat": d["extent_lonlat"],
        "report": d["report"],
    }
    return gdf


def _add_kept(data: dict[str, Any], kept: dict[str, Any], section: str) -> None:
    """Adds the kept columns to a reader's frame columns; one named as a column of the frame's
    own (or ``geometry``) would replace it, and is refused."""
    for name in kept:
        if name in data or name == "geometry":
            raise ConfigError(
                f"[{section}] keep: `{name}` is kept, but the frame has a `{name}` column of its "
                f"own. Fix: leave `{name}` out of `keep` (the frame's own `{name}` column is there "
                "anyway)"
            )
    data.update(kept)


def read_complaints(
    path: _PathLike,
    *,
    streets: Optional[gpd.GeoDataFrame] = None,
    on_error: Literal["fail", "skip"] = "fail",
    **mapping: Any,
) -> gpd.GeoDataFrame:
    """Read a complaints file (CSV, GeoJSON, Open311 JSON) with streetrank's own reader.

    Parameters
    ----------
    path : str or os.PathLike
        The complaints file.
    streets : geopandas.GeoDataFrame, optional
        The streets they belong to: points are projected straight into the streets' CRS, and the
        swapped-axis and far-away checks use the streets' extent (as the CLI does). Without it
        the points come back in longitude/latitude (EPSG:4326).
    on_error : {"fail", "skip"}, default "fail"
        Stop at the first bad record, or skip and count bad records.
    **mapping
        The ``[complaints]`` table of the CLI's config: ``id``, ``x``, ``y``, ``created``,
        ``category``, ``status``, ``keep``, ``crs``, ``swap_xy``, ``date_format``.

    Returns
    -------
    geopandas.GeoDataFrame
        One Point row per complaint indexed by complaint id, with ``created`` (UTC),
        ``category``, ``status`` and any kept columns (a kept column named as one of these
        raises ``ConfigError``).

    Examples
    --------
    >>> import streetrank
    >>> c = streetrank.read_complaints("potholes.csv", swap_xy=True)  # doctest: +SKIP
    """
    if streets is not None:
        work = _crs_def(streets, "streets")
        extent = _attrs(streets).get("extent_lonlat")
        if extent is None and len(streets):
            extent = [float(v) for v in streets.to_crs("EPSG:4326").total_bounds]
    else:
        work, extent = "EPSG:4326", None
    strings = _arrow_strings()
    d = _rs.read_complaints(
        os.fspath(path), _mapping_json(mapping), on_error, work, extent, text_ids_as_buffers=strings is not None
    )
    # The array itself: `.to_numpy()` of tz-aware times is an object array of a million
    # Timestamps, which the frame then parses back (1.4 of 2.6 s for a million complaints).
    created = pd.Series(d["created"].view("datetime64[s]")).dt.tz_localize("UTC").array
    data: dict[str, Any] = {
        "created": created,
        "category": _coded_texts(d["category"]),
        "status": _coded_texts(d["status"]),
    }
    _add_kept(data, d["properties"], "complaints")
    xy = d["coords"]
    gdf = gpd.GeoDataFrame(
        data,
        index=_id_index(d["ids"], "complaint_id", strings),
        geometry=shapely.points(xy),
        crs=work,
    )
    gdf.attrs["streetrank"] = {
        "source": ["complaints", os.path.basename(os.fspath(path)), d["sha256"]],
        "mapping": json.loads(d["mapping"]),
        "source_crs": d["source_crs"],
        "swapped": d["swapped"],
        "far_away": d["far_away"],
        "report": d["report"],
    }
    return gdf


def _id_lookup(ids: list[Any]) -> np.ndarray | pd.api.extensions.ExtensionArray:
    """Ids as an array to ``take`` from: int64 when all are ``int``, else ``string`` (``str(id)``)."""
    if ids and all(isinstance(i, int) for i in ids):
        return np.asarray(ids, dtype=np.int64)
    return pd.array(np.asarray(ids, dtype=object).astype(str), dtype="string")


def _segment_ids(
    lookup: np.ndarray | pd.api.extensions.ExtensionArray, positions: np.ndarray
) -> pd.api.extensions.ExtensionArray:
    """Segment ids at ``positions`` (-1: none) as a nullable column, without per-row objects."""
    if isinstance(lookup, np.ndarray):  # never empty: see _id_lookup
        # -1 clips to position 0; the mask hides it.
        return pd.arrays.IntegerArray(lookup.take(positions, mode="clip"), positions < 0)
    return lookup.take(positions, allow_fill=True)


def _snap_frame(
    d: dict[str, Any], lookup: np.ndarray | pd.api.extensions.ExtensionArray, index: pd.Index
) -> pd.DataFrame:
    seg = d["segment"]
    # copy=False: the columns are fresh arrays owned by this frame alone; pandas need not copy
    # them into blocks.
    return pd.DataFrame(
        {
            "matched": seg >= 0,
            "segment_id": _segment_ids(lookup, seg),
            "distance_m": d["distance_m"],
            "fraction": d["fraction"],
            "chainage_m": d["chainage_m"],
            "side": pd.Categorical.from_codes(d["side"], categories=_SIDES),
            "runner_up_id": _segment_ids(lookup, d["runner_up"]),
            "runner_up_m": d["runner_up_m"],
            "ambiguous": d["ambiguous"],
            "unmatched_reason": pd.Categorical.from_codes(d["reason"], categories=d["reasons"]),
        },
        index=index,
        copy=False,
    )


class StreetIndex:
    """An R-tree over a street network: build once, snap many times.

    ``snap`` returns one row per point: for complaints that is an internal table (each complaint's
    street, distance and side); do not publish it (docs/privacy.md).

    Parameters
    ----------
    streets : geopandas.GeoDataFrame
        LineString streets with a CRS. A geographic CRS (or one not in metres) is projected to
        the UTM zone of the streets' centre; see ``work_crs``.
    id_column : str, optional
        The column holding segment ids; default the index.

    Examples
    --------
    >>> import geopandas as gpd, shapely, streetrank
    >>> streets = gpd.GeoDataFrame(geometry=[shapely.LineString([(0, 0), (100, 0)])],
    ...                            index=["A"], crs="EPSG:32618")
    >>> index = streetrank.StreetIndex(streets)
    >>> pts = gpd.GeoSeries(shapely.points([(30, -4), (30, 80)]), crs="EPSG:32618")
    >>> r = index.snap(pts)
    >>> r["segment_id"].tolist(), r["distance_m"].tolist()[0], r["unmatched_reason"].tolist()[1]
    (['A', <NA>], 4.0, 'no street within 30 m')
    """

    def __init__(self, streets: gpd.GeoDataFrame, *, id_column: Optional[str] = None) -> None:
        self._ids = _ids(streets, id_column, "streets")
        coords, offsets = _lines(streets)
        given = _attrs(streets).get("work_crs_given")
        self._index = _rs.StreetIndex(
            self._ids, coords, offsets, _crs_def(streets, "streets"), given
        )
        self._id_lookup = _id_lookup(self._ids)  # after the ids are checked

    @property
    def work_crs(self) -> str:
        """The metric CRS the index works in (``EPSG:32618``)."""
        return self._index.work_crs_label

    def __len__(self) -> int:
        return len(self._index)

    def snap(
        self,
        points: gpd.GeoDataFrame | gpd.GeoSeries,
        *,
        max_distance: float = 30.0,
        ambiguity_tolerance: float = 1.0,
    ) -> pd.DataFrame:
        """Snap points to their nearest street.

        Parameters
        ----------
        points : geopandas.GeoDataFrame or geopandas.GeoSeries
            Points with a CRS (reprojected to the index's CRS when different).
        max_distance : float, default 30.0
            Metres; farther points stay unmatched.
        ambiguity_tolerance : float, default 1.0
            Metres; a runner-up street this close to the best is flagged ``ambiguous``.

        Returns
        -------
        pandas.DataFrame
            Indexed like ``points``: ``matched``, ``segment_id``, ``distance_m``, ``fraction``,
            ``chainage_m``, ``side``, ``runner_up_id``, ``runner_up_m``, ``ambiguous``,
            ``unmatched_reason``.
        """
        x, y = _points(points)
        d = self._index.snap(x, y, _crs_def(points, "points"), max_distance, ambiguity_tolerance)
        return _snap_frame(d, self._id_lookup, points.index)


def snap(
    complaints: gpd.GeoDataFrame | gpd.GeoSeries,
    streets: gpd.GeoDataFrame,
    *,
    max_distance: float = 30.0,
    ambiguity_tolerance: float = 1.0,
    id_column: Optional[str] = None,
    profile: Literal["publish", "internal"] = "publish",
) -> pd.DataFrame:
    """Snap complaints to streets once; see :class:`StreetIndex` to snap many times.

    The result has one row per complaint, indexed like ``complaints``: an **internal** table, as
    the CLI's ``streetrank snap``. Under ``profile="publish"`` (the default) it is refused with a
    ``ValueError``; pass ``profile="internal"`` and do not publish the result (docs/privacy.md).

    Examples
    --------
    >>> import geopandas as gpd, shapely, streetrank
    >>> streets = gpd.GeoDataFrame(geometry=[shapely.LineString([(0, 0), (100, 0)])],
    ...                            index=[7], crs="EPSG:32618")
    >>> pts = gpd.GeoSeries(shapely.points([(25, 3)]), crs="EPSG:32618")
    >>> r = streetrank.snap(pts, streets, profile="internal")
    >>> r["segment_id"].tolist(), r["fraction"].tolist(), r["chainage_m"].tolist()
    ([7], [0.25], [25.0])
    """
    _check_profile(profile)
    if profile != "internal":
        raise ValueError(_rs.per_complaint_refusal("snap"))
    index = StreetIndex(streets, id_column=id_column)
    return index.snap(complaints, max_distance=max_distance, ambiguity_tolerance=ambiguity_tolerance)


def _digest(
    frame: pd.DataFrame,
    role: str,
    arrays: Sequence[np.ndarray] | Callable[[], Sequence[np.ndarray]],
    ids: np.ndarray | list[Any] | tuple[np.ndarray, np.ndarray],
) -> list[str]:
    """The digest of a frame: its file's when streetrank read it, else of its data (``arrays``,
    or what calling it gives, then the ids' JSON)."""
    source = _attrs(frame).get("source")
    if isinstance(source, list) and len(source) == 3 and source[0] == role:
        return [str(s) for s in source]
    h = hashlib.sha256()
    for a in arrays() if callable(arrays) else arrays:
        h.update(np.ascontiguousarray(a).tobytes())
    if isinstance(ids, tuple):  # text ids as Arrow buffers (`_text_buffers`)
        ids = _arrow_texts(*ids).to_pylist()
    h.update(json.dumps(ids.tolist() if isinstance(ids, np.ndarray) else ids, default=str).encode())
    return [role, "GeoDataFrame", h.hexdigest()]


def _floats(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame.columns:
        return np.full(len(frame), np.nan)
    return np.ascontiguousarray(pd.to_numeric(frame[name]).astype("float64").to_numpy(na_value=np.nan))


def _texts(frame: pd.DataFrame, name: str) -> list[Optional[str]]:
    if name not in frame.columns:
        return [None] * len(frame)
    column = frame[name]
    values = column.tolist()
    missing = column.isna().to_numpy()
    # `pd.isna` per value costs about a second per million rows: the mask is one call, and a
    # text column (every value `str` or missing) needs no look at its values.
    text = isinstance(column.dtype, pd.StringDtype)
    if not missing.any() and (text or all(type(v) is str for v in values)):
        return values
    if text:
        return [None if m else v for v, m in zip(values, missing.tolist())]
    return [None if m else v if type(v) is str else str(v) for v, m in zip(values, missing.tolist())]


def _coded_column(frame: pd.DataFrame, name: str) -> tuple[np.ndarray, list[str]]:
    """A text column as ``(codes, values)`` for the extension: the distinct texts, and each
    row's place among them (-1: missing). ``_texts`` says what the texts are; a string column is
    encoded as it is, in C, without a Python string per row."""
    if name not in frame.columns:
        return np.full(len(frame), -1, dtype=np.int64), []
    column = frame[name]
    # Other kinds go through `_texts` first: factorize would take 1, 1.0 and True for one value.
    data = column if isinstance(column.dtype, pd.StringDtype) else pd.Series(_texts(frame, name), dtype=object)
    codes, uniques = pd.factorize(data, use_na_sentinel=True)
    return np.ascontiguousarray(codes, dtype=np.int64), [str(u) for u in uniques]


def _created(frame: pd.DataFrame) -> np.ndarray:
    if "created" not in frame.columns:
        return np.full(len(frame), np.iinfo(np.int64).min, dtype=np.int64)
    s = pd.to_datetime(frame["created"])
    if s.dt.tz is not None:
        s = s.dt.tz_convert("UTC").dt.tz_localize(None)
    return np.ascontiguousarray(s.to_numpy(dtype="datetime64[s]").view(np.int64))


def _prepare(
    streets: gpd.GeoDataFrame,
    complaints: gpd.GeoDataFrame | Sequence[gpd.GeoDataFrame],
    config: Union[dict[str, Any], _PathLike, None],
    id_column: Optional[str],
    complaint_id_column: Optional[str],
) -> tuple[str, dict[str, Any], list[dict[str, Any]], list[tuple[str, str, str]]]:
    """The extension's inputs of ``score`` and ``plan``: config JSON, street arrays, complaint batches, digests."""
    frames = [complaints] if isinstance(complaints, (gpd.GeoDataFrame, gpd.GeoSeries)) else list(complaints)
    if isinstance(config, dict):
        cfg = json.loads(_rs.load_config(json=json.dumps(config)))
    elif config is not None:
        cfg = json.loads(_rs.load_config(path=os.fspath(config)))
    else:
        cfg = json.loads(_rs.load_config())
    meta = _attrs(streets)
    if "mapping" in meta:
        cfg["streets"] = meta["mapping"]
        if cfg.get("work_crs") is None:
            cfg["work_crs"] = meta.get("work_crs_given")
    for f in frames[:1]:
        if "mapping" in _attrs(f):
            cfg["complaints"] = _attrs(f)["mapping"]
    config_json = _rs.load_config(json=json.dumps(cfg))

    ids = _ids(streets, id_column, "streets")
    coords, offsets = _lines(streets)
    street_arrays = {
        "ids": ids,
        "coords": coords,
        "offsets": offsets,
        "crs": _crs_def(streets, "streets"),
        "road_class": _coded_column(streets, "road_class"),
        "district": _coded_column(streets, "district"),
        **{k: _floats(streets, k) for k in ("condition", "aadt", "width_m", "lanes")},
    }
    digests = [_digest(streets, "streets", [coords, offsets], ids)]
    batches = []
    for k, f in enumerate(frames):
        frame = f if isinstance(f, gpd.GeoDataFrame) else gpd.GeoDataFrame(geometry=f)
        cids = _id_values(frame, complaint_id_column, f"complaints[{k}]", texts=True)
        x, y = _points(frame)
        # What scoring reads of a complaint: its id, point and creation time.
        batches.append({"ids": cids, "x": x, "y": y, "crs": _crs_def(frame, f"complaints[{k}]"), "created": _created(frame)})
        # The points as (n, 2) rows only when the digest is made of them.
        digests.append(_digest(frame, "complaints", lambda: [np.column_stack((x, y))], cids))  # called here
    return config_json, street_arrays, batches, [(d[0], d[1], d[2]) for d in digests]


def score(
    streets: gpd.GeoDataFrame,
    complaints: gpd.GeoDataFrame | Sequence[gpd.GeoDataFrame],
    *,
    config: Union[dict[str, Any], _PathLike, None] = None,
    as_of: Optional[str] = None,
    ratings: Optional[_PathLike] = None,
    on_error: Literal["fail", "skip"] = "fail",
    id_column: Optional[str] = None,
    complaint_id_column: Optional[str] = None,
    profile: Literal["publish", "internal"] = "publish",
) -> gpd.GeoDataFrame:
    """Snap complaints to streets and rank the segments for repair, as ``streetrank score`` does.

    Parameters
    ----------
    streets : geopandas.GeoDataFrame
        LineString streets with a CRS; the scoring model reads the columns ``road_class``,
        ``condition``, ``aadt``, ``width_m``, ``lanes``, ``district`` when present.
    complaints : geopandas.GeoDataFrame or sequence of them
        Point complaints with a CRS (several frames are kept apart as the CLI keeps several
        files); ``created``, ``category``, ``status`` are read when present.
    config : dict or path, optional
        The CLI's configuration: a dict or a TOML file with the same schema (``score``,
        ``snap``, ``ratings``, ``work_crs`` …). The ``streets``/``complaints`` mappings come
        from the frames when ``read_streets``/``read_complaints`` made them.
    as_of : str, optional
        The date complaints are aged to (``"2016-10-01"``, UTC); default the newest complaint.
    ratings : path, optional
        A condition ratings table keyed by segment id (mapped by ``config["ratings"]``).
    on_error : {"fail", "skip"}, default "fail"
        For the ratings file: stop at the first bad row, or skip bad rows.
    id_column, complaint_id_column : str, optional
        Columns holding the ids; default each frame's index.
    profile : {"publish", "internal"}, default "publish"
        As the CLI's ``--profile`` (docs/privacy.md). ``"publish"``: a segment with 1 to k-1
        complaints (k = ``config["privacy"]["min_count"]``, default 3) has ``complaints``,
        ``complaints_kept``, the pressure values and ``score`` empty (NA); of the streets' other
        columns only those in the streets mapping's ``keep`` are carried. ``"internal"``: every
        value and every street column. A carried column that looks personal raises a
        :class:`PersonalDataWarning`.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per segment in rank order with the CLI's ranking columns (``rank``,
        ``segment_id``, ``score``, each factor's ``_raw``/``_norm``/``_pts``, ``complaints``,
        ``settings_hash`` …), the streets' other columns and geometry (their CRS).
        ``.attrs["streetrank"]`` says which working CRS was used and whether the data was
        reprojected.

    Examples
    --------
    >>> import geopandas as gpd, shapely, streetrank
    >>> streets = gpd.GeoDataFrame(
    ...     geometry=[shapely.LineString([(0, 0), (100, 0)]), shapely.LineString([(0, 50), (100, 50)])],
    ...     index=[1, 2], crs="EPSG:32618")
    >>> pts = gpd.GeoDataFrame(geometry=shapely.points([(10, 2), (60, 1), (50, 48)]), crs="EPSG:32618")
    >>> ranked = streetrank.score(streets, pts, as_of="2020-01-01", profile="internal")
    >>> ranked[["rank", "segment_id", "complaints"]].to_numpy().tolist()
    [[1, 1, 2], [2, 2, 1]]
    >>> streetrank.score(streets, pts, as_of="2020-01-01")["complaints"].isna().tolist()  # publish: k = 3
    [True, True]
    """
    _check_profile(profile)
    config_json, street_arrays, batches, digests = _prepare(streets, complaints, config, id_column, complaint_id_column)
    out = _rs.score(
        street_arrays,
        batches,
        config_json,
        digests,
        as_of,
        None if ratings is None else os.fspath(ratings),
        on_error,
        profile,
        text_buffers=_arrow_strings() is not None,
    )
    return _ranking_frame(streets, out, config_json, id_column, profile)


def _ranking_frame(
    streets: gpd.GeoDataFrame, out: dict[str, Any], config_json: str, id_column: Optional[str], profile: str
) -> gpd.GeoDataFrame:
    """The ranking GeoDataFrame from the extension's ``score`` output (also ``streetrank.dask``'s)."""
    order = out["order"]
    columns = _table_columns(out["columns"])
    extra = [c for c in streets.columns if c not in _STREET_ATTRIBUTES and c not in columns and c != streets.geometry.name]
    if id_column is not None and id_column in extra:
        extra.remove(id_column)
    for name in ("complaints", "complaints_kept"):
        if isinstance(columns[name], list):  # publish left some empty: a nullable integer column
            columns[name] = pd.array(columns[name], dtype="Int64")
    if profile == "publish":
        keep = json.loads(config_json).get("streets", {}).get("keep", [])
        extra = [c for c in extra if c in keep]
    _warn_personal(streets, extra, "streets", stacklevel=4)  # the caller of score (or of streetrank.dask.score)
    for c in extra:
        columns[c] = streets[c].to_numpy()[order]
    index = streets.index[order]
    result = gpd.GeoDataFrame(
        columns,
        index=index.rename(None),
        geometry=streets.geometry.to_numpy()[order],
        crs=streets.crs,
    )
    for name in ("segment_id",):
        if not isinstance(columns[name], np.ndarray):  # text ids: a list, or Arrow's strings
            result[name] = pd.array(columns[name], dtype="string")
    result.attrs["streetrank"] = {
        "settings_hash": out["settings_hash"],
        "as_of": str(np.datetime64(out["as_of"], "s")),
        "work_crs": out["work_crs_label"],
        "reprojected": bool(out["reprojected"]),
        "note": (
            f"streets in {_crs_def(streets, 'streets')} were projected to {out['work_crs_label']} for metric work"
            if out["reprojected"]
            else f"worked in the streets' own CRS {out['work_crs_label']}"
        ),
        "notes": out["notes"],
        "ratings": out["ratings"],
    }
    return result


def plan(
    streets: gpd.GeoDataFrame,
    complaints: gpd.GeoDataFrame | Sequence[gpd.GeoDataFrame],
    *,
    config: Union[dict[str, Any], _PathLike, None] = None,
    budget: Union[float, Sequence[float], None] = None,
    years: Optional[int] = None,
    method: Optional[Literal["greedy", "incremental", "exact"]] = None,
    fit_ratings: bool = False,
    report: Optional[_PathLike] = None,
    report_colour: Literal["year", "treatment"] = "year",
    as_of: Optional[str] = None,
    ratings: Optional[_PathLike] = None,
    on_error: Literal["fail", "skip"] = "fail",
    id_column: Optional[str] = None,
    complaint_id_column: Optional[str] = None,
    profile: Literal["publish", "internal"] = "publish",
) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    """Score the segments, then plan repairs over the years' budgets, as ``streetrank plan`` does.

    Parameters
    ----------
    streets, complaints, config, as_of, ratings, on_error, id_column, complaint_id_column
        As for :func:`score`. The plan settings are the config's ``plan`` table (see
        ``docs/planning.md``).
    budget : float or sequence of floats, optional
        Budget per year (one per year); default the config's ``plan.budgets``.
    years : int, optional
        Years to plan: the budgets are cut to this many, or the last one repeated.
    method : {"greedy", "incremental", "exact"}, optional
        Allocation method; default the config's ``plan.solver.method``, else ``"exact"``.
    fit_ratings : bool, default False
        Fit the deterioration curves to the ``ratings`` file's history (it needs a year column).
    report : path, optional
        Write the self-contained HTML report (map, charts, equity frontier) here.
    report_colour : {"year", "treatment"}, default "year"
        How the report's map colours the planned segments.
    profile : {"publish", "internal"}, default "publish"
        As the CLI's ``--profile``: under ``"publish"`` the ``why`` text quotes no complaint
        pressure of a segment with 1 to k-1 complaints (docs/privacy.md).

    Returns
    -------
    (geopandas.GeoDataFrame, dict)
        The plan, one row per treatment by year then segment, with the CLI's plan columns
        (``year``, ``segment_id``, ``treatment``, ``cost``, ``benefit``, ``why`` …) and each
        segment's geometry (the streets' CRS); and the summary (the CLI's ``--summary-json``):
        per year the average condition, backlog, band shares, spend by district and gap.

    Examples
    --------
    >>> import geopandas as gpd, shapely, streetrank
    >>> streets = gpd.GeoDataFrame(
    ...     {"condition": [30.0, 80.0], "width_m": [10.0, 10.0]},
    ...     geometry=[shapely.LineString([(0, 0), (100, 0)]), shapely.LineString([(0, 50), (100, 50)])],
    ...     index=[1, 2], crs="EPSG:32618")
    >>> pts = gpd.GeoDataFrame(geometry=shapely.points([(10, 2)]), crs="EPSG:32618")
    >>> work, summary = streetrank.plan(streets, pts, budget=30_000, as_of="2020-01-01")
    >>> work[["year", "segment_id", "treatment"]].to_numpy().tolist()
    [[1, 1, 'mill_and_overlay'], [1, 2, 'surface_treatment']]
    >>> len(summary["years"])
    1
    """
    _check_profile(profile)
    config_json, street_arrays, batches, digests = _prepare(streets, complaints, config, id_column, complaint_id_column)
    if budget is None:
        budgets = None
    elif isinstance(budget, (int, float)):
        budgets = [float(budget)]
    else:
        budgets = [float(b) for b in budget]
    out = _rs.plan(
        street_arrays,
        batches,
        config_json,
        digests,
        as_of,
        None if ratings is None else os.fspath(ratings),
        on_error,
        budgets,
        years,
        method,
        fit_ratings,
        None if report is None else os.fspath(report),
        report_colour,
        profile,
        text_buffers=_arrow_strings() is not None,
    )
    positions = np.asarray(out["segment"], dtype=np.int64)
    columns = _table_columns(out["columns"])
    result = gpd.GeoDataFrame(
        columns,
        geometry=streets.geometry.to_numpy()[positions],
        crs=streets.crs,
    )
    if not isinstance(columns["segment_id"], np.ndarray):  # text ids: a list, or Arrow's strings
        result["segment_id"] = pd.array(columns["segment_id"], dtype="string")
    summary = json.loads(out["summary"])
    result.attrs["streetrank"] = {"settings_hash": out["settings_hash"], "work_crs": out["work_crs_label"]}
    return result, summary
