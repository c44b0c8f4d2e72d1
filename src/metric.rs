//! Which of a port's series the page draws (the timeline's and the
//! heatmap's metric): not the core's `report::Metric`, the metric a finding
//! was detected on.

use portspike_core::report::SeriesReport;

/// A series of a port's timeline: the timeline and the heatmap draw one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeriesMetric {
    Packets,
    Bytes,
    Attempts,
    Failures,
    Sources,
    Destinations,
}

impl SeriesMetric {
    pub const ALL: [SeriesMetric; 6] = [
        SeriesMetric::Packets,
        SeriesMetric::Bytes,
        SeriesMetric::Attempts,
        SeriesMetric::Failures,
        SeriesMetric::Sources,
        SeriesMetric::Destinations,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SeriesMetric::Packets => "packets",
            SeriesMetric::Bytes => "bytes",
            SeriesMetric::Attempts => "attempts",
            SeriesMetric::Failures => "failures",
            SeriesMetric::Sources => "sources",
            SeriesMetric::Destinations => "destinations",
        }
    }

    /// The metric named `s` (as [`as_str`](Self::as_str) writes it);
    /// packets for any other name.
    pub fn parse(s: &str) -> SeriesMetric {
        SeriesMetric::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .unwrap_or(SeriesMetric::Packets)
    }

    /// Its values in `s`, a bin each.
    pub fn values(self, s: &SeriesReport) -> &[u64] {
        match self {
            SeriesMetric::Packets => &s.packets,
            SeriesMetric::Bytes => &s.bytes,
            SeriesMetric::Attempts => &s.attempts,
            SeriesMetric::Failures => &s.failures,
            SeriesMetric::Sources => &s.sources,
            SeriesMetric::Destinations => &s.destinations,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_reads_back_by_its_name_and_others_are_packets() {
        for m in SeriesMetric::ALL {
            assert_eq!(SeriesMetric::parse(m.as_str()), m);
        }
        assert_eq!(SeriesMetric::parse("Attempts"), SeriesMetric::Packets);
        assert_eq!(SeriesMetric::parse(""), SeriesMetric::Packets);
    }
}
