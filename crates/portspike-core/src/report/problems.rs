//! Every problem a report can carry (`capture.warnings`, `capture.error`),
//! declared once: its code as schema v1 names it, what it means, and the
//! plain sentence a reader is shown where the engine's own message speaks in
//! its terms.

/// What went wrong, or what was bounded, in reading or counting a capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProblemCode {
    // Reading the file.
    NotACapture,
    Truncated,
    RecordTooLong,
    BadSectionHeader,
    BadBlockLength,
    BadBlock,
    Resynchronised,
    UnsupportedVersion,
    TooManyInterfaces,
    BadTsresol,
    UnknownInterface,
    ShortBlock,
    BadTimestamp,
    TimeOutOfRange,
    BadLinkType,
    IndexBounded,
    BadCompression,
    ReadFailed,
    // Counting it.
    UnsupportedLinkType,
    BinsCoarsened,
    TunnelDepth,
    TsOutliers,
    OneDirection,
    StateBounded,
    SeriesBounded,
    ContactsBounded,
    CommentsBounded,
    // The files given.
    DuplicateFile,
    DuplicateCapture,
    // A result link.
    LinkPortsTrimmed,
}

crate::names::named_enum!(ProblemCode {
    NotACapture => "not_a_capture",
    Truncated => "truncated",
    RecordTooLong => "record_too_long",
    BadSectionHeader => "bad_section_header",
    BadBlockLength => "bad_block_length",
    BadBlock => "bad_block",
    Resynchronised => "resynchronised",
    UnsupportedVersion => "unsupported_version",
    TooManyInterfaces => "too_many_interfaces",
    BadTsresol => "bad_tsresol",
    UnknownInterface => "unknown_interface",
    ShortBlock => "short_block",
    BadTimestamp => "bad_timestamp",
    TimeOutOfRange => "time_out_of_range",
    BadLinkType => "bad_link_type",
    IndexBounded => "index_bounded",
    BadCompression => "bad_compression",
    ReadFailed => "read_failed",
    UnsupportedLinkType => "unsupported_link_type",
    BinsCoarsened => "bins_coarsened",
    TunnelDepth => "tunnel_depth",
    TsOutliers => "ts_outliers",
    OneDirection => "one_direction",
    StateBounded => "state_bounded",
    SeriesBounded => "series_bounded",
    ContactsBounded => "contacts_bounded",
    CommentsBounded => "comments_bounded",
    DuplicateFile => "duplicate_file",
    DuplicateCapture => "duplicate_capture",
    LinkPortsTrimmed => "link_ports_trimmed",
});

impl ProblemCode {
    /// What the code means, in a line.
    pub const fn about(self) -> &'static str {
        use ProblemCode::*;
        match self {
            NotACapture => {
                "the input is not a pcap or pcapng file (nor one compressed with gzip or zstd)"
            }
            Truncated => "the capture ends inside a record or block",
            RecordTooLong => "a pcap record claims more captured bytes than any packet has",
            BadSectionHeader => "a pcapng section header has no byte-order magic",
            BadBlockLength => "a pcapng block's length is impossible, and no valid block follows",
            BadBlock => "a corrupt pcapng block, stepped over to the next valid one",
            Resynchronised => "corrupt bytes were skipped to the next valid pcapng block",
            UnsupportedVersion => "a file or section header has a version that does not exist",
            TooManyInterfaces => "a pcapng section describes more interfaces than are kept",
            BadTsresol => {
                "an interface's timestamp resolution is out of range (microseconds are used)"
            }
            UnknownInterface => "a packet names an interface that was not described",
            ShortBlock => "a pcapng packet block too short for what it claims",
            BadTimestamp => "a record's timestamp fraction is past one second",
            TimeOutOfRange => {
                "a packet dated past 2262-04-11, the last instant nanosecond times hold: held there"
            }
            BadLinkType => "the pcap header's link-type field has reserved bits set",
            IndexBounded => {
                "the headers pass the time index's bounds: windows are read from further back"
            }
            BadCompression => "the compressed stream is corrupt or cut short",
            ReadFailed => "the file could not be read to its end",
            UnsupportedLinkType => "packets of a link type that is counted but not decoded",
            BinsCoarsened => "the bins are wider than asked, to bound the timeline's cells",
            TunnelDepth => {
                "packets nest deeper than the decoder follows: counted by an outer layer"
            }
            TsOutliers => "packets dated far from the rest: in the totals, off the timeline",
            OneDirection => "almost nothing was answered: failures cannot be judged",
            StateBounded => "connection state hit its memory bound",
            SeriesBounded => "only the busiest ports keep a timeline",
            ContactsBounded => "contacts were not all remembered (memory bound)",
            CommentsBounded => "more comments than are kept a file",
            DuplicateFile => "a file given twice, or two files with the same bytes",
            DuplicateCapture => "the same capture's summary found twice",
            LinkPortsTrimmed => "a result link holds only the busiest ports",
        }
    }

    /// The sentence a reader is shown instead of the message, where the
    /// message speaks in the engine's terms; `None` where the message is
    /// already the plain one.
    pub const fn plain(self) -> Option<&'static str> {
        use ProblemCode::*;
        match self {
            StateBounded => Some("The capture was too busy to follow every connection to its end: some were judged early or let go, so a scanner may be missed or caught late."),
            SeriesBounded => Some("Only the busiest ports have a timeline; quieter ports show their totals, with their numbers of sources and destinations approximate."),
            ContactsBounded => Some("So many hosts were contacted that not all could be remembered: a scanner seen late may count a target twice."),
            OneDirection => Some("Almost nothing in the capture was answered: it seems to hold one direction of traffic only, so scanners are judged by how widely they spread, not by what failed."),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ProblemCode;

    #[test]
    fn every_code_reads_back_and_says_what_it_means() {
        for c in ProblemCode::ALL {
            assert_eq!(ProblemCode::from_name(c.as_str()), Some(*c));
            let json = serde_json::to_string(c).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", c.as_str()));
            assert!(!c.about().is_empty(), "{c}");
        }
        assert_eq!(ProblemCode::from_name("no_such_problem"), None);
    }

    #[test]
    fn the_design_lists_every_code_with_what_it_means() {
        let design = include_str!("../../../../docs/design.md");
        for c in ProblemCode::ALL {
            let row = format!("| `{}` | {} |", c.as_str(), c.about());
            assert!(design.contains(&row), "docs/design.md lacks {row}");
        }
    }
}
