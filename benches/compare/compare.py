"""streetrank against the tools analysts use today: GeoPandas, DuckDB spatial and the streetrank CLI, on one job.

The job, the same for every tool, on the same files:
  read the streets (GeoJSON, WGS84) and the complaints (CSV, lon/lat); reproject both to EPSG:32618 (metres);
  snap each complaint to its nearest street within 30 m (ties: the street that comes first in the file);
  recency-weighted complaint count per segment (weight 0.5 ** (age_days / 90), undated = 1, as of the date in
  the generated config.toml) per 100 m; score (pressure 0.5 with the p95 cap, condition 0.3, usage 0.2 as in
  docs/scoring.md); rank; write the ranking as CSV with a WKT geometry column (WGS84).

  GeoPandas:  pyogrio read_file, pandas read_csv, to_crs, sjoin_nearest(max_distance=30), groupby, to_csv.
  DuckDB:     spatial extension: ST_Read, read_csv, ST_Transform(always_xy), SPATIAL_JOIN on ST_DWithin(30) and
              the nearest per complaint, SQL aggregates, COPY ... TO csv.
  streetrank: `streetrank score --streets --complaints --config -o ranking.csv` (its phases from --summary-json).
  python:     the streetrank Python package as an analyst calls it: read_streets, read_complaints(streets=...),
              score(config=...), and the GeoPandas worker's columns written with pandas to_csv (needs the wheel:
              `cd python && maturin build --release --out DIR && pip install DIR/*.whl`).
  streetrank does strictly more work than the two others: it also de-duplicates repeat complaints (50 m / 30 days,
  docs/scoring.md), hashes its inputs for the settings hash, and writes more columns. The Python versions keep
  the recency-weighted count simple (a weighted group-by), as analysts would write it.

Usage (from the repository root, after `pip install -r benches/compare/requirements.txt` and a build of the CLI):

    python benches/compare/compare.py --preset city                  # 100k segments / 1M complaints, 3 rounds
    python benches/compare/compare.py --preset small --rounds 1      # a quick check (2k / 20k)
    python benches/compare/compare.py --preset metro --tools streetrank,duckdb
    python benches/compare/compare.py --preset city --tools geopandas,duckdb,streetrank,python
    options: --streetrank PATH (default target/dist/streetrank, else target/release/streetrank)
             --work DIR (inputs and outputs; default /tmp/streetrank-compare/PRESET) --rounds N --threads N

Runs are interleaved (A B C A B C ...): each tool runs in its own process, timed from outside (wall time including
interpreter start and imports); peak RSS is that process's ru_maxrss (os.wait4). Per-phase times come from inside
each tool. After the timed rounds, each tool's per-complaint assignment is compared (untimed): agree, tie (a
different street at the same distance, within 1 mm), or disagree; and the per-segment matched counts.
Only ratios from one run count: the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
WORK_CRS = "EPSG:32618"
MAX_DISTANCE_M = 30.0
HALF_LIFE_DAYS = 90.0
PER_LENGTH_M = 100.0
MIN_LENGTH_M = 50.0
WEIGHTS = {"pressure": 0.5, "condition": 0.3, "usage": 0.2}
CLASS_WEIGHTS = {"arterial": 1.0, "collector": 0.7, "local": 0.4}
USAGE_MISSING = 0.4
CONDITION_MISSING = 0.5
AADT_REFERENCE = 20_000.0
TIE_M = 1e-3


class Phases:
    """Per-phase wall times inside one worker."""

    def __init__(self) -> None:
        self.t = time.perf_counter()
        self.times: dict[str, float] = {}

    def done(self, name: str) -> None:
        now = time.perf_counter()
        self.times[name] = self.times.get(name, 0.0) + now - self.t
        self.t = now


def as_of_of(config: Path) -> str:
    with config.open("rb") as f:
        return str(tomllib.load(f)["score"]["as_of"])


# ----------------------------------------------------------------------------------------------- GeoPandas worker
def run_geopandas(streets_path: Path, complaints_path: Path, config: Path, out: Path, dump: Path) -> dict:
    import geopandas as gpd
    import numpy as np
    import pandas as pd

    ph = Phases()
    streets = gpd.read_file(streets_path, engine="pyogrio")
    ph.done("read streets")
    df = pd.read_csv(complaints_path, usecols=["request_id", "created_at", "lon", "lat"])
    points = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df["lon"], df["lat"]), crs="EPSG:4326")
    ph.done("read complaints")
    streets_m = streets.geometry.to_crs(WORK_CRS)
    points_m = points.geometry.to_crs(WORK_CRS)
    ph.done("reproject")
    left = gpd.GeoDataFrame(geometry=points_m)
    right = gpd.GeoDataFrame(geometry=streets_m)
    joined = gpd.sjoin_nearest(left, right, how="inner", max_distance=MAX_DISTANCE_M, distance_col="dist")
    # Ties come back as several rows: keep the street that comes first in the file.
    nearest = joined.groupby(level=0).agg(seg=("index_right", "min"), dist=("dist", "min"))
    ph.done("snap")
    as_of = pd.Timestamp(as_of_of(config))
    created = pd.to_datetime(df["created_at"], utc=True, errors="coerce")
    age_days = (as_of - created).dt.total_seconds() / 86400.0
    weight = np.power(0.5, age_days / HALF_LIFE_DAYS).fillna(1.0)
    weight[created > as_of] = 0.0
    w = weight.to_numpy()[nearest.index.to_numpy()]
    seg = nearest["seg"].to_numpy()
    n = len(streets)
    weighted = np.bincount(seg, weights=w, minlength=n)
    counts = np.bincount(seg, minlength=n)
    length = streets_m.length.to_numpy()
    raw = weighted / (np.maximum(length, MIN_LENGTH_M) / PER_LENGTH_M)
    positive = np.sort(raw[raw > 0])
    cap = positive[math.ceil(0.95 * len(positive)) - 1] if len(positive) else 0.0
    pressure = np.minimum(1.0, raw / cap) if cap > 0 else np.zeros(n)
    cond = streets["condition"].to_numpy(dtype=float)
    condition = np.where(np.isfinite(cond), np.clip((100.0 - cond) / 100.0, 0.0, 1.0), CONDITION_MISSING)
    aadt = streets["aadt"].to_numpy(dtype=float)
    by_class = streets["road_class"].str.strip().str.lower().map(CLASS_WEIGHTS).fillna(USAGE_MISSING).to_numpy()
    usage = np.where(
        np.isfinite(aadt) & (aadt >= 0),
        np.minimum(1.0, np.log1p(np.where(aadt >= 0, aadt, 0)) / np.log1p(AADT_REFERENCE)),
        by_class,
    )
    total = sum(WEIGHTS.values())
    score = 100.0 * (WEIGHTS["pressure"] * pressure + WEIGHTS["condition"] * condition + WEIGHTS["usage"] * usage)
    score /= total
    table = pd.DataFrame(
        {
            "segment_id": streets["segment_id"].to_numpy(),
            "score": score,
            "pressure_raw": raw,
            "complaints": counts,
            "length_m": length,
        }
    )
    table = table.sort_values(["score", "segment_id"], ascending=[False, True], kind="stable")
    table.insert(0, "rank", np.arange(1, n + 1))
    ph.done("score")
    table["wkt"] = streets.geometry.to_wkt().to_numpy()[table.index.to_numpy()]
    table.to_csv(out, index=False)
    ph.done("write")
    full_seg = np.full(len(df), -1, dtype=np.int64)
    full_dist = np.full(len(df), np.nan)
    full_seg[nearest.index.to_numpy()] = seg
    full_dist[nearest.index.to_numpy()] = nearest["dist"].to_numpy()
    np.savez(dump, seg=full_seg, dist=full_dist, counts=counts)
    return ph.times


# ------------------------------------------------------------------------------------ streetrank Python worker
def run_python(streets_path: Path, complaints_path: Path, config: Path, out: Path, dump: Path) -> dict:
    """The job as an analyst in Jupyter does it with the streetrank package: its readers (mapped by the config's
    [streets] and [complaints] tables), ``score`` (snap and score), then the GeoPandas worker's columns written
    with pandas. The per-segment counts are dumped for the untimed check."""
    import numpy as np
    import streetrank

    with config.open("rb") as f:
        cfg = tomllib.load(f)
    ph = Phases()
    streets = streetrank.read_streets(streets_path, **cfg.get("streets", {}))
    ph.done("read streets")
    complaints = streetrank.read_complaints(complaints_path, streets=streets, **cfg.get("complaints", {}))
    ph.done("read complaints")
    ranked = streetrank.score(streets, complaints, config=config, profile="internal")
    ph.done("snap and score")
    table = ranked[["rank", "segment_id", "score", "pressure_raw", "complaints", "length_m"]].copy()
    table["wkt"] = ranked.geometry.to_crs("EPSG:4326").to_wkt().to_numpy()
    table.to_csv(out, index=False)
    ph.done("write")
    position = {sid: k for k, sid in enumerate(streets.index.tolist())}
    counts = np.zeros(len(streets), dtype=np.int64)
    counts[[position[sid] for sid in ranked["segment_id"].tolist()]] = ranked["complaints"].to_numpy()
    np.savez(dump, counts=counts)
    return ph.times


# ----------------------------------------------------------------------------------------------- DuckDB worker
def load_spatial(con) -> str:
    """INSTALL/LOAD spatial; falls back to the binary in the duckdb-ext-spatial PyPI package."""
    try:
        con.execute("INSTALL spatial")
        con.execute("LOAD spatial")
        return "INSTALL spatial"
    except Exception as first:  # noqa: BLE001 - any failure falls back to the PyPI copy
        try:
            import duckdb_ext  # the duckdb-ext-spatial package

            import duckdb

            base = Path(list(duckdb_ext.__path__)[0])
            path = base / "extensions" / f"v{duckdb.__version__}" / "linux_amd64" / "spatial.duckdb_extension"
            con.execute(f"LOAD '{path}'")
            return f"PyPI duckdb-ext-spatial ({path.name}); INSTALL spatial failed: {str(first).splitlines()[0]}"
        except Exception as second:
            raise RuntimeError(f"DuckDB spatial is not available: {first}; PyPI fallback: {second}") from second


def run_duckdb(streets_path: Path, complaints_path: Path, config: Path, out: Path, dump: Path) -> dict:
    import duckdb
    import numpy as np

    con = duckdb.connect()
    source = load_spatial(con)
    print(f"duckdb {duckdb.__version__}, spatial from {source}", file=sys.stderr)
    ph = Phases()
    con.execute(
        f"CREATE TABLE s AS SELECT row_number() OVER () - 1 AS pos, segment_id, road_class, aadt, condition, geom "
        f"FROM ST_Read('{streets_path}')"
    )
    ph.done("read streets")
    con.execute(
        f"CREATE TABLE c AS SELECT row_number() OVER () - 1 AS pos, created_at, lon, lat "
        f"FROM read_csv('{complaints_path}', columns = {{'request_id': 'VARCHAR', 'created_at': 'TIMESTAMPTZ', "
        f"'category': 'VARCHAR', 'status': 'VARCHAR', 'lon': 'DOUBLE', 'lat': 'DOUBLE'}}, header = true)"
    )
    ph.done("read complaints")
    con.execute(
        f"CREATE TABLE sm AS SELECT pos, ST_Transform(geom, 'EPSG:4326', '{WORK_CRS}', always_xy := true) AS g FROM s"
    )
    con.execute(
        f"CREATE TABLE cm AS SELECT pos, "
        f"ST_Transform(ST_Point(lon, lat), 'EPSG:4326', '{WORK_CRS}', always_xy := true) AS g FROM c"
    )
    ph.done("reproject")
    con.execute(
        f"CREATE TABLE a AS SELECT cpos, arg_min(spos, (d, spos)) AS spos, min(d) AS d FROM ("
        f"  SELECT cm.pos AS cpos, sm.pos AS spos, ST_Distance(cm.g, sm.g) AS d"
        f"  FROM cm JOIN sm ON ST_DWithin(cm.g, sm.g, {MAX_DISTANCE_M})"
        f") GROUP BY cpos"
    )
    ph.done("snap")
    as_of = as_of_of(config)
    pressure_sql = f"""
    CREATE TABLE r AS
    WITH w AS (
      SELECT a.spos, count(*) AS n,
             sum(CASE WHEN c.created_at IS NULL THEN 1.0
                      WHEN c.created_at > TIMESTAMPTZ '{as_of}' THEN 0.0
                      ELSE pow(0.5, (epoch(TIMESTAMPTZ '{as_of}') - epoch(c.created_at)) / 86400.0 / {HALF_LIFE_DAYS})
                      END) AS w
      FROM a JOIN c ON c.pos = a.cpos GROUP BY a.spos
      -- epoch() differences, not `TIMESTAMPTZ - TIMESTAMPTZ`: that INTERVAL goes through ICU calendar arithmetic
      -- and took 6 s per 1M rows here (the epoch form: 0.05 s)
    ), seg AS (
      SELECT s.pos, s.segment_id, s.road_class, s.aadt, s.condition, ST_Length(sm.g) AS length_m,
             coalesce(w.n, 0) AS complaints,
             coalesce(w.w, 0.0) / (greatest(ST_Length(sm.g), {MIN_LENGTH_M}) / {PER_LENGTH_M}) AS raw
      FROM s JOIN sm ON sm.pos = s.pos LEFT JOIN w ON w.spos = s.pos
    ), cap AS (
      SELECT coalesce(list_sort(list(raw))[CAST(ceil(0.95 * count(*)) AS BIGINT)], 0.0) AS cap FROM seg WHERE raw > 0
    ), f AS (
      SELECT seg.*,
        CASE WHEN cap.cap > 0 THEN least(1.0, raw / cap.cap) ELSE 0.0 END AS pressure,
        CASE WHEN isfinite(condition) THEN greatest(0.0, least(1.0, (100.0 - condition) / 100.0))
             ELSE {CONDITION_MISSING} END AS cond,
        CASE WHEN isfinite(aadt) AND aadt >= 0 THEN least(1.0, ln(1 + aadt) / ln(1 + {AADT_REFERENCE}))
             WHEN lower(trim(road_class)) = 'arterial' THEN {CLASS_WEIGHTS['arterial']}
             WHEN lower(trim(road_class)) = 'collector' THEN {CLASS_WEIGHTS['collector']}
             WHEN lower(trim(road_class)) = 'local' THEN {CLASS_WEIGHTS['local']}
             ELSE {USAGE_MISSING} END AS usage
      FROM seg, cap
    )
    SELECT pos, segment_id, complaints, raw, length_m,
      100.0 * ({WEIGHTS['pressure']} * pressure + {WEIGHTS['condition']} * cond + {WEIGHTS['usage']} * usage)
        / {sum(WEIGHTS.values())} AS score
    FROM f
    """
    con.execute(pressure_sql)
    con.execute(
        "CREATE TABLE ranked AS SELECT row_number() OVER (ORDER BY score DESC, segment_id) AS rank, * FROM r"
    )
    ph.done("score")
    con.execute(
        f"COPY (SELECT rank, ranked.segment_id, score, raw AS pressure_raw, complaints, length_m, "
        f"ST_AsText(s.geom) AS wkt FROM ranked JOIN s ON s.pos = ranked.pos ORDER BY rank) "
        f"TO '{out}' (HEADER, DELIMITER ',')"
    )
    ph.done("write")
    n_c = con.execute("SELECT count(*) FROM c").fetchone()[0]
    n_s = con.execute("SELECT count(*) FROM s").fetchone()[0]
    got = con.execute("SELECT cpos, spos, d FROM a").fetchnumpy()
    seg = np.full(n_c, -1, dtype=np.int64)
    dist = np.full(n_c, np.nan)
    seg[got["cpos"]] = got["spos"]
    dist[got["cpos"]] = got["d"]
    counts = np.bincount(seg[seg >= 0], minlength=n_s)
    np.savez(dump, seg=seg, dist=dist, counts=counts)
    return ph.times


# ----------------------------------------------------------------------------------------------- driver
def find_streetrank(explicit: str | None) -> Path:
    if explicit:
        return Path(explicit)
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    for profile in ("dist", "release"):
        p = target / profile / "streetrank"
        if p.exists():
            return p
    on_path = shutil.which("streetrank")
    if on_path:
        return Path(on_path)
    sys.exit("no streetrank binary: build it (`cargo build --profile dist -p streetrank-cli`) or pass --streetrank")


def timed(cmd: list[str], log: Path) -> tuple[float, float, int]:
    """Runs cmd; returns (wall seconds, peak RSS in MB, exit code)."""
    t = time.perf_counter()
    with log.open("w") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss / 1024.0, proc.returncode


def tool_cmd(tool: str, args, work: Path, bin_: Path, round_: int) -> tuple[list[str], Path]:
    streets, complaints, config = work / "streets.geojson", work / "complaints.csv", work / "config.toml"
    out = work / f"ranking_{tool}.csv"
    phases = work / f"phases_{tool}_{round_}.json"
    if tool == "streetrank":
        cmd = [str(bin_), "--quiet", "score", "--streets", str(streets), "--complaints", str(complaints),
               "--config", str(config), "-o", str(out), "--summary-json", str(phases)]
        if args.threads:
            cmd += ["--threads", str(args.threads)]
        return cmd, phases
    cmd = [sys.executable, __file__, "_worker", tool, str(streets), str(complaints), str(config), str(out),
           str(work / f"assign_{tool}.npz"), str(phases)]
    return cmd, phases


def read_phases(tool: str, path: Path) -> dict:
    data = json.loads(path.read_text())
    return data["seconds"] if tool == "streetrank" else data


def streetrank_assignments(bin_: Path, work: Path, street_ids):
    """Untimed: `streetrank snap` for the per-complaint street (as positions in the street file) and distance."""
    import numpy as np
    import pandas as pd

    out = work / "assign_streetrank.csv"
    subprocess.run([str(bin_), "--quiet", "snap", "--profile", "internal", "--streets", str(work / "streets.geojson"), "--complaints",
                    str(work / "complaints.csv"), "--config", str(work / "config.toml"), "-o", str(out)], check=True)
    t = pd.read_csv(out, usecols=["matched", "segment_id", "distance_m"])
    pos_of = pd.Series(np.arange(len(street_ids)), index=street_ids)
    matched = t["matched"].astype(bool).to_numpy()
    seg = np.full(len(t), -1, dtype=np.int64)
    seg[matched] = pos_of.loc[t["segment_id"][matched].astype(np.int64)].to_numpy()
    dist = np.where(matched, t["distance_m"].to_numpy(dtype=float), np.nan)
    return seg, dist


def compare_assignments(name: str, ref, other) -> str:
    import numpy as np

    (s0, d0), (s1, d1) = ref, other
    same = s0 == s1
    both = (s0 >= 0) & (s1 >= 0)
    tie = ~same & both & (np.abs(d0 - d1) <= TIE_M)
    bad = ~same & ~tie
    line = f"  streetrank vs {name:10s}: {same.sum():,} agree, {tie.sum():,} ties, {bad.sum():,} disagree"
    if bad.any():
        idx = np.flatnonzero(bad)[:5]
        line += "; first: " + ", ".join(
            f"#{i} sr={s0[i]}@{d0[i]:.6f} {name}={s1[i]}@{d1[i]:.6f}" for i in idx
        )
    return line


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_worker":
        tool, streets, complaints, config, out, dump, phases = sys.argv[2:9]
        fn = {"geopandas": run_geopandas, "duckdb": run_duckdb, "python": run_python}[tool]
        times = fn(Path(streets), Path(complaints), Path(config), Path(out), Path(dump))
        Path(phases).write_text(json.dumps(times))
        return
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", choices=["small", "city", "metro"], default="city")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--tools", default="geopandas,duckdb,streetrank")
    p.add_argument("--streetrank", help="the CLI binary [default: $CARGO_TARGET_DIR or target/, dist then release]")
    p.add_argument("--work", type=Path, help="inputs and outputs [default: /tmp/streetrank-compare/PRESET]")
    p.add_argument("--threads", type=int, help="streetrank --threads (DuckDB: SET threads is not changed)")
    args = p.parse_args()
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    bin_ = find_streetrank(args.streetrank)
    work = args.work or Path("/tmp/streetrank-compare") / args.preset
    work.mkdir(parents=True, exist_ok=True)
    if not (work / "complaints.csv").exists():
        subprocess.run([str(bin_), "generate", "--preset", args.preset, "--out-dir", str(work)], check=True)
    sizes = {f: (work / f).stat().st_size / 1e6 for f in ("streets.geojson", "complaints.csv")}
    print(f"{args.preset}: streets.geojson {sizes['streets.geojson']:.1f} MB, complaints.csv "
          f"{sizes['complaints.csv']:.1f} MB; streetrank = {bin_}; cores = {os.cpu_count()}")
    results: dict[str, list[tuple[float, float, dict]]] = {t: [] for t in tools}
    for r in range(args.rounds):
        for tool in tools:
            cmd, phases = tool_cmd(tool, args, work, bin_, r)
            log = work / f"log_{tool}_{r}.txt"
            wall, rss, code = timed(cmd, log)
            if code != 0:
                print(f"round {r + 1} {tool}: FAILED (exit {code}); see {log}:\n{log.read_text()[-2000:]}")
                continue
            ph = read_phases(tool, phases)
            results[tool].append((wall, rss, ph))
            detail = " · ".join(f"{k} {v:.2f}" for k, v in ph.items())
            print(f"round {r + 1} {tool:10s} wall {wall:7.2f} s  peak RSS {rss:7.0f} MB  [{detail}]", flush=True)
    print("\nmedian over rounds (wall includes process start and imports):")
    med = {}
    for tool, runs in results.items():
        if not runs:
            continue
        walls = sorted(w for w, _, _ in runs)
        rsss = sorted(m for _, m, _ in runs)
        med[tool] = (walls[len(walls) // 2], rsss[len(rsss) // 2])
        print(f"  {tool:10s} wall {med[tool][0]:7.2f} s  peak RSS {med[tool][1]:7.0f} MB")
    if "streetrank" in med:
        sw, sm = med["streetrank"]
        for tool in ("geopandas", "duckdb"):
            if tool in med:
                print(f"  streetrank is {med[tool][0] / sw:5.1f}x faster than {tool}, uses "
                      f"{sm / med[tool][1]:.2f}x its peak memory")
        # Per-round ratios (the same round's runs sit next to each other in time).
        for tool in ("geopandas", "duckdb"):
            if tool in results and results[tool] and results["streetrank"]:
                ratios = [a[0] / b[0] for a, b in zip(results[tool], results["streetrank"])]
                print(f"  per-round {tool}/streetrank wall ratios: " + ", ".join(f"{x:.1f}" for x in ratios))
    if "python" in med:
        pw, pm = med["python"]
        for tool in ("geopandas", "duckdb"):
            if tool in med:
                ratios = [a[0] / b[0] for a, b in zip(results[tool], results["python"])]
                speed = med[tool][0] / pw
                than = f"{speed:5.1f}x faster than" if speed >= 1 else f"{1 / speed:5.1f}x slower than"
                print(f"  streetrank from Python is {than} {tool}, uses "
                      f"{pm / med[tool][1]:.2f}x its peak memory; per-round ratios: "
                      + ", ".join(f"{x:.1f}" for x in ratios))
    if "streetrank" in tools and any(t in med for t in ("geopandas", "duckdb", "python")):
        import numpy as np

        with (work / "streets.geojson").open() as f:
            street_ids = np.array([ft["properties"]["segment_id"] for ft in json.load(f)["features"]])
        ref = streetrank_assignments(bin_, work, street_ids)
        print("\nassignments (untimed check; tie = another street at the same distance within 1 mm):")
        sr_counts = np.bincount(ref[0][ref[0] >= 0], minlength=len(street_ids))
        for tool in ("geopandas", "duckdb"):
            dump = work / f"assign_{tool}.npz"
            if tool in med and dump.exists():
                d = np.load(dump)
                print(compare_assignments(tool, ref, (d["seg"], d["dist"])))
                print(f"    per-segment matched counts equal on {np.sum(d['counts'] == sr_counts):,} of "
                      f"{len(street_ids):,} segments")
        dump = work / "assign_python.npz"
        if "python" in med and dump.exists():
            d = np.load(dump)
            print(f"  python (the same Rust code): per-segment matched counts equal to the CLI's on "
                  f"{np.sum(d['counts'] == sr_counts):,} of {len(street_ids):,} segments")


if __name__ == "__main__":
    main()
