//! Sentiment per role, overall and per quarter of the call, with VADER.
//!
//! VADER (Hutto & Gilbert, 2014; MIT) is a lexicon- and rule-based model built for short,
//! conversational text; the `vader_sentiment` crate is a port of the reference implementation
//! and reproduces its compound scores (see the tests), and [`vader`] computes the same scores
//! over VADER's published lexicons (`data/vader/`) without the crate's allocations; the crate
//! is only a dev-dependency, the reference its property test compares against. Each utterance gets VADER's compound
//! score in [-1, 1]; larger units are the mean of their utterances' scores weighted by words.
//! Weighting by words lets long turns carry more of the conversation, and scoring per
//! utterance avoids VADER's compound saturating towards ±1 on long concatenated text. The
//! lexicon is English: for other languages the scores are computed but mean little.

mod vader;

use serde::{Deserialize, Serialize};

use crate::analysis::timeline::Timeline;
use crate::analysis::tokens::AsciiToken;
use crate::domain::Role;

/// VADER compound scores in [-1, 1]; `None` where the role (or quarter) has no words.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SentimentSummary {
    pub agent: Option<f64>,
    pub customer: Option<f64>,
    pub other: Option<f64>,
    pub overall: Option<f64>,
    /// The call split into four equal spans of time; each is the sentiment of the utterances
    /// whose midpoint falls in it.
    pub quarters: [Option<f64>; 4],
    /// The same four spans per speaker, as Contact Lens shows them: how the agent's and the
    /// customer's sentiment moved through the call. Empty in analyses made before it existed.
    #[serde(default)]
    pub quarters_by_role: QuartersByRole,
}

/// Per role, the sentiment of its utterances whose midpoint falls in each quarter of the call.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct QuartersByRole {
    pub agent: [Option<f64>; 4],
    pub customer: [Option<f64>; 4],
}

/// A word-weighted running mean.
#[derive(Debug, Clone, Copy, Default)]
struct WeightedMean {
    sum: f64,
    weight: f64,
}

impl WeightedMean {
    fn add(&mut self, value: f64, weight: f64) {
        self.sum += value * weight;
        self.weight += weight;
    }

    fn value(self) -> Option<f64> {
        (self.weight > 0.0).then(|| (self.sum / self.weight).clamp(-1.0, 1.0))
    }
}

/// The VADER scorer, built once and reused for every call.
#[derive(Debug)]
pub struct SentimentScorer {
    vader: vader::Vader,
}

impl Default for SentimentScorer {
    fn default() -> Self {
        Self::new()
    }
}

impl SentimentScorer {
    pub fn new() -> Self {
        Self {
            vader: vader::Vader::new(),
        }
    }

    /// VADER's compound score of one text, in [-1, 1]; 0 for text without words.
    #[cfg(test)]
    pub fn compound(&self, text: &str) -> f64 {
        self.compound_with(text, None, &mut vader::Scratch::default())
    }

    fn compound_with<'v>(
        &'v self,
        text: &str,
        ascii_tokens: Option<&[AsciiToken]>,
        scratch: &mut vader::Scratch<'v>,
    ) -> f64 {
        if !text.chars().any(char::is_alphanumeric) {
            return 0.0;
        }
        let score = self.vader.compound_with(text, ascii_tokens, scratch);
        if score.is_finite() {
            score.clamp(-1.0, 1.0)
        } else {
            0.0
        }
    }

    /// The summary, and each segment's own score (`None` without words) for the turns.
    // A frame of its own, so `make profile` can attribute this stage (one call per analysis).
    #[inline(never)]
    pub fn summarize(&self, timeline: &Timeline<'_>) -> (SentimentSummary, Vec<Option<f64>>) {
        let mut per_role = [WeightedMean::default(); 3];
        let mut overall = WeightedMean::default();
        let mut quarters = [WeightedMean::default(); 4];
        let mut role_quarters = [[WeightedMean::default(); 4]; 3];
        let quarter_length = timeline.duration / 4.0;
        let mut scratch = vader::Scratch::default();
        let mut scores = vec![None; timeline.segments.len()];
        for (s, slot) in timeline.segments.iter().zip(&mut scores) {
            if s.words == 0 {
                continue;
            }
            let score = self.compound_with(s.text, timeline.tokens_of(s), &mut scratch);
            *slot = Some(score);
            let weight = s.words as f64;
            per_role[role_index(s.role)].add(score, weight);
            overall.add(score, weight);
            let midpoint = (s.start + s.end) / 2.0;
            let quarter = if quarter_length > 0.0 {
                (midpoint / quarter_length).floor() as usize
            } else {
                0
            };
            quarters[quarter.min(3)].add(score, weight);
            role_quarters[role_index(s.role)][quarter.min(3)].add(score, weight);
        }
        let summary = SentimentSummary {
            agent: per_role[role_index(Role::Agent)].value(),
            customer: per_role[role_index(Role::Customer)].value(),
            other: per_role[role_index(Role::Other)].value(),
            overall: overall.value(),
            quarters: quarters.map(WeightedMean::value),
            quarters_by_role: QuartersByRole {
                agent: role_quarters[role_index(Role::Agent)].map(WeightedMean::value),
                customer: role_quarters[role_index(Role::Customer)].map(WeightedMean::value),
            },
        };
        (summary, scores)
    }
}

fn role_index(role: Role) -> usize {
    match role {
        Role::Agent => 0,
        Role::Customer => 1,
        Role::Other => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Transcript, Utterance};

    /// Compound scores published in the vaderSentiment README for the reference implementation.
    #[test]
    fn compound_scores_match_the_reference_implementation() {
        let scorer = SentimentScorer::new();
        for (text, expected) in [
            ("VADER is smart, handsome, and funny.", 0.8316),
            ("The book was good.", 0.4404),
            ("The book was kind of good.", 0.3832),
            ("At least it isn't a horrible book.", 0.431),
            ("Today SUX!", -0.5461),
            ("The plot was good, but the characters are uncompelling and the dialog is not great.", -0.7042),
        ] {
            let got = scorer.compound(text);
            assert!((got - expected).abs() < 0.0005, "{text}: expected {expected}, got {got}");
        }
    }

    #[test]
    fn text_without_words_is_neutral() {
        let scorer = SentimentScorer::new();
        assert_eq!(scorer.compound(""), 0.0);
        assert_eq!(scorer.compound("... ?! 🙂"), 0.0);
    }

    #[test]
    fn roles_and_quarters_are_word_weighted_means_of_utterances() {
        let scorer = SentimentScorer::new();
        let text_pos = "The book was good.";
        let text_neg = "Today SUX!";
        let t = Transcript::new(vec![
            Utterance {
                speaker: Role::Agent,
                text: text_pos.into(),
                start: Some(0.0),
                end: Some(10.0),
                word_times: Vec::new(),
            },
            Utterance {
                speaker: Role::Customer,
                text: text_neg.into(),
                start: Some(10.0),
                end: Some(20.0),
                word_times: Vec::new(),
            },
            Utterance {
                speaker: Role::Customer,
                text: text_pos.into(),
                start: Some(30.0),
                end: Some(40.0),
                word_times: Vec::new(),
            },
        ])
        .expect("valid");
        let (s, turns) = scorer.summarize(&Timeline::build(&t, Some(40.0)));
        let (pos, neg) = (scorer.compound(text_pos), scorer.compound(text_neg));
        assert_eq!(turns, vec![Some(pos), Some(neg), Some(pos)]);
        assert_eq!(s.agent, Some(pos));
        // customer: 2 words at neg, 4 words at pos.
        let customer = (2.0 * neg + 4.0 * pos) / 6.0;
        assert!((s.customer.expect("customer") - customer).abs() < 1e-12);
        assert_eq!(s.other, None);
        // quarters of 10 s: midpoints 5, 15, 35 → q1, q2, q4.
        assert_eq!(s.quarters[0], Some(pos));
        assert_eq!(s.quarters[1], Some(neg));
        assert_eq!(s.quarters[2], None);
        assert_eq!(s.quarters[3], Some(pos));
        // per speaker: the agent spoke only in q1, the customer in q2 (neg) and q4 (pos).
        assert_eq!(s.quarters_by_role.agent, [Some(pos), None, None, None]);
        assert_eq!(
            s.quarters_by_role.customer,
            [None, Some(neg), None, Some(pos)]
        );
    }
}
