//! Transverse Mercator pipelines evaluated in Rust, each checked against PROJ before it is used.
//!
//! Nearly all of streetrank's coordinate work is one family of PROJ pipelines: longitude/latitude
//! to a UTM zone (the working CRS) for every complaint and street vertex, back to longitude/latitude
//! for the outputs, and State Plane transverse Mercator zones (feet) to UTM. PROJ evaluates them
//! point by point through its generic machinery (a pipeline step per coordinate, input checks,
//! a 4D coordinate copied in and out); a profile of the complaint CSV reader put about a quarter
//! of its time in PROJ, several points of it outside the projection's own arithmetic.
//!
//! This module evaluates the same pipelines with the same algorithm PROJ uses for `tmerc`, `etmerc`
//! and `utm`: Poder and Engsager's 6th-order series (Krüger's, as in Karney 2011 and in
//! `src/projections/tmerc.cpp` of PROJ 9.6.2), with PROJ's constants and order of operations.
//! A pipeline is taken only when
//!
//! - every step of PROJ's own definition of it (`proj_pj_info`) is one this module knows
//!   (`unitconvert`, `axisswap order=2,1`, `noop`, `utm`, `tmerc`, `etmerc`, forward or `inv`) with
//!   no parameter it does not know (a datum shift, a grid, `approx`, a prime meridian: PROJ does it);
//! - and it agrees with PROJ on a grid of points covering its whole domain (below) to within
//!   `Pipeline::tolerance` (a micrometre or a microfoot; measured differences are about a nanometre).
//!
//! Its domain is kept small on purpose: latitudes within ±[`MAX_LAT_DEG`]° and longitudes within
//! ±[`MAX_DLON_DEG`]° of each projection's central meridian, the same box the check covers. A
//! coordinate outside it, not finite, or failing in any way goes to PROJ, so errors and edge cases
//! (the poles, far longitudes, NaN) are PROJ's own, word for word.
//!
//! Setting `STREETRANK_NATIVE_TMERC=0` in the environment turns this module off: every coordinate
//! then goes through PROJ (for comparison, or to rule it out).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use geo_types::Coord;
use proj::Proj;

/// PROJ's `DEG_TO_RAD`.
const DEG_TO_RAD: f64 = 0.017_453_292_519_943_296;

/// Largest latitude (degrees, either hemisphere) this module projects; beyond it PROJ does.
pub(super) const MAX_LAT_DEG: f64 = 84.5;

/// Largest distance in longitude (degrees) from a projection's central meridian this module
/// projects; beyond it PROJ does. UTM zones are 6° wide, State Plane zones narrower.
pub(super) const MAX_DLON_DEG: f64 = 20.5;

/// Coordinates [`Pipeline::apply_prefix`] transforms at once.
const LANES: usize = 4;

/// PROJ's bound on the normalised easting of the exact algorithm (about 150°).
const MAX_CE: f64 = 2.623_395_162_778;

/// A pipeline this module evaluates: PROJ's steps, in order.
#[derive(Debug)]
pub(super) struct Pipeline {
    steps: Vec<Step>,
    /// Largest difference from PROJ allowed by the check, in the output's units.
    tolerance: f64,
}

/// One step of a pipeline.
#[derive(Debug, Clone)]
enum Step {
    /// `unitconvert`, forward: x and y times PROJ's factor.
    Multiply(f64),
    /// `unitconvert`, inverse: x and y divided by PROJ's factor.
    Divide(f64),
    /// `axisswap order=2,1` (its own inverse).
    Swap,
    /// `tmerc`/`utm` forward: radians to metres.
    Forward(Tmerc),
    /// `tmerc`/`utm` inverse: metres to radians.
    Inverse(Tmerc),
}

/// What a step's output is, for the tolerance of the check.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Units {
    Unknown,
    Linear,
    Degrees,
    Radians,
}

/// The Poder/Engsager transverse Mercator of one ellipsoid and origin, set up as PROJ's `setup_exact`.
#[derive(Debug, Clone)]
struct Tmerc {
    /// Semi-major axis, metres, and its inverse.
    a: f64,
    ra: f64,
    /// Central meridian, radians.
    lam0: f64,
    /// False easting and northing, metres.
    x0: f64,
    y0: f64,
    /// Meridian quadrant scaled by k0, and the origin's northing, both in units of `a`.
    qn: f64,
    zb: f64,
    /// Gaussian to geodetic latitude, and back.
    cgb: [f64; 6],
    cbg: [f64; 6],
    /// Transverse Mercator to spherical (utg), and back (gtu).
    utg: [f64; 6],
    gtu: [f64; 6],
}

impl Pipeline {
    /// Reads a pipeline from PROJ's definition of it (`proj=pipeline step proj=unitconvert …`), or
    /// `None` when any step or parameter is one this module does not evaluate.
    pub(super) fn parse(definition: &str) -> Option<Pipeline> {
        let tokens: Vec<&str> = definition
            .split_whitespace()
            .map(|t| t.trim_start_matches('+'))
            .collect();
        let step_tokens: Vec<&[&str]> = match tokens.split_first() {
            Some((&"proj=pipeline", rest)) => {
                let mut parts = rest.split(|t| *t == "step");
                // Nothing between `proj=pipeline` and the first `step`: no global parameters.
                if !parts.next()?.is_empty() {
                    return None;
                }
                parts.collect()
            }
            Some(_) => vec![&tokens[..]],
            None => return None,
        };
        let mut steps = Vec::new();
        let mut units = Units::Unknown;
        for tokens in step_tokens {
            let (step, out) = parse_step(tokens)?;
            if let Some(step) = step {
                steps.push(step);
            }
            if out != Units::Unknown {
                units = out;
            }
        }
        let tolerance = match units {
            // A micrometre, a microfoot.
            Units::Linear => 1e-6,
            // About a micrometre on the ground.
            Units::Degrees => 1e-11,
            Units::Radians => 2e-13,
            Units::Unknown => 1e-9,
        };
        Some(Pipeline { steps, tolerance })
    }

    /// One coordinate through every step; `None` outside this module's domain or when not finite
    /// (PROJ then transforms it).
    #[inline]
    pub(super) fn apply(&self, x: f64, y: f64) -> Option<(f64, f64)> {
        let (mut x, mut y) = ([x], [y]);
        self.apply_lanes(&mut x, &mut y).then_some((x[0], y[0]))
    }

    /// [`Pipeline::apply`] on `N` coordinates at once, in place; `false`, with `x` and `y` unspecified, when any of
    /// them is outside the domain or not finite. The same results to the bit as one by one.
    #[inline]
    fn apply_lanes<const N: usize>(&self, x: &mut [f64; N], y: &mut [f64; N]) -> bool {
        for step in &self.steps {
            match step {
                Step::Multiply(f) => {
                    for i in 0..N {
                        x[i] *= f;
                        y[i] *= f;
                    }
                }
                Step::Divide(f) => {
                    for i in 0..N {
                        x[i] /= f;
                        y[i] /= f;
                    }
                }
                Step::Swap => std::mem::swap(x, y),
                Step::Forward(t) => {
                    if !t.forward_lanes(x, y) {
                        return false;
                    }
                }
                Step::Inverse(t) => {
                    if !t.inverse_lanes(x, y) {
                        return false;
                    }
                }
            }
        }
        x.iter().chain(y.iter()).all(|v| v.is_finite())
    }

    /// Transforms the longest prefix of `coords` this module can, in place; returns its length.
    /// The coordinates after it are left as they were.
    pub(super) fn apply_prefix(&self, coords: &mut [Coord<f64>]) -> usize {
        let mut done = 0;
        for chunk in coords.chunks_exact_mut(LANES) {
            let mut x: [f64; LANES] = std::array::from_fn(|i| chunk[i].x);
            let mut y: [f64; LANES] = std::array::from_fn(|i| chunk[i].y);
            if !self.apply_lanes(&mut x, &mut y) {
                // One of these four is not for this module: one by one from here, to find it.
                break;
            }
            for (c, (x, y)) in chunk.iter_mut().zip(x.into_iter().zip(y)) {
                *c = Coord { x, y };
            }
            done += LANES;
        }
        for c in &mut coords[done..] {
            match self.apply(c.x, c.y) {
                Some((x, y)) => *c = Coord { x, y },
                None => return done,
            }
            done += 1;
        }
        done
    }

    /// Points covering the domain of the first projection step, as inputs of the whole pipeline:
    /// a grid of latitudes and longitudes around its central meridian, carried back through the
    /// steps before it. Empty when the pipeline has no projection step.
    fn check_points(&self) -> Vec<(f64, f64)> {
        let Some(k) = self
            .steps
            .iter()
            .position(|s| matches!(s, Step::Forward(_) | Step::Inverse(_)))
        else {
            // Unit conversions and axis swaps only.
            return (-8..=8)
                .flat_map(|i| (-8..=8).map(move |j| (f64::from(i) * 11.25, f64::from(j) * 10.5)))
                .collect();
        };
        let mut points = Vec::new();
        // Within the domain, with a margin for rounding: 20° and 84° against 20.5° and 84.5°.
        for i in -16..=16 {
            for j in -21..=21 {
                let dlon = f64::from(i) * 1.25 * DEG_TO_RAD;
                let lat = f64::from(j) * 4.0 * DEG_TO_RAD;
                let at_step = match &self.steps[k] {
                    Step::Forward(t) => Some((t.lam0 + dlon, lat)),
                    Step::Inverse(t) => t.forward(t.lam0 + dlon, lat),
                    _ => None,
                };
                let Some(mut p) = at_step else { continue };
                for step in self.steps[..k].iter().rev() {
                    p = match step {
                        Step::Multiply(f) => (p.0 / f, p.1 / f),
                        Step::Divide(f) => (p.0 * f, p.1 * f),
                        Step::Swap => (p.1, p.0),
                        // None before step k, the first projection.
                        Step::Forward(_) | Step::Inverse(_) => p,
                    };
                }
                points.push(p);
            }
        }
        points
    }

    /// Whether this pipeline agrees with `proj` on [`Pipeline::check_points`]: every point this module
    /// transforms, PROJ transforms too, to within its tolerance; and this module transforms
    /// at least half of them. Returns the largest difference seen.
    pub(super) fn check_against(&self, proj: &Proj) -> Option<f64> {
        let points = self.check_points();
        let mut worst = 0.0_f64;
        let mut ours = 0;
        for &(x, y) in &points {
            let Some((nx, ny)) = self.apply(x, y) else {
                continue;
            };
            ours += 1;
            let (px, py): (f64, f64) = proj.convert((x, y)).ok()?;
            let diff = (nx - px).abs().max((ny - py).abs());
            // A NaN difference fails here too.
            if !within(diff, self.tolerance) {
                return None;
            }
            worst = worst.max(diff);
        }
        (ours * 2 >= points.len() && !points.is_empty()).then_some(worst)
    }
}

/// Reads one step: `Some(None)` for a step that does nothing (`noop`), `None` for one this module
/// does not evaluate. Also returns the units of the step's output.
fn parse_step(tokens: &[&str]) -> Option<(Option<Step>, Units)> {
    let mut inverse = false;
    let mut name = None;
    let mut params: HashMap<&str, &str> = HashMap::new();
    for t in tokens {
        match t.split_once('=') {
            Some(("proj", v)) => {
                if name.replace(v).is_some() {
                    return None;
                }
            }
            Some((k, v)) => {
                if params.insert(k, v).is_some() {
                    return None;
                }
            }
            // PROJ reads a flag given twice as given once; nothing PROJ writes has that, so refuse it.
            None if *t == "inv" => {
                if inverse {
                    return None;
                }
                inverse = true;
            }
            // A flag: `south` is the only one known, and only to `utm`.
            None => {
                if params.insert(t, "").is_some() {
                    return None;
                }
            }
        }
    }
    let only = |known: &[&str]| params.keys().all(|k| known.contains(k));
    match name? {
        "noop" if params.is_empty() => Some((None, Units::Unknown)),
        "axisswap" if only(&["order"]) && params.get("order") == Some(&"2,1") => {
            Some((Some(Step::Swap), Units::Unknown))
        }
        "unitconvert" if only(&["xy_in", "xy_out"]) => {
            let (f_in, u_in) = params
                .get("xy_in")
                .map_or(Some((1.0, Units::Unknown)), |u| unit(u))?;
            let (f_out, u_out) = params
                .get("xy_out")
                .map_or(Some((1.0, Units::Unknown)), |u| unit(u))?;
            // PROJ: xy_factor = in / out; forward multiplies by it, inverse divides.
            let factor = f_in / f_out;
            if inverse {
                Some((Some(Step::Divide(factor)), u_in))
            } else {
                Some((Some(Step::Multiply(factor)), u_out))
            }
        }
        "utm" if only(&["zone", "south", "ellps"]) => {
            let zone: u32 = params.get("zone")?.parse().ok()?;
            if !(1..=60).contains(&zone) || params.get("south").is_some_and(|v| !v.is_empty()) {
                return None;
            }
            let (a, es) = ellipsoid(params.get("ellps")?)?;
            let lam0 =
                (f64::from(zone - 1) + 0.5) * std::f64::consts::PI / 30.0 - std::f64::consts::PI;
            let y0 = if params.contains_key("south") {
                10_000_000.0
            } else {
                0.0
            };
            let t = Tmerc::new(a, es, 0.9996, lam0, 0.0, 500_000.0, y0);
            Some(projection(t, inverse))
        }
        "tmerc" | "etmerc"
            if only(&["lat_0", "lon_0", "k", "k_0", "x_0", "y_0", "ellps", "algo"])
                && params.get("algo").is_none_or(|a| *a == "poder_engsager")
                && !(params.contains_key("k") && params.contains_key("k_0")) =>
        {
            let number = |key: &str, default: f64| -> Option<f64> {
                match params.get(key) {
                    None => Some(default),
                    Some(v) => v.parse::<f64>().ok().filter(|x| x.is_finite()),
                }
            };
            let (a, es) = ellipsoid(params.get("ellps")?)?;
            let k0 = number("k", number("k_0", 1.0)?)?;
            let lam0 = number("lon_0", 0.0)? * DEG_TO_RAD;
            let phi0 = number("lat_0", 0.0)? * DEG_TO_RAD;
            if k0.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater)
                || phi0.abs() > 90.0 * DEG_TO_RAD
                || lam0.abs() > std::f64::consts::PI
            {
                return None;
            }
            let t = Tmerc::new(
                a,
                es,
                k0,
                lam0,
                phi0,
                number("x_0", 0.0)?,
                number("y_0", 0.0)?,
            );
            Some(projection(t, inverse))
        }
        _ => None,
    }
}

fn projection(t: Tmerc, inverse: bool) -> (Option<Step>, Units) {
    if inverse {
        (Some(Step::Inverse(t)), Units::Radians)
    } else {
        (Some(Step::Forward(t)), Units::Linear)
    }
}

/// PROJ's factor of a unit `unitconvert` names (src/units.cpp), for the units seen in practice.
fn unit(name: &str) -> Option<(f64, Units)> {
    Some(match name {
        "m" => (1.0, Units::Linear),
        "km" => (1000.0, Units::Linear),
        "ft" => (0.3048, Units::Linear),
        "us-ft" => (1200.0 / 3937.0, Units::Linear),
        "deg" => (DEG_TO_RAD, Units::Degrees),
        "rad" => (1.0, Units::Radians),
        _ => return None,
    })
}

/// Semi-major axis and squared eccentricity of an ellipsoid PROJ names (src/ellps.cpp), as PROJ
/// derives them (src/ell_set.cpp).
fn ellipsoid(name: &str) -> Option<(f64, f64)> {
    let (a, f) = match name {
        "WGS84" => (6_378_137.0, 1.0 / 298.257_223_563),
        "GRS80" => (6_378_137.0, 1.0 / 298.257_222_101),
        "clrk66" => (6_378_206.4, (6_378_206.4 - 6_356_583.8) / 6_378_206.4),
        _ => return None,
    };
    Some((a, 2.0 * f - f * f))
}

/// Whether `|v| <= bound`; false for NaN.
#[inline]
fn within(v: f64, bound: f64) -> bool {
    v.abs() <= bound
}

/// PROJ's `adjlon`: a longitude into -π..π, left alone if already within it (with PROJ's slack).
fn adjlon(lon: f64) -> f64 {
    use std::f64::consts::{PI, TAU};
    if lon.abs() < PI + 1e-12 {
        return lon;
    }
    let shifted = lon + PI;
    shifted - TAU * (shifted / TAU).floor() - PI
}

/// Clenshaw summation of a real sine series plus its argument (PROJ's `gatg`).
#[inline]
fn gatg(p: &[f64; 6], b: f64, cos_2b: f64, sin_2b: f64) -> f64 {
    let two_cos_2b = 2.0 * cos_2b;
    let (mut h, mut h1, mut h2) = (0.0, p[5], 0.0);
    for &c in p[..5].iter().rev() {
        h = -h2 + two_cos_2b * h1 + c;
        h2 = h1;
        h1 = h;
    }
    b + h * sin_2b
}

/// Complex Clenshaw summation (PROJ's `clenS`): the real and imaginary parts.
#[inline]
fn clen_s(a: &[f64; 6], sin_r: f64, cos_r: f64, sinh_i: f64, cosh_i: f64) -> (f64, f64) {
    let r = 2.0 * cos_r * cosh_i;
    let i = -2.0 * sin_r * sinh_i;
    let (mut hr, mut hi) = (a[5], 0.0);
    let (mut hr1, mut hi1) = (0.0, 0.0);
    for &c in a[..5].iter().rev() {
        let (hr2, hi2) = (hr1, hi1);
        hr1 = hr;
        hi1 = hi;
        hr = -hr2 + r * hr1 - i * hi1 + c;
        hi = -hi2 + i * hr1 + r * hi1;
    }
    let r = sin_r * cosh_i;
    let i = cos_r * sinh_i;
    (r * hr - i * hi, r * hi + i * hr)
}

/// Real Clenshaw summation (PROJ's `clens`).
fn clens(a: &[f64; 6], arg: f64) -> f64 {
    let r = 2.0 * arg.cos();
    let (mut hr, mut hr1) = (a[5], 0.0);
    for &c in a[..5].iter().rev() {
        let hr2 = hr1;
        hr1 = hr;
        hr = -hr2 + r * hr1 + c;
    }
    arg.sin() * hr
}

impl Tmerc {
    /// PROJ's `setup_exact` (the coefficients of Engsager and Poder, ICC 2007, to n⁶).
    #[allow(clippy::too_many_arguments)]
    fn new(a: f64, es: f64, k0: f64, lam0: f64, phi0: f64, x0: f64, y0: f64) -> Tmerc {
        // Third flattening as PROJ computes it (pj_calc_ellipsoid_params).
        let n = (es.sqrt().asin() / 2.0).tan().powi(2);
        let mut np = n;
        let mut cgb = [0.0; 6];
        let mut cbg = [0.0; 6];
        let mut utg = [0.0; 6];
        let mut gtu = [0.0; 6];
        cgb[0] = n
            * (2.0
                + n * (-2.0 / 3.0
                    + n * (-2.0 + n * (116.0 / 45.0 + n * (26.0 / 45.0 + n * (-2854.0 / 675.0))))));
        cbg[0] = n
            * (-2.0
                + n * (2.0 / 3.0
                    + n * (4.0 / 3.0
                        + n * (-82.0 / 45.0 + n * (32.0 / 45.0 + n * (4642.0 / 4725.0))))));
        np *= n;
        cgb[1] = np
            * (7.0 / 3.0
                + n * (-8.0 / 5.0
                    + n * (-227.0 / 45.0 + n * (2704.0 / 315.0 + n * (2323.0 / 945.0)))));
        cbg[1] = np
            * (5.0 / 3.0
                + n * (-16.0 / 15.0
                    + n * (-13.0 / 9.0 + n * (904.0 / 315.0 + n * (-1522.0 / 945.0)))));
        np *= n;
        cgb[2] = np
            * (56.0 / 15.0 + n * (-136.0 / 35.0 + n * (-1262.0 / 105.0 + n * (73814.0 / 2835.0))));
        cbg[2] =
            np * (-26.0 / 15.0 + n * (34.0 / 21.0 + n * (8.0 / 5.0 + n * (-12686.0 / 2835.0))));
        np *= n;
        cgb[3] = np * (4279.0 / 630.0 + n * (-332.0 / 35.0 + n * (-399_572.0 / 14175.0)));
        cbg[3] = np * (1237.0 / 630.0 + n * (-12.0 / 5.0 + n * (-24832.0 / 14175.0)));
        np *= n;
        cgb[4] = np * (4174.0 / 315.0 + n * (-144_838.0 / 6237.0));
        cbg[4] = np * (-734.0 / 315.0 + n * (109_598.0 / 31185.0));
        np *= n;
        cgb[5] = np * (601_676.0 / 22275.0);
        cbg[5] = np * (444_337.0 / 155_925.0);

        np = n * n;
        let qn = k0 / (1.0 + n) * (1.0 + np * (1.0 / 4.0 + np * (1.0 / 64.0 + np / 256.0)));
        utg[0] = n
            * (-0.5
                + n * (2.0 / 3.0
                    + n * (-37.0 / 96.0
                        + n * (1.0 / 360.0 + n * (81.0 / 512.0 + n * (-96199.0 / 604_800.0))))));
        gtu[0] = n
            * (0.5
                + n * (-2.0 / 3.0
                    + n * (5.0 / 16.0
                        + n * (41.0 / 180.0 + n * (-127.0 / 288.0 + n * (7891.0 / 37800.0))))));
        utg[1] = np
            * (-1.0 / 48.0
                + n * (-1.0 / 15.0
                    + n * (437.0 / 1440.0
                        + n * (-46.0 / 105.0 + n * (1_118_711.0 / 3_870_720.0)))));
        gtu[1] = np
            * (13.0 / 48.0
                + n * (-3.0 / 5.0
                    + n * (557.0 / 1440.0
                        + n * (281.0 / 630.0 + n * (-1_983_433.0 / 1_935_360.0)))));
        np *= n;
        utg[2] = np
            * (-17.0 / 480.0 + n * (37.0 / 840.0 + n * (209.0 / 4480.0 + n * (-5569.0 / 90720.0))));
        gtu[2] = np
            * (61.0 / 240.0
                + n * (-103.0 / 140.0 + n * (15061.0 / 26880.0 + n * (167_603.0 / 181_440.0))));
        np *= n;
        utg[3] = np * (-4397.0 / 161_280.0 + n * (11.0 / 504.0 + n * (830_251.0 / 7_257_600.0)));
        gtu[3] =
            np * (49561.0 / 161_280.0 + n * (-179.0 / 168.0 + n * (6_601_661.0 / 7_257_600.0)));
        np *= n;
        utg[4] = np * (-4583.0 / 161_280.0 + n * (108_847.0 / 3_991_680.0));
        gtu[4] = np * (34729.0 / 80640.0 + n * (-3_418_889.0 / 1_995_840.0));
        np *= n;
        utg[5] = np * (-20_648_693.0 / 638_668_800.0);
        gtu[5] = np * (212_378_941.0 / 319_334_400.0);

        // Gaussian latitude of the origin, and the origin's northing.
        let z = gatg(&cbg, phi0, (2.0 * phi0).cos(), (2.0 * phi0).sin());
        let zb = -qn * (z + clens(&gtu, 2.0 * z));
        Tmerc {
            a,
            ra: 1.0 / a,
            lam0,
            x0,
            y0,
            qn,
            zb,
            cgb,
            cbg,
            utg,
            gtu,
        }
    }

    /// Longitude and latitude (radians) to easting and northing (metres), as PROJ's `fwd_prepare`,
    /// `exact_e_fwd` and `fwd_finalize`; `None` outside this module's domain.
    #[inline]
    fn forward(&self, lam: f64, phi: f64) -> Option<(f64, f64)> {
        let (mut x, mut y) = ([lam], [phi]);
        self.forward_lanes(&mut x, &mut y).then_some((x[0], y[0]))
    }

    /// [`Tmerc::forward`] of `N` coordinates at once, in place (`x`: longitudes in, eastings out; `y`: latitudes in,
    /// northings out); `false`, with `x` and `y` unspecified, when any of them is outside the domain.
    ///
    /// Each coordinate goes through the same operations in the same order whatever `N`, so the results are the same
    /// to the bit; with `N` = 4 the compiler runs the arithmetic between the libm calls on SIMD lanes, and four
    /// independent chains of dependent multiplications hide each other's latency.
    #[inline]
    fn forward_lanes<const N: usize>(&self, x: &mut [f64; N], y: &mut [f64; N]) -> bool {
        let mut ok = true;
        let mut lam = [0.0; N];
        for i in 0..N {
            ok &= within(y[i], MAX_LAT_DEG * DEG_TO_RAD) & within(x[i], 10.0);
            lam[i] = adjlon(adjlon(x[i]) - self.lam0);
            ok &= within(lam[i], MAX_DLON_DEG * DEG_TO_RAD);
        }
        if !ok {
            return false;
        }
        let (mut sin_phi, mut cos_phi, mut sin_ce, mut cos_ce) =
            ([0.0; N], [0.0; N], [0.0; N], [0.0; N]);
        for i in 0..N {
            (sin_phi[i], cos_phi[i]) = y[i].sin_cos();
            (sin_ce[i], cos_ce[i]) = lam[i].sin_cos();
        }
        let (mut cn, mut sin_cn, mut cos_cn_cos_ce) = ([0.0; N], [0.0; N], [0.0; N]);
        let (mut tan_ce, mut inv_denom_tan_ce, mut asinh_arg) = ([0.0; N], [0.0; N], [0.0; N]);
        for i in 0..N {
            // Ellipsoidal latitude to Gaussian: Cn = φ + δ, with δ = PROJ's series (`gatg`) less φ.
            let sin_2phi = 2.0 * sin_phi[i] * cos_phi[i];
            let cos_2phi = (cos_phi[i] - sin_phi[i]) * (cos_phi[i] + sin_phi[i]);
            let delta = gatg(&self.cbg, 0.0, cos_2phi, sin_2phi);
            // sin and cos of Cn by the angle sum: δ is below 0.0034 for the ellipsoids read here (PROJ calls sin and
            // cos of Cn).
            ok &= within(delta, 0.01);
            let (sin_delta, cos_delta) = small_sin_cos(delta);
            sin_cn[i] = sin_phi[i] * cos_delta + cos_phi[i] * sin_delta;
            let cos_cn = cos_phi[i] * cos_delta - sin_phi[i] * sin_delta;
            // Gaussian latitude and longitude to complex spherical.
            cos_cn_cos_ce[i] = cos_cn * cos_ce[i];
            // PROJ: Cn' = atan2(sin Cn, cos Cn cos λ). Here Cn' = Cn + atan(t), t = tan(Cn' - Cn)
            // = sin Cn cos Cn (1 - cos λ) / (sin² Cn + cos² Cn cos λ), at most (1 - cos λ) / (2 √cos λ), 0.033
            // within the domain, where atan's series to t¹³ is exact to 1e-23.
            let one_minus_cos_ce = sin_ce[i] * sin_ce[i] / (1.0 + cos_ce[i]);
            let t = sin_cn[i] * cos_cn * one_minus_cos_ce
                / (sin_cn[i] * sin_cn[i] + cos_cn * cos_cn_cos_ce[i]);
            ok &= within(t, 0.034);
            let t2 = t * t;
            let atan_t = t
                * (1.0
                    + t2 * (-1.0 / 3.0
                        + t2 * (1.0 / 5.0
                            + t2 * (-1.0 / 7.0
                                + t2 * (1.0 / 9.0 + t2 * (-1.0 / 11.0 + t2 / 13.0))))));
            cn[i] = (y[i] + delta) + atan_t;
            // Both below 1 in magnitude: no overflow for `hypot` to guard against.
            let denom = (sin_cn[i] * sin_cn[i] + cos_cn_cos_ce[i] * cos_cn_cos_ce[i]).sqrt();
            inv_denom_tan_ce[i] = 1.0 / denom;
            tan_ce[i] = sin_ce[i] * cos_cn * inv_denom_tan_ce[i];
            // asinh(t) = ln(|t| + √(1 + t²)) with √(1 + t²) = 1 / denom (PROJ's identity, below), in the form
            // without cancellation: ln_1p(|t| + t² / (1 + √(1 + t²))).
            let abs_tan_ce = tan_ce[i].abs();
            asinh_arg[i] = abs_tan_ce + abs_tan_ce * abs_tan_ce / (1.0 + inv_denom_tan_ce[i]);
        }
        if !ok {
            return false;
        }
        let mut ce = [0.0; N];
        for i in 0..N {
            ce[i] = asinh_arg[i].ln_1p().copysign(tan_ce[i]);
        }
        for i in 0..N {
            // sin, cos of 2 Cn and sinh, cosh of 2 Ce without calling them (PROJ's identities).
            let two_inv_denom_tan_ce = 2.0 * inv_denom_tan_ce[i];
            let two_inv_denom_tan_ce_square = two_inv_denom_tan_ce * inv_denom_tan_ce[i];
            let tmp_r = cos_cn_cos_ce[i] * two_inv_denom_tan_ce_square;
            let sin_arg_r = sin_cn[i] * tmp_r;
            let cos_arg_r = cos_cn_cos_ce[i] * tmp_r - 1.0;
            let sinh_arg_i = tan_ce[i] * two_inv_denom_tan_ce;
            let cosh_arg_i = two_inv_denom_tan_ce_square - 1.0;
            let (dcn, dce) = clen_s(&self.gtu, sin_arg_r, cos_arg_r, sinh_arg_i, cosh_arg_i);
            let (cn, ce) = (cn[i] + dcn, ce[i] + dce);
            ok &= within(ce, MAX_CE);
            x[i] = self.a * (self.qn * ce) + self.x0;
            y[i] = self.a * (self.qn * cn + self.zb) + self.y0;
        }
        ok
    }

    /// Easting and northing (metres) to longitude and latitude (radians) of `N` coordinates at once, in place, as
    /// PROJ's `inv_prepare`, `exact_e_inv` and `inv_finalize` (`x`: eastings in, longitudes out; `y`: northings in,
    /// latitudes out); `false`, with `x` and `y` unspecified, when any of them is outside the domain. The same
    /// results to the bit whatever `N`, as [`Tmerc::forward_lanes`].
    #[inline]
    fn inverse_lanes<const N: usize>(&self, x: &mut [f64; N], y: &mut [f64; N]) -> bool {
        let mut ok = true;
        let (mut cn, mut ce) = ([0.0; N], [0.0; N]);
        for i in 0..N {
            cn[i] = ((y[i] - self.y0) * self.ra - self.zb) / self.qn;
            ce[i] = ((x[i] - self.x0) * self.ra) / self.qn;
            // The domain's eastings are well within PROJ's bound; the bound also keeps exp_m1 finite.
            ok &= within(ce[i], MAX_CE) & within(cn[i], 2.0);
        }
        if !ok {
            return false;
        }
        let (mut sin_cn, mut cos_cn, mut em) = ([0.0; N], [0.0; N], [0.0; N]);
        for i in 0..N {
            (sin_cn[i], cos_cn[i]) = cn[i].sin_cos();
            em[i] = ce[i].exp_m1();
        }
        let (mut sinh_ce, mut cos_cn_new) = ([0.0; N], [0.0; N]);
        for i in 0..N {
            // PROJ calls sin and cos of 2 Cn, exp of 2 Ce, and after the series sin and cos of Cn and sinh of Ce.
            // Here sin and cos of Cn and exp_m1 of Ce, once: the double-angle formulas give the first, the angle
            // sums with the series' small corrections (Taylor's series, exact to 1e-21 below 0.01) the second.
            let sin_arg_r = 2.0 * sin_cn[i] * cos_cn[i];
            let cos_arg_r = (cos_cn[i] - sin_cn[i]) * (cos_cn[i] + sin_cn[i]);
            let sinh_ce0 = 0.5 * (em[i] + em[i] / (em[i] + 1.0));
            let cosh_ce0 = sinh_ce0 + 1.0 / (em[i] + 1.0);
            let sinh_arg_i = 2.0 * sinh_ce0 * cosh_ce0;
            let cosh_arg_i = 1.0 + 2.0 * sinh_ce0 * sinh_ce0;
            let (dcn, dce) = clen_s(&self.utg, sin_arg_r, cos_arg_r, sinh_arg_i, cosh_arg_i);
            ok &= within(dcn, 0.01) & within(dce, 0.01);
            let (sin_dcn, cos_dcn) = small_sin_cos(dcn);
            let (sinh_dce, cosh_dce) = small_sinh_cosh(dce);
            let sin_cn_new = sin_cn[i] * cos_dcn + cos_cn[i] * sin_dcn;
            cos_cn_new[i] = cos_cn[i] * cos_dcn - sin_cn[i] * sin_dcn;
            sin_cn[i] = sin_cn_new;
            sinh_ce[i] = sinh_ce0 * cosh_dce + cosh_ce0 * sinh_dce;
        }
        if !ok {
            return false;
        }
        for i in 0..N {
            // Complex spherical latitude to Gaussian, then to ellipsoidal.
            let lam = sinh_ce[i].atan2(cos_cn_new[i]);
            // Within the domain sinh(Ce) is below 1 and cos(Cn) at most 1: no overflow to guard against.
            let modulus_ce = (sinh_ce[i] * sinh_ce[i] + cos_cn_new[i] * cos_cn_new[i]).sqrt();
            let cn = sin_cn[i].atan2(modulus_ce);
            let tmp = 2.0 * modulus_ce / (sinh_ce[i] * sinh_ce[i] + 1.0);
            let sin_2_cn = sin_cn[i] * tmp;
            let cos_2_cn = tmp * modulus_ce - 1.0;
            let phi = gatg(&self.cgb, cn, cos_2_cn, sin_2_cn);
            ok &= within(phi, MAX_LAT_DEG * DEG_TO_RAD) & within(lam, MAX_DLON_DEG * DEG_TO_RAD);
            x[i] = adjlon(lam + self.lam0);
            y[i] = phi;
        }
        ok
    }
}

/// sin and cos of a small angle (below 0.01 in magnitude) by Taylor's series to d⁷ and d⁸: exact to 1e-21.
#[inline]
fn small_sin_cos(d: f64) -> (f64, f64) {
    let d2 = d * d;
    (
        d * (1.0 - d2 / 6.0 * (1.0 - d2 / 20.0 * (1.0 - d2 / 42.0))),
        1.0 - d2 / 2.0 * (1.0 - d2 / 12.0 * (1.0 - d2 / 30.0)),
    )
}

/// sinh and cosh of a small number (below 0.01 in magnitude), as [`small_sin_cos`].
#[inline]
fn small_sinh_cosh(d: f64) -> (f64, f64) {
    let d2 = d * d;
    (
        d * (1.0 + d2 / 6.0 * (1.0 + d2 / 20.0 * (1.0 + d2 / 42.0))),
        1.0 + d2 / 2.0 * (1.0 + d2 / 12.0 * (1.0 + d2 / 30.0)),
    )
}

/// Native pipelines already decided, by the transformation's key (`None`: PROJ only).
static DECIDED: OnceLock<Mutex<HashMap<String, Option<Arc<Pipeline>>>>> = OnceLock::new();

/// Most transformations [`DECIDED`] keeps (a long Python session may meet many CRSs); beyond it
/// each new one is decided again whenever a [`super::Transform`] for it is made.
const DECIDED_MAX: usize = 256;

/// The native pipeline for a transformation, decided once per process: parsed from `proj`'s
/// definition and checked against `proj` on the grid. `None` when this module does not evaluate
/// it, the check failed, or `STREETRANK_NATIVE_TMERC=0`.
pub(super) fn pipeline_for(key: &str, proj: &Proj) -> Option<Arc<Pipeline>> {
    static ENABLED: OnceLock<bool> = OnceLock::new();
    let enabled = *ENABLED
        .get_or_init(|| std::env::var("STREETRANK_NATIVE_TMERC").map_or(true, |v| v.trim() != "0"));
    if !enabled {
        return None;
    }
    let decided = DECIDED.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(known) = decided
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(key)
    {
        return known.clone();
    }
    let pipeline = proj
        .def()
        .ok()
        .and_then(|d| Pipeline::parse(&d))
        .filter(|p| p.check_against(proj).is_some())
        .map(Arc::new);
    let mut decided = decided.lock().unwrap_or_else(PoisonError::into_inner);
    if decided.len() < DECIDED_MAX {
        decided.insert(key.to_owned(), pipeline.clone());
    }
    pipeline
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crs::tests::SYRACUSE_PRJ;
    use crate::crs::{Crs, Transform};

    fn proj(from: &Crs, to: &Crs) -> Proj {
        Proj::new_known_crs(from.definition(), to.definition(), None).unwrap()
    }

    /// A seeded stream of numbers in [0, 1) (64-bit LCG, high bits).
    fn uniform(seed: u64) -> impl FnMut() -> f64 {
        let mut state = seed;
        move || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    /// The pipelines streetrank meets: each is evaluated natively, agrees with PROJ on the check
    /// grid, and on 20,000 seeded points over the domain and beyond it (where PROJ answers).
    #[test]
    fn transverse_mercator_pipelines_agree_with_proj() {
        let sp = Crs::parse(SYRACUSE_PRJ).unwrap();
        let wgs84 = Crs::wgs84();
        let cases = [
            (wgs84.clone(), Crs::epsg(32618), (-75.0, 0.0)),
            (Crs::epsg(32618), wgs84.clone(), (-75.0, 0.0)),
            (wgs84.clone(), Crs::epsg(32756), (153.0, 0.0)),
            (Crs::epsg(32756), wgs84.clone(), (153.0, 0.0)),
            (wgs84.clone(), Crs::epsg(26918), (-75.0, 0.0)),
            (wgs84.clone(), Crs::epsg(2261), (-76.583, 40.0)),
            (Crs::epsg(2261), Crs::epsg(32618), (-76.583, 40.0)),
            (Crs::epsg(32618), Crs::epsg(2261), (-76.583, 40.0)),
            (sp.clone(), wgs84.clone(), (-76.583, 40.0)),
            (wgs84.clone(), sp.clone(), (-76.583, 40.0)),
            (Crs::epsg(4269), Crs::epsg(26918), (-75.0, 0.0)),
        ];
        for (k, (from, to, (lon0, lat0))) in cases.iter().enumerate() {
            let p = proj(from, to);
            let definition = p.def().unwrap();
            let native = Pipeline::parse(&definition)
                .unwrap_or_else(|| panic!("{from} -> {to}: not evaluated natively: {definition}"));
            let worst = native
                .check_against(&p)
                .unwrap_or_else(|| panic!("{from} -> {to}: the check against PROJ failed"));
            assert!(worst <= native.tolerance, "{from} -> {to}: {worst}");
            // Seeded points from the source CRS's side: longitudes/latitudes around the case's
            // origin, carried into `from` by PROJ.
            let to_from = proj(&Crs::wgs84(), from);
            let mut next = uniform(k as u64 + 1);
            let (mut native_count, mut worst_seen) = (0, 0.0_f64);
            for _ in 0..20_000 {
                let lon = lon0 + (next() - 0.5) * 60.0;
                let lat = (lat0 + (next() - 0.5) * 200.0).clamp(-89.99, 89.99);
                let Ok((x, y)): Result<(f64, f64), _> = to_from.convert((lon, lat)) else {
                    continue;
                };
                let Some((nx, ny)) = native.apply(x, y) else {
                    continue;
                };
                native_count += 1;
                let (px, py): (f64, f64) = p.convert((x, y)).unwrap();
                let diff = (nx - px).abs().max((ny - py).abs());
                assert!(
                    diff <= native.tolerance,
                    "{from} -> {to} at ({x}, {y}): native ({nx}, {ny}), PROJ ({px}, {py})"
                );
                worst_seen = worst_seen.max(diff);
            }
            assert!(
                native_count > 3_000,
                "{from} -> {to}: only {native_count} native"
            );
            eprintln!(
                "{from} -> {to}: grid {worst:e}, seeded {worst_seen:e} ({native_count} native), {definition}"
            );
        }
    }

    #[test]
    fn other_pipelines_are_left_to_proj() {
        let wgs84 = Crs::wgs84();
        for to in [26985, 3857, 2263, 32618] {
            let from = if to == 32618 {
                Crs::epsg(4267)
            } else {
                wgs84.clone()
            };
            let p = proj(&from, &Crs::epsg(to));
            let definition = p.def().unwrap_or_default();
            assert!(
                Pipeline::parse(&definition).is_none(),
                "{from} -> {to}: {definition}"
            );
        }
        // Identity: nothing to do, evaluated natively and exactly.
        let same = Pipeline::parse("proj=noop").unwrap();
        assert_eq!(same.apply(-76.1, 43.0), Some((-76.1, 43.0)));
    }

    #[test]
    fn definitions_with_anything_unknown_are_refused() {
        let utm = "proj=pipeline step proj=unitconvert xy_in=deg xy_out=rad step proj=utm zone=18 ellps=WGS84";
        assert!(Pipeline::parse(utm).is_some());
        assert!(Pipeline::parse(&format!("+{}", utm.replace(' ', " +"))).is_some());
        for bad in [
            "",
            "proj=pipeline over step proj=utm zone=18 ellps=WGS84",
            "proj=pipeline step proj=utm zone=18 ellps=WGS84 approx",
            "proj=pipeline step proj=utm zone=61 ellps=WGS84",
            "proj=pipeline step proj=utm zone=0 ellps=WGS84",
            "proj=pipeline step proj=utm zone=18 ellps=bessel",
            "proj=pipeline step proj=utm zone=18",
            "proj=pipeline step proj=utm zone=18 ellps=WGS84 towgs84=0,0,0",
            "proj=pipeline step proj=utm zone=18 ellps=WGS84 south=1",
            "proj=pipeline step proj=utm zone=18 zone=19 ellps=WGS84",
            "proj=pipeline step inv inv proj=utm zone=18 ellps=WGS84",
            "proj=pipeline step proj=utm proj=tmerc zone=18 ellps=WGS84",
            "proj=pipeline step proj=utm zone=18 south south ellps=WGS84",
            "proj=pipeline step proj=tmerc lon_0=-75 k=0.9996 ellps=WGS84 algo=evenden_snyder",
            "proj=pipeline step proj=tmerc lon_0=-75 k=0.9996 k_0=1 ellps=WGS84",
            "proj=pipeline step proj=tmerc lon_0=-75 k=0 ellps=WGS84",
            "proj=pipeline step proj=tmerc lon_0=abc ellps=WGS84",
            "proj=pipeline step proj=tmerc lon_0=NaN ellps=WGS84",
            "proj=pipeline step proj=tmerc lon_0=-75 units=us-ft ellps=WGS84",
            "proj=pipeline step proj=tmerc lon_0=-75 ellps=WGS84 pm=paris",
            "proj=pipeline step proj=unitconvert xy_in=deg xy_out=grad",
            "proj=pipeline step proj=unitconvert xy_in=deg xy_out=rad z_in=m z_out=ft",
            "proj=pipeline step proj=axisswap order=1,2",
            "proj=pipeline step proj=cart ellps=WGS84",
            "proj=pipeline step proj=lcc lat_1=39.45 lat_2=38.3 ellps=GRS80",
        ] {
            assert!(Pipeline::parse(bad).is_none(), "{bad}");
        }
        let south =
            Pipeline::parse("proj=pipeline step proj=unitconvert xy_in=deg xy_out=rad step proj=utm zone=56 south ellps=WGS84")
                .unwrap();
        let (_, y) = south.apply(153.0, -0.000_001).unwrap();
        assert!((y - 10_000_000.0).abs() < 1.0, "{y}");
    }

    /// Outside the domain, and for values that are not numbers, this module answers nothing and
    /// PROJ does: a [`Transform`] gives PROJ's answer or PROJ's error.
    #[test]
    fn outside_the_domain_proj_answers() {
        let native = Pipeline::parse(
            "proj=pipeline step proj=unitconvert xy_in=deg xy_out=rad step proj=utm zone=18 ellps=WGS84",
        )
        .unwrap();
        for (lon, lat) in [
            (-75.0, 84.6),
            (-75.0, -89.0),
            (-75.0, 90.0),
            (-75.0, 91.0),
            (-96.0, 40.0),
            (-54.0, 40.0),
            (105.0, 0.0),
            (f64::NAN, 0.0),
            (-75.0, f64::INFINITY),
            (700.0, 0.0),
        ] {
            assert!(native.apply(lon, lat).is_none(), "({lon}, {lat})");
        }
        assert!(native.apply(-75.0 - 20.4, 84.4).is_some());
        let t = Transform::new(&Crs::wgs84(), &Crs::epsg(32618)).unwrap();
        assert!(t.native.is_some());
        let p = proj(&Crs::wgs84(), &Crs::epsg(32618));
        let (x, y) = t.point(-75.0, 89.0).unwrap();
        let (px, py): (f64, f64) = p.convert((-75.0, 89.0)).unwrap();
        assert!(x == px && y == py);
        assert!(t.point(-75.0, 91.0).is_err());
        // A batch: native up to the first coordinate it cannot do, PROJ from there on; the error
        // names the coordinate's place in the whole batch.
        let mut batch = vec![
            Coord { x: -75.0, y: 40.0 },
            Coord { x: -75.0, y: 89.0 },
            Coord { x: -74.0, y: 41.0 },
            Coord { x: -74.0, y: 95.0 },
        ];
        let mut good = batch[..3].to_vec();
        let err = t.in_place(&mut batch).unwrap_err().to_string();
        assert!(err.contains("coordinate 3 of the batch (-74, 95)"), "{err}");
        t.in_place(&mut good).unwrap();
        let batch = good;
        let want: (f64, f64) = p.convert((-74.0, 41.0)).unwrap();
        assert!((batch[2].x - want.0).abs() < 1e-6 && (batch[2].y - want.1).abs() < 1e-6);
    }

    /// Four at a time or one by one: the same results to the bit; a batch stops at its first coordinate outside the
    /// domain and leaves it and the rest as they were.
    #[test]
    fn batches_equal_one_by_one_to_the_bit() {
        let p = proj(&Crs::epsg(2261), &Crs::epsg(32618));
        let native = Pipeline::parse(&p.def().unwrap()).unwrap();
        let mut next = uniform(99);
        let input: Vec<Coord<f64>> = (0..1_003)
            .map(|_| Coord {
                x: 700_000.0 + next() * 400_000.0,
                y: 900_000.0 + next() * 400_000.0,
            })
            .collect();
        let mut batch = input.clone();
        assert_eq!(native.apply_prefix(&mut batch), input.len());
        for (b, i) in batch.iter().zip(&input) {
            let (x, y) = native.apply(i.x, i.y).unwrap();
            assert!(b.x.to_bits() == x.to_bits() && b.y.to_bits() == y.to_bits());
        }
        for bad_at in [0, 3, 6, 1_000, 1_002] {
            let mut batch = input.clone();
            batch[bad_at].y = f64::NAN;
            let original = batch.clone();
            assert_eq!(native.apply_prefix(&mut batch), bad_at);
            assert!(
                batch[..bad_at]
                    .iter()
                    .zip(&input)
                    .all(|(b, i)| native.apply(i.x, i.y) == Some((b.x, b.y)))
            );
            assert!(batch[bad_at].y.is_nan() && batch[bad_at + 1..] == original[bad_at + 1..]);
        }
    }

    /// Regression (found by the complaints_csv fuzz target): a coordinate's result depends on it alone, not on the
    /// batch it comes in. Native and PROJ agree to nanometres, not to the bit, so a batch must not hand the
    /// coordinates after one outside the native domain to PROJ.
    #[test]
    fn a_coordinates_result_does_not_depend_on_its_batch() {
        let t = Transform::new(&Crs::wgs84(), &Crs::epsg(32618)).unwrap();
        let mut next = uniform(5);
        let input: Vec<Coord<f64>> = (0..200)
            .map(|i| {
                // Every seventh far outside the zone (PROJ's), the rest inside it (native).
                let lon = if i % 7 == 3 {
                    -0.67
                } else {
                    -76.2 + next() * 0.1
                };
                Coord {
                    x: lon,
                    y: 42.4 + next() * 0.1,
                }
            })
            .collect();
        let one_by_one: Vec<(u64, u64)> = input
            .iter()
            .map(|c| {
                let (x, y) = t.point(c.x, c.y).unwrap();
                (x.to_bits(), y.to_bits())
            })
            .collect();
        for batch in [1, 2, 3, 4, 5, 8, 13, 64, 200] {
            let mut coords = input.clone();
            for chunk in coords.chunks_mut(batch) {
                t.in_place(chunk).unwrap();
            }
            let got: Vec<(u64, u64)> = coords
                .iter()
                .map(|c| (c.x.to_bits(), c.y.to_bits()))
                .collect();
            assert_eq!(got, one_by_one, "batches of {batch}");
        }
    }

    #[test]
    fn adjlon_matches_proj() {
        use std::f64::consts::PI;
        assert_eq!(adjlon(1.0), 1.0);
        assert_eq!(adjlon(PI), PI);
        assert!((adjlon(3.0 * PI / 2.0) + PI / 2.0).abs() < 1e-15);
        assert!((adjlon(-3.0 * PI / 2.0) - PI / 2.0).abs() < 1e-15);
        assert!((adjlon(5.0 * PI) - PI).abs() < 1e-12 || (adjlon(5.0 * PI) + PI).abs() < 1e-12);
    }
}
