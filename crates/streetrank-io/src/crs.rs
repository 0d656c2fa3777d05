//! Coordinate reference systems and transformations between them, through PROJ.
//!
//! A [`Crs`] is any definition PROJ accepts (`"EPSG:2261"`, the ESRI WKT of a
//! `.prj` file, WKT2, a PROJ string) plus a short label for messages. A
//! [`Transform`] converts coordinates between two of them, always with
//! x = easting/longitude and y = northing/latitude (PROJ's normalised axis
//! order), whatever axis order the CRS itself declares.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use geo_types::Coord;
use proj::Proj;
use rayon::prelude::*;

use crate::{Error, Result};

mod native;

/// A coordinate reference system: a definition PROJ accepts, and a short label.
///
/// Serialises as its definition string; deserialising validates it with PROJ.
///
/// # Examples
///
/// ```
/// use streetrank_io::Crs;
/// let crs = Crs::parse("EPSG:2261")?;
/// assert_eq!(crs.label(), "EPSG:2261");
/// assert!(!crs.is_geographic()?);
/// assert!((crs.metres_per_unit()?.unwrap() - 0.3048006096).abs() < 1e-9);
/// # Ok::<(), streetrank_io::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Crs {
    definition: String,
    label: String,
}

/// The fix suggested whenever a CRS cannot be used.
const CRS_FIX: &str = "give the CRS explicitly, e.g. `--crs EPSG:NNNN` (or `crs = \"EPSG:NNNN\"` in the mapping), with the code of the CRS the file's coordinates are in";

impl Crs {
    /// Parses and validates a CRS definition with PROJ.
    ///
    /// Accepts `"EPSG:NNNN"` (also `"epsg:NNNN"`), WKT1 (including the ESRI
    /// flavour found in `.prj` files), WKT2, PROJJSON and PROJ strings
    /// (`"+proj=utm +zone=18 +datum=WGS84"`).
    ///
    /// # Errors
    ///
    /// [`Error::Crs`] when PROJ does not accept the definition, or it is not a
    /// coordinate reference system.
    ///
    /// # Examples
    ///
    /// ```
    /// use streetrank_io::Crs;
    /// assert!(Crs::parse("EPSG:4326").is_ok());
    /// let err = Crs::parse("EPSG:999999").unwrap_err();
    /// assert!(err.to_string().contains("--crs EPSG:NNNN"));
    /// ```
    pub fn parse(def: &str) -> Result<Crs> {
        let trimmed = def.trim().trim_start_matches('\u{feff}').trim();
        if trimmed.is_empty() {
            return Err(crs_error(def, "the CRS definition is empty"));
        }
        let definition = normalise_definition(trimmed);
        let info = crs_info(&definition)?;
        let label = match epsg_code(&definition) {
            Some(code) => format!("EPSG:{code}"),
            None => wkt_name(&definition)
                .or(info.name)
                .unwrap_or_else(|| short(&definition)),
        };
        Ok(Crs { definition, label })
    }

    /// The CRS with an EPSG code, e.g. `Crs::epsg(2261)`.
    ///
    /// Not validated here: an unknown code fails when it is used.
    #[must_use]
    pub fn epsg(code: u32) -> Crs {
        Crs {
            definition: format!("EPSG:{code}"),
            label: format!("EPSG:{code}"),
        }
    }

    /// WGS 84 longitude/latitude (EPSG:4326), used with x = longitude, y = latitude.
    #[must_use]
    pub fn wgs84() -> Crs {
        Crs::epsg(4326)
    }

    /// The definition as given to PROJ.
    #[must_use]
    pub fn definition(&self) -> &str {
        &self.definition
    }

    /// A short label for messages: `"EPSG:2261"`, or the name in the WKT
    /// (`"NAD_1983_StatePlane_New_York_Central_FIPS_3102_Feet"`).
    #[must_use]
    pub fn label(&self) -> String {
        self.label.clone()
    }

    /// Whether coordinates are angles (longitude/latitude) rather than lengths.
    ///
    /// # Errors
    ///
    /// [`Error::Crs`] when PROJ cannot read the definition.
    pub fn is_geographic(&self) -> Result<bool> {
        Ok(crs_info(&self.definition)?.geographic)
    }

    /// Length of one unit of the horizontal axes in metres: `Some(1.0)` for
    /// metres, `Some(0.3048006096…)` for US survey feet, `None` for a
    /// geographic CRS (degrees).
    ///
    /// # Units
    ///
    /// Metres per CRS unit.
    ///
    /// # Errors
    ///
    /// [`Error::Crs`] when PROJ cannot read the definition or the axis unit
    /// is not a length.
    pub fn metres_per_unit(&self) -> Result<Option<f64>> {
        let info = crs_info(&self.definition)?;
        if info.geographic {
            return Ok(None);
        }
        match info.metres_per_unit {
            Some(m) if m.is_finite() && m > 0.0 => Ok(Some(m)),
            _ => Err(crs_error(
                &self.label,
                "PROJ reports no linear unit for the axes of this CRS",
            )),
        }
    }

    /// Whether the CRS is projected with the metre as its unit: then it is its own working
    /// CRS ([`choose_work_crs`] keeps it, whatever the extent).
    ///
    /// # Errors
    ///
    /// As [`Crs::metres_per_unit`].
    ///
    /// # Examples
    ///
    /// ```
    /// use streetrank_io::Crs;
    /// assert!(Crs::epsg(32618).is_metric()?);
    /// assert!(!Crs::epsg(2261).is_metric()?); // NY Central, US survey feet
    /// assert!(!Crs::wgs84().is_metric()?);
    /// # Ok::<(), streetrank_io::Error>(())
    /// ```
    pub fn is_metric(&self) -> Result<bool> {
        Ok(!self.is_geographic()?
            && self
                .metres_per_unit()?
                .is_some_and(|m| (m - 1.0).abs() < 1e-9))
    }
}

impl fmt::Display for Crs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label)
    }
}

impl TryFrom<String> for Crs {
    type Error = Error;
    fn try_from(value: String) -> Result<Crs> {
        Crs::parse(&value)
    }
}

impl From<Crs> for String {
    fn from(value: Crs) -> String {
        value.definition
    }
}

/// The WGS 84 UTM zone CRS containing a point: EPSG:326zz north of the
/// equator, EPSG:327zz south of it.
///
/// Uses the regular 6° zones (no Norway/Svalbard exceptions). Longitudes
/// outside ±180 and non-finite values are clamped to zones 1..=60.
///
/// # Examples
///
/// ```
/// use streetrank_io::{utm_for, Crs};
/// assert_eq!(utm_for(-76.15, 43.05), Crs::epsg(32618)); // Syracuse
/// assert_eq!(utm_for(151.2, -33.9), Crs::epsg(32756));  // Sydney
/// ```
#[must_use]
pub fn utm_for(lon: f64, lat: f64) -> Crs {
    let zone = utm_zone(lon);
    if lat < 0.0 {
        Crs::epsg(32700 + zone)
    } else {
        Crs::epsg(32600 + zone)
    }
}

/// The 6° UTM zone number (1..=60) of a longitude.
pub(crate) fn utm_zone(lon: f64) -> u32 {
    let z = ((lon + 180.0) / 6.0).floor() + 1.0;
    if z.is_nan() {
        1
    } else {
        // Clamped to 1..=60 before the cast, so the cast is exact.
        z.clamp(1.0, 60.0) as u32
    }
}

/// The working CRS for data in `source` covering `extent_lonlat` ([west, south, east, north]):
/// `source` itself when it is projected in metres (no needless reprojection, and distances in the
/// city's own CRS), else the UTM zone of the extent's centre. Returns it with a sentence saying
/// why, for the load report.
///
/// Every front end (the CLI's readers, the Python package) chooses through this function, so they
/// work in the same CRS and give the same answers.
///
/// # Errors
///
/// [`Error::Crs`] when PROJ cannot describe `source`.
///
/// # Examples
///
/// ```
/// use streetrank_io::{Crs, choose_work_crs};
/// let dc = [-77.12, 38.79, -76.91, 39.0];
/// assert_eq!(choose_work_crs(&Crs::wgs84(), dc)?.0, Crs::epsg(32618));
/// assert_eq!(choose_work_crs(&Crs::epsg(26985), dc)?.0, Crs::epsg(26985));
/// # Ok::<(), streetrank_io::Error>(())
/// ```
pub fn choose_work_crs(source: &Crs, extent_lonlat: [f64; 4]) -> Result<(Crs, String)> {
    if source.is_metric()? {
        let why = format!(
            "working CRS {} (the streets' own CRS, projected in metres)",
            source.label()
        );
        return Ok((source.clone(), why));
    }
    let (lon, lat) = (
        (extent_lonlat[0] + extent_lonlat[2]) / 2.0,
        (extent_lonlat[1] + extent_lonlat[3]) / 2.0,
    );
    let utm = utm_for(lon, lat);
    let hemi = if lat < 0.0 { 'S' } else { 'N' };
    let why = format!(
        "working CRS {} (UTM zone {}{hemi}, chosen from the streets' extent, since {} is not in metres)",
        utm.label(),
        utm_zone(lon),
        source.label()
    );
    Ok((utm, why))
}

/// A transformation between two CRSs, with x = easting/longitude and
/// y = northing/latitude on both sides.
///
/// `Transform` is `Send` and `Sync`: PROJ objects themselves cannot cross
/// threads, so each thread builds its own PROJ pipeline on first use and
/// keeps it in a small thread-local cache.
///
/// Transverse Mercator pipelines (longitude/latitude to and from UTM, State Plane transverse
/// Mercator zones) are evaluated in Rust with PROJ's own algorithm, after agreeing with PROJ to
/// within a micrometre on a grid over their domain; anything else, and any coordinate outside that
/// domain, goes to PROJ. `STREETRANK_NATIVE_TMERC=0` sends everything to PROJ.
///
/// # Examples
///
/// ```
/// use streetrank_io::{Crs, Transform};
/// let t = Transform::new(&Crs::wgs84(), &Crs::epsg(32618))?;
/// let (x, y) = t.point(-75.0, 0.0)?; // on the central meridian of zone 18
/// assert!((x - 500_000.0).abs() < 1e-6 && y.abs() < 1e-6);
/// # Ok::<(), streetrank_io::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Transform {
    from: Crs,
    to: Crs,
    key: String,
    /// The same transformation evaluated in Rust, when it is a transverse Mercator pipeline
    /// that agrees with PROJ.
    native: Option<Arc<native::Pipeline>>,
}

thread_local! {
    /// Per-thread PROJ pipelines keyed by `from \0 to` definitions.
    static PIPELINES: RefCell<Pipelines> = RefCell::new(Pipelines::default());
}

/// Most pipelines one thread keeps before the cache is emptied.
const PIPELINE_CACHE_MAX: usize = 32;

/// One thread's PROJ pipelines. When the thread exits they are parked in [`SPARE_PIPELINES`], never destroyed.
#[derive(Default)]
struct Pipelines(HashMap<String, Proj>);

impl Drop for Pipelines {
    fn drop(&mut self) {
        if self.0.is_empty() {
            return;
        }
        let mut spares = SPARE_PIPELINES
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        spares.extend(self.0.drain().map(|(key, proj)| (key, SparePipeline(proj))));
    }
}

/// Pipelines of threads that have exited, for the next thread that needs the same transformation.
///
/// Why a thread does not destroy its pipelines when it exits: destroying a `proj::Proj` also calls `proj_cleanup()`,
/// which empties PROJ's process-wide caches. The threads of a dropped rayon pool exit on their own time; when the
/// process is exiting too, PROJ's C++ static destructors run on the main thread at the same moment, and a cleanup
/// racing them corrupts the heap: 11 of 200 runs of a program that dropped its pool and exited died with SIGSEGV at
/// exit (tests/thread_exit.rs). A parked pipeline makes no PROJ call, and statics are never dropped.
static SPARE_PIPELINES: Mutex<Vec<(String, SparePipeline)>> = Mutex::new(Vec::new());

/// Spare pipelines kept; beyond this the oldest are destroyed by the next thread that makes a pipeline (a live
/// thread, like every other destruction here).
const SPARE_PIPELINES_MAX: usize = 64;

/// A PROJ pipeline passed from an exited thread to a live one.
struct SparePipeline(Proj);

// SAFETY: a `proj::Proj` owns its `PJ` and the `PJ_CONTEXT` that `proj` created for it alone; PROJ asks only that a
// context and its objects be used by one thread at a time, and nothing in them is tied to the thread that made them
// (https://proj.org/en/stable/development/threads.html). A spare is reachable only through `SPARE_PIPELINES`: its
// thread gave it up (the thread-local is being destroyed) before parking it, and a live thread takes it out under the
// lock before using it, so no two threads ever use it at once.
#[allow(unsafe_code)]
unsafe impl Send for SparePipeline {}

/// Takes a parked pipeline for `key`, if an exited thread left one; destroys the oldest spares beyond
/// [`SPARE_PIPELINES_MAX`].
fn take_spare_pipeline(key: &str) -> Option<Proj> {
    let (found, excess) = {
        let mut spares = SPARE_PIPELINES
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let found = spares
            .iter()
            .rposition(|(k, _)| k == key)
            .map(|i| spares.remove(i).1);
        let over = spares.len().saturating_sub(SPARE_PIPELINES_MAX);
        let excess: Vec<(String, SparePipeline)> = spares.drain(..over).collect();
        (found, excess)
    };
    drop(excess); // PROJ calls outside the lock
    found.map(|spare| spare.0)
}

impl Transform {
    /// Makes a transformation from `from` to `to`.
    ///
    /// # Errors
    ///
    /// [`Error::Crs`] when PROJ finds no transformation between them.
    pub fn new(from: &Crs, to: &Crs) -> Result<Transform> {
        let mut t = Transform {
            from: from.clone(),
            to: to.clone(),
            key: format!("{}\0{}", from.definition, to.definition),
            native: None,
        };
        t.native = t.with_proj(|p| Ok(native::pipeline_for(&t.key, p)))?;
        Ok(t)
    }

    /// The source CRS.
    #[must_use]
    pub fn from_crs(&self) -> &Crs {
        &self.from
    }

    /// The target CRS.
    #[must_use]
    pub fn to_crs(&self) -> &Crs {
        &self.to
    }

    fn with_proj<R>(&self, f: impl FnOnce(&Proj) -> Result<R>) -> Result<R> {
        PIPELINES.with(|cell| {
            let mut pipelines = cell.borrow_mut();
            let cache = &mut pipelines.0;
            if !cache.contains_key(&self.key) {
                if cache.len() >= PIPELINE_CACHE_MAX {
                    cache.clear();
                }
                let proj = match take_spare_pipeline(&self.key) {
                    Some(proj) => proj,
                    None => new_pipeline(&self.from, &self.to)?,
                };
                cache.insert(self.key.clone(), proj);
            }
            match cache.get(&self.key) {
                Some(p) => f(p),
                None => Err(self.failure("the PROJ pipeline could not be cached")),
            }
        })
    }

    fn failure(&self, problem: impl fmt::Display) -> Error {
        Error::Crs {
            context: format!("transforming from {} to {}", self.from, self.to),
            problem: problem.to_string(),
            fix: "check that the coordinates really are in the stated CRS; if not, give the right one with `--crs EPSG:NNNN`".into(),
        }
    }

    /// Transforms one point.
    ///
    /// # Errors
    ///
    /// [`Error::Crs`] when PROJ fails or the result is not finite (e.g. a
    /// point outside the domain of the projection).
    pub fn point(&self, x: f64, y: f64) -> Result<(f64, f64)> {
        if let Some(done) = self.native.as_ref().and_then(|n| n.apply(x, y)) {
            return Ok(done);
        }
        self.with_proj(|p| {
            let (ox, oy): (f64, f64) = p
                .convert((x, y))
                .map_err(|e| self.failure(format!("point ({x}, {y}): {e}")))?;
            if ox.is_finite() && oy.is_finite() {
                Ok((ox, oy))
            } else {
                Err(self.failure(format!("point ({x}, {y}) has no finite image ({ox}, {oy})")))
            }
        })
    }

    /// Transforms coordinates in place: the native transverse Mercator where a coordinate is in its domain, PROJ
    /// in batches for runs of coordinates outside it. Each coordinate's result depends on that coordinate alone,
    /// to the bit, whatever the batch (so whatever the thread count).
    ///
    /// # Errors
    ///
    /// [`Error::Crs`] naming the first coordinate that failed or became
    /// non-finite; `coords` is then partly transformed and must be discarded.
    pub fn in_place(&self, coords: &mut [Coord<f64>]) -> Result<()> {
        let Some(native) = &self.native else {
            return self.in_place_proj(coords, 0);
        };
        // Which of the two evaluates a coordinate depends on the coordinate alone, never on its batch: the two
        // agree to nanometres, not to the bit, and results must not depend on batch boundaries or thread counts.
        let mut start = 0;
        while start < coords.len() {
            start += native.apply_prefix(&mut coords[start..]);
            // From `start`, a run of coordinates outside the native domain, for PROJ.
            let end = coords[start..]
                .iter()
                .position(|c| native.apply(c.x, c.y).is_some())
                .map_or(coords.len(), |n| start + n);
            self.in_place_proj(&mut coords[start..end], start)?;
            start = end;
        }
        Ok(())
    }

    /// [`Transform::in_place`] through PROJ, for `coords` starting at coordinate `first` of the batch.
    fn in_place_proj(&self, coords: &mut [Coord<f64>], first: usize) -> Result<()> {
        if coords.is_empty() {
            return Ok(());
        }
        self.with_proj(|p| {
            let originals: Vec<Coord<f64>> = coords.to_vec();
            let outcome = p.convert_array(coords).map(|_| ()).map_err(|e| e.to_string());
            let bad = coords
                .iter()
                .position(|c| !(c.x.is_finite() && c.y.is_finite()));
            match (outcome, bad) {
                (Ok(()), None) => Ok(()),
                (outcome, Some(i)) => {
                    let why = outcome.err().unwrap_or_else(|| "no finite result".into());
                    Err(self.failure(format!(
                        "coordinate {} of the batch ({}, {}) could not be transformed: {why}",
                        first + i,
                        originals[i].x,
                        originals[i].y
                    )))
                }
                (Err(why), None) => {
                    // PROJ refused the batch without marking a coordinate:
                    // find the first culprit point by point.
                    let culprit = originals.iter().enumerate().find(|(_, c)| {
                        !matches!(p.convert((c.x, c.y)), Ok((x, y)) if f64::is_finite(x) && f64::is_finite(y))
                    });
                    Err(self.failure(match culprit {
                        Some((i, c)) => format!(
                            "coordinate {} of the batch ({}, {}) could not be transformed: {why}",
                            first + i,
                            c.x,
                            c.y
                        ),
                        None => why,
                    }))
                }
            }
        })
    }

    /// Transforms `coords` in place, as [`Transform::point`] would one by one: a coordinate
    /// PROJ cannot transform, or whose image is not finite, becomes NaN. One batched PROJ
    /// call when every coordinate transforms (the usual case), point by point otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// use geo_types::Coord;
    /// use streetrank_io::{Crs, Transform};
    /// let t = Transform::new(&Crs::epsg(32618), &Crs::wgs84())?;
    /// let mut c = [Coord { x: 500_000.0, y: 0.0 }, Coord { x: f64::INFINITY, y: 0.0 }];
    /// t.in_place_or_nan(&mut c);
    /// assert!((c[0].x + 75.0).abs() < 1e-9 && c[1].x.is_nan());
    /// # Ok::<(), streetrank_io::Error>(())
    /// ```
    pub fn in_place_or_nan(&self, coords: &mut [Coord<f64>]) {
        let originals = coords.to_vec();
        if self.in_place(coords).is_err() {
            for (c, o) in coords.iter_mut().zip(&originals) {
                *c = self.point(o.x, o.y).map_or(
                    Coord {
                        x: f64::NAN,
                        y: f64::NAN,
                    },
                    |(x, y)| Coord { x, y },
                );
            }
        }
    }
}

/// Transforms `coords` in place on the rayon pool, one [`Transform`] per chunk.
///
/// The result is identical to [`Transform::in_place`] for any thread count.
///
/// # Errors
///
/// [`Error::Crs`] as for [`Transform::in_place`].
pub fn transform_parallel(from: &Crs, to: &Crs, coords: &mut [Coord<f64>]) -> Result<()> {
    const CHUNK: usize = 16_384;
    let t = Transform::new(from, to)?;
    coords
        .par_chunks_mut(CHUNK)
        .enumerate()
        .try_for_each(|(i, chunk)| {
            t.in_place(chunk).map_err(|e| match e {
                Error::Crs {
                    context,
                    problem,
                    fix,
                } => Error::Crs {
                    context,
                    problem: format!("{problem} (chunk starting at coordinate {})", i * CHUNK),
                    fix,
                },
                other => other,
            })
        })
}

/// The area where a CRS is meant to be used, `[west, south, east, north]` in
/// degrees of longitude/latitude, when PROJ knows it (EPSG codes do; the
/// ESRI WKT of a `.prj` usually does not).
///
/// # Errors
///
/// [`Error::Crs`] when PROJ cannot read the definition.
pub fn area_of_use_lonlat(crs: &Crs) -> Result<Option<[f64; 4]>> {
    let p = Proj::new(&crs.definition).map_err(|e| crs_error(&crs.label, e))?;
    match p.area_of_use() {
        Ok((Some(a), _)) => Ok(Some([a.west, a.south, a.east, a.north])),
        Ok((None, _)) | Err(_) => Ok(None),
    }
}

fn new_pipeline(from: &Crs, to: &Crs) -> Result<Proj> {
    Proj::new_known_crs(&from.definition, &to.definition, None).map_err(|e| Error::Crs {
        context: format!("transforming from {from} to {to}"),
        problem: format!("PROJ found no transformation: {e}"),
        fix: CRS_FIX.into(),
    })
}

fn crs_error(context: &str, problem: impl fmt::Display) -> Error {
    Error::Crs {
        context: format!("CRS `{}`", short(context)),
        problem: problem.to_string(),
        fix: CRS_FIX.into(),
    }
}

/// The first 60 characters of a definition, for messages.
fn short(def: &str) -> String {
    let mut s: String = def.chars().take(60).collect();
    if def.chars().count() > 60 {
        s.push('…');
    }
    s
}

/// The name of a WKT CRS as written (`PROJCS["name",...`), if `def` is WKT.
fn wkt_name(def: &str) -> Option<String> {
    let open = def.find('[')?;
    let keyword = def[..open].trim();
    if keyword.is_empty() || !keyword.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    let rest = def[open + 1..].trim_start().strip_prefix('"')?;
    let name = &rest[..rest.find('"')?];
    (!name.trim().is_empty()).then(|| name.trim().to_owned())
}

/// `epsg:4326` -> `EPSG:4326`; PROJ strings get `+type=crs` so PROJ reads
/// them as a CRS rather than an operation.
fn normalise_definition(def: &str) -> String {
    if let Some(code) = epsg_code(def) {
        return format!("EPSG:{code}");
    }
    if def.starts_with('+') && !def.contains("+type=crs") {
        return format!("{def} +type=crs");
    }
    def.to_owned()
}

/// The code of an `EPSG:NNNN` definition (case-insensitive).
fn epsg_code(def: &str) -> Option<u32> {
    let (auth, code) = def.split_once(':')?;
    if auth.trim().eq_ignore_ascii_case("epsg") {
        code.trim().parse().ok()
    } else {
        None
    }
}

/// What this module needs to know about a CRS, from its PROJJSON.
#[derive(Debug, Clone)]
struct CrsInfo {
    name: Option<String>,
    geographic: bool,
    metres_per_unit: Option<f64>,
}

/// Facts about CRSs already asked about, by definition, for the whole process: each PROJ
/// object opens the embedded proj.db, and a run asks about the same two or three CRSs
/// dozens of times (a profile at city size put 12% of the CPU time there).
///
/// A definition PROJ refused is kept too, with the problem PROJ stated (at most
/// [`REFUSED_CACHE_MAX`] of them): the `proj` crate (0.31) leaks a PROJ context, about
/// 190 KB, each time PROJ refuses a definition, so a process asked again and again about
/// the same bad CRS (a Python session, a fuzzer) would grow without end.
static INFO_CACHE: OnceLock<Mutex<HashMap<String, std::result::Result<CrsInfo, String>>>> =
    OnceLock::new();

/// Most refused definitions [`INFO_CACHE`] keeps.
const REFUSED_CACHE_MAX: usize = 256;

fn crs_info(definition: &str) -> Result<CrsInfo> {
    let cache = INFO_CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(known) = cache
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(definition)
    {
        return known
            .clone()
            .map_err(|problem| crs_error(definition, problem));
    }
    let answer = crs_info_uncached(definition);
    let mut cache = cache.lock().unwrap_or_else(PoisonError::into_inner);
    match &answer {
        Ok(info) => {
            cache.insert(definition.to_owned(), Ok(info.clone()));
        }
        // Every error of `crs_info_uncached` is `crs_error(definition, problem)`.
        Err(Error::Crs { problem, .. }) => {
            let refused = cache.values().filter(|v| v.is_err()).count();
            if refused < REFUSED_CACHE_MAX {
                cache.insert(definition.to_owned(), Err(problem.clone()));
            }
        }
        Err(_) => {}
    }
    answer
}

fn crs_info_uncached(definition: &str) -> Result<CrsInfo> {
    let p = Proj::new(definition).map_err(|e| crs_error(definition, e))?;
    let json = p
        .to_projjson(Some(false), None, None)
        .map_err(|e| crs_error(definition, e))?;
    let v: serde_json::Value = serde_json::from_str(&json).map_err(|e| crs_error(definition, e))?;
    info_from_projjson(&v).ok_or_else(|| {
        crs_error(
            definition,
            format!(
                "PROJ reads this as a `{}`, not a coordinate reference system",
                v.get("type").and_then(|t| t.as_str()).unwrap_or("?")
            ),
        )
    })
}

/// Reads type, name and axis unit from PROJJSON, looking through bound and
/// compound CRSs to the horizontal one.
fn info_from_projjson(v: &serde_json::Value) -> Option<CrsInfo> {
    let ty = v.get("type")?.as_str()?;
    match ty {
        "BoundCRS" => {
            let mut inner = info_from_projjson(v.get("source_crs")?)?;
            if let Some(n) = v.get("name").and_then(|n| n.as_str()) {
                inner.name = Some(n.to_owned());
            }
            Some(inner)
        }
        "CompoundCRS" => {
            let first = v.get("components")?.as_array()?.first()?;
            let mut inner = info_from_projjson(first)?;
            if let Some(n) = v.get("name").and_then(|n| n.as_str()) {
                inner.name = Some(n.to_owned());
            }
            Some(inner)
        }
        "GeographicCRS"
        | "GeodeticCRS"
        | "ProjectedCRS"
        | "DerivedProjectedCRS"
        | "EngineeringCRS" => {
            let geographic = ty == "GeographicCRS"
                || (ty == "GeodeticCRS"
                    && v.pointer("/coordinate_system/subtype")
                        .and_then(|s| s.as_str())
                        == Some("ellipsoidal"));
            let axis = v.pointer("/coordinate_system/axis/0");
            let metres_per_unit = axis.and_then(|a| a.get("unit")).and_then(unit_metres);
            Some(CrsInfo {
                name: v.get("name").and_then(|n| n.as_str()).map(str::to_owned),
                geographic,
                metres_per_unit,
            })
        }
        _ => None,
    }
}

/// Metres per unit of a PROJJSON unit (a well-known name or an object).
fn unit_metres(unit: &serde_json::Value) -> Option<f64> {
    match unit {
        serde_json::Value::String(s) => match s.as_str() {
            "metre" | "meter" => Some(1.0),
            _ => None,
        },
        serde_json::Value::Object(o) => {
            let is_linear = o.get("type").and_then(|t| t.as_str()) == Some("LinearUnit");
            if is_linear {
                o.get("conversion_factor")
                    .and_then(serde_json::Value::as_f64)
            } else {
                None
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Syracuse streets' `.prj` (ESRI WKT, State Plane New York Central, US feet); crs/native.rs tests use it too.
    pub(super) const SYRACUSE_PRJ: &str = r#"PROJCS["NAD_1983_StatePlane_New_York_Central_FIPS_3102_Feet",GEOGCS["GCS_North_American_1983",DATUM["D_North_American_1983",SPHEROID["GRS_1980",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",820208.3333333333],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",-76.58333333333333],PARAMETER["Scale_Factor",0.9999375],PARAMETER["Latitude_Of_Origin",40.0],UNIT["Foot_US",0.3048006096012192]]"#;

    #[test]
    fn parse_table() {
        // (definition, ok, geographic, metres per unit, label)
        let cases: Vec<(&str, bool, bool, Option<f64>, &str)> = vec![
            ("EPSG:4326", true, true, None, "EPSG:4326"),
            ("epsg:32618", true, false, Some(1.0), "EPSG:32618"),
            ("EPSG:2261", true, false, Some(0.304_800_609_6), "EPSG:2261"),
            ("EPSG:4269", true, true, None, "EPSG:4269"),
            (
                SYRACUSE_PRJ,
                true,
                false,
                Some(0.304_800_609_6),
                "NAD_1983_StatePlane_New_York_Central_FIPS_3102_Feet",
            ),
            (
                "+proj=utm +zone=18 +datum=WGS84 +units=m",
                true,
                false,
                Some(1.0),
                "",
            ),
            ("", false, false, None, ""),
            ("   ", false, false, None, ""),
            ("EPSG:999999", false, false, None, ""),
            ("not a crs", false, false, None, ""),
            (
                "+proj=pipeline +step +proj=axisswap +order=2,1",
                false,
                false,
                None,
                "",
            ),
        ];
        for (def, ok, geo, mpu, label) in cases {
            match Crs::parse(def) {
                Ok(c) => {
                    assert!(ok, "{def:?} parsed but should not");
                    assert_eq!(c.is_geographic().unwrap(), geo, "{def}");
                    let got = c.metres_per_unit().unwrap();
                    match (got, mpu) {
                        (None, None) => {}
                        (Some(g), Some(w)) => assert!((g - w).abs() < 1e-9, "{def}: {g}"),
                        other => panic!("{def}: {other:?}"),
                    }
                    if !label.is_empty() {
                        assert_eq!(c.label(), label);
                    }
                }
                Err(e) => {
                    assert!(!ok, "{def:?} failed: {e}");
                    let msg = e.to_string();
                    assert!(msg.contains("--crs EPSG:NNNN"), "{msg}");
                }
            }
        }
    }

    #[test]
    fn serde_round_trip_and_validation() {
        let c = Crs::epsg(2261);
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(json, "\"EPSG:2261\"");
        let back: Crs = serde_json::from_str(&json).unwrap();
        assert_eq!(back, c);
        let bad: std::result::Result<Crs, _> = serde_json::from_str("\"EPSG:0\"");
        assert!(bad.is_err());
    }

    #[test]
    fn utm_zone_table() {
        let cases = [
            (-180.0, 0.0, 32601),
            (-179.999, 10.0, 32601),
            (-174.0, 10.0, 32602), // exactly on a zone boundary: the eastern zone
            (-76.15, 43.05, 32618),
            (-77.03, 38.9, 32618),
            (0.0, 0.0, 32631),
            (0.0, -0.0, 32631),
            (0.0, -1e-9, 32731),
            (179.999, -45.0, 32760),
            (180.0, 45.0, 32660),
            (500.0, 45.0, 32660),
            (f64::NAN, 45.0, 32601),
            (f64::NEG_INFINITY, 45.0, 32601),
        ];
        for (lon, lat, code) in cases {
            assert_eq!(utm_for(lon, lat), Crs::epsg(code), "{lon} {lat}");
        }
    }

    #[test]
    fn point_errors_on_nan_and_out_of_domain() {
        let t = Transform::new(&Crs::wgs84(), &Crs::epsg(32618)).unwrap();
        assert!(t.point(f64::NAN, 0.0).is_err());
        assert!(t.point(0.0, 1000.0).is_err());
        let mut coords = vec![Coord { x: -75.0, y: 0.0 }, Coord { x: 0.0, y: 1000.0 }];
        let err = t.in_place(&mut coords).unwrap_err().to_string();
        assert!(err.contains("coordinate 1"), "{err}");
        let mut empty: Vec<Coord<f64>> = vec![];
        t.in_place(&mut empty).unwrap();
    }

    #[test]
    fn an_exited_threads_pipelines_are_parked_and_taken_by_the_next_thread() {
        // A pair no other test uses, so these spares are this test's own; not transverse Mercator, so PROJ
        // evaluates it (not crs/native.rs).
        let t = Transform::new(&Crs::wgs84(), &Crs::epsg(3035)).unwrap();
        assert!(t.native.is_none());
        let key = t.key.clone();
        let worker = t.clone();
        let (x, y) = std::thread::spawn(move || worker.point(10.0, 52.0))
            .join()
            .unwrap()
            .unwrap();
        // The thread has exited (join waits for its thread-locals' destructors): its pipeline is parked, not
        // destroyed, and a live thread takes it instead of asking PROJ for a new one.
        let spare = take_spare_pipeline(&key).expect("the exited thread's pipeline is parked");
        assert!(take_spare_pipeline(&key).is_none());
        let (xa, ya) = spare.convert((10.0, 52.0)).unwrap();
        assert!((xa - x).abs() < 1e-9 && (ya - y).abs() < 1e-9);
        // Parked once more when a thread that took it over exits.
        let worker = t.clone();
        let spare = SparePipeline(spare);
        std::thread::spawn(move || {
            let spare = spare;
            PIPELINES.with(|cell| cell.borrow_mut().0.insert(worker.key.clone(), spare.0));
            worker.point(10.0, 52.0)
        })
        .join()
        .unwrap()
        .unwrap();
        assert!(take_spare_pipeline(&key).is_some());
    }

    #[test]
    fn transform_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Transform>();
        check::<Crs>();
    }

    /// Independent check: the UTM forward series (Snyder, Map Projections,
    /// eq. 8-9..8-10) against PROJ's result; and a round trip through
    /// State Plane feet.
    #[test]
    fn round_trip_state_plane_wgs84_utm() {
        let sp = Crs::parse(SYRACUSE_PRJ).unwrap();
        let to_ll = Transform::new(&sp, &Crs::wgs84()).unwrap();
        let from_ll = Transform::new(&Crs::wgs84(), &sp).unwrap();
        let to_utm = Transform::new(&Crs::wgs84(), &Crs::epsg(32618)).unwrap();
        let (x0, y0) = (920_000.0, 1_110_000.0);
        let (lon, lat) = to_ll.point(x0, y0).unwrap();
        assert!(
            (-76.3..-76.0).contains(&lon) && (43.0..43.2).contains(&lat),
            "{lon} {lat}"
        );
        let (x1, y1) = from_ll.point(lon, lat).unwrap();
        assert!((x1 - x0).abs() < 1e-3 && (y1 - y0).abs() < 1e-3);
        let (e, n) = to_utm.point(lon, lat).unwrap();
        let (e2, n2) = snyder_utm(lon, lat, -75.0);
        assert!(
            (e - e2).abs() < 1e-3 && (n - n2).abs() < 1e-3,
            "{e} {e2} {n} {n2}"
        );
        // Parallel batch equals point-by-point.
        let mut coords: Vec<Coord<f64>> = (0..40_000)
            .map(|i| Coord {
                x: x0 + f64::from(i),
                y: y0 - f64::from(i),
            })
            .collect();
        let want: Vec<(f64, f64)> = coords
            .iter()
            .step_by(9_999)
            .map(|c| to_ll.point(c.x, c.y).unwrap())
            .collect();
        transform_parallel(&sp, &Crs::wgs84(), &mut coords).unwrap();
        for (c, w) in coords.iter().step_by(9_999).zip(want) {
            assert_eq!((c.x, c.y), w);
        }
    }

    /// Transverse Mercator on WGS 84 (Snyder 1987, eqs. 8-9 to 8-10, k0 = 0.9996).
    fn snyder_utm(lon: f64, lat: f64, lon0: f64) -> (f64, f64) {
        let a = 6_378_137.0_f64;
        let f = 1.0 / 298.257_223_563;
        let e2 = f * (2.0 - f);
        let ep2 = e2 / (1.0 - e2);
        let k0 = 0.9996;
        let (phi, dl) = (lat.to_radians(), (lon - lon0).to_radians());
        let n = a / (1.0 - e2 * phi.sin().powi(2)).sqrt();
        let t = phi.tan().powi(2);
        let c = ep2 * phi.cos().powi(2);
        let aa = dl * phi.cos();
        let m = a
            * ((1.0 - e2 / 4.0 - 3.0 * e2 * e2 / 64.0 - 5.0 * e2.powi(3) / 256.0) * phi
                - (3.0 * e2 / 8.0 + 3.0 * e2 * e2 / 32.0 + 45.0 * e2.powi(3) / 1024.0)
                    * (2.0 * phi).sin()
                + (15.0 * e2 * e2 / 256.0 + 45.0 * e2.powi(3) / 1024.0) * (4.0 * phi).sin()
                - (35.0 * e2.powi(3) / 3072.0) * (6.0 * phi).sin());
        let x = k0
            * n
            * (aa
                + (1.0 - t + c) * aa.powi(3) / 6.0
                + (5.0 - 18.0 * t + t * t + 72.0 * c - 58.0 * ep2) * aa.powi(5) / 120.0);
        let y = k0
            * (m + n
                * phi.tan()
                * (aa * aa / 2.0
                    + (5.0 - t + 9.0 * c + 4.0 * c * c) * aa.powi(4) / 24.0
                    + (61.0 - 58.0 * t + t * t + 600.0 * c - 330.0 * ep2) * aa.powi(6) / 720.0));
        (x + 500_000.0, y)
    }
}
