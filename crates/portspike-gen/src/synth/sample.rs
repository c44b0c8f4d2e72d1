//! The bundled sample capture: fifteen minutes of office traffic with a TCP
//! 445 sweep from three infected hosts in minutes 9–11, and its truth.

use super::attacks::sweep_445;
use super::office::background;
use super::truth::{scanner, spike, Scenario};
use crate::clock::{MONDAY_2026_03_02_0900_NS, SECOND_NS as S};
use crate::rng::Rng;
use crate::trace::Trace;
use portspike_core::report::Probe;

/// Start of the sample capture: 2026-03-02 09:00:00 UTC, in ns.
pub const SAMPLE_START_NS: i64 = MONDAY_2026_03_02_0900_NS;
/// The sweep's window in the sample, seconds after the start.
pub const SAMPLE_SWEEP_S: (i64, i64) = (540, 660);
/// The sweeping hosts in the sample.
pub const SAMPLE_SWEEPERS: [[u8; 4]; 3] = [[10, 1, 1, 23], [10, 1, 1, 37], [10, 1, 1, 52]];

/// The bundled sample capture (see the module docs).
pub fn sample() -> Vec<u8> {
    let mut rng = Rng::new(0x5eed_0445);
    let mut trace = Trace::new();
    let start = SAMPLE_START_NS;
    let end = start + 900 * S;
    background(&mut trace, &mut rng, start, end);
    let sweep = start + SAMPLE_SWEEP_S.0 * S;
    sweep_445(&mut trace, &mut rng, &SAMPLE_SWEEPERS, sweep, 14.0, 1500);
    trace.into_pcap(128)
}

/// The `sample` scenario: the sample and its truth (the sweep, and each
/// sweeper as a horizontal scanner).
pub(super) fn sample_scenario() -> (Vec<u8>, Scenario) {
    let start = SAMPLE_START_NS;
    let (a, b) = SAMPLE_SWEEP_S;
    let mut events = vec![spike("sweep", 445, start + a * S, start + b * S)];
    for h in SAMPLE_SWEEPERS {
        events.push(scanner(
            "horizontal",
            h,
            Probe::Syn,
            start + a * S,
            start + b * S,
        ));
    }
    (
        sample(),
        Scenario {
            name: "sample".into(),
            description: "15 minutes of office traffic with a TCP 445 sweep from three hosts in minutes 9-11 (the bundled sample)".into(),
            events,
        },
    )
}
