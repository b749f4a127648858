//! The human form of a status report: fixed-width tables an operator reads at a glance.

use std::fmt::Write;

use super::StatusReport;
use crate::operator::age::AgeSource;

pub fn table(report: &StatusReport) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write_report(&mut out, report);
    out
}

fn write_report(out: &mut String, r: &StatusReport) -> std::fmt::Result {
    writeln!(out, "callscope status: {} at {}", r.target, r.at)?;
    writeln!(out)?;
    writeln!(
        out,
        "{:<28} {:>8} {:>9} {:>8}  {:<18} DEAD-LETTER QUEUE",
        "QUEUE", "VISIBLE", "IN FLIGHT", "DELAYED", "OLDEST"
    )?;
    for q in &r.queues {
        writeln!(
            out,
            "{:<28} {:>8} {:>9} {:>8}  {:<18} {}",
            q.name,
            q.visible,
            q.in_flight,
            q.delayed,
            age(q.oldest_age_seconds, q.age_source, q.visible),
            q.dead_letter_queue.as_deref().unwrap_or("-")
        )?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "{:<28} {:>8} {:>9}  {:<18} TOP FAILURE REASONS (of the messages peeked at)",
        "DEAD-LETTER QUEUE", "PARKED", "IN FLIGHT", "OLDEST"
    )?;
    for d in &r.dead_letter_queues {
        let mut reasons = d.top_reasons.iter();
        let first = reasons
            .next()
            .map(|c| format!("{}× {}", c.count, c.reason))
            .unwrap_or_default();
        writeln!(
            out,
            "{:<28} {:>8} {:>9}  {:<18} {first}",
            d.name,
            d.parked,
            d.in_flight,
            age(d.oldest_age_seconds, d.age_source, d.parked)
        )?;
        for c in reasons {
            writeln!(out, "{:<70}{}× {}", "", c.count, c.reason)?;
        }
    }
    writeln!(out)?;
    let s = &r.stale;
    let more = if s.count >= s.limit { "+" } else { "" };
    writeln!(
        out,
        "calls pending past the sweep threshold ({} s): {}{more}",
        s.threshold_seconds, s.count
    )?;
    for c in &s.oldest {
        writeln!(
            out,
            "  {}/{}  {}  since {}",
            c.tenant,
            c.call_id,
            c.status.as_deref().unwrap_or("?"),
            c.since
        )?;
    }
    let f = &r.failed;
    let more = if f.complete { "" } else { "+" };
    writeln!(
        out,
        "FAILED calls: {}{more} ({} index entries read)",
        f.count, f.scanned
    )?;
    for c in &f.calls {
        writeln!(
            out,
            "  {}/{}  received {}  {}",
            c.tenant,
            c.call_id,
            c.received_at,
            c.failure_reason.as_deref().unwrap_or("(no reason)")
        )?;
    }
    for note in &r.notes {
        writeln!(out, "note: {note}")?;
    }
    Ok(())
}

/// "4m 10s (peek)", "-" for an empty queue, "?" when unknown.
fn age(seconds: Option<i64>, source: Option<AgeSource>, depth: u64) -> String {
    let Some(seconds) = seconds else {
        return if depth == 0 { "-".into() } else { "?".into() };
    };
    let text = match seconds {
        s if s < 60 => format!("{s}s"),
        s if s < 3_600 => format!("{}m {:02}s", s / 60, s % 60),
        s if s < 86_400 => format!("{}h {:02}m", s / 3_600, (s % 3_600) / 60),
        s => format!("{}d {:02}h", s / 86_400, (s % 86_400) / 3_600),
    };
    match source {
        Some(AgeSource::Peek) => format!("{text} (peek)"),
        Some(AgeSource::Cloudwatch) => format!("{text} (metric)"),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_in_the_largest_units_and_say_their_source() {
        assert_eq!(age(Some(250), Some(AgeSource::Peek), 3), "4m 10s (peek)");
        assert_eq!(
            age(Some(7_320), Some(AgeSource::Cloudwatch), 1),
            "2h 02m (metric)"
        );
        assert_eq!(age(None, None, 0), "-");
        assert_eq!(age(None, None, 4), "?");
    }
}
