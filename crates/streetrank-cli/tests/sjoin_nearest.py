"""The reference snap: GeoPandas sjoin_nearest(max_distance) in a given metric CRS.

Writes one row per (complaint, nearest segment): several rows for a complaint on an exact tie, and one row with an
empty segment_id for a complaint with no segment within max_distance. Used by tests/real_cities.rs.
"""

import argparse

import geopandas as gpd
import pandas as pd


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--streets", required=True)
    ap.add_argument("--complaints", action="append", required=True)
    ap.add_argument("--crs", required=True)
    ap.add_argument("--id", required=True)
    ap.add_argument("--complaint-id", required=True)
    ap.add_argument("--max-distance", type=float, default=30.0)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    path = a.streets
    if path.endswith(".zip"):
        path = "zip://" + path
    streets = gpd.read_file(path)[[a.id, "geometry"]].rename(columns={a.id: "segment_id"}).to_crs(a.crs)
    parts = [gpd.read_file(p)[[a.complaint_id, "geometry"]] for p in a.complaints]
    complaints = pd.concat(parts, ignore_index=True).rename(columns={a.complaint_id: "complaint_id"})
    complaints = gpd.GeoDataFrame(complaints, geometry="geometry", crs=parts[0].crs).to_crs(a.crs)
    joined = gpd.sjoin_nearest(
        complaints, streets, how="left", max_distance=a.max_distance, distance_col="distance"
    )
    joined[["complaint_id", "segment_id", "distance"]].to_csv(a.out, index=False)


if __name__ == "__main__":
    main()
