//! The evidence pass: every number on a finding counted exactly.
//!
//! Detection runs in one streaming pass on sketches: distinct counts from
//! HyperLogLog, talkers from a port's heavy hitters over the whole capture.
//! Once the findings are known, [`Evidence`] reads each finding's window
//! again (the byte ranges the capture's time index names, see
//! [`Evidence::ranges`], or the whole input where there is no index) and
//! counts, in the finding's own Wireshark filter and direction, what the
//! report then says: packets and bytes, distinct sources and destinations,
//! the top talkers with their own filters, the TCP flag mix, the packets the
//! other way, peak and mean rates; for a scanner, its probes (the packets
//! its `probe_filter` selects), the hosts and ports they tried and which
//! answered, and the tool its probes' header fields name. Each table holds at most [`EXACT_UP_TO`] entries, and all of
//! them together at most the total the caller gives ([`EXACT_TOTAL`] on the
//! command line); past that a count is a sketch's, and the field is listed
//! in the finding's `estimated`.

mod scanner;
mod spike;
mod tool;

pub use scanner::probe_filter;
use scanner::ScannerTally;
pub use spike::talker_filter;
use spike::{round2, SpikeTally};
pub use tool::tool_of;

use crate::capture::{Held, Index, Reader};
use crate::compress::Input;
use crate::decode::{self, Decoded};
use crate::fxhash::FxHashMap as HashMap;
use crate::report::{EvidenceState, Report, SpikeReport};
use std::collections::BTreeMap;
use std::net::IpAddr;

/// Entries each table of a finding holds exactly (addresses of a finding's
/// talkers, a scanner's contacts): past it, counts are estimates.
pub const EXACT_UP_TO: usize = 1_000_000;

/// Entries all of a report's tables hold together on the command line
/// (about 45 bytes each): many findings share it, each table up to
/// [`EXACT_UP_TO`].
pub const EXACT_TOTAL: usize = 4_000_000;

/// Talkers listed per finding, and ports and targets per scanner.
pub const TOP: usize = 10;

/// At most this many rate intervals per finding (a window longer than
/// this many seconds gets longer intervals).
const MAX_INTERVALS: i64 = 10_000;

/// The evidence pass over one report's findings and scanners.
#[derive(Debug)]
pub struct Evidence {
    spikes: Vec<SpikeTally>,
    /// One per scanner of the report (`None`: not an address).
    scanners: Vec<Option<ScannerTally>>,
    /// Packets each of these addresses sent (anywhere in the capture).
    senders: HashMap<IpAddr, u64>,
    input: Input,
    reader: Reader,
    /// What the current part (since [`Evidence::begin`]) held.
    part: Held,
    /// The current part has been ended (its last record judged).
    ended: bool,
}

impl Evidence {
    /// A pass for `report`'s findings, its tables (two per finding, one
    /// per scanner) exact up to `total` entries together, each up to
    /// [`EXACT_UP_TO`]: memory stays bounded whatever the findings.
    pub fn new(report: &Report, total: usize) -> Self {
        let key = report.params.key;
        let tables = (2 * report.spikes.len() + report.scanners.len()).max(1);
        let limit = (total / tables).min(EXACT_UP_TO);
        Evidence {
            spikes: report
                .spikes
                .iter()
                .map(|s| SpikeTally::new(s, key, limit))
                .collect(),
            scanners: report
                .scanners
                .iter()
                .map(|s| ScannerTally::new(s, limit))
                .collect(),
            senders: HashMap::default(),
            input: Input::new(),
            reader: Reader::new(),
            part: Held::NONE,
            ended: true,
        }
    }

    /// A pass that counts the packets each of `addrs` sent anywhere in the
    /// capture (is an address named in an incident new in its baseline?).
    /// It reads whole files: [`Evidence::ranges`] is `None`.
    pub fn senders(addrs: &[IpAddr]) -> Self {
        Evidence {
            spikes: Vec::new(),
            scanners: Vec::new(),
            senders: addrs.iter().map(|a| (*a, 0)).collect(),
            input: Input::new(),
            reader: Reader::new(),
            part: Held::NONE,
            ended: true,
        }
    }

    /// What [`Evidence::senders`] counted: packets sent, by address.
    pub fn sent(mut self) -> BTreeMap<String, u64> {
        self.end();
        self.senders
            .into_iter()
            .map(|(a, n)| (a.to_string(), n))
            .collect()
    }

    /// Nothing to count: the report has no finding and no scanner.
    pub fn is_empty(&self) -> bool {
        self.spikes.is_empty() && self.scanners.is_empty() && self.senders.is_empty()
    }

    /// The time windows to read, `[t0, t1)` µs.
    fn windows(&self) -> Vec<(i64, i64)> {
        self.spikes
            .iter()
            .map(|s| (s.sel.t0_us, s.sel.t1_us))
            .chain(self.scanners.iter().flatten().map(|s| (s.t0, s.t1)))
            .collect()
    }

    /// The byte ranges of one file holding every window, each with its
    /// preamble, overlapping ranges merged so no packet is read twice;
    /// `None` when the index cannot serve (read the whole file then).
    pub fn ranges<'a>(&self, index: &'a Index) -> Option<Vec<(&'a [u8], u64, u64)>> {
        if !self.senders.is_empty() {
            return None;
        }
        crate::window::ranges_for_any(index, &self.windows())
    }

    /// Start a byte range (or a whole file, with an empty preamble): a fresh
    /// reader, given the range's preamble.
    pub fn begin(&mut self, preamble: &[u8]) {
        self.end();
        self.input = Input::new();
        self.reader = Reader::new();
        self.part = Held::NONE;
        self.ended = false;
        self.feed(preamble);
    }

    /// End the current part: its records and their time span, to hold
    /// against what the first read found there ([`Index::held`]).
    pub fn end_part(&mut self) -> Held {
        self.end();
        self.part
    }

    /// The next bytes of the current range or file.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.pump(Some(bytes));
    }

    /// End of the current range or file (a record cut at its end is judged
    /// as the first pass judged it).
    fn end(&mut self) {
        if !self.ended {
            self.ended = true;
            self.pump(None);
        }
    }

    /// Bytes through decompression and framing into the tallies; `None`
    /// ends the input.
    fn pump(&mut self, bytes: Option<&[u8]>) {
        let Evidence {
            spikes,
            scanners,
            senders,
            input,
            reader,
            part,
            ..
        } = self;
        let mut each = |f: crate::capture::Frame<'_>| {
            part.add(f.ts_ns.div_euclid(1000));
            count_frame(
                spikes, scanners, senders, f.ts_ns, f.orig_len, f.linktype, f.data,
            )
        };
        match bytes {
            Some(b) => input.feed(b, &mut |b| reader.feed(b, &mut each)),
            None => {
                input.finish(&mut |b| reader.feed(b, &mut each));
                reader.finish_with(&mut each);
            }
        }
    }

    /// Put the exact figures into the report the pass was made for.
    pub fn apply(mut self, report: &mut Report) {
        self.end();
        for (s, t) in report.spikes.iter_mut().zip(self.spikes) {
            t.apply(s);
        }
        for (s, t) in report.scanners.iter_mut().zip(self.scanners) {
            if let Some(t) = t {
                t.apply(s);
            }
        }
        incidents(report);
        crate::detect::bursts_of_scans(report);
        report.evidence = Some(EvidenceState {
            exact: true,
            note: None,
        });
    }
}

/// Group the attack findings aimed at one target at one time into
/// incidents (a multi-vector attack: a reflection and the flood of its
/// later fragments, DNS and NTP onto one victim): findings whose windows
/// overlap and whose busiest victim (or victims' prefix) is the same. Each
/// gets its incident's number (from 1, in the report's order) and its share
/// of the incident's bytes. Sweeps are scans, not aimed at a victim.
pub fn incidents(report: &mut Report) {
    let target = |s: &SpikeReport| {
        s.victim_prefix
            .clone()
            .or_else(|| s.top_destinations.first().map(|d| d.addr.clone()))
    };
    let attacks: Vec<usize> = (0..report.spikes.len())
        .filter(|i| {
            report
                .spikes
                .get(*i)
                .is_some_and(|s| s.kind.is_attack() && s.kind != crate::report::SpikeKind::Sweep)
        })
        .collect();
    let mut group: Vec<Option<usize>> = vec![None; report.spikes.len()];
    let mut next = 0;
    for (n, &i) in attacks.iter().enumerate() {
        let Some(a) = report.spikes.get(i) else {
            continue;
        };
        let joined = attacks.iter().take(n).find_map(|&j| {
            let b = report.spikes.get(j)?;
            let same = target(a).is_some() && target(a) == target(b);
            (same && a.start_ts < b.end_ts && b.start_ts < a.end_ts)
                .then(|| group.get(j).copied().flatten())
                .flatten()
        });
        let g = joined.unwrap_or_else(|| {
            next += 1;
            next
        });
        if let Some(slot) = group.get_mut(i) {
            *slot = Some(g);
        }
    }
    for g in 1..=next {
        let members: Vec<usize> = (0..group.len())
            .filter(|i| group.get(*i).copied().flatten() == Some(g))
            .collect();
        let total: Option<u64> = members
            .iter()
            .map(|i| report.spikes.get(*i).and_then(|s| s.bytes))
            .sum();
        for i in members {
            if let Some(s) = report.spikes.get_mut(i) {
                s.incident = Some(g as u32);
                s.byte_share = total
                    .filter(|t| *t > 0)
                    .zip(s.bytes)
                    .map(|(t, b)| round2(b as f64 * 100.0 / t as f64) / 100.0);
            }
        }
    }
}

/// The pass over a whole capture held in memory (`total` as in
/// [`Evidence::new`]).
pub fn over_bytes(report: &mut Report, bytes: &[u8], total: usize) {
    let mut e = Evidence::new(report, total);
    e.begin(&[]);
    e.feed(bytes);
    e.apply(report);
}

/// Mark a report whose findings could not be read again (input that cannot
/// be read twice, a read cut short): its numbers stay the sketches'.
pub fn unavailable(report: &mut Report, why: &str) {
    report.evidence = Some(EvidenceState {
        exact: false,
        note: Some(why.to_string()),
    });
}

fn count_frame(
    spikes: &mut [SpikeTally],
    scanners: &mut [Option<ScannerTally>],
    senders: &mut HashMap<IpAddr, u64>,
    ts_ns: i64,
    len: u32,
    linktype: u32,
    data: &[u8],
) {
    let Decoded::Ip(p) = decode::decode(linktype, data) else {
        return;
    };
    if let Some(n) = senders.get_mut(&p.src) {
        *n += 1;
    }
    for s in spikes.iter_mut() {
        s.packet(ts_ns, u64::from(len), &p);
    }
    let ts = ts_ns.div_euclid(1000);
    for s in scanners.iter_mut().flatten() {
        s.packet(ts, &p, data);
    }
}

#[cfg(test)]
mod tests;
