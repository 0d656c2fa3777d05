//! Index build and snapping: serial beside parallel, 1k to 1M complaints, on a seeded synthetic city.
//!
//! `cargo bench -p streetrank-benches --bench snap` (add `--profile dist` for the figures in docs).
#![forbid(unsafe_code)]

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput};
use geo_types::Point;
use streetrank::{SnapOptions, StreetIndex};
use streetrank_synth::{CityOptions, complaints, generate_city};

/// Segment count of the benchmark city (the "city" preset's street network).
const SEGMENTS: usize = 100_000;

fn inputs(n: usize) -> (Vec<streetrank::Segment>, Vec<Point<f64>>) {
    let opts = CityOptions::default()
        .seed(7)
        .segments(SEGMENTS)
        .complaints(n);
    let city = generate_city(&opts);
    let points = complaints(&city, &opts).map(|c| c.point).collect();
    (city.network.segments, points)
}

/// What the CLI's "index" phase does: the index, then the grid for the default maximum distance.
#[inline(never)]
fn index_and_grid(segments: &[streetrank::Segment], opts: &SnapOptions) -> StreetIndex {
    let index = StreetIndex::new(segments);
    index.prepare_grid(opts);
    index
}

fn bench_index(c: &mut Criterion) {
    let (segments, _) = inputs(0);
    let mut g = c.benchmark_group("index_build");
    g.sample_size(10);
    g.throughput(Throughput::Elements(segments.len() as u64));
    g.bench_function(BenchmarkId::from_parameter(segments.len()), |b| {
        b.iter(|| StreetIndex::new(black_box(&segments)));
    });
    g.finish();

    let opts = SnapOptions::default();
    let mut g = c.benchmark_group("index_and_grid");
    g.sample_size(10);
    g.throughput(Throughput::Elements(segments.len() as u64));
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a thread pool");
        g.bench_function(
            BenchmarkId::new(format!("{threads}_threads"), segments.len()),
            |b| b.iter(|| pool.install(|| index_and_grid(black_box(&segments), &opts))),
        );
    }
    g.finish();
}

fn bench_snap(c: &mut Criterion) {
    let (segments, all_points) = inputs(1_000_000);
    let index = StreetIndex::new(&segments);
    let opts = SnapOptions::default();
    let mut g = c.benchmark_group("snap");
    g.sample_size(10);
    for n in [1_000, 10_000, 100_000, 1_000_000] {
        let points = &all_points[..n];
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("serial", n), points, |b, p| {
            b.iter(|| index.snap_all_serial(black_box(p), &opts));
        });
        g.bench_with_input(BenchmarkId::new("parallel", n), points, |b, p| {
            b.iter(|| index.snap_all(black_box(p), &opts));
        });
    }
    g.finish();

    // What `streetrank score` does: `snap_all_map` keeping a segment and a distance per point
    // (no full answers held), in a pool of 1 and of 2 threads.
    let mut g = c.benchmark_group("snap_brief");
    g.sample_size(10);
    let brief = |o: &streetrank::SnapOutcome| o.snapped().map(|s| (s.segment, s.distance_m));
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a thread pool");
        g.throughput(Throughput::Elements(all_points.len() as u64));
        g.bench_with_input(
            BenchmarkId::new(format!("{threads}_threads"), all_points.len()),
            &all_points,
            |b, p| b.iter(|| pool.install(|| index.snap_all_map(black_box(p), &opts, brief))),
        );
    }
    g.finish();
}

// criterion_group! defines an undocumented `pub fn benches`.
#[allow(missing_docs)]
mod group {
    use super::{bench_index, bench_snap};
    criterion::criterion_group!(benches, bench_index, bench_snap);
}
use group::benches;

/// `INDEX_ONCE=<threads> <bench binary>`: build the index and its grid once, as the CLI's
/// "index" phase does, in a pool of that many threads, and exit (for instruction counts with
/// one thread: `valgrind --tool=callgrind --toggle-collect='*index_and_grid*'`).
/// `SNAP_ONCE=<n> <bench binary>`: snap the first `n` complaints once on the calling thread and
/// exit, for instruction counts (`valgrind --tool=callgrind --toggle-collect='*snap_all_serial*'`).
/// With `SNAP_WARM=1`, a first untimed batch of 500,000 complaints (through `snap_all`) builds
/// the index's grid first, so the counted call shows the query cost alone. With `SNAP_BRIEF=1`,
/// the counted call is `snap_all_map` keeping a segment and a distance, in a pool of one thread
/// (what `snap_brief/1_threads` times; `--toggle-collect='*snap_all_map*'`). Without
/// `SNAP_ONCE`, the criterion benches run.
fn main() {
    if let Some(threads) = std::env::var("INDEX_ONCE")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        let (segments, _) = inputs(0);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a thread pool");
        let start = std::time::Instant::now();
        let index = pool.install(|| index_and_grid(&segments, &SnapOptions::default()));
        let elapsed = start.elapsed();
        println!(
            "{} segments, {} pieces, index and grid in {:.1} ms",
            index.len(),
            index.piece_count(),
            elapsed.as_secs_f64() * 1e3
        );
        return;
    }
    if let Some(n) = std::env::var("SNAP_ONCE")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        let warm = std::env::var_os("SNAP_WARM").is_some();
        let (segments, points) = inputs(if warm { n.max(500_000) } else { n });
        let index = StreetIndex::new(&segments);
        let opts = SnapOptions::default();
        if warm {
            let _ = black_box(index.snap_all(&points, &opts));
        }
        let parallel = std::env::var_os("SNAP_PARALLEL").is_some();
        if std::env::var_os("SNAP_BRIEF").is_some() {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(1)
                .build()
                .expect("a thread pool");
            let brief =
                |o: &streetrank::SnapOutcome| o.snapped().map(|s| (s.segment, s.distance_m));
            let start = std::time::Instant::now();
            let out = pool.install(|| index.snap_all_map(&points[..n], &opts, brief));
            let elapsed = start.elapsed();
            let mut h = 0xcbf2_9ce4_8422_2325_u64;
            for b in &out {
                for v in [
                    b.map_or(u64::MAX, |b| b.0 as u64),
                    b.map_or(0, |b| b.1.to_bits()),
                ] {
                    h = (h ^ v).wrapping_mul(0x0100_0000_01b3);
                }
            }
            #[allow(clippy::cast_precision_loss)]
            let per_point = elapsed.as_secs_f64() * 1e9 / n.max(1) as f64;
            println!("{n} briefs, hash {h:016x}, {per_point:.0} ns each");
            return;
        }
        let start = std::time::Instant::now();
        let out = if parallel {
            index.snap_all(&points[..n], &opts)
        } else {
            index.snap_all_serial(&points[..n], &opts)
        };
        let elapsed = start.elapsed();
        let snapped = out.iter().filter(|o| o.segment().is_some()).count();
        // FNV-1a over the answers' bits: equal across versions means bit-identical answers.
        let mut h = 0xcbf2_9ce4_8422_2325_u64;
        for o in &out {
            let s = o.snapped();
            let r = s.and_then(|s| s.runner_up);
            for v in [
                s.map_or(u64::MAX, |s| s.segment as u64),
                s.map_or(0, |s| s.distance_m.to_bits()),
                s.map_or(0, |s| s.fraction.to_bits()),
                s.map_or(0, |s| s.chainage_m.to_bits()),
                s.map_or(0, |s| {
                    s.closest.x().to_bits() ^ s.closest.y().to_bits().rotate_left(7)
                }),
                s.map_or(0, |s| u64::from(s.ambiguous) | (s.side as u64) << 1),
                r.map_or(u64::MAX, |r| r.segment as u64 ^ r.distance_m.to_bits()),
            ] {
                h = (h ^ v).wrapping_mul(0x0100_0000_01b3);
            }
        }
        #[allow(clippy::cast_precision_loss)]
        let per_point = elapsed.as_secs_f64() * 1e9 / n.max(1) as f64;
        println!(
            "{n} complaints, {snapped} snapped, answers hash {h:016x}, {per_point:.0} ns each"
        );
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
