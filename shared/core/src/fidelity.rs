//! Our figures beside the ones a Transcribe Call Analytics or Contact Lens file carries in
//! `ConversationCharacteristics` (at the top level, or under `transcribe` in a call document), for
//! every metric both have: what `callscope analyse --compare` prints and the fidelity test holds.
//!
//! Tolerances (what "agrees" means): talk time and talk speed per participant ±10 % and
//! ±15 %, interruptions ±1, non-talk time ±10 % or ±1 s, whichever is larger (a few
//! milliseconds at a silence's edge are otherwise a large share of a short total). Sentiment is
//! left out: Amazon's −5…5 scores are not a published function of the turns, so no tolerance on
//! VADER's −1…1 would mean anything.

use serde_json::Value;

use crate::CallAnalysis;

/// How far ours may be from the file's.
#[derive(Debug, Clone, Copy)]
pub enum Tolerance {
    Relative(f64),
    Absolute(f64),
    RelativeOrAbsolute(f64, f64),
}

impl Tolerance {
    pub fn allows(self, ours: f64, theirs: f64) -> bool {
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

    /// How the tolerance reads in a table: `±10 %`, `±1`, `±10 % or ±1 s`.
    pub fn describe(self) -> String {
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
    pub tolerance: Tolerance,
}

impl Row {
    pub fn within(&self) -> bool {
        self.tolerance.allows(self.ours, self.theirs)
    }
}

/// The file's Amazon figures: its own `ConversationCharacteristics`, or those of the Call
/// Analytics output a call document carries in `transcribe`.
pub fn amazon_figures(file: &Value) -> Option<&Value> {
    [
        &file["ConversationCharacteristics"],
        &file["transcribe"]["ConversationCharacteristics"],
    ]
    .into_iter()
    .find(|figures| figures.is_object())
}

/// The rows for the metrics the file's `ConversationCharacteristics` has; none without it.
pub fn rows(ours: &CallAnalysis, file: &Value) -> Vec<Row> {
    let Some(cc) = amazon_figures(file) else {
        return Vec::new();
    };
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::analysis::test_support::timed;
    use crate::domain::Role;

    /// One agent turn of 2 s: no interruptions.
    fn quiet_call() -> CallAnalysis {
        crate::analyse(&timed(&[(Role::Agent, "hello there", 0.0, 2.0)]), None)
    }

    #[test]
    fn tolerances_draw_the_line_where_they_say() {
        assert!(Tolerance::Relative(0.10).allows(110.0, 100.0));
        assert!(!Tolerance::Relative(0.10).allows(110.5, 100.0));
        assert!(Tolerance::Absolute(1.0).allows(3.0, 2.0));
        assert!(!Tolerance::Absolute(1.0).allows(4.0, 2.0));
        // A short total: 1 s off is 50 % but still within ±1 s.
        assert!(Tolerance::RelativeOrAbsolute(0.10, 1.0).allows(3.0, 2.0));
        assert!(!Tolerance::RelativeOrAbsolute(0.10, 1.0).allows(3.5, 2.0));
        assert!(Tolerance::RelativeOrAbsolute(0.10, 1.0).allows(54.0, 50.0));
    }

    #[test]
    fn figures_are_found_at_the_top_or_under_transcribe_and_only_there() {
        let figures = json!({"Interruptions": {"TotalCount": 3}});
        assert!(amazon_figures(&json!({"ConversationCharacteristics": figures})).is_some());
        let call = json!({"call_id": "c", "transcribe": {"ConversationCharacteristics": figures}});
        assert_eq!(amazon_figures(&call), Some(&figures));
        assert!(amazon_figures(&json!({"transcript": "Agent: hi"})).is_none());
        assert!(rows(&quiet_call(), &json!({})).is_empty());
    }

    #[test]
    fn a_metric_the_file_lacks_gets_no_row_and_one_out_of_tolerance_says_so() {
        let file = json!({"ConversationCharacteristics": {"Interruptions": {"TotalCount": 3}}});
        let rows = rows(&quiet_call(), &file);
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0].metric, "interruptions");
        assert_eq!((rows[0].ours, rows[0].theirs), (0.0, 3.0));
        assert!(!rows[0].within());
    }
}
