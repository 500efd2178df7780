//! Dates named in questions: "que disait l'article 60 en 2019 ?", "avant la réforme de 2023",
//! "au 1er janvier 2020", "en vigueur en 2021".
//!
//! A question about the past must be answered from the edition in force at that date, not from
//! today's law. The rules are deliberately few and conservative (a year counts only after a
//! preposition such as `en`, or inside an `avant …` phrase, never in a law number such as
//! `2023-610`), because a false date sends the agent to an old text:
//! - a full date is that day; `avant` a date is the day before;
//! - a month and year is the last day of that month;
//! - a year Y is the end of Y (the edition in force on 31 December Y);
//! - `avant … Y` is the end of Y − 1.
//!
//! A future or current-year date needs no special case: the edition in force at a date after
//! the latest edition is the latest edition, i.e. the law in force.

use std::sync::OnceLock;

use regex::{Captures, Regex};
use serde::Serialize;

/// A date found in a question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DateMention {
    /// The date the question is about (`YYYY-MM-DD`).
    pub date: String,
    /// The words that say so, as written.
    pub phrase: String,
    /// Byte range of the phrase in the question.
    pub span: (usize, usize),
}

const MONTHS: &[(&str, u32)] = &[
    ("janvier", 1),
    ("février", 2),
    ("fevrier", 2),
    ("mars", 3),
    ("avril", 4),
    ("mai", 5),
    ("juin", 6),
    ("juillet", 7),
    ("août", 8),
    ("aout", 8),
    ("septembre", 9),
    ("octobre", 10),
    ("novembre", 11),
    ("décembre", 12),
    ("decembre", 12),
];

fn month_number(name: &str) -> Option<u32> {
    let lower = name.to_lowercase();
    MONTHS.iter().find(|(m, _)| *m == lower).map(|(_, n)| *n)
}

fn is_leap(year: u32) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn iso(year: u32, month: u32, day: u32) -> String {
    format!("{year:04}-{month:02}-{day:02}")
}

fn day_before(year: u32, month: u32, day: u32) -> String {
    if day > 1 {
        iso(year, month, day - 1)
    } else if month > 1 {
        iso(year, month - 1, days_in_month(year, month - 1))
    } else {
        iso(year.saturating_sub(1), 12, 31)
    }
}

struct Patterns {
    full: Regex,
    numeric: Regex,
    month_year: Regex,
    before_year: Regex,
    year: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        let months = MONTHS.iter().map(|(m, _)| *m).collect::<Vec<_>>().join("|");
        let year = r"(?P<y>(?:19|20)\d{2})";
        // A day counts only after a word that makes it the date of the law asked about:
        // `la loi du 18 juillet 2023` names a law, `au 18 juillet 2023` a date.
        let day_prefix = r"(?:\b(?P<avant>avant)(?:\s+le)?|\b(?:au|le|jusqu['’]au|[àa]\s+la\s+date\s+du|en\s+date\s+du))\s+";
        let make = |p: String| Regex::new(&p).unwrap_or_else(|e| panic!("static regex: {e}"));
        Patterns {
            full: make(format!(
                r"(?i){day_prefix}(?P<d>1er|\d{{1,2}})\s+(?P<m>{months})\s+{year}\b"
            )),
            numeric: make(format!(
                r"(?i){day_prefix}(?:\b(?P<d>\d{{1,2}})/(?P<m>\d{{1,2}})/{year}\b|\b(?P<iy>(?:19|20)\d{{2}})-(?P<im>\d{{2}})-(?P<id>\d{{2}})\b)"
            )),
            month_year: make(format!(
                r"(?i)\b(?:(?P<avant>avant)|en)\s+(?P<m>{months})\s+{year}\b"
            )),
            before_year: make(format!(r"(?i)\bavant\b[^.?!;\n\d]{{0,60}}?\b{year}\b")),
            year: make(format!(
                r"(?i)\b(?:en|pour\s+l['’]ann[ée]e|dans\s+l['’]ann[ée]e|au\s+cours\s+de\s+l['’]ann[ée]e|l['’]ann[ée]e|version|[ée]dition|r[ée]daction)\s+(?:de\s+|du\s+|d['’])?{year}\b"
            )),
        }
    })
}

fn number(caps: &Captures<'_>, name: &str) -> Option<u32> {
    let text = caps.name(name)?.as_str();
    if text.eq_ignore_ascii_case("1er") {
        return Some(1);
    }
    text.parse().ok()
}

fn mention(question: &str, caps: &Captures<'_>, date: String) -> Option<DateMention> {
    let whole = caps.get(0)?;
    Some(DateMention {
        date,
        phrase: whole.as_str().trim().to_string(),
        span: (whole.start(), whole.end()),
    })
    .filter(|_| whole.end() <= question.len())
}

/// A year that continues as a law or decree number (`2023-610`) or an ISO date is no year.
fn followed_by_number(question: &str, end: usize) -> bool {
    let rest = &question[end..];
    let mut chars = rest.chars();
    matches!(chars.next(), Some('-' | '/')) && chars.next().is_some_and(|c| c.is_ascii_digit())
}

fn day_date(year: u32, month: u32, day: u32, before: bool) -> Option<String> {
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    Some(if before {
        day_before(year, month, day)
    } else {
        iso(year, month, day)
    })
}

/// The first date a question names, read as the date whose law the question is about.
pub fn find_date(question: &str) -> Option<DateMention> {
    let p = patterns();
    for caps in p.full.captures_iter(question) {
        let (Some(y), Some(d)) = (number(&caps, "y"), number(&caps, "d")) else {
            continue;
        };
        let Some(m) = caps.name("m").and_then(|m| month_number(m.as_str())) else {
            continue;
        };
        if let Some(date) = day_date(y, m, d, caps.name("avant").is_some()) {
            return mention(question, &caps, date);
        }
    }
    for caps in p.numeric.captures_iter(question) {
        let before = caps.name("avant").is_some();
        let parts = match (number(&caps, "y"), number(&caps, "iy")) {
            (Some(y), _) => (y, number(&caps, "m"), number(&caps, "d")),
            (None, Some(y)) => (y, number(&caps, "im"), number(&caps, "id")),
            _ => continue,
        };
        if let (y, Some(m), Some(d)) = parts
            && let Some(date) = day_date(y, m, d, before)
        {
            return mention(question, &caps, date);
        }
    }
    for caps in p.month_year.captures_iter(question) {
        let Some(y) = number(&caps, "y") else {
            continue;
        };
        let Some(m) = caps.name("m").and_then(|m| month_number(m.as_str())) else {
            continue;
        };
        let date = if caps.name("avant").is_some() {
            day_before(y, m, 1)
        } else {
            iso(y, m, days_in_month(y, m))
        };
        return mention(question, &caps, date);
    }
    for caps in p.before_year.captures_iter(question) {
        if let Some(y) = number(&caps, "y") {
            return mention(question, &caps, iso(y.saturating_sub(1), 12, 31));
        }
    }
    for caps in p.year.captures_iter(question) {
        let Some(whole) = caps.get(0) else { continue };
        if followed_by_number(question, whole.end()) {
            continue;
        }
        if let Some(y) = number(&caps, "y") {
            return mention(question, &caps, iso(y, 12, 31));
        }
    }
    None
}

/// The question without the date phrase (so that `2019` is not searched as a word).
pub fn without_date(question: &str, mention: &DateMention) -> String {
    let (start, end) = mention.span;
    match (question.get(..start), question.get(end..)) {
        (Some(before), Some(after)) => format!("{} {}", before.trim_end(), after.trim_start())
            .trim()
            .to_string(),
        _ => question.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(q: &str) -> Option<String> {
        find_date(q).map(|m| m.date)
    }

    #[test]
    fn a_year_means_the_end_of_that_year() {
        assert_eq!(
            date("que disait l'article 60 en 2019 ?").as_deref(),
            Some("2019-12-31")
        );
        assert_eq!(
            date("quel texte était en vigueur en 2021 ?").as_deref(),
            Some("2021-12-31")
        );
        assert_eq!(
            date("l'article 414 dans sa rédaction de 2019").as_deref(),
            Some("2019-12-31")
        );
    }

    #[test]
    fn before_a_year_means_the_end_of_the_year_before() {
        let m = find_date("que prévoyait le droit de visite avant la réforme de 2023 ?");
        assert_eq!(m.as_ref().map(|m| m.date.as_str()), Some("2022-12-31"));
        assert_eq!(
            m.map(|m| m.phrase).as_deref(),
            Some("avant la réforme de 2023")
        );
    }

    #[test]
    fn full_dates_and_months() {
        assert_eq!(
            date("au 1er janvier 2020, que disait l'article 1 ?").as_deref(),
            Some("2020-01-01")
        );
        assert_eq!(
            date("avant le 1er janvier 2020").as_deref(),
            Some("2019-12-31")
        );
        assert_eq!(date("le 15/03/2021").as_deref(), Some("2021-03-15"));
        assert_eq!(date("au 2020-02-29").as_deref(), Some("2020-02-29"));
        assert_eq!(date("en février 2021").as_deref(), Some("2021-02-28"));
        assert_eq!(date("avant mars 2021").as_deref(), Some("2021-02-28"));
        assert_eq!(date("le 31 février 2021"), None);
    }

    #[test]
    fn law_numbers_and_plain_numbers_are_not_dates() {
        assert_eq!(date("la loi n° 2023-610 du 18 juillet 2023"), None);
        assert_eq!(date("que dit la loi n° 2023-610 ?"), None);
        assert_eq!(date("en 2023-610"), None);
        assert_eq!(date("quelle amende pour 2000 cigarettes ?"), None);
        assert_eq!(date("que dit l'article 60 ?"), None);
    }

    #[test]
    fn the_date_phrase_can_be_removed() {
        let q = "que disait l'article 60 en 2019 ?";
        let m = find_date(q).unwrap_or_else(|| panic!("no date"));
        assert_eq!(without_date(q, &m), "que disait l'article 60 ?");
    }
}
