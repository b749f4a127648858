//! `callscope analyze --compare FILE`: our figures beside the ones a Transcribe Call Analytics
//! or Contact Lens file carries in `ConversationCharacteristics`, for every metric both have.
//!
//! Tolerances (what "agrees" means): talk time and talk speed per participant ±10 % and
//! ±15 %, interruptions ±1, non-talk time ±10 % or ±1 s, whichever is larger (a few
//! milliseconds at a silence's edge are otherwise a large share of a short total).

use callscope_core::CallAnalysis;
use serde_json::Value;

/// How far ours may be from the file's.
#[derive(Debug, Clone, Copy)]
enum Tolerance {
    Relative(f64),
    Absolute(f64),
    RelativeOrAbsolute(f64, f64),
}

impl Tolerance {
    fn allows(self, ours: f64, theirs: f64) -> bool {
        let difference = (ours - theirs).abs();
        let relative = |share: f64| difference <= share * theirs.abs() + 1e-9;
        match self {
            Tolerance::Relative(share) => relative(share),
            Tolerance::Absolute(limit) => difference <= limit + 1e-9,
            Tolerance::RelativeOrAbsolute(share, limit) => {
                relative(share) || difference <= limit + 1e-9
            }
        }
    }

    fn describe(self) -> String {
        match self {
            Tolerance::Relative(share) => format!("±{:.0} %", share * 100.0),
            Tolerance::Absolute(limit) => format!("±{limit}"),
            Tolerance::RelativeOrAbsolute(share, limit) => {
                format!("±{:.0} % or ±{limit} s", share * 100.0)
            }
        }
    }
}

/// One metric both have.
#[derive(Debug)]
pub struct Row {
    pub metric: String,
    pub ours: f64,
    pub theirs: f64,
    tolerance: Tolerance,
}

impl Row {
    pub fn within(&self) -> bool {
        self.tolerance.allows(self.ours, self.theirs)
    }
}

/// The rows for the metrics the file's `ConversationCharacteristics` has; none without it.
pub fn rows(ours: &CallAnalysis, file: &Value) -> Vec<Row> {
    let cc = &file["ConversationCharacteristics"];
    let mut rows = Vec::new();
    let mut push = |metric: &str, ours: f64, theirs: Option<f64>, tolerance| {
        if let Some(theirs) = theirs {
            rows.push(Row {
                metric: metric.to_owned(),
                ours,
                theirs,
                tolerance,
            });
        }
    };
    for (participant, talk, speed) in [
        (
            "AGENT",
            ours.talk_time_seconds.agent,
            ours.talk_speed_wpm.agent,
        ),
        (
            "CUSTOMER",
            ours.talk_time_seconds.customer,
            ours.talk_speed_wpm.customer,
        ),
    ] {
        let millis =
            cc["TalkTime"]["DetailsByParticipant"][participant]["TotalTimeMillis"].as_f64();
        push(
            &format!("talk time {} (s)", participant.to_lowercase()),
            talk,
            millis.map(|ms| ms / 1000.0),
            Tolerance::Relative(0.10),
        );
        let wpm =
            cc["TalkSpeed"]["DetailsByParticipant"][participant]["AverageWordsPerMinute"].as_f64();
        push(
            &format!("talk speed {} (wpm)", participant.to_lowercase()),
            speed.unwrap_or(0.0),
            wpm,
            Tolerance::Relative(0.15),
        );
    }
    let i = &ours.interruptions;
    push(
        "interruptions",
        f64::from(i.agent + i.customer + i.other),
        cc["Interruptions"]["TotalCount"].as_f64(),
        Tolerance::Absolute(1.0),
    );
    push(
        "non-talk time (s)",
        ours.non_talk_time_seconds,
        cc["NonTalkTime"]["TotalTimeMillis"]
            .as_f64()
            .map(|ms| ms / 1000.0),
        Tolerance::RelativeOrAbsolute(0.10, 1.0),
    );
    rows
}

/// The rows as an aligned text table, one line per metric.
pub fn render(rows: &[Row]) -> String {
    let mut out = format!(
        "{:<24} {:>10} {:>10} {:>10}  {:<16} {}\n",
        "metric", "callscope", "file", "difference", "tolerance", "agrees"
    );
    for r in rows {
        out.push_str(&format!(
            "{:<24} {:>10.2} {:>10.2} {:>+10.2}  {:<16} {}\n",
            r.metric,
            r.ours,
            r.theirs,
            r.ours - r.theirs,
            r.tolerance.describe(),
            if r.within() { "yes" } else { "NO" }
        ));
    }
    out
}
