//! The chaos run's account: what went in by route, what was erased and re-analysed, what was
//! injected by kind, what the event sources retried, what was parked, and the verdict (lost,
//! erased-but-present and double-counted must be 0), printed as a table.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::feed::{Ledger, RouteCounts};
use super::mischief::Mischief;
use super::timeline::Outage;
use super::{ChaosPlan, Verdict};
use crate::faults::Fault;
use crate::flaky::Flaky;
use crate::runner::PollReport;

/// What was done to one function's invocations and messages.
#[derive(Debug, Clone, Copy, Default)]
pub struct StageChaos {
    pub batches: usize,
    pub crashed_with_error: usize,
    pub crashed_with_panic: usize,
    pub cut_off: usize,
    pub redelivered: usize,
    pub failed_before_work: usize,
    pub failed_after_work: usize,
}

impl StageChaos {
    pub fn of(mischief: &Mischief<'_>, flaky: &Flaky<'_>) -> Self {
        let c = &mischief.counts;
        let f = flaky.injected.lock().map(|f| *f).unwrap_or_default();
        Self {
            batches: c.batches.load(Ordering::Relaxed),
            crashed_with_error: c.crashed_with_error.load(Ordering::Relaxed),
            crashed_with_panic: c.crashed_with_panic.load(Ordering::Relaxed),
            cut_off: c.cut_off.load(Ordering::Relaxed),
            redelivered: c.redelivered.load(Ordering::Relaxed),
            failed_before_work: f.failed_before_handling,
            failed_after_work: f.failed_after_handling,
        }
    }
}

#[derive(Debug)]
pub struct ChaosReport {
    pub plan: ChaosPlan,
    pub ledger: Ledger,
    pub sdk_faults: BTreeMap<Fault, usize>,
    pub stages: BTreeMap<&'static str, StageChaos>,
    pub deliveries: BTreeMap<&'static str, PollReport>,
    pub outage: Outage,
    /// Messages SQS moved to a DLQ after maxReceiveCount, sent back at the end.
    pub redriven: usize,
    /// Calls the final sweeps queued again.
    pub swept_at_end: usize,
    pub final_rounds: usize,
    /// Polls of the event sources that failed (the emulator timed out): polled again.
    pub poll_errors: usize,
    /// When each phase ended, from the start of the calls.
    pub phases: Vec<(&'static str, Duration)>,
    pub verdict: Verdict,
    pub elapsed: Duration,
}

impl ChaosReport {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        plan: &ChaosPlan,
        ledger: Ledger,
        sdk_faults: BTreeMap<Fault, usize>,
        stages: BTreeMap<&'static str, StageChaos>,
        deliveries: BTreeMap<&'static str, PollReport>,
        outage: Outage,
        redriven: usize,
        swept_at_end: usize,
        final_rounds: usize,
        poll_errors: usize,
        phases: Vec<(&'static str, Duration)>,
        verdict: Verdict,
    ) -> Self {
        Self {
            plan: plan.clone(),
            ledger,
            sdk_faults,
            stages,
            deliveries,
            outage,
            redriven,
            swept_at_end,
            final_rounds,
            poll_errors,
            phases,
            verdict,
            elapsed: Duration::ZERO,
        }
    }

    /// Every kind of fault the run is meant to inject that it did not: a run that skipped one
    /// proved nothing about it.
    pub fn unexercised(&self) -> Vec<String> {
        let mut missing: Vec<String> = [
            Fault::Throttle,
            Fault::TransactionConflict,
            Fault::CommittedThenLost,
            Fault::FirstEntryFailed,
            Fault::TimedOut,
            Fault::Invalid,
        ]
        .into_iter()
        .filter(|f| self.sdk_faults.get(f).copied().unwrap_or(0) == 0)
        .map(|f| format!("SDK fault {f:?}"))
        .collect();
        let total = |pick: fn(&StageChaos) -> usize| self.stages.values().map(pick).sum::<usize>();
        let erased_while = |status: &str| {
            self.ledger
                .lifecycle
                .erased
                .get(status)
                .copied()
                .unwrap_or(0)
        };
        for (what, n) in [
            ("a crash (error) mid-batch", total(|s| s.crashed_with_error)),
            ("a crash (panic) mid-batch", total(|s| s.crashed_with_panic)),
            ("a run cut off past its deadline", total(|s| s.cut_off)),
            ("a batch delivered twice", total(|s| s.redelivered)),
            (
                "a message failed before its work",
                total(|s| s.failed_before_work),
            ),
            (
                "a message failed after its work",
                total(|s| s.failed_after_work),
            ),
            ("a read while Redis was down", self.outage.while_down.reads),
            ("a FAILED call", self.verdict.failed),
            ("an S3 object", self.ledger.lifecycle.s3_objects),
            (
                "an identical S3 object put again",
                self.ledger
                    .duplicates
                    .get("identical S3 object put again")
                    .copied()
                    .unwrap_or(0),
            ),
            (
                "a call erased before it was processed",
                erased_while("RECEIVED"),
            ),
            (
                "a call erased after it was processed",
                erased_while("PROCESSED"),
            ),
            ("a DELETE repeated", self.ledger.lifecycle.deleted_again),
            (
                "an erased call sent again",
                self.ledger.lifecycle.sent_again,
            ),
            ("a re-analysis", self.ledger.lifecycle.reanalyses),
            (
                "a re-analysis with a changed scorecard",
                self.verdict.reanalysed_with_new_settings,
            ),
        ] {
            if n == 0 {
                missing.push(what.to_owned());
            }
        }
        let kinds: std::collections::BTreeSet<_> =
            self.ledger.poison.iter().map(|p| p.kind).collect();
        for kind in super::poison::KINDS {
            if !kinds.contains(&kind) {
                missing.push(format!("poison: {}", kind.label()));
            }
        }
        missing
    }

    /// Everything that breaks the run's promises, one line each.
    pub fn failures(&self) -> Vec<String> {
        let v = &self.verdict;
        let mut failures: Vec<String> = v
            .lost
            .iter()
            .chain(&v.erased_remaining)
            .chain(&v.failed_unexplained)
            .chain(&v.parked_unexplained)
            .chain(&v.rollup_mismatches)
            .chain(&v.api_mismatches)
            .chain(&self.ledger.refused)
            .chain(&self.ledger.http_invalid_mishandled)
            .chain(&self.ledger.lifecycle_misanswered)
            .cloned()
            .collect();
        if v.double_counted > 0 {
            failures.push(format!("{} calls counted twice", v.double_counted));
        }
        if v.uncounted > 0 {
            failures.push(format!(
                "{} processed calls missing from the rollups",
                v.uncounted
            ));
        }
        let api_errors = self.outage.while_down.errors + self.outage.after.errors;
        if api_errors > 0 {
            failures.push(format!(
                "{api_errors} query API answers were errors around the Redis outage"
            ));
        }
        failures.extend(
            self.unexercised()
                .into_iter()
                .map(|m| format!("not exercised: {m}")),
        );
        failures
    }

    pub fn passed(&self) -> bool {
        self.failures().is_empty()
    }

    fn lost(&self) -> usize {
        self.verdict.lost.len() + self.verdict.uncounted as usize
    }
}

impl fmt::Display for ChaosReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let l = &self.ledger;
        writeln!(
            f,
            "chaos run: {} calls, seed {}, {:.0} s",
            self.plan.calls,
            self.plan.seed,
            self.elapsed.as_secs_f64()
        )?;
        for (phase, at) in &self.phases {
            writeln!(f, "  {:>6.1} s  {phase}", at.as_secs_f64())?;
        }
        writeln!(
            f,
            "\ncalls in              {:>8} {:>9} {:>15}",
            "sent", "accepted", "client retries"
        )?;
        for (
            route,
            RouteCounts {
                sent,
                accepted,
                client_retries,
            },
        ) in &l.routes
        {
            writeln!(
                f,
                "  {:<26} {sent:>6} {accepted:>9} {client_retries:>15}",
                route.label()
            )?;
        }
        writeln!(f, "  distinct calls accepted    {:>6}", l.accepted.len())?;
        for (what, n) in &l.duplicates {
            writeln!(f, "  duplicate: {what:<36} {n:>5}")?;
        }
        writeln!(
            f,
            "  invalid calls over HTTP (422 / rejected item) {:>4}",
            l.http_invalid
        )?;
        let mut poison: BTreeMap<&str, usize> = BTreeMap::new();
        for p in &l.poison {
            *poison.entry(p.kind.label()).or_default() += 1;
        }
        for (kind, n) in poison {
            writeln!(f, "  poison: {kind:<39} {n:>5}")?;
        }
        let c = &l.lifecycle;
        writeln!(f, "\nlifecycle")?;
        writeln!(
            f,
            "  S3 objects put in the drop-in bucket          {:>5}",
            c.s3_objects
        )?;
        writeln!(
            f,
            "  DELETEs sent (retries and repeats included)   {:>5}",
            c.deletes
        )?;
        for (status, n) in &c.erased {
            writeln!(f, "  calls erased while {status:<27} {n:>5}")?;
        }
        writeln!(
            f,
            "  DELETEs repeated after the erasure (404)      {:>5}",
            c.deleted_again
        )?;
        writeln!(
            f,
            "  erased calls sent again under the same id     {:>5}",
            c.sent_again
        )?;
        writeln!(
            f,
            "  re-analyses queued (202, repeats included)    {:>5}",
            c.reanalyses
        )?;
        writeln!(
            f,
            "  re-analyses answered 409 (not processed yet)  {:>5}",
            c.reanalyses_not_ready
        )?;
        writeln!(
            f,
            "  scorecards changed before the last re-analyses {:>4}",
            c.settings_changed
        )?;
        writeln!(
            f,
            "  calls re-analysed, with a changed scorecard   {:>5} {:>5}",
            l.reanalysed.len(),
            self.verdict.reanalysed_with_new_settings
        )?;
        writeln!(
            f,
            "  lifecycle requests answered 503 and retried   {:>5}",
            c.client_retries
        )?;
        writeln!(
            f,
            "\nfaults injected (SDK, into the functions' DynamoDB and SQS requests)"
        )?;
        for (fault, n) in &self.sdk_faults {
            writeln!(f, "  {:<45} {n:>6}", format!("{fault:?}"))?;
        }
        writeln!(
            f,
            "\nfaults injected (invocations)  {:>7} {:>6} {:>6} {:>7} {:>9} {:>8} {:>8}",
            "batches", "crash", "panic", "cut off", "twice", "fail pre", "fail post"
        )?;
        for (stage, s) in &self.stages {
            writeln!(
                f,
                "  {stage:<28} {:>7} {:>6} {:>6} {:>7} {:>9} {:>8} {:>8}",
                s.batches,
                s.crashed_with_error,
                s.crashed_with_panic,
                s.cut_off,
                s.redelivered,
                s.failed_before_work,
                s.failed_after_work
            )?;
        }
        let o = &self.outage;
        writeln!(f, "\nredis stopped at call {:?}, restarted at {:?}: {} API reads while down ({} errors, x-cache {:?}), {} after ({} errors, x-cache {:?}); {} stream records invalidated while down", o.stopped_at, o.restarted_at, o.while_down.reads, o.while_down.errors, o.while_down.cache, o.after.reads, o.after.errors, o.after.cache, o.invalidated_while_down)?;
        writeln!(f, "sweeper: {} runs while calls went in requeued {}; final sweeps requeued {} ({} final rounds)", o.sweeps, o.swept, self.swept_at_end, self.final_rounds)?;
        writeln!(
            f,
            "\nretries (messages the event sources delivered again)   {:>8} {:>8} {:>8}",
            "received", "deleted", "retried"
        )?;
        for (stage, r) in &self.deliveries {
            writeln!(
                f,
                "  {stage:<52} {:>8} {:>8} {:>8}",
                r.received, r.deleted, r.failed
            )?;
        }
        writeln!(
            f,
            "\nparked                              {:>7} {:>12} {:>6}",
            "poison", "FAILED calls", "other"
        )?;
        for (dlq, (poison, failed, other)) in &self.verdict.parked {
            writeln!(f, "  {dlq:<32} {poison:>7} {failed:>12} {other:>6}")?;
        }
        writeln!(
            f,
            "  moved by SQS after maxReceiveCount, redriven: {}",
            self.redriven
        )?;
        writeln!(
            f,
            "event-source polls that failed and were polled again: {}",
            self.poll_errors
        )?;
        let v = &self.verdict;
        writeln!(
            f,
            "\nfinal state: {} PROCESSED, {} FAILED with a reason, {} erased, of {} accepted",
            v.processed,
            v.failed,
            v.erased,
            l.accepted.len()
        )?;
        writeln!(f, "lost            {:>6}   (must be 0)", self.lost())?;
        writeln!(
            f,
            "erased but present {:>3}   (must be 0)",
            v.erased_remaining.len()
        )?;
        writeln!(f, "double-counted  {:>6}   (must be 0)", v.double_counted)?;
        writeln!(f, "rollups differing from the stored analyses: {}; leaderboards differing through the API: {}", v.rollup_mismatches.len(), v.api_mismatches.len())?;
        let failures = self.failures();
        if failures.is_empty() {
            writeln!(f, "\nPASSED")
        } else {
            writeln!(f, "\nFAILED:")?;
            for failure in failures.iter().take(40) {
                writeln!(f, "  - {failure}")?;
            }
            Ok(())
        }
    }
}
