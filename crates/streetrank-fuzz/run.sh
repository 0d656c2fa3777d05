#!/usr/bin/env bash
# Runs fuzz targets one after the other for SECONDS each and prints the executions per target.
#
#   crates/streetrank-fuzz/run.sh SECONDS [target...]     (default: every target)
#   crates/streetrank-fuzz/run.sh 0                        (build the targets, run none)
#
# Works on the stable toolchain: cargo-fuzz with RUSTC_BOOTSTRAP=1 and no sanitizer (`-s none`;
# Rust's own checks, debug assertions and overflow checks still abort on a bug). Builds into
# FUZZ_TARGET_DIR (default target/fuzz under the repository: its first build compiles PROJ once).
# Corpora live in corpus/<target>/ (made by seed.sh when missing), crashes in artifacts/<target>/,
# each run's log in FUZZ_LOG_DIR (default a temporary folder). Exits 1 if any target failed.
# Memory: one allocation over 2 GB fails a run, and a process over FUZZ_RSS_MB (default 4096): the
# `proj` crate leaks ~190 KB per CRS definition PROJ refuses, which adds up over millions of
# distinct mangled definitions (docs/fuzzing.md).
set -euo pipefail
if [ $# -lt 1 ] || ! [[ "$1" =~ ^[0-9]+$ ]]; then
  echo "usage: $0 SECONDS [target...]" >&2
  exit 2
fi
seconds="$1"
shift
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$repo"
export RUSTC_BOOTSTRAP=1
target_dir="${FUZZ_TARGET_DIR:-$repo/target/fuzz}"

# PROJ: link the libproj.a the workspace's release build already compiled (same PROJ 9.6.2 sources and cmake flags)
# instead of compiling it again under the fuzz flags: the fuzz build took 9m49s in CI with it, 3m38s without. The
# fuzz crate builds streetrank-io without `bundled-proj`, so proj-sys asks pkg-config; with no release build (or a
# PKG_CONFIG_PATH of your own) proj-sys builds PROJ from source as before.
if [ -z "${PKG_CONFIG_PATH:-}" ]; then
  release_pc="$(ls -t "${CARGO_TARGET_DIR:-$repo/target}"/release/build/proj-sys-*/out/lib/pkgconfig/proj.pc 2>/dev/null | head -1 || true)"
  if [ -n "$release_pc" ]; then
    export PKG_CONFIG_PATH="$(dirname "$release_pc")"
    export PROJ_STATIC=1   # static libproj.a; pkg-config adds its C++ runtime and sqlite3
    echo "fuzz: linking the release build's PROJ ($PKG_CONFIG_PATH)" >&2
  else
    echo "fuzz: no release build of PROJ found; the fuzz build compiles PROJ from source" >&2
  fi
fi

cargo fuzz build --fuzz-dir crates/streetrank-fuzz -s none --target-dir "$target_dir" >&2
[ "$seconds" -eq 0 ] && exit 0

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo fuzz list --fuzz-dir crates/streetrank-fuzz)
fi
[ -d "$here/corpus" ] || "$here/seed.sh"
log_dir="${FUZZ_LOG_DIR:-$(mktemp -d)}"
mkdir -p "$log_dir"
fuzz=(cargo fuzz run --fuzz-dir crates/streetrank-fuzz -s none --target-dir "$target_dir")

status=0
summary=()
for t in "${targets[@]}"; do
  mkdir -p "$here/corpus/$t"
  log="$log_dir/$t.log"
  echo "== fuzz $t for ${seconds}s (log: $log)" >&2
  if "${fuzz[@]}" "$t" "$here/corpus/$t" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb="${FUZZ_RSS_MB:-4096}" -malloc_limit_mb=2048 \
    -print_final_stats=1 >"$log" 2>&1; then
    result=ok
  else
    result=FAILED
    status=1
    grep -E "^(==[0-9]+== ERROR|thread .* panicked|SUMMARY)|Test unit written to" "$log" >&2 || tail -20 "$log" >&2
  fi
  execs="$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' | tail -1)"
  summary+=("$(printf '%-18s %-7s %12s execs in %ss' "$t" "$result" "${execs:-?}" "$seconds")")
done
printf '%s\n' "${summary[@]}"
exit "$status"
