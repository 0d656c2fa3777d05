"""streetrank: rank street segments for repair, on GeoDataFrames.

Load a city's street centerlines and 311 complaints, snap every complaint to its street and rank
the segments, with the same Rust engine (and the same results) as the ``streetrank`` command line.
Complaints in a Dask frame: ``import streetrank.dask`` (it needs dask, distributed and
dask-geopandas, so it is not imported here); see ``docs/scale-out.md``.

Examples
--------
>>> import geopandas as gpd, shapely, streetrank
>>> streets = gpd.GeoDataFrame(
...     geometry=[shapely.LineString([(0, 0), (100, 0)]), shapely.LineString([(0, 50), (100, 50)])],
...     index=[1, 2], crs="EPSG:32618")
>>> points = gpd.GeoDataFrame(geometry=shapely.points([(40, 10), (40, 45)]), crs="EPSG:32618")
>>> streetrank.snap(points, streets, profile="internal")[["segment_id", "distance_m", "side"]]
   segment_id  distance_m   side
0           1        10.0   left
1           2         5.0  right
"""

from streetrank._api import (
    PersonalDataWarning,
    StreetIndex,
    plan,
    read_complaints,
    read_streets,
    score,
    snap,
)
from streetrank._streetrank import (
    ConfigError,
    CRSError,
    DataError,
    InputError,
    StreetrankError,
    __version__,
)

# The extension names its module `_streetrank`; say where it really lives, so that pickle (and so
# Dask, which sends a worker's exception back to the client) finds the exception classes.
for _e in (StreetrankError, CRSError, InputError, DataError, ConfigError):
    _e.__module__ = "streetrank._streetrank"
del _e

__all__ = [
    "CRSError",
    "ConfigError",
    "DataError",
    "InputError",
    "PersonalDataWarning",
    "StreetIndex",
    "StreetrankError",
    "__version__",
    "plan",
    "read_complaints",
    "read_streets",
    "score",
    "snap",
]
