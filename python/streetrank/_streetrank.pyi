"""Stubs of the Rust extension (glue only; the public API is in ``streetrank._api``)."""

from os import PathLike
from typing import Any, Literal, final

import numpy as np
import numpy.typing as npt

__all__ = [
    "__version__",
    "StreetrankError",
    "CRSError",
    "InputError",
    "DataError",
    "ConfigError",
    "StreetIndex",
    "read_streets",
    "read_complaints",
    "parse_mapping",
    "load_config",
    "score",
    "plan",
    "looks_personal",
    "per_complaint_refusal",
    "project_streets",
    "project_points",
    "check_complaint",
    "unmatched_reasons",
    "resolve_as_of",
    "tally_segments",
    "score_tallies",
]
__version__: str

class StreetrankError(Exception): ...
class CRSError(StreetrankError): ...
class InputError(StreetrankError): ...
class DataError(StreetrankError): ...
class ConfigError(StreetrankError): ...

@final
class StreetIndex:
    def __new__(
        cls,
        ids: list[int | str],
        coords: npt.NDArray[np.float64],
        offsets: npt.NDArray[np.int64],
        crs: str,
        work_crs: str | None = None,
    ) -> StreetIndex: ...
    def snap(
        self,
        x: npt.NDArray[np.float64],
        y: npt.NDArray[np.float64],
        crs: str,
        max_distance_m: float,
        ambiguity_tolerance_m: float,
    ) -> dict[str, Any]: ...
    def _snap_seconds(
        self, coords: npt.NDArray[np.float64], max_distance_m: float, ambiguity_tolerance_m: float
    ) -> float: ...
    @property
    def work_crs(self) -> str: ...
    @property
    def work_crs_label(self) -> str: ...
    @property
    def reprojected(self) -> bool: ...
    def __len__(self) -> int: ...

def read_streets(
    path: str | PathLike[str],
    mapping_json: str,
    on_error_name: Literal["fail", "skip"],
    work_crs: str | None = None,
    text_ids_as_buffers: bool = False,
) -> dict[str, Any]: ...
def read_complaints(
    path: str | PathLike[str],
    mapping_json: str,
    on_error_name: Literal["fail", "skip"],
    work_crs: str,
    extent_lonlat: list[float] | None = None,
    far_km: float = ...,
    text_ids_as_buffers: bool = False,
) -> dict[str, Any]: ...
def parse_mapping(kind: Literal["streets", "complaints", "ratings"], mapping_json: str) -> str: ...
def load_config(path: str | PathLike[str] | None = None, json: str | None = None) -> str: ...
def score(
    streets: dict[str, Any],
    batches: list[dict[str, Any]],
    config_json: str,
    digests: list[tuple[str, str, str]],
    as_of: str | None = None,
    ratings: str | PathLike[str] | None = None,
    on_error_name: Literal["fail", "skip"] = "fail",
    profile: Literal["publish", "internal"] = "publish",
    text_buffers: bool = False,
) -> dict[str, Any]: ...
def plan(
    streets: dict[str, Any],
    batches: list[dict[str, Any]],
    config_json: str,
    digests: list[tuple[str, str, str]],
    as_of: str | None = None,
    ratings: str | PathLike[str] | None = None,
    on_error_name: Literal["fail", "skip"] = "fail",
    budgets: list[float] | None = None,
    years: int | None = None,
    method: Literal["greedy", "incremental", "exact"] | None = None,
    fit_ratings: bool = False,
    report: str | PathLike[str] | None = None,
    report_colour: Literal["year", "treatment"] = "year",
    profile: Literal["publish", "internal"] = "publish",
    text_buffers: bool = False,
) -> dict[str, Any]: ...
def looks_personal(role: str, name: str, sample: list[str | None]) -> str | None: ...
def per_complaint_refusal(what: str) -> str: ...

# Scale-out (streetrank.dask; crates/streetrank-py/src/dask.rs).
def project_streets(
    street_ids: list[int | str],
    street_coords: npt.NDArray[np.float64],
    offsets: npt.NDArray[np.int64],
    street_crs: str,
    config_json: str,
) -> dict[str, Any]: ...
def project_points(
    x: npt.NDArray[np.float64], y: npt.NDArray[np.float64], from_crs: str, work_crs: str
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
def check_complaint(id: int | str, x: float, y: float) -> None: ...
def unmatched_reasons(max_distance_m: float) -> list[str]: ...
def resolve_as_of(config_json: str, as_of: str | None = None, latest: int | None = None) -> int: ...
def tally_segments(
    segment: npt.NDArray[np.int64],
    position: npt.NDArray[np.int64],
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    created: npt.NDArray[np.int64],
    length: npt.NDArray[np.float64],
    as_of: int,
    config_json: str,
) -> dict[str, Any]: ...
def score_tallies(
    streets: dict[str, Any],
    tallies: dict[str, Any],
    complaints: int,
    matched: int,
    latest: tuple[int, int, int | str] | None,
    config_json: str,
    digests: list[tuple[str, str, str]],
    as_of: str | None = None,
    ratings: str | PathLike[str] | None = None,
    on_error_name: Literal["fail", "skip"] = "fail",
    profile: Literal["publish", "internal"] = "publish",
    text_buffers: bool = False,
) -> dict[str, Any]: ...
