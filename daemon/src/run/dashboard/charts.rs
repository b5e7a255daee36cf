//! Charts over time, drawn here as SVG: the store's complete scans put in buckets (an hour
//! over 7 days, six over 30, a day over 90), each target counted with its last value at or
//! before the bucket's end, the targets summed (or averaged, for coverage). Every point
//! carries its number (`data-series`, `data-bucket`, `data-value`) for tests and readers.

use driftd_core::report::html_escape as esc;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The period a chart covers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Period {
    pub days: i64,
    pub bucket_secs: i64,
}

impl Period {
    /// 7 (default), 30 or 90 days.
    pub fn of(days: Option<i64>) -> Period {
        match days {
            Some(90) => Period { days: 90, bucket_secs: 86_400 },
            Some(30) => Period { days: 30, bucket_secs: 6 * 3600 },
            _ => Period { days: 7, bucket_secs: 3600 },
        }
    }

    /// The first instant covered (RFC 3339), from `now` (Unix seconds).
    pub fn since(&self, now: i64) -> String {
        jiff::Timestamp::from_second(now - self.days * 86_400).map(|t| t.to_string()).unwrap_or_default()
    }
}

/// (target, Unix seconds, value) of one figure, oldest first.
pub type Points = Vec<(String, i64, f64)>;

/// How the targets of one bucket add up.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Combine {
    Sum,
    Mean,
}

/// `points`: (target, Unix seconds, value), oldest first. Returns (bucket start, value) from
/// the first bucket with data to the bucket of `now`.
pub fn buckets(points: &[(String, i64, f64)], period: Period, now: i64, combine: Combine) -> Vec<(i64, f64)> {
    let Some(first) = points.first().map(|p| p.1) else { return vec![] };
    let start = first - first.rem_euclid(period.bucket_secs);
    let mut last: BTreeMap<&str, f64> = BTreeMap::new();
    let mut out = Vec::new();
    let mut i = 0;
    let mut bucket = start;
    while bucket <= now {
        let end = bucket + period.bucket_secs;
        while i < points.len() && points[i].1 < end {
            last.insert(&points[i].0, points[i].2);
            i += 1;
        }
        if !last.is_empty() {
            let sum: f64 = last.values().sum();
            let value = match combine {
                Combine::Sum => sum,
                Combine::Mean => sum / last.len() as f64,
            };
            out.push((bucket, (value * 100.0).round() / 100.0));
        }
        bucket = end;
    }
    out
}

/// RFC 3339 to Unix seconds (0 when unreadable).
pub fn seconds(at: &str) -> i64 {
    at.parse::<jiff::Timestamp>().map(|t| t.as_second()).unwrap_or(0)
}

const DASHES: [&str; 5] = ["", "6 3", "2 3", "8 3 2 3", "1 2"];

/// How many colours series take in turn (`.s0` … `.s7` in `STYLE`).
const SERIES_COLOURS: usize = 8;

/// The series' colours, apart for common colour blindness and at a contrast of at least
/// 3:1 against the page in both schemes (WCAG 1.4.11 for graphics); dash patterns tell
/// them apart too.
pub const STYLE: &str = ".s0 { --c: #0072b2; } .s1 { --c: #d55e00; } .s2 { --c: #1b7837; } .s3 { --c: #7b3294; }
.s4 { --c: #b2182b; } .s5 { --c: #8c510a; } .s6 { --c: #01665e; } .s7 { --c: #c51b7d; }
@media (prefers-color-scheme: dark) { .s0 { --c: #56b4e9; } .s1 { --c: #f0a35e; } .s2 { --c: #7fbf7b; }
  .s3 { --c: #c2a5cf; } .s4 { --c: #f4a582; } .s5 { --c: #dfc27d; } .s6 { --c: #80cdc1; } .s7 { --c: #f1b6da; } }
polyline[class], line[class] { stroke: var(--c); } circle[class] { fill: var(--c); }
";

/// Series as lines on one chart, with a legend; `unit` follows each value in tooltips.
pub fn line_chart(label: &str, series: &[(String, Vec<(i64, f64)>)], unit: &str) -> String {
    if series.iter().all(|(_, s)| s.is_empty()) {
        return "<p class=\"muted\">No complete scan in this period.</p>".to_string();
    }
    let (w, h, pad) = (720.0, 200.0, 28.0);
    let first = series.iter().flat_map(|(_, s)| s.first().map(|p| p.0)).min().unwrap_or(0);
    let last = series.iter().flat_map(|(_, s)| s.last().map(|p| p.0)).max().unwrap_or(first);
    let top = series.iter().flat_map(|(_, s)| s.iter().map(|p| p.1)).fold(0.0_f64, f64::max).max(1.0);
    let x = |t: i64| {
        if last > first {
            pad + (w - 2.0 * pad) * (t - first) as f64 / (last - first) as f64
        } else {
            w / 2.0
        }
    };
    let y = |v: f64| h - pad - (h - 2.0 * pad) * v / top;
    let mut out = format!(
        "<svg role=\"img\" aria-label=\"{}\" width=\"100%\" viewBox=\"0 0 {w} {}\">",
        esc(label),
        h + 18.0 * series.len() as f64
    );
    for (n, (name, points)) in series.iter().enumerate() {
        // A colour each, then a dash pattern each round of colours: 8 x 5 series apart.
        let dash = DASHES[(n / SERIES_COLOURS) % DASHES.len()];
        let colour = n % SERIES_COLOURS;
        let line: Vec<String> = points.iter().map(|(t, v)| format!("{:.1},{:.1}", x(*t), y(*v))).collect();
        let _ = write!(
            out,
            "<polyline class=\"s{colour}\" points=\"{}\" fill=\"none\" stroke-width=\"2\" stroke-dasharray=\"{dash}\"/>",
            line.join(" ")
        );
        for (t, v) in points {
            let when = jiff::Timestamp::from_second(*t).map(|t| t.to_string()).unwrap_or_default();
            let _ = write!(
                out,
                "<circle class=\"s{colour}\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"2\" data-series=\"{}\" data-bucket=\"{t}\" data-value=\"{v:.2}\"><title>{} {}: {v:.2}{unit}</title></circle>",
                x(*t),
                y(*v),
                esc(name),
                esc(name),
                esc(&when)
            );
        }
        let ly = h + 14.0 + 18.0 * n as f64;
        let _ = write!(
            out,
            "<line class=\"s{colour}\" x1=\"0\" y1=\"{:.1}\" x2=\"28\" y2=\"{:.1}\" stroke-width=\"2\" stroke-dasharray=\"{dash}\"/><text x=\"34\" y=\"{:.1}\">{}</text>",
            ly - 4.0,
            ly - 4.0,
            ly,
            esc(name)
        );
    }
    let _ = write!(out, "<text x=\"0\" y=\"14\">{top:.2}{unit}</text><text x=\"0\" y=\"{}\">0</text></svg>", h - 10.0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_target_counts_with_its_last_value_and_targets_add_up() {
        let p = Period::of(None);
        let pts = vec![("a".to_string(), 3600, 1.0), ("b".to_string(), 3700, 2.0), ("a".to_string(), 7300, 5.0)];
        // Bucket 3600: a=1, b=2 -> 3; bucket 7200: a=5 (new), b=2 (carried) -> 7; 10800: carried -> 7.
        assert_eq!(buckets(&pts, p, 10_900, Combine::Sum), vec![(3600, 3.0), (7200, 7.0), (10800, 7.0)]);
        assert_eq!(buckets(&pts, p, 7300, Combine::Mean), vec![(3600, 1.5), (7200, 3.5)]);
        assert!(buckets(&[], p, 0, Combine::Sum).is_empty());
        assert_eq!(
            (Period::of(Some(30)).bucket_secs, Period::of(Some(90)).days, Period::of(Some(12)).days),
            (21_600, 90, 7)
        );
    }
}
