//! The ticket workflow against an explicit table: for every state, caller and action, what
//! the spec says is allowed (written here by hand, not derived from the code under test),
//! plus whole lives of a ticket and the refusals the edge relies on.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, TimeZone, Utc};
use tongdai_domain::{
    Action, Actor, Caller, Command, EventKind, EventVisibility, RefusalClass, Role, TicketStatus,
    Why, WorkflowPolicy, WorkflowState, allowed_actions, decide,
};
use uuid::Uuid;

const CATEGORY: &str = "den_duong";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 10, 2, 0, 0).single().unwrap()
}

/// Agency A needs its lead's approval; street-light answers need one photo.
fn policy() -> WorkflowPolicy {
    WorkflowPolicy {
        reopen_days: 7,
        approval_agencies: BTreeSet::from(["A".to_owned()]),
        proof_photos: BTreeMap::from([(CATEGORY.to_owned(), 1)]),
    }
}

fn state(status: TicketStatus, agency: Option<&str>) -> WorkflowState {
    WorkflowState {
        status,
        agency: agency.map(str::to_owned),
        category: CATEGORY.to_owned(),
        pending_extension: None,
        answer_due: None,
        answered_at: None,
        closed_at: None,
        rated: false,
        version: 3,
    }
}

fn fixture(name: &str) -> WorkflowState {
    use TicketStatus as S;
    let recent = Some(now() - Duration::days(2));
    let old = Some(now() - Duration::days(10));
    let pending = Some(now() + Duration::days(5));
    let mut s = match name {
        "triage" => state(S::Triage, None),
        "forwarded" => state(S::Forwarded, Some("A")),
        "in_progress" | "in_progress_ext" => state(S::InProgress, Some("A")),
        "waiting" | "waiting_ext" => state(S::WaitingCitizen, Some("A")),
        "awaiting_approval" => state(S::AwaitingApproval, Some("A")),
        "awaiting_publication" => state(S::AwaitingPublication, Some("A")),
        "answered" | "answered_rated" | "answered_late" => state(S::Answered, Some("A")),
        "closed" | "closed_late" => state(S::Closed, Some("A")),
        "rejected" => state(S::Rejected, Some("A")),
        "rejected_in_triage" => state(S::Rejected, None),
        "closed_rejected" => state(S::Closed, Some("A")),
        other => panic!("no fixture {other}"),
    };
    if name.ends_with("_ext") {
        s.pending_extension = pending;
    }
    match name {
        "answered" | "answered_rated" | "closed" => s.answered_at = recent,
        "answered_late" | "closed_late" => s.answered_at = old,
        _ => {}
    }
    if name.starts_with("closed") {
        s.closed_at = Some(now() - Duration::days(1));
    }
    s.rated = name == "answered_rated";
    s
}

fn caller(name: &str) -> Caller {
    let staff = |roles: &[Role], agency: Option<&str>| {
        Caller::staff(Uuid::nil(), roles.to_vec(), agency.map(str::to_owned))
    };
    match name {
        "operator" => staff(&[Role::Operator], None),
        "ioc" => staff(&[Role::Ioc], None),
        "clerk_a" => staff(&[Role::Clerk], Some("A")),
        "clerk_b" => staff(&[Role::Clerk], Some("B")),
        "lead_a" => staff(&[Role::Lead], Some("A")),
        "lead_b" => staff(&[Role::Lead], Some("B")),
        "reporter" => staff(&[Role::Reporter], None),
        "admin" => staff(&[Role::Admin], None),
        "citizen" => Caller::citizen(),
        other => panic!("no caller {other}"),
    }
}

const CALLERS: [&str; 9] = [
    "operator", "ioc", "clerk_a", "clerk_b", "lead_a", "lead_b", "reporter", "admin", "citizen",
];

/// The spec, by hand: for each state, the actions each caller may take ("404": the caller
/// may not know the ticket exists). Columns are [`CALLERS`].
const TABLE: &[(&str, [&str; 9])] = &[
    (
        "triage",
        [
            "",
            "forward recategorise reject note",
            "404",
            "404",
            "404",
            "404",
            "",
            "",
            "",
        ],
    ),
    (
        "forwarded",
        [
            "",
            "recategorise transfer reject note",
            "accept return note",
            "404",
            "accept return note",
            "404",
            "",
            "",
            "",
        ],
    ),
    (
        "in_progress",
        [
            "",
            "recategorise transfer note",
            "return request-info extension-request note progress answer",
            "404",
            "return request-info extension-request note progress answer",
            "404",
            "",
            "",
            "",
        ],
    ),
    (
        "in_progress_ext",
        [
            "",
            "recategorise transfer extension-approve extension-refuse note",
            "return request-info note progress answer",
            "404",
            "return request-info note progress answer",
            "404",
            "",
            "",
            "",
        ],
    ),
    (
        "waiting",
        [
            "",
            "note",
            "extension-request note progress",
            "404",
            "extension-request note progress",
            "404",
            "",
            "",
            "citizen-reply",
        ],
    ),
    (
        "waiting_ext",
        [
            "",
            "extension-approve extension-refuse note",
            "note progress",
            "404",
            "note progress",
            "404",
            "",
            "",
            "citizen-reply",
        ],
    ),
    (
        "awaiting_approval",
        [
            "",
            "note",
            "note",
            "404",
            "note approve-answer send-back",
            "404",
            "",
            "",
            "",
        ],
    ),
    (
        "awaiting_publication",
        ["", "publish note", "note", "404", "note", "404", "", "", ""],
    ),
    (
        "answered",
        [
            "",
            "close note",
            "note",
            "404",
            "note",
            "404",
            "",
            "",
            "reopen rate",
        ],
    ),
    (
        "answered_rated",
        [
            "",
            "close note",
            "note",
            "404",
            "note",
            "404",
            "",
            "",
            "reopen",
        ],
    ),
    (
        "answered_late",
        [
            "",
            "close note",
            "note",
            "404",
            "note",
            "404",
            "",
            "",
            "rate",
        ],
    ),
    (
        "closed",
        [
            "",
            "note",
            "note",
            "404",
            "note",
            "404",
            "",
            "",
            "reopen rate",
        ],
    ),
    (
        "closed_late",
        ["", "note", "note", "404", "note", "404", "", "", "rate"],
    ),
    (
        "rejected",
        ["", "close note", "note", "404", "note", "404", "", "", ""],
    ),
    (
        "rejected_in_triage",
        ["", "close note", "404", "404", "404", "404", "", "", ""],
    ),
    (
        "closed_rejected",
        ["", "note", "note", "404", "note", "404", "", "", ""],
    ),
];

const SECRET: &str = "0909123456 nhà tôi ở hẻm 5";

/// A command carrying every field an action could need, valid for that action.
fn full_command(action: Action, version: u64, by_citizen: bool) -> Command {
    let text = if by_citizen { SECRET } else { "Nội dung" };
    let mut c = Command::new(action, version);
    c.text = Some(text.to_owned());
    c.reason = Some(text.to_owned());
    c.internal_text = Some("Nội bộ".to_owned());
    c.agency = Some(
        if action == Action::Recategorise {
            "A"
        } else {
            "C"
        }
        .to_owned(),
    );
    c.category = Some(CATEGORY.to_owned());
    c.new_deadline = Some(now() + Duration::days(3));
    c.rating = Some(4);
    c.proof_photos = 2;
    c
}

fn actions(list: &str) -> BTreeSet<String> {
    list.split_whitespace().map(str::to_owned).collect()
}

fn codes(list: &[Action]) -> BTreeSet<String> {
    list.iter().map(|a| a.code().to_owned()).collect()
}

#[test]
fn every_state_action_and_caller_is_decided_as_the_table_says() {
    let policy = policy();
    let mut triples = 0;
    for (fixture_name, row) in TABLE {
        let st = fixture(fixture_name);
        for (caller_name, expected) in CALLERS.iter().zip(row) {
            let who = caller(caller_name);
            let hidden = *expected == "404";
            let expected = if hidden {
                BTreeSet::new()
            } else {
                actions(expected)
            };
            let ctx = format!("{fixture_name} / {caller_name}");
            assert_eq!(
                codes(&allowed_actions(&st, &who, &policy, now())),
                expected,
                "allowed actions of {ctx}"
            );
            for action in Action::ALL {
                triples += 1;
                let command = full_command(*action, st.version, who.is_citizen());
                let result = decide(&st, &command, &who, &policy, now());
                let ctx = format!("{action} on {ctx}");
                match result {
                    Ok(d) => {
                        assert!(expected.contains(action.code()), "{ctx} was allowed");
                        assert_eq!(d.state.version, st.version + 1, "{ctx}: version");
                        assert!(
                            d.status() == st.status || st.status.can_move_to(d.status()),
                            "{ctx}: illegal move to {}",
                            d.status()
                        );
                        assert!(!d.events.is_empty(), "{ctx}: no event");
                        for e in &d.events {
                            assert_eq!(e.actor, who.actor, "{ctx}: actor");
                            assert_eq!(e.occurred_at, now(), "{ctx}: time");
                            if e.visibility == EventVisibility::Public {
                                assert!(
                                    !e.payload.to_string().contains(SECRET),
                                    "{ctx}: citizen text in a public event"
                                );
                            }
                        }
                    }
                    Err(refusal) if hidden => {
                        assert_eq!(refusal.why, Why::NotFound, "{ctx}");
                        assert!(refusal.allowed.is_empty(), "{ctx}: leaks actions");
                    }
                    Err(refusal) => {
                        assert!(
                            !expected.contains(action.code()),
                            "{ctx} was refused: {}",
                            refusal.why
                        );
                        assert_ne!(refusal.why, Why::NotFound, "{ctx}");
                        assert_eq!(codes(&refusal.allowed), expected, "{ctx}: listed");
                    }
                }
            }
        }
    }
    assert_eq!(triples, TABLE.len() * CALLERS.len() * Action::ALL.len());
}

/// Runs one command that must succeed and returns the next state.
fn step(
    st: &WorkflowState,
    who: &str,
    command: Command,
    expected: TicketStatus,
    kinds: &[EventKind],
) -> WorkflowState {
    let d = decide(st, &command, &caller(who), &policy(), now())
        .unwrap_or_else(|r| panic!("{} by {who}: {}", command.action, r.why));
    assert_eq!(d.status(), expected, "{}", command.action);
    assert_eq!(
        d.events.iter().map(|e| e.kind).collect::<Vec<_>>(),
        kinds,
        "{}",
        command.action
    );
    assert_eq!(d.state.version, st.version + 1);
    d.state
}

fn cmd(action: Action, st: &WorkflowState) -> Command {
    Command::new(action, st.version)
}

#[test]
fn a_whole_life_from_triage_to_rating() {
    use TicketStatus as S;
    let mut st = state(S::Triage, None);
    st.version = 0;

    let mut c = cmd(Action::Forward, &st);
    c.agency = Some("A".to_owned());
    st = step(&st, "ioc", c, S::Forwarded, &[EventKind::Forwarded]);
    assert_eq!(st.agency.as_deref(), Some("A"));

    st = step(
        &st,
        "clerk_a",
        cmd(Action::Accept, &st),
        S::InProgress,
        &[EventKind::Accepted],
    );

    let mut c = cmd(Action::RequestInfo, &st);
    c.text = Some("Xin cho biết số cột đèn.".to_owned());
    st = step(
        &st,
        "clerk_a",
        c,
        S::WaitingCitizen,
        &[EventKind::InfoRequested],
    );

    let mut c = cmd(Action::CitizenReply, &st);
    c.text = Some("Cột số 12.".to_owned());
    st = step(
        &st,
        "citizen",
        c,
        S::InProgress,
        &[EventKind::CitizenReplied],
    );

    let mut c = cmd(Action::Answer, &st);
    c.text = Some("Đã thay bóng đèn.".to_owned());
    c.internal_text = Some("Đội 3 thực hiện.".to_owned());
    c.proof_photos = 1;
    st = step(
        &st,
        "clerk_a",
        c,
        S::AwaitingApproval,
        &[EventKind::AnswerSubmitted],
    );
    assert!(st.awaits_approval());

    st = step(
        &st,
        "lead_a",
        cmd(Action::ApproveAnswer, &st),
        S::AwaitingPublication,
        &[EventKind::AnswerApproved],
    );
    assert!(!st.answer_published());

    let mut c = cmd(Action::Publish, &st);
    c.text = Some("Đã thay bóng đèn.".to_owned());
    st = step(&st, "ioc", c, S::Answered, &[EventKind::Published]);
    assert!(st.answer_published());
    assert_eq!(st.answered_at, Some(now()));

    st = step(
        &st,
        "ioc",
        cmd(Action::Close, &st),
        S::Closed,
        &[EventKind::Closed],
    );
    assert_eq!(st.closed_at, Some(now()));

    let mut c = cmd(Action::Rate, &st);
    c.rating = Some(5);
    st = step(&st, "citizen", c, S::Closed, &[EventKind::Rated]);
    assert!(st.rated);
    assert_eq!(st.version, 9);

    let mut again = cmd(Action::Rate, &st);
    again.rating = Some(1);
    let refusal = decide(&st, &again, &Caller::citizen(), &policy(), now()).unwrap_err();
    assert_eq!(refusal.why, Why::AlreadyRated);
}

#[test]
fn reopen_is_possible_until_the_window_ends() {
    let policy = policy();
    let mut st = fixture("closed");
    st.answered_at = Some(now() - Duration::days(7));
    let mut c = cmd(Action::Reopen, &st);
    c.reason = Some("Đèn vẫn không sáng.".to_owned());
    let d = decide(&st, &c, &Caller::citizen(), &policy, now()).unwrap();
    assert_eq!(d.status(), TicketStatus::InProgress);
    assert_eq!(d.state.agency.as_deref(), Some("A"));
    assert_eq!(d.state.answered_at, None);
    assert_eq!(d.state.closed_at, None);
    let reopened = &d.events[0];
    assert_eq!(reopened.kind, EventKind::Reopened);
    assert_eq!(reopened.visibility, EventVisibility::Public);
    assert!(!reopened.payload.to_string().contains("Đèn vẫn"));
    assert_eq!(d.events[1].visibility, EventVisibility::Internal);

    // The reopened ticket goes back to the agency, which answers again.
    assert!(
        allowed_actions(&d.state, &caller("clerk_a"), &policy, now()).contains(&Action::Answer)
    );

    st.answered_at = Some(now() - Duration::days(7) - Duration::seconds(1));
    let late = decide(&st, &c, &Caller::citizen(), &policy, now()).unwrap_err();
    assert_eq!(late.why, Why::ReopenWindowClosed { days: 7 });
    assert_eq!(codes(&late.allowed), actions("rate"));

    let mut missing = c.clone();
    missing.reason = None;
    st.answered_at = Some(now());
    let refusal = decide(&st, &missing, &Caller::citizen(), &policy, now()).unwrap_err();
    assert_eq!(refusal.why, Why::Missing { field: "reason" });
}

#[test]
fn another_agency_never_learns_the_ticket_exists() {
    let policy = policy();
    let st = fixture("in_progress");
    let no_agency = Caller::staff(Uuid::nil(), vec![Role::Clerk], None);
    for who in [caller("clerk_b"), caller("lead_b"), no_agency] {
        assert!(!who.sees(&st));
        assert!(allowed_actions(&st, &who, &policy, now()).is_empty());
        for action in Action::ALL {
            let refusal =
                decide(&st, &full_command(*action, 3, false), &who, &policy, now()).unwrap_err();
            assert_eq!(refusal.why, Why::NotFound);
            assert!(refusal.allowed.is_empty());
        }
        // Even a stale version says nothing more.
        let stale = full_command(Action::Answer, 0, false);
        let refusal = decide(&st, &stale, &who, &policy, now()).unwrap_err();
        assert_eq!(refusal.why, Why::NotFound);
    }
}

#[test]
fn a_returned_or_transferred_ticket_leaves_the_agency() {
    let policy = policy();
    let st = fixture("in_progress_ext");
    let mut c = cmd(Action::Return, &st);
    c.reason = Some("Không thuộc thẩm quyền.".to_owned());
    let d = decide(&st, &c, &caller("clerk_a"), &policy, now()).unwrap();
    assert_eq!(d.status(), TicketStatus::Triage);
    assert_eq!(d.state.agency, None);
    assert_eq!(d.state.pending_extension, None);
    assert!(!caller("clerk_a").sees(&d.state));

    let mut c = cmd(Action::Transfer, &st);
    c.agency = Some("B".to_owned());
    c.reason = Some("Thuộc địa bàn B.".to_owned());
    let d = decide(&st, &c, &caller("ioc"), &policy, now()).unwrap();
    assert_eq!(d.status(), TicketStatus::Forwarded);
    assert_eq!(d.state.agency.as_deref(), Some("B"));
    assert_eq!(d.state.pending_extension, None);
    assert!(!caller("clerk_a").sees(&d.state));
    assert!(caller("clerk_b").sees(&d.state));
    assert_eq!(d.events[0].kind, EventKind::Transferred);
    assert_eq!(d.events[0].payload["from"], "A");

    c.agency = Some("A".to_owned());
    let same = decide(&st, &c, &caller("ioc"), &policy, now()).unwrap_err();
    assert!(matches!(
        same.why,
        Why::Invalid {
            field: "agency",
            ..
        }
    ));
}

#[test]
fn recategorising_follows_the_new_routing() {
    let policy = policy();
    let st = fixture("in_progress");
    let mut c = cmd(Action::Recategorise, &st);
    c.category = Some("rac_thai".to_owned());
    c.agency = Some("A".to_owned());
    let same = decide(&st, &c, &caller("ioc"), &policy, now()).unwrap();
    assert_eq!(same.status(), TicketStatus::InProgress);
    assert_eq!(same.state.category, "rac_thai");
    assert_eq!(same.events[0].payload["previous_category"], CATEGORY);

    c.agency = Some("B".to_owned());
    let moved = decide(&st, &c, &caller("ioc"), &policy, now()).unwrap();
    assert_eq!(moved.status(), TicketStatus::Forwarded);
    assert_eq!(moved.state.agency.as_deref(), Some("B"));

    c.agency = None;
    let triage = decide(&st, &c, &caller("ioc"), &policy, now()).unwrap();
    assert_eq!(triage.status(), TicketStatus::Triage);
    assert_eq!(triage.state.agency, None);

    c.category = None;
    let missing = decide(&st, &c, &caller("ioc"), &policy, now()).unwrap_err();
    assert_eq!(missing.why, Why::Missing { field: "category" });
}

#[test]
fn a_reporter_and_an_admin_change_nothing() {
    let policy = policy();
    for name in TABLE.iter().map(|(n, _)| *n) {
        let st = fixture(name);
        for who in [caller("reporter"), caller("admin"), caller("operator")] {
            assert!(who.sees(&st));
            for action in Action::ALL {
                let refusal = decide(&st, &full_command(*action, 3, false), &who, &policy, now())
                    .unwrap_err();
                assert_eq!(refusal.why, Why::RoleNotAllowed { action: *action });
                assert!(refusal.allowed.is_empty());
            }
        }
    }
}

#[test]
fn a_stale_version_is_refused_and_each_decision_bumps_it() {
    let policy = policy();
    let st = fixture("forwarded");
    let first = decide(
        &st,
        &cmd(Action::Accept, &st),
        &caller("clerk_a"),
        &policy,
        now(),
    );
    let next = first.unwrap().state;
    assert_eq!(next.version, 4);

    // A second clerk who saw version 3 tries to return the ticket.
    let mut late = Command::new(Action::Return, 3);
    late.reason = Some("Không thuộc thẩm quyền.".to_owned());
    let refusal = decide(&next, &late, &caller("lead_a"), &policy, now()).unwrap_err();
    assert_eq!(
        refusal.why,
        Why::StaleVersion {
            expected: 3,
            actual: 4
        }
    );
    assert!(refusal.allowed.contains(&Action::Return));
    assert!(refusal.allowed.contains(&Action::Answer));
    late.version = 4;
    assert!(decide(&next, &late, &caller("lead_a"), &policy, now()).is_ok());
}

#[test]
fn approval_and_proof_follow_the_policy() {
    let mut policy = policy();
    let st = fixture("in_progress");
    let mut c = cmd(Action::Answer, &st);
    c.text = Some("Đã xử lý.".to_owned());

    let refusal = decide(&st, &c, &caller("clerk_a"), &policy, now()).unwrap_err();
    assert_eq!(
        refusal.why,
        Why::ProofPhotosRequired {
            required: 1,
            given: 0
        }
    );
    assert!(refusal.allowed.contains(&Action::Answer));

    c.proof_photos = 1;
    let d = decide(&st, &c, &caller("clerk_a"), &policy, now()).unwrap();
    assert_eq!(d.status(), TicketStatus::AwaitingApproval);
    assert_eq!(d.events[0].visibility, EventVisibility::Internal);
    assert_eq!(d.events[0].payload["needs_approval"], true);

    // A lead's own answer needs no approval.
    let d = decide(&st, &c, &caller("lead_a"), &policy, now()).unwrap();
    assert_eq!(d.status(), TicketStatus::AwaitingPublication);

    // Nor does the answer of an agency the policy does not name, or of another category.
    policy.approval_agencies.clear();
    let mut other = st.clone();
    other.category = "rac_thai".to_owned();
    c.proof_photos = 0;
    let d = decide(&other, &c, &caller("clerk_a"), &policy, now()).unwrap();
    assert_eq!(d.status(), TicketStatus::AwaitingPublication);

    // The lead sends an answer back with a reason.
    let waiting = fixture("awaiting_approval");
    let mut back = cmd(Action::SendBack, &waiting);
    let refusal = decide(&waiting, &back, &caller("lead_a"), &policy, now()).unwrap_err();
    assert_eq!(refusal.why, Why::Missing { field: "reason" });
    back.reason = Some("Thiếu ảnh sau khi sửa.".to_owned());
    let d = decide(&waiting, &back, &caller("lead_a"), &policy, now()).unwrap();
    assert_eq!(d.status(), TicketStatus::InProgress);
    assert_eq!(d.events[0].kind, EventKind::AnswerSentBack);
}

#[test]
fn extensions_are_requested_once_and_decided_by_the_ioc() {
    let policy = policy();
    let st = fixture("in_progress");
    let mut c = cmd(Action::ExtensionRequest, &st);
    c.reason = Some("Chờ vật tư.".to_owned());
    c.new_deadline = Some(now() - Duration::hours(1));
    let past = decide(&st, &c, &caller("clerk_a"), &policy, now()).unwrap_err();
    assert!(matches!(
        past.why,
        Why::Invalid {
            field: "new_deadline",
            ..
        }
    ));

    let deadline = now() + Duration::days(4);
    c.new_deadline = Some(deadline);
    let requested = decide(&st, &c, &caller("clerk_a"), &policy, now())
        .unwrap()
        .state;
    assert_eq!(requested.pending_extension, Some(deadline));
    assert_eq!(requested.status, TicketStatus::InProgress);

    let mut twice = c.clone();
    twice.version = requested.version;
    let refusal = decide(&requested, &twice, &caller("clerk_a"), &policy, now()).unwrap_err();
    assert_eq!(refusal.why, Why::ExtensionPending);

    let approve = cmd(Action::ExtensionApprove, &requested);
    let d = decide(&requested, &approve, &caller("ioc"), &policy, now()).unwrap();
    assert_eq!(d.state.pending_extension, None);
    assert_eq!(d.events[0].kind, EventKind::ExtensionApproved);
    assert_eq!(
        d.events[0].payload["new_deadline"],
        "2026-03-14T09:00:00+07:00"
    );

    let mut refuse = cmd(Action::ExtensionRefuse, &requested);
    refuse.reason = Some("Không đủ căn cứ.".to_owned());
    let d = decide(&requested, &refuse, &caller("ioc"), &policy, now()).unwrap();
    assert_eq!(d.state.pending_extension, None);
    assert_eq!(d.events[0].kind, EventKind::ExtensionRefused);
}

#[test]
fn data_each_action_needs_is_checked() {
    let policy = policy();
    let triage = fixture("triage");
    let forward = cmd(Action::Forward, &triage);
    let refusal = decide(&triage, &forward, &caller("ioc"), &policy, now()).unwrap_err();
    assert_eq!(refusal.why, Why::Missing { field: "agency" });
    assert_eq!(
        codes(&refusal.allowed),
        actions("forward recategorise reject note")
    );

    let mut reject = cmd(Action::Reject, &triage);
    reject.reason = Some("   ".to_owned());
    let refusal = decide(&triage, &reject, &caller("ioc"), &policy, now()).unwrap_err();
    assert_eq!(refusal.why, Why::Missing { field: "reason" });
    reject.reason = Some("Trùng phản ánh đã có.".to_owned());
    reject.duplicate_of = Some("1022-K7Q9-3MPX".parse().unwrap());
    let d = decide(&triage, &reject, &caller("ioc"), &policy, now()).unwrap();
    assert_eq!(d.status(), TicketStatus::Rejected);
    assert_eq!(d.events[0].payload["duplicate_of"], "1022-K7Q9-3MPX");

    let answered = fixture("answered");
    for (rating, ok) in [
        (None, false),
        (Some(0), false),
        (Some(6), false),
        (Some(1), true),
    ] {
        let mut rate = cmd(Action::Rate, &answered);
        rate.rating = rating;
        let result = decide(&answered, &rate, &Caller::citizen(), &policy, now());
        assert_eq!(result.is_ok(), ok, "rating {rating:?}");
    }
}

#[test]
fn codes_are_the_spec_s_and_round_trip() {
    let expected = "forward recategorise transfer accept return reject request-info \
                    citizen-reply extension-request extension-approve extension-refuse note \
                    progress answer approve-answer send-back publish close reopen rate";
    let all: Vec<&str> = Action::ALL.iter().map(|a| a.code()).collect();
    assert_eq!(all, expected.split_whitespace().collect::<Vec<_>>());
    for a in Action::ALL {
        assert_eq!(a.code().parse::<Action>().ok(), Some(*a));
    }
    let roles: Vec<&str> = Role::ALL.iter().map(|r| r.code()).collect();
    assert_eq!(
        roles,
        ["operator", "ioc", "clerk", "lead", "reporter", "admin"]
    );
    assert_eq!(
        serde_json::to_string(&Role::Lead).unwrap(),
        "\"lead\"".to_owned()
    );

    // Stored codes: the old ones unchanged, the new ones as added.
    let statuses: Vec<&str> = TicketStatus::ALL.iter().map(|s| s.code()).collect();
    for code in [
        "triage",
        "forwarded",
        "in_progress",
        "waiting_citizen",
        "answered",
        "rejected",
        "closed",
        "awaiting_approval",
        "awaiting_publication",
    ] {
        assert!(statuses.contains(&code), "{code}");
    }
    let kinds: BTreeSet<&str> = EventKind::ALL.iter().map(|k| k.code()).collect();
    assert_eq!(kinds.len(), EventKind::ALL.len(), "event codes are unique");
    for code in [
        "created",
        "routed",
        "sent_to_triage",
        "transferred",
        "accepted",
        "paused",
        "resumed",
        "extended",
        "answered",
        "rejected",
        "closed",
        "reopened",
        "commented",
        "photos_added",
        "forwarded",
        "recategorised",
        "returned",
        "info_requested",
        "citizen_replied",
        "extension_requested",
        "extension_approved",
        "extension_refused",
        "progress",
        "answer_submitted",
        "answer_approved",
        "answer_sent_back",
        "published",
        "rated",
    ] {
        assert!(kinds.contains(code), "{code}");
    }
}

#[test]
fn the_policy_reads_from_config_text() {
    let policy: WorkflowPolicy = toml::from_str(
        r#"
        reopen_days = 7
        approval_agencies = ["A"]
        [proof_photos]
        den_duong = 1
        "#,
    )
    .unwrap();
    assert_eq!(policy, self::policy());
    assert!(toml::from_str::<WorkflowPolicy>("reopen_days = 7\nunknown = 1").is_err());
    let minimal: WorkflowPolicy = toml::from_str("reopen_days = 3").unwrap();
    assert!(!minimal.needs_approval(Some("A")));
    assert_eq!(minimal.proof_photos_required(CATEGORY), 0);
}

#[test]
fn a_citizen_caller_is_not_staff() {
    let citizen = Caller::citizen();
    assert_eq!(citizen.actor, Actor::Citizen);
    assert!(citizen.is_citizen());
    assert!(!citizen.has(Role::Ioc));
    let st = fixture("waiting");
    let mut reply = cmd(Action::CitizenReply, &st);
    reply.text = Some(SECRET.to_owned());
    let d = decide(&st, &reply, &citizen, &policy(), now()).unwrap();
    assert_eq!(d.events[0].visibility, EventVisibility::Internal);
    // Staff cannot reply in the citizen's name.
    let refusal = decide(&st, &reply, &caller("ioc"), &policy(), now()).unwrap_err();
    assert_eq!(
        refusal.why,
        Why::RoleNotAllowed {
            action: Action::CitizenReply
        }
    );
}

#[test]
fn each_decision_says_what_happens_to_the_deadlines() {
    use tongdai_domain::DeadlineEffect as E;
    let policy = policy();
    let until = now() + Duration::days(5);
    let start_c = E::Start {
        agency: "C".to_owned(),
    };
    let transfer = E::Transfer {
        from: Some("A".to_owned()),
        to: "C".to_owned(),
    };
    let cases: &[(&str, &str, Action, E)] = &[
        ("triage", "ioc", Action::Forward, start_c.clone()),
        ("triage", "ioc", Action::Reject, E::Unchanged),
        ("forwarded", "ioc", Action::Transfer, transfer.clone()),
        ("in_progress", "ioc", Action::Transfer, transfer),
        ("in_progress", "ioc", Action::Recategorise, E::Recompute),
        ("forwarded", "clerk_a", Action::Accept, E::Unchanged),
        ("forwarded", "clerk_a", Action::Return, E::Stop),
        ("in_progress", "clerk_a", Action::RequestInfo, E::Pause),
        ("waiting", "citizen", Action::CitizenReply, E::Resume),
        (
            "in_progress",
            "clerk_a",
            Action::ExtensionRequest,
            E::Unchanged,
        ),
        (
            "in_progress_ext",
            "ioc",
            Action::ExtensionApprove,
            E::Extend { until },
        ),
        (
            "in_progress_ext",
            "ioc",
            Action::ExtensionRefuse,
            E::Unchanged,
        ),
        ("in_progress", "clerk_a", Action::Progress, E::Unchanged),
        ("in_progress", "clerk_a", Action::Note, E::Unchanged),
        ("in_progress", "clerk_a", Action::Answer, E::Met),
        (
            "awaiting_approval",
            "lead_a",
            Action::ApproveAnswer,
            E::Unchanged,
        ),
        (
            "awaiting_approval",
            "lead_a",
            Action::SendBack,
            E::Unchanged,
        ),
        ("awaiting_publication", "ioc", Action::Publish, E::Unchanged),
        ("answered", "ioc", Action::Close, E::Unchanged),
        ("closed", "citizen", Action::Reopen, E::Restart),
        ("closed", "citizen", Action::Rate, E::Unchanged),
    ];
    for (fixture_name, who, action, effect) in cases {
        let st = fixture(fixture_name);
        let who = caller(who);
        let command = full_command(*action, st.version, who.is_citizen());
        let d = decide(&st, &command, &who, &policy, now())
            .unwrap_or_else(|r| panic!("{action} on {fixture_name}: {}", r.why));
        assert_eq!(&d.deadline, effect, "{action} on {fixture_name}");
    }

    let st = fixture("forwarded");
    let mut c = cmd(Action::Recategorise, &st);
    c.category = Some("rac_thai".to_owned());
    let d = decide(&st, &c, &caller("ioc"), &policy, now()).unwrap();
    assert_eq!(d.deadline, E::Stop);
    c.agency = Some("B".to_owned());
    let d = decide(&st, &c, &caller("ioc"), &policy, now()).unwrap();
    assert_eq!(
        d.deadline,
        E::Start {
            agency: "B".to_owned()
        }
    );
}

#[test]
fn refusals_sort_into_what_the_edge_answers() {
    assert_eq!(Why::NotFound.class(), RefusalClass::NotFound);
    for why in [
        Why::StaleVersion {
            expected: 1,
            actual: 2,
        },
        Why::RoleNotAllowed {
            action: Action::Publish,
        },
        Why::NotInThisState {
            action: Action::Accept,
            status: TicketStatus::Closed,
        },
        Why::ExtensionPending,
        Why::NoExtensionPending,
        Why::ReopenWindowClosed { days: 7 },
        Why::AlreadyRated,
        Why::NoPublishedAnswer,
    ] {
        assert_eq!(why.class(), RefusalClass::Conflict, "{why}");
    }
    for why in [
        Why::Missing { field: "reason" },
        Why::Invalid {
            field: "rating",
            message: "a rating is 1 to 5",
        },
        Why::ProofPhotosRequired {
            required: 1,
            given: 0,
        },
    ] {
        assert_eq!(why.class(), RefusalClass::Invalid, "{why}");
    }
}
