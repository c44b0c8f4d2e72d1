//! The generators' calendar: every generated capture is dated on Monday
//! 2026-03-02 (or the day after), in ns since the Unix epoch.

/// One second, in ns.
pub const SECOND_NS: i64 = 1_000_000_000;
/// One hour, in ns.
pub const HOUR_NS: i64 = 3600 * SECOND_NS;
/// One day, in ns.
pub const DAY_NS: i64 = 24 * HOUR_NS;

/// Monday 2026-03-02 00:00:00 UTC: the day generated captures are dated from.
pub const MONDAY_2026_03_02_NS: i64 = 1_772_409_600 * SECOND_NS;

/// Monday 2026-03-02 09:00:00 UTC: where the bundled sample, bulk captures
/// and repeated real captures start.
pub const MONDAY_2026_03_02_0900_NS: i64 = MONDAY_2026_03_02_NS + 9 * HOUR_NS;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_day_is_a_monday_at_midnight() {
        assert_eq!(MONDAY_2026_03_02_NS % DAY_NS, 0);
        // 1970-01-01 was a Thursday: three days before a Monday.
        assert_eq!((MONDAY_2026_03_02_NS / DAY_NS + 3) % 7, 0);
    }
}
