//! Fitting a deterioration curve ([`PowerCurve`]) to a city's own rating history.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::Serialize;

use crate::error::{PlanError, invalid};
use crate::{DeteriorationConfig, PowerCurve};

/// One rating of one street in one year.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RatingRecord {
    /// The street's id (ratings of one street are matched by it).
    pub street: String,
    /// Year of the rating.
    pub year: i32,
    /// The rating on the source's scale ([`FitOptions::worst`]..[`FitOptions::best`]).
    pub rating: f64,
    /// Year the street was last overlaid or rebuilt, if known.
    pub last_overlay_year: Option<i32>,
    /// Road class, if known.
    pub road_class: Option<String>,
}

/// Settings of [`fit_deterioration`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FitOptions {
    /// Rating of failed pavement (condition 0). Default `1.0` (Syracuse).
    pub worst: f64,
    /// Rating of new pavement (condition 100). Default `10.0` (Syracuse).
    pub best: f64,
    /// A rise of this many rating points or more between two ratings is a
    /// repair. Default `2.0`.
    pub reset_jump: f64,
    /// Fewest pairs for a per-class fit. Default `500`.
    pub min_pairs: usize,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            worst: 1.0,
            best: 10.0,
            reset_jump: 2.0,
            min_pairs: 500,
        }
    }
}

/// A fitted curve and its error, in condition points (0-100).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CurveFit {
    /// The fitted curve.
    pub curve: PowerCurve,
    /// Observations used.
    pub n: usize,
    /// Root-mean-square error.
    pub rmse: f64,
    /// Mean absolute error.
    pub mae: f64,
    /// Mean of prediction − observation.
    pub bias: f64,
    /// RMSE of the persistence forecast (no change); `NaN` for the age fit.
    pub persistence_rmse: f64,
    /// MAE of the persistence forecast; `NaN` for the age fit.
    pub persistence_mae: f64,
}

/// The result of [`fit_deterioration`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FitReport {
    /// Year-to-year fit on all pairs.
    pub overall: CurveFit,
    /// Year-to-year fit by road class, for classes with at least `min_pairs` pairs.
    pub by_class: BTreeMap<String, CurveFit>,
    /// Age fit, when at least `min_pairs` ratings have an overlay year.
    pub age: Option<CurveFit>,
    /// Usable (street, year) observations after averaging repeated rows.
    pub observations: usize,
    /// Records left out: rating not a number within the scale.
    pub skipped: usize,
    /// Consecutive pairs left out as repairs.
    pub resets: usize,
}

impl FitReport {
    /// The fitted curves as a [`DeteriorationConfig`]: the overall fit as the
    /// default, the per-class fits by class.
    #[must_use]
    pub fn deterioration_config(&self) -> DeteriorationConfig {
        DeteriorationConfig {
            default: self.overall.curve,
            by_class: self
                .by_class
                .iter()
                .map(|(k, f)| (k.clone(), f.curve))
                .collect(),
        }
    }
}

struct Obs {
    sum: f64,
    count: f64,
    overlay: Option<i32>,
}

/// One consecutive pair: condition before, after, years between, class.
struct Pair {
    c1: f64,
    c2: f64,
    dt: f64,
    class: Option<String>,
}

/// Fits deterioration curves to rating history.
///
/// Two fits from repeated ratings of the same streets:
///
/// - **year-to-year** (the one to use): for each street, consecutive ratings
///   `(c₁ at year y₁, c₂ at y₂)`; the curve predicts `c₂ = advance(c₁, y₂ − y₁)`.
///   A pair across a repair is a *reset* and is left out: the street's
///   `last_overlay_year` changed or falls in `(y₁, y₂]`, or the rating rose by
///   `reset_jump` points or more. Smaller rises are kept as rater noise, so
///   the fit is not biased towards decline by dropping only the noise that goes up.
/// - **age** (a check): every rating with a known `last_overlay_year`
///   against the pavement's age `year − last_overlay_year`; the curve predicts
///   `condition_at(age)`.
///
/// Both minimise the squared error in condition points over `(a, b)`: a grid
/// on `b` (0.3 to 4 by 0.05, then ±0.05 by 0.005 around the best) with a
/// golden-section search on `ln a` for each `b`. Deterministic. The error is
/// reported beside that of the persistence forecast `c₂ = c₁`, the bar a
/// curve must clear.
///
/// Ratings are mapped to 0-100 by `100 · (rating − worst) / (best − worst)`;
/// rows of one street in one year are averaged.
///
/// # Errors
///
/// [`PlanError::InvalidConfig`] when `worst == best` or either is not finite;
/// [`PlanError::NotEnoughData`] with fewer than 10 usable pairs.
///
/// # Examples
///
/// ```
/// use streetrank_plan::{fit_deterioration, FitOptions, PowerCurve, RatingRecord};
/// // Streets that lose condition exactly along 100 − 0.5·t² (0-100 scale = rating · 10 here).
/// let truth = PowerCurve { a: 0.5, b: 2.0 };
/// let mut records = Vec::new();
/// for s in 0..20 {
///     for year in 0..6 {
///         let age = f64::from(s % 7 + year);
///         records.push(RatingRecord {
///             street: format!("S{s}"),
///             year,
///             rating: truth.condition_at(age) / 10.0,
///             last_overlay_year: None,
///             road_class: None,
///         });
///     }
/// }
/// let opts = FitOptions { worst: 0.0, best: 10.0, ..FitOptions::default() };
/// let fit = fit_deterioration(&records, &opts)?;
/// assert!((fit.overall.curve.a - 0.5).abs() < 0.01 && (fit.overall.curve.b - 2.0).abs() < 0.01);
/// assert!(fit.overall.rmse < 0.1);
/// # Ok::<(), streetrank_plan::PlanError>(())
/// ```
pub fn fit_deterioration(
    records: &[RatingRecord],
    options: &FitOptions,
) -> Result<FitReport, PlanError> {
    let (worst, best) = (options.worst, options.best);
    if !(worst.is_finite() && best.is_finite()) || worst == best {
        return Err(invalid(
            "fit.worst/best",
            format!("must be two different finite numbers, got {worst} and {best}"),
        ));
    }
    let (lo, hi) = (worst.min(best), worst.max(best));
    let to_pci = |r: f64| 100.0 * (r - worst) / (best - worst);
    let jump = options.reset_jump * 100.0 / (hi - lo);

    let mut skipped = 0;
    let mut streets: BTreeMap<&str, BTreeMap<i32, Obs>> = BTreeMap::new();
    let mut classes: BTreeMap<&str, &str> = BTreeMap::new();
    for r in records {
        if !(r.rating.is_finite() && lo <= r.rating && r.rating <= hi) {
            skipped += 1;
            continue;
        }
        let o = streets
            .entry(r.street.as_str())
            .or_default()
            .entry(r.year)
            .or_insert(Obs {
                sum: 0.0,
                count: 0.0,
                overlay: None,
            });
        o.sum += to_pci(r.rating);
        o.count += 1.0;
        o.overlay = o.overlay.max(r.last_overlay_year);
        if let Some(c) = r
            .road_class
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
        {
            classes.insert(r.street.as_str(), c);
        }
    }
    let observations = streets.values().map(BTreeMap::len).sum();

    let mut pairs = Vec::new();
    let mut ages: Vec<(f64, f64)> = Vec::new();
    let mut resets = 0;
    for (street, years) in &streets {
        let class = classes.get(street).map(|c| (*c).to_owned());
        let list: Vec<(i32, f64, Option<i32>)> = years
            .iter()
            .map(|(&y, o)| (y, o.sum / o.count, o.overlay))
            .collect();
        for &(y, c, ov) in &list {
            if let Some(ov) = ov
                && (0..=60).contains(&(y - ov))
            {
                ages.push((f64::from(y - ov), c));
            }
        }
        for w in list.windows(2) {
            let ((y1, c1, o1), (y2, c2, o2)) = (w[0], w[1]);
            let overlay_between = o2.is_some_and(|o| o > y1 && o <= y2)
                || matches!((o1, o2), (Some(a), Some(b)) if a != b);
            if overlay_between || c2 - c1 >= jump - 1e-9 {
                resets += 1;
                continue;
            }
            pairs.push(Pair {
                c1,
                c2,
                dt: f64::from(y2 - y1),
                class: class.clone(),
            });
        }
    }
    if pairs.len() < 10 {
        return Err(PlanError::NotEnoughData {
            message: format!(
                "{} usable pairs of consecutive ratings of the same street (at least 10 needed)",
                pairs.len()
            ),
        });
    }
    let overall = fit_pairs(&pairs.iter().collect::<Vec<_>>());
    let mut by_class_pairs: BTreeMap<&str, Vec<&Pair>> = BTreeMap::new();
    for p in &pairs {
        if let Some(c) = &p.class {
            by_class_pairs.entry(c.as_str()).or_default().push(p);
        }
    }
    let by_class = by_class_pairs
        .into_iter()
        .filter(|(_, v)| v.len() >= options.min_pairs)
        .map(|(k, v)| (k.to_owned(), fit_pairs(&v)))
        .collect();
    let age = (ages.len() >= options.min_pairs).then(|| {
        let groups = group(ages.iter().map(|&(t, y)| (t, 0.0, y)));
        let curve = minimise(&|c: &PowerCurve| grouped_sse(&groups, |t, _| c.condition_at(t)));
        let (rmse, mae, bias) = errors(ages.iter().map(|(t, y)| (curve.condition_at(*t), *y)));
        CurveFit {
            curve,
            n: ages.len(),
            rmse,
            mae,
            bias,
            persistence_rmse: f64::NAN,
            persistence_mae: f64::NAN,
        }
    });
    Ok(FitReport {
        overall,
        by_class,
        age,
        observations,
        skipped,
        resets,
    })
}

/// Observations grouped by their predictor: `x` → (count, Σy, Σy²).
///
/// Ratings take few distinct values, so the squared error of a curve is a sum
/// over a few hundred groups instead of tens of thousands of pairs:
/// `Σ (p − y)² = Σ_groups n·p² − 2p·Σy + Σy²`.
type Groups = BTreeMap<(u64, u64), (f64, f64, f64)>;

fn group(points: impl Iterator<Item = (f64, f64, f64)>) -> Vec<(f64, f64, f64, f64, f64)> {
    let mut g: Groups = BTreeMap::new();
    for (x1, x2, y) in points {
        let e = g
            .entry((x1.to_bits(), x2.to_bits()))
            .or_insert((0.0, 0.0, 0.0));
        e.0 += 1.0;
        e.1 += y;
        e.2 += y * y;
    }
    g.into_iter()
        .map(|((a, b), (n, sy, syy))| (f64::from_bits(a), f64::from_bits(b), n, sy, syy))
        .collect()
}

fn grouped_sse(groups: &[(f64, f64, f64, f64, f64)], pred: impl Fn(f64, f64) -> f64) -> f64 {
    groups
        .iter()
        .map(|&(x1, x2, n, sy, syy)| {
            let p = pred(x1, x2);
            (n * p * p - 2.0 * p * sy + syy).max(0.0)
        })
        .sum()
}

fn fit_pairs(pairs: &[&Pair]) -> CurveFit {
    let groups = group(pairs.iter().map(|p| (p.c1, p.dt, p.c2)));
    let curve = minimise(&|c: &PowerCurve| grouped_sse(&groups, |c1, dt| c.advance(c1, dt)));
    let (rmse, mae, bias) = errors(pairs.iter().map(|p| (curve.advance(p.c1, p.dt), p.c2)));
    let (persistence_rmse, persistence_mae, _) = errors(pairs.iter().map(|p| (p.c1, p.c2)));
    CurveFit {
        curve,
        n: pairs.len(),
        rmse,
        mae,
        bias,
        persistence_rmse,
        persistence_mae,
    }
}

/// (RMSE, MAE, bias) of (prediction, observation) pairs.
fn errors(it: impl Iterator<Item = (f64, f64)>) -> (f64, f64, f64) {
    let (mut n, mut sq, mut abs, mut sum) = (0.0, 0.0, 0.0, 0.0);
    for (p, y) in it {
        n += 1.0;
        sq += (p - y).powi(2);
        abs += (p - y).abs();
        sum += p - y;
    }
    if n == 0.0 {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    ((sq / n).sqrt(), abs / n, sum / n)
}

/// Minimises `sse` over `(a, b)`: grid on `b`, golden section on `ln a`.
fn minimise(sse: &(impl Fn(&PowerCurve) -> f64 + Sync)) -> PowerCurve {
    let best_a = |b: f64| {
        let f = |la: f64| sse(&PowerCurve { a: la.exp(), b });
        let (mut lo, mut hi) = (1e-4_f64.ln(), 100.0_f64.ln());
        let g = (5.0_f64.sqrt() - 1.0) / 2.0;
        let mut x1 = hi - g * (hi - lo);
        let mut x2 = lo + g * (hi - lo);
        let (mut f1, mut f2) = (f(x1), f(x2));
        for _ in 0..60 {
            if f1 <= f2 {
                hi = x2;
                (x2, f2) = (x1, f1);
                x1 = hi - g * (hi - lo);
                f1 = f(x1);
            } else {
                lo = x1;
                (x1, f1) = (x2, f2);
                x2 = lo + g * (hi - lo);
                f2 = f(x2);
            }
        }
        let la = (lo + hi) / 2.0;
        (f(la), PowerCurve { a: la.exp(), b })
    };
    let pick = |bs: Vec<f64>| {
        let results: Vec<(f64, PowerCurve)> = bs.into_par_iter().map(best_a).collect();
        results
            .into_iter()
            .fold(None, |acc: Option<(f64, PowerCurve)>, r| match acc {
                Some(a) if a.0 <= r.0 => Some(a),
                _ => Some(r),
            })
            .map_or(PowerCurve::DEFAULT, |r| r.1)
    };
    let coarse = pick((0..=74).map(|i| 0.3 + 0.05 * f64::from(i)).collect());
    pick(
        (-10..=10)
            .map(|i| coarse.b + 0.005 * f64::from(i))
            .filter(|b| *b > 0.0)
            .collect(),
    )
}
