//! Phase timing, and a spinner on stderr while a phase runs when stderr is a terminal.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// Times each phase of a run; shows a spinner when stderr is a terminal and not `--quiet`.
pub struct Phases {
    show: bool,
    done: Vec<(&'static str, Duration)>,
}

impl Phases {
    /// Starts timing. Spinners only when `!quiet` and stderr is a terminal.
    pub fn new(quiet: bool) -> Phases {
        Phases {
            show: !quiet && std::io::stderr().is_terminal(),
            done: Vec::new(),
        }
    }

    /// Runs `f` as the phase `name` and records its time.
    pub fn run<T>(&mut self, name: &'static str, message: &str, f: impl FnOnce() -> T) -> T {
        let bar = self.show.then(|| {
            let bar = ProgressBar::new_spinner();
            if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} {elapsed}") {
                bar.set_style(style);
            }
            bar.set_message(message.to_owned());
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        let start = Instant::now();
        let out = f();
        let elapsed = start.elapsed();
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        if let Some(slot) = self.done.iter_mut().find(|(n, _)| *n == name) {
            slot.1 += elapsed;
        } else {
            self.done.push((name, elapsed));
        }
        out
    }

    /// Each phase and its time, in the order first run.
    pub fn times(&self) -> &[(&'static str, Duration)] {
        &self.done
    }
}
