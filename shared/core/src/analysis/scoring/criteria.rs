//! The scoring criteria: weights, benchmarks with their sources, and how a measured value maps
//! to attainment in 0..1.
//!
//! | criterion | weight | benchmark | source |
//! |---|---|---|---|
//! | agent_talk_ratio | 20 | 0.43 (43:57); full marks 0.35–0.50, none at ≥ 0.65 or ≤ 0.15 | Gong Labs, talk-to-listen ratio |
//! | questions (agent) | 15 | 11–14 questions on a discovery call | Gong Labs (commonly cited) |
//! | longest_monologue_seconds | 15 | under 150 s (2.5 min) | Gong Labs (commonly cited) |
//! | longest_customer_story_seconds | 10 | at least 30 s | Gong Labs: longer customer stories on won deals |
//! | patience_seconds | 5 | at least 0.6 s before answering | Gong Labs (commonly cited) |
//! | interactivity | 5 | at least 2 switches per minute | callscope default |
//! | customer_sentiment_score | 10 | at least 0.05 (VADER positive) | Hutto & Gilbert 2014, VADER thresholds |
//! | next_steps | 10 | at least one agreed next step | Gong Labs: calendared next steps |
//! | compliance | 10 | recording disclosed in the first 30 s | two-party-consent laws; callscope default |
//! | filler_words_per_minute | 0 → counted via recommendation only | under 4 per minute | callscope default |

use crate::analysis::scoring::Priority;
use crate::analysis::timeline::Timing;
use crate::analysis::trackers::TrackerCategory;
use crate::analysis::CallAnalysis;

const GONG_TALK_RATIO: &str =
    "Gong Labs, 'Mastering the talk-to-listen ratio in sales calls' (2016, updated 2025)";
const GONG_QUESTIONS: &str =
    "Gong Labs analysis of discovery calls (commonly cited: 11–14 questions)";
const GONG_MONOLOGUE: &str =
    "Gong Labs (commonly cited: winning reps keep monologues under 2.5 minutes)";
const GONG_STORIES: &str = "Gong Labs (commonly cited: longer customer stories on won deals)";
const GONG_PATIENCE: &str = "Gong Labs (commonly cited: top reps pause 0.6–1 s before answering)";
const VADER: &str = "Hutto & Gilbert (2014), VADER: compound >= 0.05 is positive";
const GONG_NEXT_STEPS: &str =
    "Gong Labs (commonly cited: won deals end calls on a concrete next step)";
const CALLSCOPE: &str = "callscope default";

/// A scoring criterion.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Criterion {
    pub metric: &'static str,
    pub weight: f64,
    pub benchmark: &'static str,
    pub source: &'static str,
    pub priority: Priority,
}

const TALK_RATIO: Criterion = Criterion {
    metric: "agent_talk_ratio",
    weight: 20.0,
    benchmark: "0.43 agent share of talk (43:57); 0.35–0.50 is on target, above 0.65 costs deals",
    source: GONG_TALK_RATIO,
    priority: Priority::High,
};
const QUESTIONS: Criterion = Criterion {
    metric: "questions.agent",
    weight: 15.0,
    benchmark: "11–14 questions from the agent on a discovery call",
    source: GONG_QUESTIONS,
    priority: Priority::Medium,
};
const MONOLOGUE: Criterion = Criterion {
    metric: "longest_monologue_seconds",
    weight: 15.0,
    benchmark: "longest agent monologue under 150 s (2.5 minutes)",
    source: GONG_MONOLOGUE,
    priority: Priority::High,
};
const CUSTOMER_STORY: Criterion = Criterion {
    metric: "longest_customer_story_seconds",
    weight: 10.0,
    benchmark: "a customer story of at least 30 s",
    source: GONG_STORIES,
    priority: Priority::Medium,
};
const PATIENCE: Criterion = Criterion {
    metric: "patience_seconds",
    weight: 5.0,
    benchmark: "a pause of at least 0.6 s before answering the customer",
    source: GONG_PATIENCE,
    priority: Priority::Low,
};
const INTERACTIVITY: Criterion = Criterion {
    metric: "interactivity",
    weight: 5.0,
    benchmark: "at least 2 speaker switches per minute",
    source: CALLSCOPE,
    priority: Priority::Low,
};
const SENTIMENT: Criterion = Criterion {
    metric: "customer_sentiment_score",
    weight: 10.0,
    benchmark: "customer sentiment of at least 0.05 (positive)",
    source: VADER,
    priority: Priority::Medium,
};
const NEXT_STEPS: Criterion = Criterion {
    metric: "next_steps",
    weight: 10.0,
    benchmark: "at least one agreed next step",
    source: GONG_NEXT_STEPS,
    priority: Priority::High,
};
const COMPLIANCE: Criterion = Criterion {
    metric: "trackers.compliance",
    weight: 10.0,
    benchmark:
        "every required compliance tracker satisfied (recording disclosed in the first 30 s)",
    source: CALLSCOPE,
    priority: Priority::High,
};
/// Fillers only ever produce advice: speech habits are not a reason to mark a call down.
const FILLERS: Criterion = Criterion {
    metric: "filler_words_per_minute",
    weight: 0.0,
    benchmark: "fewer than 4 filler words per minute",
    source: CALLSCOPE,
    priority: Priority::Low,
};

/// A criterion applied to one call.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub criterion: Criterion,
    /// 0..1: how fully the call met the benchmark.
    pub attainment: f64,
    pub evidence: f64,
    pub message: String,
}

/// Linear ramp: 0 at `zero`, 1 at `full` (either direction).
fn ramp(value: f64, zero: f64, full: f64) -> f64 {
    if (full - zero).abs() < f64::EPSILON {
        return if value >= full { 1.0 } else { 0.0 };
    }
    ((value - zero) / (full - zero)).clamp(0.0, 1.0)
}

fn eval(criterion: Criterion, attainment: f64, evidence: f64, message: String) -> Evaluation {
    let attainment = if attainment.is_finite() {
        attainment.clamp(0.0, 1.0)
    } else {
        0.0
    };
    Evaluation {
        criterion,
        attainment,
        evidence,
        message,
    }
}

pub fn evaluate(a: &CallAnalysis) -> Vec<Evaluation> {
    let timed = a.timing == Timing::Measured;
    let both_spoke = a.word_count.agent > 0 && a.word_count.customer > 0;
    let mut out = Vec::new();
    if both_spoke {
        let r = a.agent_talk_ratio;
        let attainment = if r < 0.35 {
            ramp(r, 0.15, 0.35)
        } else {
            ramp(r, 0.65, 0.50)
        };
        let message = if r > 0.5 {
            format!(
                "You talked {:.0}% of the time; let the customer talk more — ask and then listen.",
                r * 100.0
            )
        } else {
            format!(
                "You talked only {:.0}% of the time; guide the conversation more.",
                r * 100.0
            )
        };
        out.push(eval(TALK_RATIO, attainment, r, message));
    }
    let q = f64::from(a.questions.agent);
    let attainment = if q < 11.0 {
        ramp(q, 0.0, 11.0)
    } else {
        ramp(q, 25.0, 14.0)
    };
    let message = if q < 11.0 {
        format!("You asked {q:.0} questions; discovery calls that win ask 11–14.")
    } else {
        format!("You asked {q:.0} questions; more than 14 can feel like an interrogation.")
    };
    out.push(eval(QUESTIONS, attainment, q, message));
    if timed {
        let m = a.longest_monologue_seconds;
        out.push(eval(
            MONOLOGUE,
            ramp(m, 300.0, 150.0),
            m,
            format!("Your longest monologue was {m:.0} s; pause to check in before 2.5 minutes."),
        ));
        if a.word_count.customer > 0 {
            let s = a.longest_customer_story_seconds;
            out.push(eval(CUSTOMER_STORY, ramp(s, 0.0, 30.0), s, format!("The customer's longest story was {s:.0} s; ask open questions that invite them to explain.")));
        }
        if let Some(p) = a.patience_seconds {
            out.push(eval(PATIENCE, ramp(p, 0.0, 0.6), p, format!("You waited {p:.2} s on average before answering; pause a beat so the customer can finish.")));
        }
        let i = a.interactivity;
        out.push(eval(
            INTERACTIVITY,
            ramp(i, 0.0, 2.0),
            i,
            format!("{i:.1} speaker switches per minute; make the call more of a dialogue."),
        ));
    }
    if let Some(s) = a.sentiment.customer {
        out.push(eval(
            SENTIMENT,
            ramp(s, -0.5, 0.05),
            s,
            format!("Customer sentiment was {s:.2}; address their concerns before moving on."),
        ));
    }
    let steps = a.next_steps.len() as f64;
    out.push(eval(
        NEXT_STEPS,
        ramp(steps, 0.0, 1.0),
        steps,
        "No next step was agreed; end with a concrete, dated follow-up.".to_owned(),
    ));
    let required: Vec<bool> = a
        .trackers
        .iter()
        .filter(|h| h.category == TrackerCategory::Compliance)
        .filter_map(|h| h.satisfied)
        .collect();
    if !required.is_empty() {
        let met = required.iter().filter(|s| **s).count() as f64;
        let share = met / required.len() as f64;
        out.push(eval(COMPLIANCE, share, share, "A required compliance statement was missing: disclose the recording in the first 30 s.".to_owned()));
    }
    if timed && a.talk_time_seconds.agent > 0.0 {
        let f = a.filler_words_per_minute;
        out.push(eval(
            FILLERS,
            if f < 4.0 { 1.0 } else { 0.0 },
            f,
            format!("{f:.1} filler words per minute; slow down and let pauses do the work."),
        ));
    }
    out
}
