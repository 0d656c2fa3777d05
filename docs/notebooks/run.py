"""Executes the notebooks in this folder with nbclient (CI runs this); a failing cell fails the run.

    python docs/notebooks/run.py [--timeout 300]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--timeout", type=int, default=300)
    args = p.parse_args()
    here = Path(__file__).resolve().parent
    for path in sorted(here.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        NotebookClient(nb, timeout=args.timeout, kernel_name="python3", resources={"metadata": {"path": str(here)}}).execute()
        print(f"executed {path.name}: {len(nb.cells)} cells")
    return 0


if __name__ == "__main__":
    sys.exit(main())
