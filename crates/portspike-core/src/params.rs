//! Analysis settings: what the [`Analyzer`](crate::Analyzer) is asked to do.
//!
//! [`Params`] (how ports are keyed, the bin width, how many timelines the
//! report carries) and its [`Detection`] settings, with the address blocks
//! ([`Cidr`]) those name. Everything else in the core reads these; they read
//! nothing of it, so the engine, detection and the report build on them
//! without depending on one another's settings.

use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// Analysis settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    pub key: Key,
    /// Fixed bin width in µs; `None` picks one from the capture's span.
    pub bin_width_us: Option<u64>,
    /// How many of the top ports carry a series in the report.
    pub series_top: usize,
    pub detection: Detection,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            key: Key::Service,
            bin_width_us: None,
            series_top: 100,
            detection: Detection::default(),
        }
    }
}

/// Key of a per-port timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Key {
    /// The flow's service port (docs/design.md's rule).
    #[default]
    Service,
    /// The raw destination port (what tshark's `tcp.dstport` shows).
    DstPort,
}

crate::names::named_enum!(Key {
    Service => "service",
    DstPort => "dst-port",
});

impl Key {
    /// The key a command line or a link names: its name, or a short form.
    pub fn parse(s: &str) -> Option<Key> {
        match s {
            "service" => Some(Key::Service),
            "dst-port" | "dstport" | "dst" => Some(Key::DstPort),
            _ => None,
        }
    }
}

/// An address block, `10.0.0.0/8` or `2001:db8::/32`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cidr {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> Result<Cidr, String> {
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = a
            .trim()
            .parse()
            .map_err(|_| format!("{s:?} is not an address or CIDR block"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            Some(p) => p
                .trim()
                .parse::<u8>()
                .map_err(|_| format!("{s:?}: bad prefix length"))?,
            None => max,
        };
        if prefix > max {
            return Err(format!("{s:?}: prefix longer than {max}"));
        }
        Ok(Cidr { addr, prefix })
    }

    pub fn contains(&self, a: &IpAddr) -> bool {
        match (self.addr, a) {
            (IpAddr::V4(n), IpAddr::V4(x)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(n) & mask == u32::from(*x) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(x)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(*x) & mask
            }
            _ => false,
        }
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// Detection settings; every one is echoed in `params.detection`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Detection {
    /// Robust z-score a bin must reach to be hot.
    pub threshold: f64,
    /// A spike needs `persistence_k` hot bins within any `persistence_n` consecutive bins…
    pub persistence_k: usize,
    pub persistence_n: usize,
    /// …or one bin at `single_bin_factor` × threshold.
    pub single_bin_factor: f64,
    /// How many preceding (not hot) bins form the baseline.
    pub baseline_bins: usize,
    /// A hot bin must exceed its baseline by at least this many events.
    pub min_excess: f64,
    /// Ports with fewer events than this are not examined.
    pub min_events: u64,
    /// Networks counted as home (to tell inbound from outbound).
    pub home: Vec<String>,
    /// Known scanners: their findings are marked, not hidden.
    pub allow: Vec<String>,
}

impl Default for Detection {
    fn default() -> Self {
        Detection {
            threshold: 6.0,
            persistence_k: 2,
            persistence_n: 3,
            single_bin_factor: 3.0,
            baseline_bins: 60,
            min_excess: 8.0,
            min_events: 20,
            home: Vec::new(),
            allow: Vec::new(),
        }
    }
}

/// The bounds of every detection setting, the same wherever a setting is
/// given (the command line, a link, the settings panel, the worker's
/// request); each place keeps its own wording around these checks.
pub mod bounds {
    /// A threshold (and the single-bin factor): above 0, at most this.
    pub const FACTOR_MAX: f64 = 1e6;
    /// The smallest excess: from 0 to this many events.
    pub const MIN_EXCESS_MAX: f64 = 1e12;
    /// Persistence K/N: 1 ≤ K ≤ N ≤ this.
    pub const PERSISTENCE_MAX: usize = 1000;
    /// Baseline bins: from 1 to this.
    pub const BASELINE_MAX: usize = 100_000;
    /// Networks in `home` or `allow`.
    pub const NETWORKS_MAX: usize = 1024;

    /// A threshold or a factor: a number above 0 and at most [`FACTOR_MAX`].
    pub fn factor(s: &str) -> Result<f64, String> {
        match s.trim().parse::<f64>() {
            Ok(x) if x > 0.0 && x <= FACTOR_MAX => Ok(x),
            _ => Err(format!(
                "{s:?} is not a number above 0 and at most 1,000,000"
            )),
        }
    }

    /// The smallest excess: a number from 0 to [`MIN_EXCESS_MAX`].
    pub fn excess(s: &str) -> Result<f64, String> {
        match s.trim().parse::<f64>() {
            Ok(x) if (0.0..=MIN_EXCESS_MAX).contains(&x) => Ok(x),
            _ => Err(format!("{s:?} is not a number from 0 to 1,000,000,000,000")),
        }
    }

    /// Persistence as `K/N`, 1 ≤ K ≤ N ≤ [`PERSISTENCE_MAX`].
    pub fn persistence(s: &str) -> Result<(usize, usize), String> {
        let (k, n) = s.split_once('/').ok_or("expected K/N, like 2/3")?;
        let k: usize = k.trim().parse().map_err(|_| "K is not a number")?;
        let n: usize = n.trim().parse().map_err(|_| "N is not a number")?;
        if k == 0 || k > n || n > PERSISTENCE_MAX {
            return Err("need 1 <= K <= N <= 1000".into());
        }
        Ok((k, n))
    }

    /// Baseline bins: a whole number from 1 to [`BASELINE_MAX`].
    pub fn baseline(s: &str) -> Result<usize, String> {
        match s.trim().parse::<usize>() {
            Ok(x) if (1..=BASELINE_MAX).contains(&x) => Ok(x),
            _ => Err(format!("{s:?} is not a whole number from 1 to 100,000")),
        }
    }
}

impl Detection {
    /// Every setting within [`bounds`], or the first that is not, named as
    /// the report's `params.detection` names it, with why.
    pub fn validate(&self) -> Result<(), String> {
        let named = |name: &str, r: Result<(), String>| r.map_err(|e| format!("{name}: {e}"));
        named(
            "threshold",
            bounds::factor(&self.threshold.to_string()).map(|_| ()),
        )?;
        named(
            "single_bin_factor",
            bounds::factor(&self.single_bin_factor.to_string()).map(|_| ()),
        )?;
        named(
            "persistence",
            bounds::persistence(&format!("{}/{}", self.persistence_k, self.persistence_n))
                .map(|_| ()),
        )?;
        named(
            "baseline_bins",
            bounds::baseline(&self.baseline_bins.to_string()).map(|_| ()),
        )?;
        named(
            "min_excess",
            bounds::excess(&self.min_excess.to_string()).map(|_| ()),
        )?;
        for (name, list) in [("home", &self.home), ("allow", &self.allow)] {
            if list.len() > bounds::NETWORKS_MAX {
                return Err(format!(
                    "{name}: {} networks, more than the {} a setting holds",
                    list.len(),
                    bounds::NETWORKS_MAX
                ));
            }
            for c in list {
                Cidr::parse(c).map_err(|e| format!("{name}: {c:?} is not a network ({e})"))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_checked_against_one_set_of_bounds() {
        assert_eq!(Detection::default().validate(), Ok(()));
        for (edit, says) in [
            (
                (|d: &mut Detection| d.threshold = f64::NAN) as fn(&mut Detection),
                "threshold: ",
            ),
            (|d| d.threshold = 0.0, "threshold: "),
            (
                |d| d.single_bin_factor = f64::INFINITY,
                "single_bin_factor: ",
            ),
            (|d| d.persistence_k = 4, "persistence: need 1 <= K <= N"),
            (|d| d.persistence_n = 5000, "persistence: "),
            (|d| d.baseline_bins = 0, "baseline_bins: "),
            (|d| d.min_excess = -1.0, "min_excess: "),
            (
                |d| d.home = vec!["10.0.0.0/33".into()],
                "home: \"10.0.0.0/33\"",
            ),
        ] {
            let mut d = Detection::default();
            edit(&mut d);
            let e = d.validate().unwrap_err();
            assert!(e.starts_with(says), "{e}");
        }
        assert_eq!(bounds::persistence(" 2/3 "), Ok((2, 3)));
        assert!(bounds::factor("1e309").is_err());
        assert_eq!(bounds::baseline("60"), Ok(60));
    }

    #[test]
    fn key_names_round_trip_and_accept_the_short_forms() {
        for k in [Key::Service, Key::DstPort] {
            assert_eq!(Key::parse(k.as_str()), Some(k));
        }
        assert_eq!(Key::DstPort.as_str(), "dst-port");
        assert_eq!(Key::parse("dstport"), Some(Key::DstPort));
        assert_eq!(Key::parse("dst"), Some(Key::DstPort));
        assert_eq!(Key::parse("source"), None);
        assert_eq!(Key::default(), Key::Service);
    }

    #[test]
    fn default_params_pick_the_width_and_keep_a_hundred_timelines() {
        let p = Params::default();
        assert_eq!(p.key, Key::Service);
        assert_eq!(p.bin_width_us, None);
        assert_eq!(p.series_top, 100);
        assert_eq!(p.detection.threshold, 6.0);
        assert_eq!(
            (p.detection.persistence_k, p.detection.persistence_n),
            (2, 3)
        );
    }

    #[test]
    fn cidr_parses_bare_addresses_as_hosts_and_prints_back() {
        let c = Cidr::parse(" 192.0.2.7 ").unwrap();
        assert_eq!(c.prefix, 32);
        assert!(c.contains(&"192.0.2.7".parse().unwrap()));
        assert!(!c.contains(&"192.0.2.8".parse().unwrap()));
        assert_eq!(Cidr::parse("10.0.0.0/8").unwrap().to_string(), "10.0.0.0/8");
        // Families never match each other.
        assert!(!Cidr::parse("0.0.0.0/0")
            .unwrap()
            .contains(&"::1".parse().unwrap()));
        assert!(Cidr::parse("10.0.0.0/x").is_err());
        assert!(Cidr::parse("nonsense").is_err());
    }

    #[test]
    fn cidr_contains() {
        let c = Cidr::parse("10.1.0.0/16").unwrap();
        assert!(c.contains(&"10.1.200.3".parse().unwrap()));
        assert!(!c.contains(&"10.2.0.1".parse().unwrap()));
        assert!(Cidr::parse("::/0")
            .unwrap()
            .contains(&"2001:db8::1".parse().unwrap()));
        assert!(Cidr::parse("10.0.0.0/33").is_err());
    }
}
