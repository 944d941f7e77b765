//! Calendar dates as MDS writes them: `nextUpdate`, `effectiveDate`, `timeOfLastStatusChange`.

use std::fmt;

use crate::time::UnixTime;

const SECS_PER_DAY: u64 = 86_400;

/// A calendar date in UTC, written `YYYY-MM-DD` (the ISO 8601 "full-date" of RFC 3339 §5.6,
/// which MDS3 uses for every date of the BLOB).
///
/// A date stands for the whole UTC day. Ordering is chronological.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

impl Date {
    /// A date from its parts; `None` unless it exists in the proleptic Gregorian calendar
    /// (years 0000 to 9999).
    #[must_use]
    pub fn from_ymd(year: u16, month: u8, day: u8) -> Option<Self> {
        let valid = year <= 9999
            && (1..=12).contains(&month)
            && (1..=days_in_month(year, month)).contains(&day);
        valid.then_some(Self { year, month, day })
    }

    /// Parses exactly `YYYY-MM-DD` (four, two and two ASCII digits). Times, time zones and
    /// other ISO 8601 forms are refused.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        let [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = *bytes else {
            return None;
        };
        let year = digits(&[y0, y1, y2, y3])?;
        let month = u8::try_from(digits(&[m0, m1])?).ok()?;
        let day = u8::try_from(digits(&[d0, d1])?).ok()?;
        Self::from_ymd(year, month, day)
    }

    /// The UTC calendar day that contains `time`.
    #[must_use]
    pub fn of(time: UnixTime) -> Self {
        let days = i64::try_from(time.as_secs() / SECS_PER_DAY).unwrap_or(i64::MAX);
        civil_from_days(days)
    }

    /// The year.
    #[must_use]
    pub fn year(self) -> u16 {
        self.year
    }

    /// The month, 1 to 12.
    #[must_use]
    pub fn month(self) -> u8 {
        self.month
    }

    /// The day of the month, 1 to 31.
    #[must_use]
    pub fn day(self) -> u8 {
        self.day
    }

    /// The first second of this day (00:00:00 UTC); days before 1970 give the epoch.
    #[must_use]
    pub fn start(self) -> UnixTime {
        let days = u64::try_from(self.days_since_epoch()).unwrap_or(0);
        UnixTime::from_secs(days.saturating_mul(SECS_PER_DAY))
    }

    /// Days since 1970-01-01 (negative before it), after H. Hinnant's `days_from_civil`.
    fn days_since_epoch(self) -> i64 {
        let month = i64::from(self.month);
        let day = i64::from(self.day);
        let year = i64::from(self.year) - i64::from(month <= 2);
        let era = year.div_euclid(400);
        let year_of_era = year - era * 400;
        let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        era * 146_097 + day_of_era - 719_468
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Date({self})")
    }
}

fn digits<const N: usize>(ascii: &[u8; N]) -> Option<u16> {
    ascii.iter().try_fold(0u16, |acc, b| {
        let digit = b.is_ascii_digit().then(|| u16::from(b - b'0'))?;
        acc.checked_mul(10)?.checked_add(digit)
    })
}

fn is_leap(year: u16) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The date `days` after 1970-01-01, after H. Hinnant's `civil_from_days`; saturates at
/// 9999-12-31.
fn civil_from_days(days: i64) -> Date {
    const LAST: Date = Date {
        year: 9999,
        month: 12,
        day: 31,
    };
    let z = days.saturating_add(719_468);
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    match (u16::try_from(year), u8::try_from(month), u8::try_from(day)) {
        (Ok(year), Ok(month), Ok(day)) if year <= 9999 => Date { year, month, day },
        _ => LAST,
    }
}
