//! `streetrank plan`: score as `score` does, then plan repairs over the years (issue 5).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use streetrank_io::{Destination, Format, MapColour, WriteOptions};
use streetrank_plan::{Method, PlanConfig};

use crate::args::{FormatArg, Global, InputArgs, ProfileArg};
use crate::outputs::{Privacy, Sources};
use crate::pipeline::score_run;
use crate::progress::Phases;

/// The allocation method.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum MethodArg {
    /// Every (segment, treatment) pair by benefit/cost, best first.
    Greedy,
    /// Incremental benefit-cost on each segment's efficient options.
    Incremental,
    /// The exact multiple-choice knapsack, with its gap to the LP bound.
    Exact,
}

impl From<MethodArg> for Method {
    fn from(m: MethodArg) -> Method {
        match m {
            MethodArg::Greedy => Method::Greedy,
            MethodArg::Incremental => Method::Incremental,
            MethodArg::Exact => Method::Exact,
        }
    }
}

/// How the report's map colours planned segments.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ColourArg {
    /// By the year of the first treatment.
    Year,
    /// By the (first) treatment.
    Treatment,
}

/// `streetrank plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Inputs (as for `score`); the plan's settings are the config's [plan] table.
    #[command(flatten)]
    pub input: InputArgs,
    /// Score as of this date (ISO 8601) [default: the latest complaint's date].
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Budget per year, in currency units; repeat or comma-separate for one per year
    /// (`--budget 2e6,2e6,1.5e6`) [default: [plan] budgets].
    #[arg(
        long,
        value_name = "AMOUNT",
        value_delimiter = ',',
        help_heading = "Plan"
    )]
    pub budget: Vec<f64>,
    /// Years to plan: the budgets are cut to this many, or the last one repeated.
    #[arg(long, value_name = "N", help_heading = "Plan")]
    pub years: Option<usize>,
    /// Allocation method [default: [plan.solver] method, else exact].
    #[arg(long, value_enum, help_heading = "Plan")]
    pub method: Option<MethodArg>,
    /// Fit the deterioration curves to the ratings file's history (needs --ratings with a year column).
    #[arg(long, help_heading = "Plan")]
    pub fit_ratings: bool,
    /// Plan output (one row per treatment): .csv or .geojson; repeat for both; `-` is stdout (CSV).
    #[arg(short, long, value_name = "FILE", default_value = "-")]
    pub output: Vec<String>,
    /// Format of every --output [default: from the extension; CSV on stdout].
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    /// Write the plan summary (per year: condition, backlog, bands, spend by district, gap) as JSON here.
    #[arg(long, value_name = "FILE")]
    pub summary_json: Option<PathBuf>,
    /// Write the self-contained HTML report (map, charts, equity frontier) here.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// How the report's map colours the planned segments.
    #[arg(long, value_enum, default_value = "year")]
    pub report_colour: ColourArg,
    /// What may be written: publish (default; the `why` text quotes no complaint pressure of a
    /// segment with fewer than --min-count complaints) or internal. See docs/privacy.md.
    #[arg(long, value_enum, default_value = "publish", help_heading = "Privacy")]
    pub profile: ProfileArg,
}

impl PlanArgs {
    /// The plan configuration: the [plan] table (or defaults) with the flags applied.
    pub fn plan_config(&self, from_file: Option<&PlanConfig>) -> anyhow::Result<PlanConfig> {
        let mut cfg = from_file.cloned().unwrap_or_default();
        if !self.budget.is_empty() {
            cfg.budgets.clone_from(&self.budget);
        }
        if let Some(n) = self.years {
            if n == 0 {
                bail!("--years 0: plan at least one year");
            }
            let Some(&last) = cfg.budgets.last() else {
                bail!("--years {n} needs a budget: give --budget AMOUNT or [plan] budgets");
            };
            cfg.budgets.resize(n, last);
        }
        if let Some(m) = self.method {
            cfg.solver.method = m.into();
        }
        if cfg.budgets.is_empty() {
            bail!(
                "plan needs a budget: give --budget AMOUNT (repeat or comma-separate for one per year), or [plan] budgets in the config"
            );
        }
        cfg.validate().context("invalid plan settings")?;
        Ok(cfg)
    }
}

fn format_of(flag: Option<FormatArg>, dest: &Destination) -> anyhow::Result<Format> {
    if let Some(f) = flag {
        return Ok(f.into());
    }
    match dest {
        Destination::Stdout => Ok(Format::Csv),
        Destination::Path(p) => Format::from_path(p).with_context(|| {
            format!(
                "cannot tell the output format of {}: use a .geojson or .csv name, or --format",
                p.display()
            )
        }),
    }
}

/// `streetrank plan`.
pub fn run(args: &PlanArgs, global: &Global) -> anyhow::Result<ExitCode> {
    let mut phases = Phases::new(global.quiet);
    // Settings errors before the (long) scoring.
    let cfg = args.input.run_config()?;
    let plan_cfg = args.plan_config(cfg.plan.as_ref())?;
    if args.fit_ratings && args.input.ratings.is_none() {
        bail!("--fit-ratings needs --ratings FILE with a year column");
    }
    let run = score_run(&args.input, &cfg, args.as_of.as_deref(), &mut phases)?;
    let net = &run.loaded.streets.network;
    let fit = match (&args.input.ratings, args.fit_ratings) {
        (Some(path), true) => {
            Some(
                phases.run("fit", "fitting deterioration", || -> anyhow::Result<_> {
                    let history = streetrank_io::read_rating_history(path, &cfg.ratings, net)?;
                    Ok(streetrank_io::fit_ratings_history(
                        &history,
                        cfg.score.condition.worst,
                        cfg.score.condition.best,
                    )?)
                })?,
            )
        }
        _ => None,
    };
    let mut plan = phases.run("plan", "planning", || {
        streetrank_io::run_plan(net, &run.ranking, &plan_cfg, fit)
    })?;
    let privacy = Privacy::new(args.profile.into(), &cfg);
    if privacy.publish() {
        plan.pressure_withheld =
            streetrank_io::small_count_segments(&run.ranking, privacy.min_count);
    }
    // No input column reaches a plan output (segment id, class and district are mapped, never
    // kept columns), so there is nothing to warn about here.
    let sources = Sources::new(&run.loaded, &cfg, Some(&plan.settings_hash));
    let summary = streetrank_io::plan_summary(&plan);
    phases.run("write", "writing outputs", || -> anyhow::Result<()> {
        let table = streetrank_io::plan_table_for(&run.loaded.streets, &plan)?;
        for out in &args.output {
            let dest = Destination::parse(out);
            let format = format_of(args.format, &dest)?;
            streetrank_io::write_table(&table, &dest, format, &WriteOptions::default())?;
            sources.write_segment_manifest("plan", &dest, &table, &run.loaded, privacy, None)?;
        }
        if let Some(path) = &args.summary_json {
            let text = serde_json::to_string_pretty(&summary).context("serialising the summary")?;
            streetrank_io::write_file_atomically(path, |w| {
                w.write_all(text.as_bytes())?;
                w.write_all(b"\n")
            })?;
            sources.write_file_manifest(
                "plan",
                path,
                privacy,
                "the plan summary: per year the average condition, backlog, band shares, spend by \
                 district and gap (all computed per segment and aggregated; no complaint data)",
            )?;
        }
        if let Some(path) = &args.report {
            let colour = match args.report_colour {
                ColourArg::Year => MapColour::Year,
                ColourArg::Treatment => MapColour::Treatment,
            };
            let html = streetrank_io::plan_report_html(net, &plan, colour);
            streetrank_io::write_file_atomically(path, |w| w.write_all(html.as_bytes()))?;
            sources.write_file_manifest(
                "plan",
                path,
                privacy,
                "the HTML plan report: map of the planned segments' lines (streets file), charts \
                 and the largest benefits with their `why` (computed); no complaint or its location",
            )?;
        }
        Ok(())
    })?;
    if !global.quiet {
        eprintln!(
            "plan: {} segments, {} year(s), method {:?}, settings hash {}",
            plan.segments.len(),
            plan.scenario.years.len(),
            plan.config.solver.method,
            plan.settings_hash
        );
        eprintln!(
            "  start: condition {:.1}, backlog {:.0}",
            plan.scenario.start.average_condition, plan.scenario.start.backlog_cost
        );
        for y in &plan.scenario.years {
            eprintln!(
                "  year {}: spent {:.0} of {:.0} on {} segments; condition at the end {:.1}, backlog {:.0}, gap {:.2}%",
                y.year,
                y.allocation.cost,
                y.budget,
                y.treated.len(),
                y.end.average_condition,
                y.end.backlog_cost,
                y.allocation.gap * 100.0
            );
            for n in &y.allocation.notes {
                eprintln!("    note: {n}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
