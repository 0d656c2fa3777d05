//! The error type of repair planning.

/// Everything the planner can refuse.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum PlanError {
    /// A planning setting is out of its allowed range.
    ///
    /// Fix: correct the named setting in the `[plan]` config or the flag.
    #[error("invalid setting `{setting}`: {message}")]
    InvalidConfig {
        /// Dotted name of the setting (`treatments[2].unit_cost`, `budgets[0]`).
        setting: String,
        /// What is wrong and what is allowed.
        message: String,
    },
    /// Inputs that should fit together do not (a ranking made for another
    /// network, a segment with a non-finite length or condition …).
    ///
    /// Fix: score this network and plan on that ranking; build segments with
    /// [`streetrank::Segment::new`].
    #[error("inputs do not fit together: {message}")]
    MismatchedInput {
        /// What does not fit, naming the record.
        message: String,
    },
    /// A deterioration fit had too few usable observations.
    ///
    /// Fix: give more years of ratings, or keep the configured curve.
    #[error("not enough data: {message}")]
    NotEnoughData {
        /// What was missing.
        message: String,
    },
}

pub(crate) fn invalid(setting: impl Into<String>, message: String) -> PlanError {
    PlanError::InvalidConfig {
        setting: setting.into(),
        message,
    }
}

pub(crate) fn mismatch(message: String) -> PlanError {
    PlanError::MismatchedInput { message }
}
