use chrono::NaiveDate;

/// Errors in calendar data, calendar settings and the deadline clock.
///
/// Data errors name the entry (`day_off #3 "Tết Nguyên đán"`) and field so that whoever edits
/// the yearly file can fix it from the message alone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// The text is not valid TOML or does not match the schema (unknown key, bad date, …).
    #[error("calendar data is not valid: {0}")]
    Toml(String),
    #[error("{entry}: `{field}` = {date} is outside the file's year {year}")]
    DateOutsideYear {
        entry: String,
        field: &'static str,
        date: NaiveDate,
        year: i32,
    },
    #[error("{entry}: `to` = {to} is before `from` = {from}")]
    RangeReversed {
        entry: String,
        from: NaiveDate,
        to: NaiveDate,
    },
    #[error("{entry}: {date} is already listed by {other}")]
    Overlap {
        entry: String,
        other: String,
        date: NaiveDate,
    },
    #[error("{date} is both a day off ({day_off}) and a working day ({working_day})")]
    OffAndWorking {
        date: NaiveDate,
        day_off: String,
        working_day: String,
    },
    #[error("{entry}: `{field}` must not be empty")]
    EmptyField { entry: String, field: &'static str },
    #[error("calendar data for year {0} was given twice")]
    DuplicateYear(i32),
    #[error("invalid calendar settings: {0}")]
    Settings(String),
    #[error("the deadline clock is already paused (since {0})")]
    AlreadyPaused(chrono::DateTime<chrono::Utc>),
    #[error("the deadline clock is not paused")]
    NotPaused,
    #[error("resume at {resumed_at} is before the pause at {paused_at}")]
    ResumeBeforePause {
        paused_at: chrono::DateTime<chrono::Utc>,
        resumed_at: chrono::DateTime<chrono::Utc>,
    },
}

/// Renders a TOML error with the table it occurred in (`[[day_off]] #3`,
/// `[version.default.khan] of version "long-an-2024"`), because a line number alone sends the
/// editor counting `[[day_off]]` blocks by hand.
pub(crate) fn describe_toml_error(text: &str, err: &toml::de::Error) -> String {
    let Some(before) = err.span().and_then(|s| text.get(..s.start)) else {
        return err.to_string();
    };
    let mut header: Option<String> = None;
    let mut array_counts: std::collections::HashMap<String, usize> = Default::default();
    let mut version: Option<&str> = None;
    for line in before.lines() {
        let l = line.trim();
        if l.starts_with('[') {
            let h = l.split(" #").next().unwrap_or(l).trim().to_string();
            if h.starts_with("[[") {
                let n = array_counts.entry(h.clone()).or_default();
                *n += 1;
                if h == "[[version]]" {
                    version = None;
                }
                header = Some(format!("{h} #{n}"));
            } else {
                header = Some(h);
            }
        } else if let Some(v) = l
            .strip_prefix("version")
            .and_then(|r| r.trim_start().strip_prefix('='))
        {
            version = Some(v.split(" #").next().unwrap_or(v).trim());
        }
    }
    let place = match (header, version) {
        (Some(h), Some(v)) => format!(" (in {h} of version {v})"),
        (Some(h), None) => format!(" (in {h})"),
        (None, _) => String::new(),
    };
    format!("{}{place}", err.to_string().trim_end())
}
