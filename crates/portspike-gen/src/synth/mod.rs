//! Scenario generator: deterministic synthetic captures with known events.
//!
//! [`sample`] is the capture bundled with the web page: fifteen minutes of
//! ordinary office traffic (web, DNS, SSH, mail, NTP and a little SMB to the
//! file server) with a TCP 445 sweep from three infected hosts in minutes 9–11.
//! The same seed always gives the same bytes.
//!
//! - `office`: ordinary traffic and benign bursts;
//! - `attacks`: sweeps, scans, floods, backscatter, reflections;
//! - `sample`: the bundled sample;
//! - `truth`: a scenario's ground truth ([`Truth`], [`Scenario`]);
//! - `scenario`: the labelled scenarios on generated traffic ([`scenario`]);
//! - `on_real`: the scenarios over replayed real traffic ([`scenario_on`]).
//!
//! The random numbers ([`Rng`]) and the packet writer ([`Trace`]) are the
//! crate's [`crate::rng`] and [`crate::trace`], named here too.

mod attacks;
mod office;
mod on_real;
mod sample;
mod scenario;
mod truth;

pub use crate::rng::Rng;
pub use crate::trace::{
    Flags, Fragmented, Session, Trace, ACK, FINACK, PSHACK, RST, RSTACK, SYN, SYNACK,
};
pub use attacks::{
    ack_scan, backscatter, portless_flood, sweep_445, syn_flood, udp_scan, vertical_scan, Reflect,
};
pub use office::{
    background, background_at, background_daily, backup_job, flash_crowd, flash_crowd_on,
};
pub use on_real::{scenario_on, BACKGROUND_SCENARIOS, BACKGROUND_SCENARIO_S};
pub use sample::{sample, SAMPLE_START_NS, SAMPLE_SWEEPERS, SAMPLE_SWEEP_S};
pub use scenario::{scenario, SCENARIOS};
pub use truth::{Scenario, Truth};

#[cfg(test)]
mod tests;
