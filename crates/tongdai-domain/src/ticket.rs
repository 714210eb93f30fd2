//! A ticket (phiếu phản ánh) and the facts recorded about it.
//!
//! A ticket's history is an append-only list of [`TicketEvent`]s: the current row is a
//! summary, the events are the record that reports and audits rely on. Personal data of
//! the reporter ([`Reporter`]) lives only in its own columns and never in an event
//! payload, because event payloads marked public are shown on the tracking page.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::DomainError;
pub use tongdai_calendar::Priority;

/// Tickets are identified by a UUIDv7, so ids sort by creation time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TicketId(pub Uuid);

impl TicketId {
    /// A v7 id stamped with the injected clock's `now`, not the system clock.
    pub fn new_at<R: rand::Rng + ?Sized>(now: DateTime<Utc>, rng: &mut R) -> Self {
        let millis = u64::try_from(now.timestamp_millis()).unwrap_or(0);
        let random: [u8; 10] = rng.random();
        Self(uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid())
    }
}

impl fmt::Display for TicketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Declares a closed set of codes stored as text and shown in Vietnamese, so the code a
/// client sends, the code the database keeps and the label a clerk reads stay in one place.
macro_rules! coded_enum {
    ($(#[$meta:meta])* $name:ident, $kind:literal { $($variant:ident => ($code:literal, $label:literal)),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "&'static str")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub const fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            pub const fn label_vi(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.code())
            }
        }

        impl FromStr for $name {
            type Err = DomainError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($code => Ok($name::$variant),)+
                    other => Err(DomainError::UnknownCode { kind: $kind, value: other.to_owned() }),
                }
            }
        }

        impl TryFrom<String> for $name {
            type Error = DomainError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                s.parse()
            }
        }

        impl From<$name> for &'static str {
            fn from(v: $name) -> Self {
                v.code()
            }
        }
    };
}
pub(crate) use coded_enum;

coded_enum!(
    /// Where a report came in; recorded on every ticket for the channel statistics.
    Channel, "channel" {
        Web => ("web", "Cổng thông tin 1022"),
        App => ("app", "Ứng dụng Long An Số"),
        Phone => ("phone", "Tổng đài điện thoại"),
        Email => ("email", "Thư điện tử"),
        Open311 => ("open311", "Open311"),
    }
);

coded_enum!(
    /// The workflow states (after iHanoi: chờ tiếp nhận, chờ xử lý, đang xử lý, đã xử lý,
    /// từ chối) plus the IOC's own triage queue. Codes are stored: add states, never rename.
    ///
    /// `awaiting_approval` (the agency's answer waits for its lead, where the policy asks for
    /// it) and `awaiting_publication` (the answer is final and waits for the IOC to publish
    /// it) were added by the workflow ([`crate::workflow`]); `answered` now means the answer
    /// is public.
    TicketStatus, "status" {
        Triage => ("triage", "Chờ phân loại"),
        Forwarded => ("forwarded", "Chờ đơn vị tiếp nhận"),
        InProgress => ("in_progress", "Đang xử lý"),
        WaitingCitizen => ("waiting_citizen", "Chờ người dân bổ sung"),
        AwaitingApproval => ("awaiting_approval", "Chờ lãnh đạo duyệt kết quả"),
        AwaitingPublication => ("awaiting_publication", "Chờ công khai kết quả"),
        Answered => ("answered", "Đã xử lý"),
        Rejected => ("rejected", "Từ chối"),
        Closed => ("closed", "Đã đóng"),
    }
);

impl TicketStatus {
    /// The state machine of one ticket: which move is legal. The commands that make the
    /// moves, and who may give them, are [`crate::workflow::decide`]; every status it
    /// returns obeys this rule.
    pub fn can_move_to(self, next: TicketStatus) -> bool {
        use TicketStatus::*;
        matches!(
            (self, next),
            (Triage, Forwarded | Rejected)
                | (Forwarded, InProgress | Rejected | Triage | Forwarded)
                | (
                    InProgress,
                    WaitingCitizen
                        | Answered
                        | Triage
                        | Forwarded
                        | AwaitingApproval
                        | AwaitingPublication
                )
                | (WaitingCitizen, InProgress)
                | (AwaitingApproval, AwaitingPublication | InProgress)
                | (AwaitingPublication, Answered)
                | (Answered, Closed | InProgress)
                | (Rejected, Closed | Triage)
                | (Closed, InProgress)
        )
    }

    pub fn move_to(self, next: TicketStatus) -> Result<TicketStatus, DomainError> {
        if self.can_move_to(next) {
            Ok(next)
        } else {
            Err(DomainError::InvalidTransition {
                from: self.code(),
                to: next.code(),
            })
        }
    }

    /// Open tickets are the ones an agency's queue and the overdue report look at. An answer
    /// waiting for approval or publication is still open: the citizen has no answer yet.
    pub fn is_open(self) -> bool {
        !matches!(
            self,
            TicketStatus::Answered | TicketStatus::Rejected | TicketStatus::Closed
        )
    }
}

coded_enum!(
    /// What happened to a ticket. New kinds are added by later workflow issues; stored
    /// events are never rewritten.
    EventKind, "event kind" {
        Created => ("created", "Tiếp nhận phản ánh"),
        Routed => ("routed", "Chuyển đơn vị xử lý"),
        SentToTriage => ("sent_to_triage", "Chuyển tổ phân loại"),
        Transferred => ("transferred", "Chuyển đơn vị khác"),
        Accepted => ("accepted", "Đơn vị tiếp nhận"),
        Paused => ("paused", "Chờ người dân bổ sung"),
        Resumed => ("resumed", "Tiếp tục xử lý"),
        Extended => ("extended", "Gia hạn xử lý"),
        Answered => ("answered", "Trả lời người dân"),
        Rejected => ("rejected", "Từ chối"),
        Closed => ("closed", "Đóng phiếu"),
        Reopened => ("reopened", "Mở lại"),
        Commented => ("commented", "Ghi chú"),
        PhotosAdded => ("photos_added", "Bổ sung ảnh"),
        Forwarded => ("forwarded", "Tổ phân loại chuyển đơn vị xử lý"),
        Recategorised => ("recategorised", "Điều chỉnh lĩnh vực, địa bàn"),
        Returned => ("returned", "Đơn vị trả lại tổ phân loại"),
        InfoRequested => ("info_requested", "Đề nghị người dân bổ sung"),
        CitizenReplied => ("citizen_replied", "Người dân bổ sung thông tin"),
        ExtensionRequested => ("extension_requested", "Đề nghị gia hạn"),
        ExtensionApproved => ("extension_approved", "Đồng ý gia hạn"),
        ExtensionRefused => ("extension_refused", "Không đồng ý gia hạn"),
        Progress => ("progress", "Cập nhật tiến độ"),
        AnswerSubmitted => ("answer_submitted", "Đơn vị gửi kết quả xử lý"),
        AnswerApproved => ("answer_approved", "Lãnh đạo duyệt kết quả"),
        AnswerSentBack => ("answer_sent_back", "Lãnh đạo trả lại kết quả"),
        Published => ("published", "Công khai kết quả xử lý"),
        Rated => ("rated", "Người dân đánh giá"),
        DeadlineSet => ("deadline_set", "Thời hạn xử lý"),
    }
);

coded_enum!(
    /// Whether an event appears on the public tracking page.
    EventVisibility, "event visibility" {
        Public => ("public", "Công khai"),
        Internal => ("internal", "Nội bộ"),
    }
);

/// Who did something: the citizen, a staff user, or the system itself (routing, timers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Actor {
    Citizen,
    User { id: Uuid },
    System { component: String },
}

impl Actor {
    pub fn kind(&self) -> &'static str {
        match self {
            Actor::Citizen => "citizen",
            Actor::User { .. } => "user",
            Actor::System { .. } => "system",
        }
    }

    /// The identifying part stored beside the kind (user id or component name).
    pub fn reference(&self) -> Option<String> {
        match self {
            Actor::Citizen => None,
            Actor::User { id } => Some(id.to_string()),
            Actor::System { component } => Some(component.clone()),
        }
    }

    pub fn from_parts(kind: &str, reference: Option<&str>) -> Result<Actor, DomainError> {
        let unknown = || DomainError::UnknownCode {
            kind: "actor",
            value: kind.to_owned(),
        };
        match (kind, reference) {
            ("citizen", _) => Ok(Actor::Citizen),
            ("user", Some(r)) => Uuid::parse_str(r)
                .map(|id| Actor::User { id })
                .map_err(|_| unknown()),
            ("system", Some(r)) => Ok(Actor::System {
                component: r.to_owned(),
            }),
            _ => Err(unknown()),
        }
    }
}

/// One entry of a ticket's append-only history. `payload` must never carry personal data
/// when `visibility` is public.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketEvent {
    pub kind: EventKind,
    pub actor: Actor,
    pub occurred_at: DateTime<Utc>,
    pub visibility: EventVisibility,
    pub payload: serde_json::Value,
}

/// How to reach the citizen. Kept apart from everything that may be published
/// (Nghị định 13/2023/NĐ-CP on personal data).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reporter {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

impl Reporter {
    pub fn has_contact(&self) -> bool {
        self.phone.is_some() || self.email.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use rand::SeedableRng;

    #[test]
    fn codes_round_trip_through_text_and_json() {
        for s in TicketStatus::ALL {
            assert_eq!(s.code().parse::<TicketStatus>().ok(), Some(*s));
            let json = serde_json::to_string(s).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", s.code()));
        }
        assert_eq!("phuc-tap".parse::<Priority>().ok(), Some(Priority::PhucTap));
        assert!("urgent".parse::<Priority>().is_err());
        assert_eq!(Channel::Phone.label_vi(), "Tổng đài điện thoại");
    }

    #[test]
    fn closed_states_are_not_open_and_illegal_moves_are_refused() {
        assert!(TicketStatus::Triage.is_open());
        assert!(!TicketStatus::Closed.is_open());
        assert!(
            TicketStatus::Triage
                .move_to(TicketStatus::Forwarded)
                .is_ok()
        );
        assert_eq!(
            TicketStatus::Triage.move_to(TicketStatus::Answered),
            Err(DomainError::InvalidTransition {
                from: "triage",
                to: "answered"
            })
        );
    }

    #[test]
    fn ticket_ids_carry_the_injected_time() {
        let now = Utc
            .with_ymd_and_hms(2026, 2, 13, 9, 0, 0)
            .single()
            .unwrap_or_default();
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let id = TicketId::new_at(now, &mut rng);
        assert_eq!(id.0.get_version_num(), 7);
        let (secs, _) =
            id.0.get_timestamp()
                .map(|t| t.to_unix())
                .unwrap_or_default();
        assert_eq!(i64::try_from(secs).unwrap_or_default(), now.timestamp());
    }

    #[test]
    fn actors_round_trip_through_their_stored_parts() {
        let user = Actor::User { id: Uuid::nil() };
        let back = Actor::from_parts(user.kind(), user.reference().as_deref());
        assert_eq!(back, Ok(user));
        assert!(Actor::from_parts("robot", None).is_err());
    }
}
