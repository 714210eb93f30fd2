//! What a workflow decision does to a ticket's deadlines. `tongdai_domain::workflow::decide`
//! says which [`DeadlineEffect`] applies; the arithmetic needs the SLA policy and the working
//! calendar, which live here. Pure: the service records the [`DeadlineGrant`] as a
//! `deadline_set` event (in +07:00, with the agency it binds) and caches it in the summary row.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use tongdai_calendar::{DeadlineClock, TransferClock};
use tongdai_domain::to_local;
use tongdai_domain::workflow::DeadlineEffect;

use crate::{Deadlines, Outcome, Router, RoutingDecision, RoutingError};

/// The deadlines a ticket's summary row caches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TicketDeadlines {
    pub forward_due: Option<DateTime<Utc>>,
    pub accept_due: Option<DateTime<Utc>>,
    pub answer_due: Option<DateTime<Utc>>,
    /// Set while the answer clock waits for the citizen: no due instant runs then.
    pub answer_paused_at: Option<DateTime<Utc>>,
}

impl TicketDeadlines {
    /// The three deadlines of a routing decision, running.
    pub fn of(decision: &RoutingDecision) -> Self {
        Self {
            forward_due: Some(decision.deadlines.forward_due.with_timezone(&Utc)),
            accept_due: Some(decision.deadlines.accept_due.with_timezone(&Utc)),
            answer_due: Some(decision.deadlines.answer_due.with_timezone(&Utc)),
            answer_paused_at: None,
        }
    }
}

/// Why a ticket was given deadlines; the `cause` of its `deadline_set` event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadlineCause {
    Routed,
    Forward,
    Transfer,
    Recategorise,
    Return,
    Pause,
    Resume,
    Extension,
    Reopen,
}

impl DeadlineCause {
    pub fn code(self) -> &'static str {
        match self {
            DeadlineCause::Routed => "routed",
            DeadlineCause::Forward => "forward",
            DeadlineCause::Transfer => "transfer",
            DeadlineCause::Recategorise => "recategorise",
            DeadlineCause::Return => "return",
            DeadlineCause::Pause => "pause",
            DeadlineCause::Resume => "resume",
            DeadlineCause::Extension => "extension",
            DeadlineCause::Reopen => "reopen",
        }
    }
}

/// Deadlines given to a ticket by one decision, and the agency they bind.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadlineGrant {
    pub cause: DeadlineCause,
    /// The agency bound (the triage agency while the IOC must forward).
    pub agency: String,
    pub deadlines: TicketDeadlines,
    /// For a transfer: whether the clock restarted or continued.
    pub clock: Option<TransferClock>,
    /// A new routing decision to store, when the agency, category or place changed.
    pub decision: Option<RoutingDecision>,
}

fn local(t: Option<DateTime<Utc>>) -> Value {
    t.map_or(Value::Null, |t| Value::String(to_local(t).to_rfc3339()))
}

impl DeadlineGrant {
    /// The payload of the `deadline_set` event: every instant in +07:00.
    pub fn payload(&self) -> Value {
        json!({
            "cause": self.cause.code(),
            "agency": self.agency,
            "forward_due": local(self.deadlines.forward_due),
            "accept_due": local(self.deadlines.accept_due),
            "answer_due": local(self.deadlines.answer_due),
            "paused_at": local(self.deadlines.answer_paused_at),
            "clock": self.clock.map(|c| match c {
                TransferClock::Restart => "restart",
                TransferClock::Continue => "continue",
            }),
        })
    }

    /// The grant of a freshly routed ticket: the agency routing chose (the triage agency
    /// for a triage ticket, bound by the forward deadline).
    pub fn routed(decision: &RoutingDecision) -> Self {
        Self {
            cause: DeadlineCause::Routed,
            agency: decision.agency_code.clone(),
            deadlines: TicketDeadlines::of(decision),
            clock: None,
            decision: None,
        }
    }
}

impl Router {
    /// The deadlines after `effect`, applied at `at` to a ticket whose stored routing
    /// decision is `previous` and whose cached deadlines are `current`. `rerouted` is the
    /// decision routing gave for a recategorised ticket (needed by `Start` and `Stop` after
    /// a recategorisation and by `Recompute`). `None`: nothing changes.
    pub fn deadlines_after(
        &self,
        previous: &RoutingDecision,
        current: TicketDeadlines,
        effect: &DeadlineEffect,
        rerouted: Option<&RoutingDecision>,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<DeadlineGrant>, RoutingError> {
        let answer_span = previous.sla.answer;
        let grant = |cause, agency: &str, deadlines, decision| {
            Some(DeadlineGrant {
                cause,
                agency: agency.to_owned(),
                deadlines,
                clock: None,
                decision,
            })
        };
        Ok(match effect {
            DeadlineEffect::Unchanged | DeadlineEffect::Met => None,
            DeadlineEffect::Start { agency } => match rerouted {
                Some(new) => grant(
                    DeadlineCause::Recategorise,
                    &new.agency_code,
                    TicketDeadlines::of(new),
                    Some(new.clone()),
                ),
                None => {
                    let decision = self.forward(previous, agency, at, reason)?;
                    grant(
                        DeadlineCause::Forward,
                        agency,
                        TicketDeadlines::of(&decision),
                        Some(decision),
                    )
                }
            },
            DeadlineEffect::Transfer { to, .. } => {
                let mut decision = self.transfer(previous, to, at, reason)?;
                let clock = decision.sla.transfer_clock;
                let mut deadlines = TicketDeadlines::of(&decision);
                if clock == TransferClock::Continue {
                    // The clock goes on from where the ticket stands, extensions included.
                    deadlines = TicketDeadlines {
                        answer_paused_at: None,
                        ..current
                    };
                    if let (Some(accept), Some(answer)) = (current.accept_due, current.answer_due) {
                        decision.deadlines.accept_due = to_local(accept);
                        decision.deadlines.answer_due = to_local(answer);
                    }
                }
                Some(DeadlineGrant {
                    cause: DeadlineCause::Transfer,
                    agency: to.clone(),
                    deadlines,
                    clock: Some(clock),
                    decision: Some(decision),
                })
            }
            DeadlineEffect::Recompute => match rerouted {
                Some(new) => grant(
                    DeadlineCause::Recategorise,
                    &new.agency_code,
                    TicketDeadlines::of(new),
                    Some(new.clone()),
                ),
                None => None,
            },
            DeadlineEffect::Stop => {
                let decision = match rerouted {
                    Some(new) => new.clone(),
                    None => self.to_triage(previous, at),
                };
                let cause = if rerouted.is_some() {
                    DeadlineCause::Recategorise
                } else {
                    DeadlineCause::Return
                };
                grant(
                    cause,
                    &decision.agency_code.clone(),
                    TicketDeadlines::of(&decision),
                    Some(decision),
                )
            }
            DeadlineEffect::Pause => {
                let Some(answer) = current.answer_due else {
                    return Ok(None);
                };
                let mut clock = DeadlineClock::from_parts(answer_span, at, answer, None);
                clock
                    .pause(at)
                    .map_err(|e| RoutingError::InvalidTransfer(e.to_string()))?;
                grant(
                    DeadlineCause::Pause,
                    &previous.agency_code,
                    TicketDeadlines {
                        answer_paused_at: clock.paused_at(),
                        ..current
                    },
                    None,
                )
            }
            DeadlineEffect::Resume => {
                let (Some(answer), Some(paused)) = (current.answer_due, current.answer_paused_at)
                else {
                    return Ok(None);
                };
                let mut clock =
                    DeadlineClock::from_parts(answer_span, paused, answer, Some(paused));
                clock
                    .resume(self.calendar(), at)
                    .map_err(|e| RoutingError::InvalidTransfer(e.to_string()))?;
                grant(
                    DeadlineCause::Resume,
                    &previous.agency_code,
                    TicketDeadlines {
                        answer_due: clock.deadline(),
                        answer_paused_at: None,
                        ..current
                    },
                    None,
                )
            }
            DeadlineEffect::Extend { until } => grant(
                DeadlineCause::Extension,
                &previous.agency_code,
                TicketDeadlines {
                    answer_due: Some(*until),
                    ..current
                },
                None,
            ),
            DeadlineEffect::Restart => grant(
                DeadlineCause::Reopen,
                &previous.agency_code,
                TicketDeadlines {
                    answer_due: Some(self.calendar().deadline(at, answer_span)),
                    answer_paused_at: None,
                    ..current
                },
                None,
            ),
        })
    }

    /// The IOC forwards a triage ticket: the chosen agency's accept and answer deadlines
    /// start at `at` in full (the forward deadline stays as it was).
    pub fn forward(
        &self,
        previous: &RoutingDecision,
        agency: &str,
        at: DateTime<Utc>,
        reason: &str,
    ) -> Result<RoutingDecision, RoutingError> {
        let reason = if reason.trim().is_empty() {
            "Tổ phân loại chuyển đơn vị xử lý"
        } else {
            reason
        };
        let mut decision = self.transfer(previous, agency, at, reason)?;
        decision.deadlines = Deadlines {
            forward_due: previous.deadlines.forward_due,
            accept_due: to_local(self.calendar().deadline(at, previous.sla.accept)),
            answer_due: to_local(self.calendar().deadline(at, previous.sla.answer)),
        };
        Ok(decision)
    }

    /// Back to the IOC's triage queue: the IOC must forward again within the forward span,
    /// counted from `at`.
    pub fn to_triage(&self, previous: &RoutingDecision, at: DateTime<Utc>) -> RoutingDecision {
        let triage = self.triage_agency_ref();
        let sla = &previous.sla;
        let mut decision = previous.clone();
        decision.outcome = Outcome::Triage;
        decision.agency_code = triage.code.clone();
        decision.agency_name = triage.name.clone();
        decision.rule = None;
        decision.decided_at = to_local(at);
        decision.deadlines = Deadlines {
            forward_due: to_local(self.calendar().deadline(at, sla.forward)),
            accept_due: to_local(self.calendar().deadline(at, sla.accept)),
            answer_due: to_local(self.calendar().deadline(at, sla.answer)),
        };
        decision.explanation = format!(
            "Trả về {} phân loại; hạn chuyển xử lý {}.",
            triage.name,
            to_local(self.calendar().deadline(at, sla.forward)).format("%H:%M %d/%m/%Y")
        );
        decision
    }
}
