//! A scenario's ground truth: the findings its capture must produce, and
//! how each kind of event is written down.

use super::attacks::Reflect;
use portspike_core::report::Probe;

/// One injected event and the finding it must produce.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Truth {
    /// `spike` or `scanner`.
    pub finding: String,
    /// Spike kind (`sweep`, `flood`, `backscatter`) or scanner kind (`horizontal`, `vertical`).
    pub kind: String,
    pub proto: Option<String>,
    pub port: Option<u16>,
    /// Scanner source address.
    pub source: Option<String>,
    /// A probe the scanner must be reported with.
    pub probe: Option<Probe>,
    pub start_ts: i64,
    pub end_ts: i64,
    /// The attack's victims (a flood's or reflection's receivers).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub victims: Vec<String>,
    /// A reflection's reflectors (its senders).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reflectors: Vec<String>,
    /// Carpet bombing: the prefix the victims spread over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub victim_prefix: Option<String>,
}

/// Ground truth of a scenario, written beside its capture as JSON.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    /// The capture must produce these findings and no other attack-kind spike or scanner.
    pub events: Vec<Truth>,
}

fn us(ns: i64) -> i64 {
    ns.div_euclid(1000)
}

pub(super) fn ip(a: [u8; 4]) -> String {
    format!("{}.{}.{}.{}", a[0], a[1], a[2], a[3])
}

pub(super) fn spike(kind: &str, port: u16, t0: i64, t1: i64) -> Truth {
    Truth {
        finding: "spike".into(),
        kind: kind.into(),
        proto: Some("tcp".into()),
        port: Some(port),
        source: None,
        probe: None,
        start_ts: us(t0),
        end_ts: us(t1),
        victims: Vec::new(),
        reflectors: Vec::new(),
        victim_prefix: None,
    }
}

/// A reflection's truth: its service, victims and reflectors.
pub(super) fn reflected(
    proto: &str,
    port: u16,
    t0: i64,
    t1: i64,
    r: &Reflect,
    pool: &[[u8; 4]],
) -> Truth {
    Truth {
        proto: Some(proto.into()),
        victims: r.victims.iter().map(|v| ip(*v)).collect(),
        reflectors: pool.iter().map(|v| ip(*v)).collect(),
        ..spike("reflection", port, t0, t1)
    }
}

pub(super) fn scanner(kind: &str, src: [u8; 4], probe: Probe, t0: i64, t1: i64) -> Truth {
    Truth {
        finding: "scanner".into(),
        kind: kind.into(),
        proto: None,
        port: None,
        source: Some(ip(src)),
        probe: Some(probe),
        start_ts: us(t0),
        end_ts: us(t1),
        victims: Vec::new(),
        reflectors: Vec::new(),
        victim_prefix: None,
    }
}
