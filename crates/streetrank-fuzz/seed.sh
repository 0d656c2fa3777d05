#!/usr/bin/env bash
# (Re)writes the seed corpora of the fuzz targets under crates/streetrank-fuzz/corpus/<target>/
# (not committed; files seedNNN next to what libFuzzer adds: delete corpus/ to start afresh):
# small inputs made by `streetrank generate` and cut small, every case of fixtures/bad/ that
# fits a target, and the TOML examples of docs/config.md and docs/planning.md.
# Each seed is a few KB at most. Inputs carry the targets' leading flag byte(s) (see
# fuzz_targets/*.rs); Shapefile seeds are .shp+.shx+.dbf packed as in src/lib.rs.
#
#   crates/streetrank-fuzz/seed.sh            # needs the streetrank binary: STREETRANK_BIN, or
#                                             # ${CARGO_TARGET_DIR:-target}/release/streetrank
#                                             # (built with cargo build --release when missing)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
bin="${STREETRANK_BIN:-${CARGO_TARGET_DIR:-$repo/target}/release/streetrank}"
if [ ! -x "$bin" ]; then
  (cd "$repo" && cargo build --release -q -p streetrank-cli)
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for seed in 1 2 3; do
  "$bin" generate --quiet --seed "$seed" --segments 12 --complaints 30 --out-dir "$work/city$seed"
done
python3 - "$repo" "$work" "$here/corpus" <<'PY'
import json, os, re, struct, sys, glob

repo, work, out = sys.argv[1:4]
bad = os.path.join(repo, "fixtures", "bad")
cities = sorted(glob.glob(os.path.join(work, "city*")))
n = {}

def put(target, data, flags=b""):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    n[target] = n.get(target, 0) + 1
    with open(os.path.join(d, f"seed{n[target]:03}"), "wb") as f:
        f.write(flags + data)

def read(p):
    with open(p, "rb") as f:
        return f.read()

def pack(flags, parts):
    b = bytes([flags])
    for p in parts[:-1]:
        b += struct.pack("<I", len(p)) + p
    return b + parts[-1]

# --- generated city, cut small -------------------------------------------------------------
for city in cities:
    streets = json.loads(read(os.path.join(city, "streets.geojson")))
    feats = streets["features"][:8]
    small = {"type": "FeatureCollection", "features": feats}
    gj = json.dumps(small, separators=(",", ":")).encode()
    for flags in (b"\x00", b"\x01"):
        put("streets_geojson", gj, flags)
    # WKT CSV with the same streets.
    rows = ["segment_id,name,road_class,wkt"]
    for f in feats:
        g = f["geometry"]
        if g["type"] == "LineString":
            wkt = "LINESTRING (" + ", ".join(f"{x} {y}" for x, y in g["coordinates"]) + ")"
        else:
            wkt = "MULTILINESTRING (" + ", ".join("(" + ", ".join(f"{x} {y}" for x, y in l) + ")" for l in g["coordinates"]) + ")"
        p = f["properties"]
        rows.append(f'{p.get("segment_id")},{p.get("name")},{p.get("road_class")},"{wkt}"')
    put("streets_wkt_csv", ("\n".join(rows) + "\n").encode(), b"\x00")
    # Complaints: the first 12 lines, with small and default block sizes.
    lines = read(os.path.join(city, "complaints.csv")).split(b"\n")[:13]
    csv = b"\n".join(lines) + b"\n"
    put("complaints_csv", csv, b"\x00\x00")
    put("complaints_csv", csv, b"\x01\x23")
    # The same complaints as Open311 GeoReport v2 JSON.
    head = lines[0].decode().split(",")
    reqs = []
    for line in lines[1:]:
        if not line:
            continue
        r = dict(zip(head, line.decode().split(",")))
        reqs.append({"service_request_id": r.get("request_id"), "status": (r.get("status") or "").lower(),
                     "service_name": r.get("category"), "requested_datetime": r.get("created_at"),
                     "lat": float(r["lat"]), "long": float(r["lon"]), "address": "1 Main St"})
    put("open311", json.dumps(reqs).encode(), b"\x00")
    put("config", read(os.path.join(city, "config.toml")))

# --- Shapefiles: fixtures/bad/make_shapefiles.py's valid layer and its broken cases ----------
sys.path.insert(0, bad)
import make_shapefiles as ms
shp, shx = ms.lines_layer()
table = ms.dbf(ms.IDS, ms.NAMES)
# Flag bits 5-7 pick the .prj from the target's eight (0-3 real, 4-7 refused or odd).
for flags in (0x07, 0x4f, 0x27, 0x67, 0xa7, 0xf7):
    put("shapefile", pack(flags, [shp, shx, table]))
for shp_path in sorted(glob.glob(os.path.join(bad, "*.shp"))):
    stem = shp_path[:-4]
    parts, flags = [read(shp_path)], 0
    for bit, ext in ((1, "shx"), (2, "dbf"), (4, "prj")):
        p = f"{stem}.{ext}"
        if ext != "prj":
            parts.append(read(p) if os.path.exists(p) else b"")
        flags |= bit if os.path.exists(p) else 0
    put("shapefile", pack(flags, parts))

# --- fixtures/bad/ text cases ---------------------------------------------------------------
for p in sorted(glob.glob(os.path.join(bad, "*"))):
    name, data = os.path.basename(p), read(p)
    if len(data) > 8192:
        continue
    if name.startswith("streets_wkt") and name.endswith(".csv"):
        put("streets_wkt_csv", data, b"\x00")
    elif name.startswith("streets") and name.endswith(".geojson"):
        put("streets_geojson", data, b"\x00")
        put("streets_geojson", data, b"\x01")
    elif name.startswith("complaints") and name.endswith(".csv"):
        put("complaints_csv", data, b"\x00\x00")
        put("complaints_csv", data, b"\x02\x41")
    elif name.startswith("complaints") and name.endswith((".json", ".geojson")):
        put("open311", data, b"\x00")
    elif name.endswith(".toml"):
        put("config", data)

# --- TOML examples from the docs (with [plan]) ------------------------------------------------
for doc in ("config.md", "planning.md"):
    text = read(os.path.join(repo, "docs", doc)).decode()
    for block in re.findall(r"```toml\n(.*?)```", text, re.S):
        put("config", block.encode())

for t in sorted(n):
    print(f"seed: {n[t]:3} seeds for {t}", file=sys.stderr)
PY
# snap_score takes `arbitrary` input: a few fixed byte strings start it off.
mkdir -p "$here/corpus/snap_score"
printf '\x02\x00\x00\x00\x0a\x00\x00\x00\x05\x00\x05\x01\x03\x00\x07\x00\x01\x00' >"$here/corpus/snap_score/seed001"
head -c 512 /dev/zero | tr '\0' '\001' >"$here/corpus/snap_score/seed002"
LC_ALL=C awk 'BEGIN{srand(7); for(i=0;i<600;i++) printf "%c", int(rand()*256)}' >"$here/corpus/snap_score/seed003"
