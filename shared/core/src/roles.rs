//! Speaker roles inferred from what is said, for transcripts that label speakers without saying
//! who they are: standard Transcribe (`spk_0`, `spk_1`), channel identification (`ch_0`,
//! `ch_1`), plain text with names (`Sam: …`).
//!
//! Each unlabelled speaker gets an agent score from cues an agent's speech carries and a
//! customer's rarely does (a greeting with a name and company, "how can I help", the recording
//! notice, discovery questions, seller's talk about price and product, next steps the seller
//! offers) minus cues of the customer's side ("I'm calling about", "my account", "too
//! expensive", "check with my boss"). The highest score is the agent; the margin over the next
//! speaker becomes a confidence, and a low one is reported (`low_confidence`) rather than
//! guessed silently. Roles fixed by configuration (`speaker_roles`) are taken as given and only
//! the other labels are inferred. Evidence names cues and turns, never quotes text, so it holds
//! no PII. Accuracy on labelled calls with the roles hidden: docs/analysis.md and
//! `cargo run -p callscope-core --example roles_report`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::Role;

/// Below this confidence the mapping is reported as a guess to check.
pub const LOW_CONFIDENCE: f64 = 0.75;

/// Distinct speaker labels a transcript may have (Transcribe tells at most 30 speakers apart):
/// the roles travel with the call's listing item, which must stay small.
pub const MAX_LABELS: usize = 30;
/// Characters in one label.
pub const MAX_LABEL_CHARS: usize = 64;
/// Evidence lines kept, strongest first.
const MAX_EVIDENCE: usize = 20;
/// Turns named per cue in the evidence.
const EVIDENCE_TURNS: usize = 5;

/// How a transcript's speaker labels became roles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpeakerRoles {
    /// Whether any label's role was inferred from the words (false: all were configured).
    pub inferred: bool,
    /// The role each speaker label was given.
    pub labels: BTreeMap<String, Role>,
    /// How sure the inference is that the agent is the agent, in [0.5, 1]; 1 when configured.
    pub confidence: f64,
    /// `confidence` is under 0.75: the roles may be swapped; fix them with `speaker_roles`.
    pub low_confidence: bool,
    /// The cues that decided it, strongest first, as `label: cue (turns …)`.
    pub evidence: Vec<String>,
}

/// One turn of a labelled transcript.
#[derive(Debug, Clone, Copy)]
pub struct LabelledTurn<'a> {
    pub label: &'a str,
    pub text: &'a str,
}

/// A cue: phrases (normalised: lowercase, apostrophes dropped, other punctuation spaces) and
/// the score each match adds to its speaker, up to `cap` in all.
struct Cue {
    name: &'static str,
    phrases: &'static [&'static str],
    weight: f64,
    cap: f64,
    /// Only counted in the speaker's first turns of the call (openings).
    opening_only: bool,
}

const CUES: &[Cue] = &[
    Cue {
        name: "offers help",
        phrases: &[
            "how can i help",
            "how may i help",
            "how can i assist",
            "how may i assist",
            "how can we help",
            "what can i do for you",
            "how can i direct your call",
            "anything else i can help",
            "anything else i can do for you",
            "happy to help",
            "glad to help",
            "i can help you with",
            "i can help with that",
        ],
        weight: 2.5,
        cap: 4.0,
        opening_only: false,
    },
    Cue {
        name: "thanks the caller for calling",
        phrases: &[
            "thank you for calling",
            "thanks for calling",
            "thank you for contacting",
            "thanks for contacting",
            "youve reached",
            "you have reached",
            "welcome to",
        ],
        weight: 3.0,
        cap: 3.0,
        opening_only: true,
    },
    Cue {
        name: "gives the recording notice",
        phrases: &[
            "call is being recorded",
            "call may be recorded",
            "call will be recorded",
            "calls are recorded",
            "recorded for quality",
            "recorded for training",
            "monitored or recorded",
        ],
        weight: 2.5,
        cap: 2.5,
        opening_only: false,
    },
    Cue {
        name: "handles the account",
        phrases: &[
            "can i get your",
            "can i have your",
            "may i have your",
            "could i get your",
            "can you confirm your",
            "could you confirm your",
            "can you verify",
            "could you verify",
            "for verification",
            "let me pull up",
            "let me pull that up",
            "let me check",
            "let me look into",
            "let me take a look",
            "let me see what",
            "bear with me",
            "one moment while",
            "thank you for your patience",
            "thanks for your patience",
            "thanks for holding",
            "thank you for holding",
            "sorry for the wait",
            "i can see your",
            "i see your account",
            "on your account",
            "ive updated",
            "ive processed",
            "ive issued",
            "ive applied",
            "i have applied",
            "i can waive",
            "ill credit",
            "ill issue",
            "ill escalate",
            "your reference number",
            "your ticket number",
            "your case number",
            "your claim number",
            "have a great day",
            "have a wonderful day",
            "have a good one",
        ],
        weight: 1.5,
        cap: 4.5,
        opening_only: false,
    },
    Cue {
        name: "sells (price, product, customers)",
        phrases: &[
            "our pricing",
            "our price",
            "our platform",
            "our product",
            "our solution",
            "our software",
            "our tool",
            "our service",
            "our team can",
            "our customers",
            "our clients",
            "we offer",
            "we can offer",
            "i can offer",
            "we also offer",
            "per seat",
            "per user",
            "per license",
            "annual plan",
            "annual contract",
            "discount",
            "free trial",
            "a pilot",
            "customers like you",
            "teams like yours",
            "companies like yours",
            "businesses like yours",
            "most customers",
            "most of our customers",
            "case study",
            "return on investment",
            "roi",
            "the proposal",
            "the contract",
            "the quote",
            "a quote",
            "we integrate",
            "it integrates",
            "we support",
            "out of the box",
            "i can show you",
            "let me show you",
            "ill show you",
            "the reason i called",
            "the reason im calling",
            "reaching out",
            "i wanted to follow up",
            "following up on",
        ],
        weight: 1.0,
        cap: 4.0,
        opening_only: false,
    },
    Cue {
        name: "asks discovery questions",
        phrases: &[
            "what made you",
            "what prompted",
            "what brings you",
            "how many reps",
            "how many people",
            "how many users",
            "how many agents",
            "how many seats",
            "how many locations",
            "how big is",
            "what does your",
            "what do you use",
            "what are you using",
            "what are you currently",
            "how are you currently",
            "how do you currently",
            "how do you handle",
            "how do you manage",
            "how is your",
            "tell me about",
            "tell me a bit",
            "tell me more",
            "walk me through",
            "who else",
            "who is involved",
            "whos involved",
            "what would success",
            "what does success",
            "whats your timeline",
            "what is your timeline",
            "whats your budget",
            "what is your budget",
            "do you have a budget",
            "what challenges",
            "what are your goals",
            "what is the biggest",
            "whats the biggest",
            "what happens today",
            "is now a good time",
            "is now still a good time",
            "do you have a few minutes",
            "do you have a minute",
            "does that make sense",
            "how does that sound",
            "does that work for you",
        ],
        weight: 1.0,
        cap: 3.0,
        opening_only: false,
    },
    Cue {
        name: "proposes next steps",
        phrases: &[
            "ill send",
            "i will send",
            "ill email",
            "i will email",
            "ill follow up",
            "i will follow up",
            "ill put together",
            "ill set up",
            "ill get you",
            "ill have",
            "lets schedule",
            "lets set up",
            "lets book",
            "lets plan",
            "lets get",
            "schedule a demo",
            "set up a demo",
            "book a demo",
            "schedule a call",
            "schedule a follow up",
            "send you the",
            "send you a",
            "send over",
            "calendar invite",
            "next steps",
        ],
        weight: 1.0,
        cap: 3.0,
        opening_only: false,
    },
    Cue {
        name: "says why they called (customer)",
        phrases: &[
            "im calling about",
            "im calling because",
            "im calling to",
            "im calling regarding",
            "i am calling about",
            "i am calling because",
            "i am calling to",
            "i was calling about",
            "i was calling to",
            "i called about",
            "i called yesterday",
            "i called last",
            "i need help",
            "i need some help",
            "i have a question about",
            "i have a problem",
            "i have an issue",
            "im having trouble",
            "im having an issue",
            "im having a problem",
            "ive been on hold",
        ],
        weight: -2.5,
        cap: -5.0,
        opening_only: false,
    },
    Cue {
        name: "speaks of their own account or problem (customer)",
        phrases: &[
            "my account",
            "my order",
            "my bill",
            "my card",
            "my password",
            "my subscription",
            "my plan",
            "my package",
            "my policy",
            "my claim",
            "my payment",
            "my refund",
            "my internet",
            "my phone",
            "i was charged",
            "charged twice",
            "doesnt work",
            "isnt working",
            "not working",
            "stopped working",
            "want to cancel",
            "like to cancel",
            "cancel my",
            "get a refund",
            "my name is on",
        ],
        weight: -1.5,
        cap: -4.5,
        opening_only: false,
    },
    Cue {
        name: "speaks as the buyer (customer)",
        phrases: &[
            "too expensive",
            "a bit expensive",
            "our budget",
            "my boss",
            "my manager",
            "check with my",
            "run it by",
            "our cfo",
            "our vp",
            "we currently use",
            "we currently have",
            "were currently using",
            "were using",
            "we use",
            "our reps",
            "our managers",
            "our current",
            "how much does",
            "how much is",
            "how much would",
            "what does it cost",
            "what would it cost",
            "do you offer",
            "do you integrate",
            "does it integrate",
            "does it work with",
            "can you send",
            "could you send",
            "send me",
            "were looking for",
            "we are looking for",
            "were looking at",
            "were evaluating",
            "we need",
            "we want",
            "we missed",
            "sounds good",
            "that sounds great",
            "not interested",
            "im not sure we",
            "the other vendor",
            "a competitor",
            "before we sign",
        ],
        weight: -1.0,
        cap: -4.0,
        opening_only: false,
    },
];

/// Turns of a speaker that count as its opening.
const OPENING_TURNS: usize = 2;
/// Scale of the logistic that turns a score margin into a confidence: a margin of one strong
/// cue (2.5) gives ~0.88.
const MARGIN_SCALE: f64 = 0.8;

/// A speaker's cues and score.
#[derive(Debug, Default, Clone)]
struct Speaker {
    turns: usize,
    words: usize,
    questions: u32,
    score: f64,
    /// Per cue: matches and the turns (1-based in the call) they were in.
    hits: BTreeMap<&'static str, (f64, Vec<usize>)>,
}

/// Checks that a transcript's labels can be kept with the call: at most [`MAX_LABELS`]
/// distinct ones of at most [`MAX_LABEL_CHARS`] characters. `field` names where they are.
pub fn check_labels(labels: &[String], field: &str) -> Result<(), crate::InputError> {
    let mut distinct: Vec<&str> = Vec::new();
    for label in labels {
        if label.chars().count() > MAX_LABEL_CHARS {
            return Err(crate::InputError::invalid(
                field,
                format!(
                    "speaker label {:?}… is longer than {MAX_LABEL_CHARS} characters",
                    label.chars().take(16).collect::<String>()
                ),
            ));
        }
        if !distinct.contains(&label.as_str()) {
            distinct.push(label);
            if distinct.len() > MAX_LABELS {
                return Err(crate::InputError::invalid(
                    field,
                    format!("has more than {MAX_LABELS} distinct speakers; at most {MAX_LABELS} can be told apart"),
                ));
            }
        }
    }
    Ok(())
}

/// Sets the role of utterances whose speaker is known only by a label (`labels[i]` for
/// `utterances[i]`) and says how.
pub fn apply(
    labels: &[String],
    utterances: &mut [crate::domain::Utterance],
    fixed: &BTreeMap<String, Role>,
) -> Option<SpeakerRoles> {
    let turns: Vec<LabelledTurn<'_>> = labels
        .iter()
        .zip(utterances.iter())
        .map(|(label, u)| LabelledTurn {
            label,
            text: &u.text,
        })
        .collect();
    let roles = assign(&turns, fixed)?;
    for (label, utterance) in labels.iter().zip(utterances.iter_mut()) {
        utterance.speaker = roles.labels.get(label).copied().unwrap_or(Role::Other);
    }
    Some(roles)
}

/// Gives every label a role: `fixed` ones as configured, the rest inferred from their words.
/// Returns `None` when there is nothing to report (no turns).
pub fn assign(turns: &[LabelledTurn<'_>], fixed: &BTreeMap<String, Role>) -> Option<SpeakerRoles> {
    let mut order: Vec<&str> = Vec::new();
    let mut speakers: BTreeMap<&str, Speaker> = BTreeMap::new();
    let mut seen = Vec::new();
    for (i, turn) in turns.iter().enumerate() {
        if !speakers.contains_key(turn.label) {
            order.push(turn.label);
        }
        let speaker = speakers.entry(turn.label).or_default();
        speaker.turns += 1;
        speaker.words += crate::analysis::text::word_count(turn.text);
        speaker.questions += crate::analysis::text::count_questions(turn.text);
        if fixed.contains_key(turn.label) {
            continue;
        }
        let text = normalise(turn.text);
        let matches = cue_matches(&text, &mut seen);
        for (cue, count) in CUES.iter().zip(matches) {
            if count == 0 || (cue.opening_only && speaker.turns > OPENING_TURNS) {
                continue;
            }
            let hit = speaker.hits.entry(cue.name).or_default();
            hit.0 += f64::from(count);
            if hit.1.len() < EVIDENCE_TURNS {
                hit.1.push(i + 1);
            }
        }
        if cue_introduces(&text) && speaker.turns <= OPENING_TURNS {
            let hit = speaker.hits.entry(INTRODUCTION).or_default();
            hit.0 += 1.0;
            if hit.1.len() < EVIDENCE_TURNS {
                hit.1.push(i + 1);
            }
        }
    }
    if order.is_empty() {
        return None;
    }
    let unknown: Vec<&str> = order
        .iter()
        .copied()
        .filter(|l| !fixed.contains_key(*l))
        .collect();
    let mut labels: BTreeMap<String, Role> = order
        .iter()
        .filter_map(|l| fixed.get(*l).map(|r| ((*l).to_owned(), *r)))
        .collect();
    if unknown.is_empty() {
        return Some(SpeakerRoles {
            inferred: false,
            labels,
            confidence: 1.0,
            low_confidence: false,
            evidence: vec!["every label's role is configured (speaker_roles)".to_owned()],
        });
    }
    score_questions(&mut speakers, &unknown);
    for speaker in speakers.values_mut() {
        speaker.score += speaker
            .hits
            .iter()
            .map(|(name, (matches, _))| cue_score(name, *matches))
            .sum::<f64>();
    }
    // Agents open most calls: a small prior that only decides otherwise even calls.
    if let Some(first) = speakers.get_mut(order[0]) {
        if !fixed.contains_key(order[0]) {
            first.score += FIRST_SPEAKER_PRIOR;
        }
    }
    let agent_fixed = labels.values().any(|r| *r == Role::Agent);
    let customer_fixed = labels.values().any(|r| *r == Role::Customer);
    let mut evidence = Vec::new();
    let confidence;
    let mut rest: Vec<&str> = unknown.clone();
    if agent_fixed {
        confidence = 1.0;
        evidence.push("the agent's label is configured (speaker_roles)".to_owned());
    } else {
        // Highest score; ties go to the earlier speaker (stable max by order).
        let agent = *unknown
            .iter()
            .reduce(|best, l| {
                if speakers[l].score > speakers[best].score {
                    l
                } else {
                    best
                }
            })
            .unwrap_or(&unknown[0]);
        rest.retain(|l| *l != agent);
        labels.insert(agent.to_owned(), Role::Agent);
        let runner_up = rest
            .iter()
            .map(|l| speakers[l].score)
            .fold(f64::NEG_INFINITY, f64::max);
        confidence = if runner_up.is_finite() {
            let margin = speakers[agent].score - runner_up;
            1.0 / (1.0 + (-MARGIN_SCALE * margin).exp())
        } else if customer_fixed {
            evidence.push("the customer's label is configured (speaker_roles)".to_owned());
            1.0
        } else {
            evidence.push("only one speaker label: nothing to tell apart".to_owned());
            0.5
        };
    }
    // Of the rest, whoever speaks most is the customer (unless configured); others are other.
    rest.sort_by_key(|l| std::cmp::Reverse(speakers[l].words));
    for (i, label) in rest.iter().enumerate() {
        let role = if i == 0 && !customer_fixed {
            Role::Customer
        } else {
            Role::Other
        };
        labels.insert((*label).to_owned(), role);
    }
    evidence.extend(describe(&speakers, &unknown, &order));
    let confidence = (confidence * 1000.0).round() / 1000.0;
    Some(SpeakerRoles {
        inferred: true,
        labels,
        confidence,
        low_confidence: confidence < LOW_CONFIDENCE,
        evidence,
    })
}

/// A call whose roles are known, inferred again with them hidden: what the role report and the
/// accuracy test count.
#[derive(Debug, Clone, PartialEq)]
pub struct Trial {
    /// The inferred agent is the real one.
    pub right: bool,
    pub confidence: f64,
    pub low_confidence: bool,
    /// The old rule (the first to speak is the agent) would have been right.
    pub first_speaker_right: bool,
}

/// Hides the roles of a call that has an agent and a customer (each role becomes `spk_N` in
/// order of first speech, as Transcribe labels speakers) and infers them again; `None` when
/// the call lacks either role.
pub fn trial(utterances: &[crate::domain::Utterance]) -> Option<Trial> {
    let mut seen: Vec<Role> = Vec::new();
    let labels: Vec<String> = utterances
        .iter()
        .map(|u| {
            if !seen.contains(&u.speaker) {
                seen.push(u.speaker);
            }
            let n = seen.iter().position(|r| *r == u.speaker).unwrap_or(0);
            format!("spk_{n}")
        })
        .collect();
    let agent = format!("spk_{}", seen.iter().position(|r| *r == Role::Agent)?);
    seen.iter().position(|r| *r == Role::Customer)?;
    let turns: Vec<LabelledTurn<'_>> = labels
        .iter()
        .zip(utterances)
        .map(|(label, u)| LabelledTurn {
            label,
            text: &u.text,
        })
        .collect();
    let roles = assign(&turns, &BTreeMap::new())?;
    Some(Trial {
        right: roles.labels.get(&agent) == Some(&Role::Agent),
        confidence: roles.confidence,
        low_confidence: roles.low_confidence,
        first_speaker_right: agent == "spk_0",
    })
}

/// Labelled calls in the plain format: blocks starting `# call: NAME`, other `#` lines comments
/// (the layout of `data/roles/calls.txt`), as (name, transcript text).
pub fn labelled_blocks(text: &str) -> Vec<(&str, String)> {
    let mut blocks: Vec<(&str, String)> = Vec::new();
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("# call:") {
            blocks.push((name.trim(), String::new()));
        } else if line.starts_with('#') {
            continue;
        } else if let Some((_, body)) = blocks.last_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    blocks
}

/// Counts over many trials.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Tally {
    pub calls: usize,
    pub right: usize,
    /// Confident (not `low_confidence`) answers, and how many of those were right.
    pub confident: usize,
    pub confident_right: usize,
    pub first_speaker_right: usize,
}

impl Tally {
    pub fn add(&mut self, trial: &Trial) {
        self.calls += 1;
        self.right += usize::from(trial.right);
        if !trial.low_confidence {
            self.confident += 1;
            self.confident_right += usize::from(trial.right);
        }
        self.first_speaker_right += usize::from(trial.first_speaker_right);
    }

    /// Share of calls whose agent was found.
    pub fn accuracy(&self) -> f64 {
        self.right as f64 / self.calls.max(1) as f64
    }

    /// Share of confident answers that were right.
    pub fn confident_accuracy(&self) -> f64 {
        self.confident_right as f64 / self.confident.max(1) as f64
    }
}

const INTRODUCTION: &str = "introduces themself with a name and company";
const FIRST_SPEAKER_PRIOR: f64 = 0.3;
/// Score of asking every question in a two-speaker call with enough questions to tell.
const QUESTION_WEIGHT: f64 = 2.0;
/// Questions needed for their share to count in full.
const QUESTIONS_FOR_FULL_WEIGHT: f64 = 6.0;
const QUESTIONS: &str = "asks most of the questions";

fn cue_score(name: &str, matches: f64) -> f64 {
    if name == INTRODUCTION {
        return 3.0;
    }
    if name == QUESTIONS {
        return matches;
    }
    CUES.iter()
        .find(|c| c.name == name)
        .map(|c| {
            let total = c.weight * matches;
            if c.weight >= 0.0 {
                total.min(c.cap)
            } else {
                total.max(c.cap)
            }
        })
        .unwrap_or(0.0)
}

/// The share of questions each unknown speaker asks, above an even share, as a score (stored
/// as a pseudo-cue so it shows in the evidence).
fn score_questions<'a>(speakers: &mut BTreeMap<&'a str, Speaker>, unknown: &[&'a str]) {
    let total: u32 = unknown.iter().map(|l| speakers[l].questions).sum();
    if total == 0 || unknown.len() < 2 {
        return;
    }
    let even = 1.0 / unknown.len() as f64;
    let weight = QUESTION_WEIGHT * (f64::from(total) / QUESTIONS_FOR_FULL_WEIGHT).min(1.0);
    for label in unknown {
        let speaker = speakers.get_mut(label).expect("every label has a speaker");
        let share = f64::from(speaker.questions) / f64::from(total);
        let score = weight * (share - even) / (1.0 - even);
        if score > 0.0 {
            speaker.hits.insert(QUESTIONS, (score, Vec::new()));
        }
    }
}

/// `spk_0: offers help (turns 1, 5)`, strongest cues first, for the unknown labels.
fn describe(speakers: &BTreeMap<&str, Speaker>, unknown: &[&str], order: &[&str]) -> Vec<String> {
    let mut lines: Vec<(f64, String)> = Vec::new();
    let total_questions: u32 = unknown.iter().map(|l| speakers[l].questions).sum();
    for label in order.iter().filter(|l| unknown.contains(l)) {
        let speaker = &speakers[label];
        for (name, (matches, at)) in &speaker.hits {
            let score = cue_score(name, *matches);
            let line = if *name == QUESTIONS {
                format!(
                    "{label}: {name} ({} of {total_questions})",
                    speaker.questions
                )
            } else {
                let turns: Vec<String> = at.iter().map(usize::to_string).collect();
                format!("{label}: {name} (turn {})", turns.join(", "))
            };
            lines.push((score, line));
        }
        lines.push((
            0.0,
            format!(
                "{label}: score {:.2}",
                (speaker.score * 100.0).round() / 100.0
            ),
        ));
    }
    lines.sort_by(|a, b| b.0.abs().total_cmp(&a.0.abs()));
    lines
        .into_iter()
        .take(MAX_EVIDENCE)
        .map(|(_, l)| l)
        .collect()
}

/// Lowercase words separated by single spaces, apostrophes dropped (`I'll` → `ill`), padded
/// with a space at each end so phrases match whole words.
fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push(' ');
    for c in text.chars() {
        if c == '\'' || c == '’' {
            continue;
        }
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with(' ') {
            out.push(' ');
        }
    }
    if !out.ends_with(' ') {
        out.push(' ');
    }
    out
}

/// Every cue's phrases in one automaton (` phrase ` padded, so matches are whole words of the
/// normalised text), and the cue of each.
struct Phrases {
    automaton: aho_corasick::AhoCorasick,
    cue_of: Vec<usize>,
}

fn phrases() -> &'static Phrases {
    static PHRASES: std::sync::OnceLock<Phrases> = std::sync::OnceLock::new();
    PHRASES.get_or_init(|| {
        let mut patterns = Vec::new();
        let mut cue_of = Vec::new();
        for (c, cue) in CUES.iter().enumerate() {
            for phrase in cue.phrases {
                patterns.push(format!(" {phrase} "));
                cue_of.push(c);
            }
        }
        Phrases {
            automaton: aho_corasick::AhoCorasick::new(&patterns)
                .unwrap_or_else(|e| unreachable!("the cue phrases build an automaton: {e}")),
            cue_of,
        }
    })
}

/// Per cue (in [`CUES`] order), how many of its distinct phrases a normalised turn holds.
/// `seen` is scratch space reused across turns.
fn cue_matches(normalised: &str, seen: &mut Vec<bool>) -> Vec<u32> {
    let phrases = phrases();
    seen.clear();
    seen.resize(phrases.cue_of.len(), false);
    let mut counts = vec![0u32; CUES.len()];
    // Overlapping: neighbouring phrases share the space between them.
    for found in phrases.automaton.find_overlapping_iter(normalised) {
        let p = found.pattern().as_usize();
        if !seen[p] {
            seen[p] = true;
            counts[phrases.cue_of[p]] += 1;
        }
    }
    counts
}

/// "this is Sam from Brightline", "my name is Sam with Acme", "Sam calling from Brightline",
/// "Sam speaking": a name, then the company or "speaking", within a few words.
fn cue_introduces(normalised: &str) -> bool {
    let words: Vec<&str> = normalised.split_whitespace().collect();
    let starts = |i: usize, seq: &[&str]| words.get(i..i + seq.len()) == Some(seq);
    for i in 0..words.len() {
        let after = if starts(i, &["this", "is"]) {
            i + 2
        } else if starts(i, &["my", "name", "is"]) {
            i + 3
        } else if starts(i, &["calling", "from"]) || starts(i, &["speaking"]) && i > 0 && i <= 4 {
            return true;
        } else {
            continue;
        };
        let window = words.iter().skip(after + 1).take(3);
        for w in window {
            if matches!(*w, "from" | "with" | "at" | "here" | "speaking") {
                return true;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests;
