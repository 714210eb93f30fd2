use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Timelike, Utc};
use tongdai_calendar::{SlaPolicy, SlaTargets, TransferClock, WorkingCalendar};
use tongdai_domain::jurisdiction::Dated;
use tongdai_domain::{Jurisdiction, RoutingRule, local_date, to_local};

use crate::decision::{
    CalendarWarning, Deadlines, Outcome, PlaceMethod, PlaceResolution, Report, RoutingDecision,
    RuleRef, SlaRecord, TransferRecord, TriageReason,
};
use crate::place::{AreaIndex, Resolved, Unresolved, vn_date};
use crate::{Place, RoutingError};

/// Rules are looked up by (category index, area index); `None` = any / anywhere.
type RuleKey = (Option<usize>, Option<usize>);

/// Routes reports to agencies and computes their deadlines. Cheap to clone (shared data).
///
/// Built once from a checked [`Jurisdiction`], the [`SlaPolicy`] and the [`WorkingCalendar`];
/// building indexes the rules and rejects ties (see [`RoutingError::RuleTie`]).
#[derive(Debug, Clone)]
pub struct Router {
    jurisdiction: Arc<Jurisdiction>,
    sla: Arc<SlaPolicy>,
    calendar: Arc<WorkingCalendar>,
    areas: Arc<AreaIndex>,
    categories: Arc<HashMap<String, usize>>,
    category_parent: Arc<Vec<Option<usize>>>,
    agencies: Arc<HashMap<String, usize>>,
    rules: Arc<HashMap<RuleKey, Vec<usize>>>,
    conflicts: Arc<Vec<PrecedenceConflict>>,
    triage_agency: usize,
}

/// Two overlapping rules that category-first precedence (used here) and area-first
/// precedence would resolve to different agencies: a sub-category rule for a large area and
/// a rule for its parent category in a smaller area inside it. Not an error (the crate's
/// precedence is defined), but config/jurisdiction/README.md asks to avoid it; a CLI can list
/// these for the people who maintain routing.toml.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PrecedenceConflict {
    /// The rule with the more specific category; it wins where both match.
    pub winning_rule: String,
    /// The rule with the deeper area; area-first precedence would have chosen it.
    pub deeper_area_rule: String,
    pub winning_agency: String,
    pub deeper_area_agency: String,
    pub overlap_from: NaiveDate,
    pub overlap_to: Option<NaiveDate>,
}

/// "16:05 13/02/2026"; a deadline at the end of a day (23:59:59) reads "hết ngày 06/03/2026".
/// The compact form of `tongdai_domain::deadline_vi`, kept for explanations already stored.
fn vn_time(at: DateTime<FixedOffset>) -> String {
    if (at.hour(), at.minute(), at.second()) == (23, 59, 59) {
        at.format("hết ngày %d/%m/%Y").to_string()
    } else {
        at.format("%H:%M %d/%m/%Y").to_string()
    }
}

impl Router {
    /// Indexes the jurisdiction and checks that no two rules tie.
    pub fn new(
        jurisdiction: impl Into<Arc<Jurisdiction>>,
        sla: impl Into<Arc<SlaPolicy>>,
        calendar: impl Into<Arc<WorkingCalendar>>,
    ) -> Result<Self, RoutingError> {
        let jurisdiction = jurisdiction.into();
        let j = jurisdiction.as_ref();
        let areas = AreaIndex::new(j)?;
        let categories: HashMap<String, usize> = j
            .categories
            .iter()
            .enumerate()
            .map(|(i, c)| (c.code.clone(), i))
            .collect();
        let category_parent = j
            .categories
            .iter()
            .map(|c| match c.parent.as_deref() {
                None => Ok(None),
                Some(p) => categories.get(p).copied().map(Some).ok_or_else(|| {
                    RoutingError::InvalidJurisdiction(format!(
                        "category {}: parent {p:?} does not exist",
                        c.code
                    ))
                }),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let agencies: HashMap<String, usize> = j
            .agencies
            .iter()
            .enumerate()
            .map(|(i, a)| (a.code.clone(), i))
            .collect();
        let triage_agency = *agencies.get(&j.info.triage_agency).ok_or_else(|| {
            RoutingError::InvalidJurisdiction(format!(
                "triage_agency {:?} is not an agency",
                j.info.triage_agency
            ))
        })?;

        let mut rules: HashMap<RuleKey, Vec<usize>> = HashMap::new();
        for (i, r) in j.rules.iter().enumerate() {
            let missing = |what: &str, code: &str| {
                RoutingError::InvalidJurisdiction(format!(
                    "rule {}: {what} {code:?} does not exist",
                    r.id
                ))
            };
            if !agencies.contains_key(&r.agency) {
                return Err(missing("agency", &r.agency));
            }
            let cat = r
                .category
                .as_deref()
                .map(|c| {
                    categories
                        .get(c)
                        .copied()
                        .ok_or_else(|| missing("category", c))
                })
                .transpose()?;
            let area = r
                .area
                .as_deref()
                .map(|a| {
                    areas
                        .codes
                        .get(a)
                        .copied()
                        .ok_or_else(|| missing("area", a))
                })
                .transpose()?;
            let same = rules.entry((cat, area)).or_default();
            if let Some(&other) = same
                .iter()
                .find(|&&o| j.rules[o].validity().overlaps(&r.validity()))
            {
                return Err(tie(&j.rules[other], r));
            }
            same.push(i);
        }

        let conflicts = precedence_conflicts(j, &areas, &categories, &category_parent);
        Ok(Self {
            jurisdiction,
            sla: sla.into(),
            calendar: calendar.into(),
            areas: Arc::new(areas),
            categories: Arc::new(categories),
            category_parent: Arc::new(category_parent),
            agencies: Arc::new(agencies),
            rules: Arc::new(rules),
            conflicts: Arc::new(conflicts),
            triage_agency,
        })
    }

    /// The agency whose queue is triage (the IOC).
    pub fn triage_agency_ref(&self) -> &tongdai_domain::Agency {
        &self.jurisdiction.agencies[self.triage_agency]
    }

    pub fn jurisdiction(&self) -> &Jurisdiction {
        &self.jurisdiction
    }

    pub fn sla(&self) -> &SlaPolicy {
        &self.sla
    }

    pub fn calendar(&self) -> &WorkingCalendar {
        &self.calendar
    }

    /// Rule pairs that area-first precedence would route differently (see
    /// [`PrecedenceConflict`]); empty for well-kept data.
    pub fn precedence_conflicts(&self) -> &[PrecedenceConflict] {
        &self.conflicts
    }

    /// Years in `from_year..=to_year` without calendar data (deadlines there count only
    /// weekends as days off).
    pub fn missing_calendar_years(&self, from_year: i32, to_year: i32) -> Vec<i32> {
        self.calendar.missing_years(from_year, to_year)
    }

    /// Decides which agency handles `report` and by when.
    ///
    /// Errors only for an unknown category (or one not in force on the filing date) and when
    /// no SLA version covers the filing date; an unresolvable place or a missing rule sends
    /// the report to the IOC triage queue instead.
    pub fn route(&self, report: &Report) -> Result<RoutingDecision, RoutingError> {
        let date = local_date(report.filed_at);
        let chain = self.category_chain(&report.category, date)?;
        let j = self.jurisdiction.as_ref();
        let codes: Vec<&str> = chain
            .iter()
            .map(|&c| j.categories[c].code.as_str())
            .collect();
        let targets = self.sla.targets(date, &codes, report.priority)?;
        let deadlines = self.deadlines(report.filed_at, &targets);
        let category = &j.categories[chain[0]];

        let (place, attempts) = self.resolve_place(&report.place, date);
        let rule = match &place {
            Ok(resolved) => self.find_rule(&chain, resolved.area, date),
            Err(_) => None,
        };

        let filed_at = to_local(report.filed_at);
        let (agency, outcome, triage_reason) = match (&place, rule) {
            (Ok(_), Some(r)) => {
                let agency = self.agencies.get(&r.agency).copied();
                (
                    agency.unwrap_or(self.triage_agency),
                    Outcome::Assigned,
                    None,
                )
            }
            (Ok(_), None) => (
                self.triage_agency,
                Outcome::Triage,
                Some(TriageReason::NoRule),
            ),
            (Err(u), _) => (self.triage_agency, Outcome::Triage, Some(u.reason)),
        };
        let agency = &j.agencies[agency];
        let area = place.as_ref().ok().map(|r| r.area);
        let area_name = area.map(|a| self.areas.full_names[a].clone());

        let place_resolution = match &place {
            Ok(r) => PlaceResolution {
                method: r.method,
                input: Some(r.input.clone()),
                matched: Some(r.matched.clone()),
                successor_of: r.successor_of.map(|a| j.areas[a].code.clone()),
                notes: attempts.iter().chain(&r.notes).cloned().collect(),
            },
            Err(u) => PlaceResolution {
                method: PlaceMethod::None,
                input: u.input.clone(),
                matched: None,
                successor_of: None,
                notes: attempts,
            },
        };

        let explanation = match (&place, rule) {
            (Ok(resolved), Some(r)) => {
                let mut s = String::new();
                if let Some(old) = resolved.successor_of {
                    s.push_str(&format!(
                        "Địa bàn {} ({}) không còn hiệu lực ngày {}; dùng đơn vị kế thừa «{}». ",
                        j.areas[old].code,
                        self.areas.full_names[old],
                        vn_date(date),
                        self.areas.full_names[resolved.area]
                    ));
                }
                s.push_str(&format!(
                    "Lĩnh vực «{}» tại «{}» do {} xử lý theo quy tắc {} (hiệu lực từ {}{}).",
                    category.name,
                    self.areas.full_names[resolved.area],
                    agency.name,
                    r.id,
                    vn_date(r.valid_from),
                    r.basis
                        .as_deref()
                        .map(|b| format!("; căn cứ: {b}"))
                        .unwrap_or_default()
                ));
                if !r.confirmed {
                    s.push_str(" Quy tắc này chưa được xác nhận chính thức.");
                }
                s.push_str(&format!(
                    " Hạn tiếp nhận {}, hạn trả lời {} (chính sách {}).",
                    vn_time(deadlines.accept_due),
                    vn_time(deadlines.answer_due),
                    targets.version
                ));
                s
            }
            (Ok(resolved), None) => format!(
                "Chuyển {} phân loại: không có quy tắc phân công cho lĩnh vực «{}» tại «{}» ngày {}. \
                 Hạn chuyển xử lý {} (chính sách {}).",
                agency.name,
                category.name,
                self.areas.full_names[resolved.area],
                vn_date(date),
                vn_time(deadlines.forward_due),
                targets.version
            ),
            (Err(u), _) => format!(
                "Chuyển {} phân loại: {}. Hạn chuyển xử lý {} (chính sách {}).",
                agency.name,
                u.detail,
                vn_time(deadlines.forward_due),
                targets.version
            ),
        };

        Ok(RoutingDecision {
            outcome,
            agency_code: agency.code.clone(),
            agency_name: agency.name.clone(),
            category_code: category.code.clone(),
            category_name: category.name.clone(),
            priority: report.priority,
            area_code: area.map(|a| j.areas[a].code.clone()),
            area_name,
            place_resolution,
            rule: rule.map(rule_ref),
            triage_reason,
            sla: SlaRecord {
                version: targets.version.clone(),
                basis: targets.basis.clone(),
                matched_category: targets.matched_category.clone(),
                transfer_clock: targets.transfer_clock,
                forward: targets.forward,
                accept: targets.accept,
                answer: targets.answer,
            },
            calendar_warnings: self.calendar_warnings(filed_at, &deadlines),
            deadlines,
            filed_at,
            decided_at: filed_at,
            transferred_from: None,
            explanation,
        })
    }

    /// The IOC re-assigns a ticket (from its triage queue or from another agency) to
    /// `new_agency_code` at `at`.
    ///
    /// The SLA version recorded in `previous` decides the clock: `restart` counts accept and
    /// answer again in full from `at`; `continue` keeps the previous deadlines. The forward
    /// deadline is kept either way. The new agency must be in force on `at`'s local date and
    /// differ from the current one; returning a ticket to the triage agency is not a transfer.
    pub fn transfer(
        &self,
        previous: &RoutingDecision,
        new_agency_code: &str,
        at: DateTime<Utc>,
        reason: &str,
    ) -> Result<RoutingDecision, RoutingError> {
        let j = self.jurisdiction.as_ref();
        let date = local_date(at);
        let &idx = self
            .agencies
            .get(new_agency_code)
            .ok_or_else(|| RoutingError::UnknownAgency(new_agency_code.to_owned()))?;
        let agency = &j.agencies[idx];
        if !agency.valid_on(date) {
            return Err(RoutingError::AgencyNotInForce {
                code: agency.code.clone(),
                date,
            });
        }
        if agency.code == previous.agency_code {
            return Err(RoutingError::InvalidTransfer(format!(
                "the ticket is already with {}",
                agency.code
            )));
        }
        if idx == self.triage_agency {
            return Err(RoutingError::InvalidTransfer(format!(
                "{} is the triage queue: return the ticket to triage instead of transferring it",
                agency.code
            )));
        }
        let at_local = to_local(at);
        if at_local < previous.decided_at {
            return Err(RoutingError::InvalidTransfer(format!(
                "transfer at {} is before the previous decision at {}",
                at_local.to_rfc3339(),
                previous.decided_at.to_rfc3339()
            )));
        }
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(RoutingError::InvalidTransfer(
                "a transfer needs a reason".to_owned(),
            ));
        }

        let clock = previous.sla.transfer_clock;
        let deadlines = match clock {
            TransferClock::Restart => Deadlines {
                forward_due: previous.deadlines.forward_due,
                accept_due: to_local(self.calendar.deadline(at, previous.sla.accept)),
                answer_due: to_local(self.calendar.deadline(at, previous.sla.answer)),
            },
            TransferClock::Continue => previous.deadlines,
        };
        let clock_text = match clock {
            TransferClock::Restart => "thời hạn tiếp nhận và trả lời tính lại từ lúc chuyển",
            TransferClock::Continue => "thời hạn tiếp nhận và trả lời giữ nguyên",
        };
        let place = previous
            .area_name
            .as_deref()
            .map(|n| format!(" tại «{n}»"))
            .unwrap_or_default();
        let explanation = format!(
            "Lĩnh vực «{}»{place}: chuyển từ {} sang {} lúc {}, lý do: {reason}. Theo chính sách {}, {}: \
             hạn tiếp nhận {}, hạn trả lời {}.",
            previous.category_name,
            previous.agency_name,
            agency.name,
            vn_time(at_local),
            previous.sla.version,
            clock_text,
            vn_time(deadlines.accept_due),
            vn_time(deadlines.answer_due)
        );

        Ok(RoutingDecision {
            outcome: Outcome::Assigned,
            agency_code: agency.code.clone(),
            agency_name: agency.name.clone(),
            category_code: previous.category_code.clone(),
            category_name: previous.category_name.clone(),
            priority: previous.priority,
            area_code: previous.area_code.clone(),
            area_name: previous.area_name.clone(),
            place_resolution: previous.place_resolution.clone(),
            rule: None,
            triage_reason: None,
            sla: previous.sla.clone(),
            calendar_warnings: self.calendar_warnings(at_local, &deadlines),
            deadlines,
            filed_at: previous.filed_at,
            decided_at: at_local,
            transferred_from: Some(TransferRecord {
                agency_code: previous.agency_code.clone(),
                agency_name: previous.agency_name.clone(),
                outcome: previous.outcome,
                at: at_local,
                reason: reason.to_owned(),
                clock,
                previous_deadlines: previous.deadlines,
            }),
            explanation,
        })
    }

    /// The category and its parents, most specific first; an error if unknown or not in force.
    fn category_chain(&self, code: &str, date: NaiveDate) -> Result<Vec<usize>, RoutingError> {
        let j = self.jurisdiction.as_ref();
        let &first = self
            .categories
            .get(code)
            .ok_or_else(|| RoutingError::UnknownCategory {
                code: code.to_owned(),
                date,
                detail: "does not exist",
            })?;
        if !j.categories[first].valid_on(date) {
            return Err(RoutingError::UnknownCategory {
                code: code.to_owned(),
                date,
                detail: "is not in force",
            });
        }
        let mut chain = vec![first];
        let mut cur = self.category_parent[first];
        while let Some(c) = cur {
            if chain.contains(&c) {
                break;
            }
            chain.push(c);
            cur = self.category_parent[c];
        }
        Ok(chain)
    }

    /// Area code, then address, then coordinates: the first that resolves wins. When none
    /// does, the first failure gives the triage reason. Also returns notes on failed inputs.
    fn resolve_place(
        &self,
        place: &Place,
        date: NaiveDate,
    ) -> (Result<Resolved, Unresolved>, Vec<String>) {
        let mut attempts: Vec<Unresolved> = Vec::new();
        if let Some(code) = place.area_code.as_deref().filter(|c| !c.trim().is_empty()) {
            match self.areas.by_code(code, date) {
                Ok(r) => return (Ok(r), Vec::new()),
                Err(u) => attempts.push(u),
            }
        }
        if let Some(address) = place.address.as_deref().filter(|a| !a.trim().is_empty()) {
            match self.areas.by_address(address, date) {
                Ok(r) => return (Ok(r), notes(&attempts)),
                Err(u) => attempts.push(u),
            }
        }
        if let (Some(lat), Some(lon)) = (place.lat, place.lon) {
            match self.areas.by_point(lat, lon, date) {
                Ok(r) => return (Ok(r), notes(&attempts)),
                Err(u) => attempts.push(u),
            }
        }
        let notes = notes(attempts.get(1..).unwrap_or_default());
        match attempts.into_iter().next() {
            Some(first) => (Err(first), notes),
            None => (
                Err(Unresolved {
                    reason: TriageReason::NoPlace,
                    input: None,
                    detail: "không có mã địa bàn, địa chỉ hay tọa độ".to_owned(),
                }),
                notes,
            ),
        }
    }

    /// The most specific rule: category first (sub-category, category, any), then area
    /// (the area itself, then its ancestors, then anywhere).
    fn find_rule(&self, chain: &[usize], area: usize, date: NaiveDate) -> Option<&RoutingRule> {
        let j = self.jurisdiction.as_ref();
        let mut areas = vec![Some(area)];
        let mut cur = self.areas.parent[area];
        while let Some(a) = cur {
            areas.push(Some(a));
            cur = self.areas.parent[a];
        }
        areas.push(None);
        chain
            .iter()
            .copied()
            .map(Some)
            .chain(std::iter::once(None))
            .find_map(|cat| {
                areas.iter().find_map(|&a| {
                    self.rules
                        .get(&(cat, a))
                        .and_then(|ids| ids.iter().map(|&i| &j.rules[i]).find(|r| r.valid_on(date)))
                })
            })
    }

    fn deadlines(&self, from: DateTime<Utc>, t: &SlaTargets) -> Deadlines {
        Deadlines {
            forward_due: to_local(self.calendar.deadline(from, t.forward)),
            accept_due: to_local(self.calendar.deadline(from, t.accept)),
            answer_due: to_local(self.calendar.deadline(from, t.answer)),
        }
    }

    fn calendar_warnings(
        &self,
        from: DateTime<FixedOffset>,
        d: &Deadlines,
    ) -> Vec<CalendarWarning> {
        let start = from.date_naive();
        let last = [d.forward_due, d.accept_due, d.answer_due]
            .into_iter()
            .map(|t| t.date_naive())
            .max()
            .unwrap_or(start)
            .max(start);
        // Deadlines saturate at chrono's maximum on absurd spans; do not scan millennia.
        let last_year = last.year().min(start.year().saturating_add(5));
        let mut warnings = Vec::new();
        let missing = self.calendar.missing_years(start.year(), last_year);
        if !missing.is_empty() {
            let list = missing
                .iter()
                .map(i32::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            warnings.push(CalendarWarning::MissingYears {
                message: format!(
                    "Chưa có lịch ngày nghỉ năm {list}: thời hạn chỉ trừ thứ Bảy, Chủ nhật và có thể thay đổi."
                ),
                years: missing.clone(),
            });
        }
        let days: Vec<NaiveDate> = start
            .iter_days()
            .take_while(|day| *day <= last)
            .take(400)
            .filter(|day| !self.calendar.is_working_day(*day))
            .filter(|day| {
                let info = self.calendar.day(*day);
                !info.confirmed && !missing.contains(&day.year())
            })
            .collect();
        if !days.is_empty() {
            let list = days
                .iter()
                .map(|day| vn_date(*day))
                .collect::<Vec<_>>()
                .join(", ");
            warnings.push(CalendarWarning::UnconfirmedDays {
                message: format!(
                    "Thời hạn tính qua ngày nghỉ chưa được xác nhận chính thức ({list}): có thể thay đổi."
                ),
                days,
            });
        }
        warnings
    }
}

fn notes(attempts: &[Unresolved]) -> Vec<String> {
    attempts
        .iter()
        .map(|u| {
            format!(
                "«{}»: {} ({})",
                u.input.as_deref().unwrap_or(""),
                u.reason.label_vi(),
                u.detail
            )
        })
        .collect()
}

fn rule_ref(r: &RoutingRule) -> RuleRef {
    RuleRef {
        id: r.id.clone(),
        category: r.category.clone(),
        area: r.area.clone(),
        agency: r.agency.clone(),
        basis: r.basis.clone(),
        valid_from: r.valid_from,
        valid_to: r.valid_to,
        confirmed: r.confirmed,
    }
}

/// True when `inner` is a strict descendant of `outer` in a parent table (`None` = the root
/// that contains everything).
fn strictly_inside(inner: Option<usize>, outer: Option<usize>, parent: &[Option<usize>]) -> bool {
    let Some(mut cur) = inner else {
        return false;
    };
    for _ in 0..parent.len() {
        match parent[cur] {
            Some(p) if Some(p) == outer => return true,
            Some(p) => cur = p,
            None => return outer.is_none(),
        }
    }
    false
}

fn precedence_conflicts(
    j: &Jurisdiction,
    areas: &AreaIndex,
    categories: &HashMap<String, usize>,
    category_parent: &[Option<usize>],
) -> Vec<PrecedenceConflict> {
    let keyed: Vec<(Option<usize>, Option<usize>)> = j
        .rules
        .iter()
        .map(|r| {
            (
                r.category
                    .as_deref()
                    .and_then(|c| categories.get(c).copied()),
                r.area.as_deref().and_then(|a| areas.codes.get(a).copied()),
            )
        })
        .collect();
    let mut out = Vec::new();
    for (a, ra) in j.rules.iter().enumerate() {
        for (b, rb) in j.rules.iter().enumerate() {
            let ((cat_a, area_a), (cat_b, area_b)) = (keyed[a], keyed[b]);
            if ra.agency != rb.agency
                && strictly_inside(cat_a, cat_b, category_parent)
                && strictly_inside(area_b, area_a, &areas.parent)
                && ra.validity().overlaps(&rb.validity())
            {
                let RoutingError::RuleTie {
                    overlap_from,
                    overlap_to,
                    ..
                } = tie(ra, rb)
                else {
                    continue;
                };
                out.push(PrecedenceConflict {
                    winning_rule: ra.id.clone(),
                    deeper_area_rule: rb.id.clone(),
                    winning_agency: ra.agency.clone(),
                    deeper_area_agency: rb.agency.clone(),
                    overlap_from,
                    overlap_to,
                });
            }
        }
    }
    out
}

fn tie(first: &RoutingRule, second: &RoutingRule) -> RoutingError {
    let (a, b) = (first.validity(), second.validity());
    let overlap_to = match (a.valid_to, b.valid_to) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    };
    RoutingError::RuleTie {
        first: first.id.clone(),
        second: second.id.clone(),
        category: first.category.clone().unwrap_or_else(|| "any".to_owned()),
        area: first.area.clone().unwrap_or_else(|| "anywhere".to_owned()),
        overlap_from: a.valid_from.max(b.valid_from),
        overlap_to,
    }
}
