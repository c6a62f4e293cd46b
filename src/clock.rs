//! The wall clock's unit and the UTC timestamps the crate writes and reads: Unix seconds, RFC 3339
//! for messages, and the forms of the AWS CLI's session cache.

/// Seconds since the Unix epoch; every clock reading in the crate is one of these.
pub type UnixSeconds = u64;

/// Formats a Unix time as an RFC 3339 UTC timestamp, for messages.
pub fn format_utc(time: UnixSeconds) -> String {
    // Any u64 seconds / 86,400 fits an i64.
    let days = i64::try_from(time / 86_400).unwrap_or(i64::MAX);
    let secs = time % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", secs / 3600, secs / 60 % 60, secs % 60)
}

/// Parses the UTC timestamps the AWS CLI's session cache holds: `2026-11-28T12:00:00` followed by
/// optional fractional seconds and `Z`, `UTC` (what botocore writes) or `+00:00`. Other offsets
/// and anything else are `None`.
pub fn parse_utc(text: &str) -> Option<UnixSeconds> {
    let text = text.trim();
    let (date, time) = text.split_once('T')?;
    let time = ["Z", "UTC", "+00:00"].iter().find_map(|zone| time.strip_suffix(zone)).unwrap_or(time);
    let time = time.split_once('.').map_or(time, |(whole, _)| whole);
    let number = |s: &str| s.parse::<i64>().ok().filter(|_| s.bytes().all(|b| b.is_ascii_digit()));
    let mut d = date.splitn(3, '-').map(number);
    let (year, month, day) = (d.next()??, d.next()??, d.next()??);
    let mut t = time.splitn(3, ':').map(number);
    let (hour, minute, second) = (t.next()??, t.next()??, t.next()??);
    // Years of four digits only: a cache file may claim any year, and a longer one overflows the
    // day count.
    let plausible = (1970..=9999).contains(&year) && (1..=12).contains(&month) && (1..=31).contains(&day);
    if !plausible || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    // Days since 1970-01-01 from a civil date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    UnixSeconds::try_from(days * 86_400 + hour * 3600 + minute * 60 + second).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_format_as_utc() {
        assert_eq!(format_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_utc(1_420_070_400), "2015-01-01T00:00:00Z");
        assert_eq!(format_utc(1_709_210_096), "2024-02-29T12:34:56Z");
    }

    #[test]
    fn session_cache_timestamps_parse_in_every_form_botocore_writes() {
        let t = 1_800_000_000;
        let text = format_utc(t);
        assert_eq!(parse_utc(&text), Some(t));
        assert_eq!(parse_utc(&text.replace('Z', "UTC")), Some(t));
        assert_eq!(parse_utc(&text.replace('Z', "+00:00")), Some(t));
        assert_eq!(parse_utc(&text.replace('Z', ".123Z")), Some(t));
        assert_eq!(parse_utc("2024-02-29T00:00:00Z"), Some(1_709_164_800));
        for bad in [
            "",
            "2024-13-01T00:00:00Z",
            "yesterday",
            "2024-01-01T00:00",
            "4099276460824344802-11-28T12:00:00UTC",
            "1969-12-31T23:59:59Z",
        ] {
            assert_eq!(parse_utc(bad), None, "{bad}");
        }
    }
}
