//! Reader throughput (MB/s): streets from GeoJSON and complaints from CSV, on one thread beside all threads.
//!
//! The inputs are the "city" preset's files as `streetrank generate` writes them (100k segments as WGS84 GeoJSON,
//! 1M complaints as CSV with lon/lat, seed 42), written once into a temporary directory outside the timed loop.
//! Each iteration is what the CLI does to read them: parse, map the columns, hash the file, check the axes and
//! reproject into EPSG:32618. Criterion prints throughput in MiB/s (2^20 bytes). `complaints_csv` reads the
//! whole file into memory (the library's `read_complaints`); `complaints_csv_streamed` is the CLI's default path
//! (`stream_complaints`, the complaints handed on piece by piece).
//!
//! `cargo bench -p streetrank-benches --bench readers` (add `--profile dist` for the figures in docs).
#![forbid(unsafe_code)]

use std::cell::RefCell;
use std::fs::File;
use std::path::{Path, PathBuf};

use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput, criterion_main};
use streetrank_io::{ComplaintsOptions, Crs, StreetsOptions, Transform};
use streetrank_synth::{CRS_EPSG, CityOptions};

/// The working CRS of the synthetic city (UTM 18N, as the CLI chooses for it).
const WORK_EPSG: u32 = 32618;

/// Files of the "city" preset in a temporary directory (removed on drop).
struct Inputs {
    _dir: tempfile::TempDir,
    streets: PathBuf,
    complaints: PathBuf,
}

fn write_inputs() -> Inputs {
    let opts = CityOptions::preset("city").expect("the city preset exists");
    let city = streetrank_synth::generate_city(&opts);
    let dir = tempfile::tempdir().expect("temporary directory");
    let transform =
        Transform::new(&Crs::epsg(CRS_EPSG), &Crs::wgs84()).expect("PROJ knows UTM 18N and WGS84");
    let failed = RefCell::new(false);
    let to_lonlat = |x: f64, y: f64| {
        transform.point(x, y).unwrap_or_else(|_| {
            *failed.borrow_mut() = true;
            (f64::NAN, f64::NAN)
        })
    };
    let streets = dir.path().join("streets.geojson");
    let complaints = dir.path().join("complaints.csv");
    streetrank_synth::write_streets_geojson(
        &city,
        File::create(&streets).expect("create streets.geojson"),
        to_lonlat,
    )
    .expect("write streets.geojson");
    streetrank_synth::write_complaints_csv(
        streetrank_synth::complaints(&city, &opts),
        File::create(&complaints).expect("create complaints.csv"),
        to_lonlat,
    )
    .expect("write complaints.csv");
    assert!(!*failed.borrow(), "PROJ failed on a synthetic coordinate");
    Inputs {
        _dir: dir,
        streets,
        complaints,
    }
}

fn size(path: &Path) -> u64 {
    std::fs::metadata(path).expect("input file exists").len()
}

fn bench_readers(c: &mut Criterion) {
    let inputs = write_inputs();
    let streets_opts = StreetsOptions {
        work_crs: Some(Crs::epsg(WORK_EPSG)),
        ..StreetsOptions::default()
    };
    let extent = streetrank_io::read_streets(&inputs.streets, &streets_opts)
        .expect("the generated streets read")
        .extent_lonlat;
    let mut complaints_opts = ComplaintsOptions::new(Crs::epsg(WORK_EPSG));
    complaints_opts.streets_extent_lonlat = Some(extent);
    let max = std::thread::available_parallelism().map_or(1, usize::from);
    // A reader that returns the whole file is timed with `iter_with_large_drop`, as criterion
    // advises for a routine whose result is expensive to drop: what is timed is the reading,
    // up to the result in hand, not freeing it (a million complaints were 112 MB, whose drop
    // took ~15 ms of the whole-file CSV read's 411 ms). The streamed reader's batches are
    // dropped as they come, inside the timing, as the CLI drops them.
    let mut g = c.benchmark_group("read");
    g.sample_size(10);
    g.sampling_mode(SamplingMode::Flat);
    for threads in [1, max] {
        // Kept to the end of the process: a dropped pool's threads exit and free their
        // thread-local PROJ pipelines while the next pool, or the process's exit, is under way,
        // which corrupted the heap in about one run in six of a probe doing that.
        let pool: &'static rayon::ThreadPool = Box::leak(Box::new(
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("thread pool"),
        ));
        g.throughput(Throughput::Bytes(size(&inputs.streets)));
        g.bench_function(
            BenchmarkId::new("streets_geojson", format!("{threads}_threads")),
            |b| {
                b.iter_with_large_drop(|| {
                    pool.install(|| streetrank_io::read_streets(&inputs.streets, &streets_opts))
                        .expect("the generated streets read")
                });
            },
        );
        g.throughput(Throughput::Bytes(size(&inputs.complaints)));
        g.bench_function(
            BenchmarkId::new("complaints_csv", format!("{threads}_threads")),
            |b| {
                b.iter_with_large_drop(|| {
                    pool.install(|| {
                        streetrank_io::read_complaints(&inputs.complaints, &complaints_opts)
                    })
                    .expect("the generated complaints read")
                });
            },
        );
        // The CLI's path for one CSV file (`streetrank score` without `--assignments`): the
        // same checks, each piece's complaints handed on and dropped as they are read.
        g.bench_function(
            BenchmarkId::new("complaints_csv_streamed", format!("{threads}_threads")),
            |b| {
                b.iter(|| {
                    let mut n = 0;
                    pool.install(|| {
                        streetrank_io::stream_complaints(
                            &inputs.complaints,
                            &complaints_opts,
                            &mut |batch| n += batch.len(),
                        )
                    })
                    .expect("the generated complaints stream");
                    n
                });
            },
        );
    }
    g.finish();
}

// criterion_group! defines an undocumented `pub fn benches`.
#[allow(missing_docs)]
mod group {
    use super::bench_readers;
    criterion::criterion_group!(benches, bench_readers);
}
use group::benches;
criterion_main!(benches);
