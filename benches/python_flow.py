"""An analyst's flow with the streetrank Python package, one call at a time, on compare.py's inputs.

    python benches/python_flow.py [--work /tmp/streetrank-compare/metro]

Calls ``read_streets``, ``read_complaints(streets=...)``, ``StreetIndex(...).snap`` (the per-complaint table)
and ``score`` once each in this process, as a notebook would, and prints each call's seconds and the process's
peak RSS as JSON. Run ``benches/compare/compare.py --preset PRESET`` first: it writes the inputs into the work
directory. Needs the wheel installed (``cd python && maturin build --release --out DIR && pip install DIR/*.whl``).
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import streetrank


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--work", type=Path, default=Path("/tmp/streetrank-compare/metro"))
    work = p.parse_args().work
    seconds: dict[str, float] = {}
    t = time.perf_counter()

    def done(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        seconds[name] = round(now - t, 3)
        t = now

    streets = streetrank.read_streets(work / "streets.geojson")
    done("read_streets")
    complaints = streetrank.read_complaints(work / "complaints.csv", streets=streets)
    done("read_complaints")
    streetrank.StreetIndex(streets).snap(complaints)
    done("StreetIndex.snap")
    streetrank.score(streets, complaints)
    done("score")
    seconds["total"] = round(sum(seconds.values()), 3)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"work": str(work), "seconds": seconds, "peak_rss_mb": round(peak_mb)}))


if __name__ == "__main__":
    main()
