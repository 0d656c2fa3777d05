"""Overhead of the Python API: snapping N points from a GeoDataFrame vs the same snap in Rust.

Both sides use one index over a seeded synthetic grid city (100k segments, as the criterion
bench ``benches/benches/snap.rs``) and the same N points. The Rust figure is ``snap_all`` timed
inside Rust (``StreetIndex._snap_seconds``); the Python figure is ``StreetIndex.snap(gdf)``
end to end: geometry to numpy, the snap, and the result DataFrame joined back on the index.

    python benches/compare_python_overhead.py [--points 1000000] [--repeat 5]

Target (issue 3): Python <= 1.5x Rust. Report the best of ``--repeat`` runs and the core count.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import geopandas as gpd
import numpy as np
import shapely

import streetrank


def grid_city(side: int, spacing: float = 100.0) -> gpd.GeoDataFrame:
    """A side x side grid of 2-vertex blocks: 2 * side * (side - 1) segments, metres."""
    i, j = np.meshgrid(np.arange(side), np.arange(side - 1), indexing="ij")
    i, j = i.ravel() * spacing, j.ravel() * spacing
    h = np.stack([np.stack([j, i], 1), np.stack([j + spacing, i], 1)], 1)
    v = np.stack([np.stack([i, j], 1), np.stack([i, j + spacing], 1)], 1)
    lines = shapely.linestrings(np.concatenate([h, v]))
    return gpd.GeoDataFrame(geometry=lines, crs="EPSG:32618")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--points", type=int, default=1_000_000)
    p.add_argument("--repeat", type=int, default=5)
    args = p.parse_args()
    rng = np.random.default_rng(7)
    streets = grid_city(224)  # 99,904 segments
    extent = 223 * 100.0
    xy = rng.uniform(0, extent, size=(args.points, 2))
    points = gpd.GeoDataFrame({"n": np.arange(args.points)}, geometry=shapely.points(xy), crs="EPSG:32618")
    index = streetrank.StreetIndex(streets)
    raw = index._index  # the Rust index both sides share
    rust, python = [], []
    for _ in range(args.repeat):
        rust.append(raw._snap_seconds(np.ascontiguousarray(xy), 30.0, 1.0))
        t = time.perf_counter()
        out = index.snap(points)
        python.append(time.perf_counter() - t)
        assert len(out) == args.points
    r, py = min(rust), min(python)
    print(f"cores: {os.cpu_count()}  segments: {len(streets)}  points: {args.points}  best of {args.repeat}")
    print(f"rust snap_all:            {r:8.3f} s   (median {statistics.median(rust):.3f} s)")
    print(f"python StreetIndex.snap:  {py:8.3f} s   (median {statistics.median(python):.3f} s)")
    print(f"python overhead:          {py - r:8.3f} s")
    print(f"ratio python / rust:      {py / r:8.2f}x   (target <= 1.5x)")


if __name__ == "__main__":
    main()
