//! An outbox row and its ticket become one [`lettre::Message`].
//!
//! The Message-ID is derived, not random: `<{row id}.{TRACKING-CODE}@{message_id_domain}>`.
//! A retried row goes out under the same id (a receiving server that saw the first copy can
//! tell), and a citizen's reply carries it in `In-Reply-To`, from which the inbound side
//! reads the ticket ([`parse_message_id`]) without trusting the subject.

use std::sync::Arc;
use std::time::SystemTime;

use askama::Template;
use chrono::{DateTime, Utc};
use lettre::Message;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use tongdai_domain::{TicketId, TrackingCode, datetime_vi, deadline_vi};
use tongdai_intake::IntakeService;
use tongdai_intake::reminders::{self, DeadlineKind, ReminderKind, ReminderPayload};
use tongdai_storage::outbox::{self, MailRow};
use tongdai_storage::tickets::{self, Ticket};
use uuid::Uuid;

use crate::contacts::AgencyContacts;
use crate::error::NotifyError;
use crate::kind::Kind;

/// `[mail]` as the composer needs it, checked at start-up.
#[derive(Debug, Clone)]
pub struct MailSettings {
    /// `Tổng đài 1022 <1022@longan.gov.vn>`.
    pub from: Mailbox,
    /// The 1022 mailbox: citizens' replies go there (and become ticket replies).
    pub reply_to: Mailbox,
    /// The right-hand side of our Message-IDs and the loop header's value.
    pub message_id_domain: String,
    /// `X-Tongdai-Loop`: an auto-responder or our own inbound side that sees it knows the
    /// message came from us and must not answer it.
    pub loop_header: String,
    /// Who runs the service and its hotline, in every signature.
    pub operator_name: String,
    pub hotline: String,
}

impl MailSettings {
    /// Checks the addresses and the header name; errors name the `[mail]` key.
    pub fn new(
        from: &str,
        reply_to: &str,
        message_id_domain: &str,
        loop_header: &str,
        operator_name: &str,
        hotline: &str,
    ) -> Result<Self, NotifyError> {
        let mailbox = |key: &str, text: &str| {
            text.parse::<Mailbox>().map_err(|e| {
                NotifyError::Config(format!(
                    "mail.{key}: {text:?} is not an address like \"Tổng đài 1022 <1022@longan.gov.vn>\" ({e})"
                ))
            })
        };
        let domain = message_id_domain.trim();
        if domain.is_empty()
            || !domain
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        {
            return Err(NotifyError::Config(format!(
                "mail.message_id_domain: {message_id_domain:?} is not a domain like 1022.longan.gov.vn"
            )));
        }
        if HeaderName::new_from_ascii(loop_header.to_owned()).is_err()
            || !loop_header.starts_with("X-")
        {
            return Err(NotifyError::Config(format!(
                "mail.loop_header: {loop_header:?} is not a header name like X-Tongdai-Loop"
            )));
        }
        Ok(Self {
            from: mailbox("from", from)?,
            reply_to: mailbox("reply_to", reply_to)?,
            message_id_domain: domain.to_owned(),
            loop_header: loop_header.to_owned(),
            operator_name: operator_name.to_owned(),
            hotline: hotline.to_owned(),
        })
    }
}

/// Our Message-ID of a row, without angle brackets: `{row id}.{CODE}@{domain}`.
pub fn message_id(row_id: &str, code: &TrackingCode, domain: &str) -> String {
    format!("{row_id}.{code}@{domain}")
}

/// The row id and tracking code of one of our Message-IDs (angle brackets optional), when
/// it is one of ours for `domain`.
pub fn parse_message_id(text: &str, domain: &str) -> Option<(Uuid, TrackingCode)> {
    let bare = text.trim().trim_start_matches('<').trim_end_matches('>');
    let (left, right) = bare.rsplit_once('@')?;
    if !right.eq_ignore_ascii_case(domain) {
        return None;
    }
    let (id, code) = left.split_once('.')?;
    Some((Uuid::parse_str(id).ok()?, TrackingCode::parse(code).ok()?))
}

/// What to do with a claimed row.
#[derive(Debug)]
pub enum Prepared {
    /// A message to send.
    Letter(Box<Letter>),
    /// Nobody to write to: settle the row with this note, never retry it.
    Unsent { note: String },
}

/// A built message and what the outbox records about it.
#[derive(Debug)]
pub struct Letter {
    pub message: Message,
    /// Without angle brackets.
    pub message_id: String,
    /// Every address it goes to, `To` then `Cc`, `", "`-separated: what the console shows
    /// and what threads later messages.
    pub recipient: String,
    pub kind: Kind,
}

/// Builds messages from outbox rows (blocking: reads the ticket and earlier messages).
#[derive(Clone)]
pub struct Notifier {
    intake: IntakeService,
    settings: Arc<MailSettings>,
    contacts: Arc<AgencyContacts>,
}

/// Everything a template shows; text and HTML render the same facts.
struct View {
    kind: Kind,
    code: String,
    title: String,
    greeting: String,
    category: String,
    place: Option<String>,
    agency: Option<String>,
    filed_at: String,
    answer_due: Option<String>,
    /// The question, the answer or the reason the action carried.
    text: Option<String>,
    tracking_url: String,
    /// The citizen's private link (reply, reopen, rate).
    private_url: Option<String>,
    /// The ticket in the staff console.
    console_url: String,
    operator_name: String,
    hotline: String,
    /// Due-soon and overdue reminders: which deadline, when, how long.
    reminder: Option<ReminderView>,
}

/// What a reminder says about its deadline, in words.
struct ReminderView {
    /// "tiếp nhận", "giải quyết": the step the deadline is for.
    step: &'static str,
    /// What the agency is asked to do.
    todo: &'static str,
    /// Until when overdue reminders go on.
    until: &'static str,
    /// "09:30 ngày 04/02/2027", "hết ngày 24/02/2027".
    due_at: String,
    /// When the figures were taken (the round that decided the reminder).
    as_of: String,
    /// "còn 3 giờ 30 phút làm việc", "đã quá 1 ngày làm việc (8 ngày theo lịch)".
    how_long: String,
    /// An answer deadline can be extended on request; an accept deadline cannot.
    can_extend: bool,
}

impl ReminderView {
    fn of(p: &ReminderPayload) -> Self {
        let (step, todo, until) = match p.deadline {
            DeadlineKind::Accept => ("tiếp nhận", "tiếp nhận phản ánh", "được tiếp nhận"),
            DeadlineKind::Answer => (
                "giải quyết",
                "giải quyết và gửi kết quả xử lý",
                "có kết quả xử lý",
            ),
        };
        let how_long = match p.kind {
            ReminderKind::DueSoon => format!("còn {} làm việc", working_time_vi(p.working_minutes)),
            ReminderKind::Overdue if p.working_days_late == 0 => {
                format!("đã quá {} làm việc", working_time_vi(p.working_minutes))
            }
            ReminderKind::Overdue => format!(
                "đã quá {} ngày làm việc ({} ngày theo lịch)",
                p.working_days_late, p.calendar_days_late
            ),
        };
        Self {
            step,
            todo,
            until,
            due_at: deadline_vi(&p.due_at),
            as_of: datetime_vi(&p.as_of),
            how_long,
            can_extend: p.deadline == DeadlineKind::Answer,
        }
    }
}

/// Working time in words: "3 giờ 30 phút", "45 phút", "2 giờ", "dưới 1 phút".
fn working_time_vi(minutes: i64) -> String {
    let (hours, minutes) = (minutes.max(0) / 60, minutes.max(0) % 60);
    match (hours, minutes) {
        (0, 0) => "dưới 1 phút".to_owned(),
        (0, m) => format!("{m} phút"),
        (h, 0) => format!("{h} giờ"),
        (h, m) => format!("{h} giờ {m} phút"),
    }
}

#[derive(Template)]
#[template(path = "mail/notice.txt")]
struct TextBody<'a> {
    v: &'a View,
}

#[derive(Template)]
#[template(path = "mail/notice.html")]
struct HtmlBody<'a> {
    v: &'a View,
}

impl Notifier {
    pub fn new(intake: IntakeService, settings: MailSettings, contacts: AgencyContacts) -> Self {
        Self {
            intake,
            settings: Arc::new(settings),
            contacts: Arc::new(contacts),
        }
    }

    pub fn settings(&self) -> &MailSettings {
        &self.settings
    }

    /// The message of a claimed row, or why there is none.
    pub fn prepare(&self, row: &MailRow) -> Result<Prepared, NotifyError> {
        let kind = Kind::from_topic(&row.topic).ok_or_else(|| {
            NotifyError::corrupt(&row.id, format!("topic {} is not mail", row.topic))
        })?;
        let payload: serde_json::Value = serde_json::from_str(&row.payload)
            .map_err(|e| NotifyError::corrupt(&row.id, format!("payload: {e}")))?;
        let ticket = self.ticket_of(row, &payload)?;
        let reminder = match kind {
            Kind::DueSoon | Kind::Overdue => {
                let reminder: ReminderPayload = serde_json::from_value(payload.clone())
                    .map_err(|e| NotifyError::corrupt(&row.id, format!("reminder: {e}")))?;
                if let Err(note) = still_due(&ticket, &reminder) {
                    return Ok(Prepared::Unsent { note });
                }
                Some(ReminderView::of(&reminder))
            }
            _ => None,
        };
        let (to, cc) = match self.recipients(kind, &ticket, &payload) {
            Ok(found) => found,
            Err(note) => return Ok(Prepared::Unsent { note }),
        };
        let recipient = to
            .iter()
            .chain(cc.iter())
            .map(|m| m.email.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let ticket_id = ticket.id.to_string();
        let earlier = self
            .intake
            .with_conn(|conn| outbox::earlier_message_ids(conn, &ticket_id, &recipient, row))?;
        let message_id = message_id(&row.id, &ticket.code, &self.settings.message_id_domain);
        let mut view = self.view(kind, &ticket, &payload, &to);
        view.reminder = reminder;
        let text = TextBody { v: &view }.render()?;
        let html = HtmlBody { v: &view }.render()?;
        let now: DateTime<Utc> = self.intake.clock().now();
        let mut builder = Message::builder()
            .from(self.settings.from.clone())
            .reply_to(self.settings.reply_to.clone())
            .subject(kind.subject(&view.code, &ticket.title))
            .date(SystemTime::from(now))
            .message_id(Some(format!("<{message_id}>")))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Auto-Submitted"),
                "auto-generated".to_owned(),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii(self.settings.loop_header.clone())
                    .map_err(|e| NotifyError::Config(format!("mail.loop_header: {e}")))?,
                self.settings.message_id_domain.clone(),
            ));
        for mailbox in to {
            builder = builder.to(mailbox);
        }
        for mailbox in cc {
            builder = builder.cc(mailbox);
        }
        if let Some(last) = earlier.last() {
            builder = builder.in_reply_to(format!("<{last}>")).references(
                earlier
                    .iter()
                    .map(|id| format!("<{id}>"))
                    .collect::<Vec<_>>()
                    .join(" "),
            );
        }
        let message = builder.multipart(MultiPart::alternative_plain_html(text, html))?;
        Ok(Prepared::Letter(Box::new(Letter {
            message,
            message_id,
            recipient,
            kind,
        })))
    }

    fn ticket_of(&self, row: &MailRow, payload: &serde_json::Value) -> Result<Ticket, NotifyError> {
        let found = match &row.ticket_id {
            Some(id) => {
                let id = Uuid::parse_str(id)
                    .map_err(|e| NotifyError::corrupt(&row.id, format!("ticket_id: {e}")))?;
                self.intake
                    .with_conn(|conn| tickets::find_by_id(conn, TicketId(id)))?
            }
            None => match payload.get("code").and_then(|c| c.as_str()) {
                Some(code) => {
                    let code = TrackingCode::parse(code)
                        .map_err(|e| NotifyError::corrupt(&row.id, format!("code: {e}")))?;
                    self.intake
                        .with_conn(|conn| tickets::find_by_code(conn, &code))?
                }
                None => None,
            },
        };
        found.ok_or_else(|| NotifyError::corrupt(&row.id, "its ticket does not exist"))
    }

    /// To and Cc, or the note of a row with nobody to write to.
    fn recipients(
        &self,
        kind: Kind,
        ticket: &Ticket,
        payload: &serde_json::Value,
    ) -> Result<(Vec<Mailbox>, Vec<Mailbox>), String> {
        if kind.to_citizen() {
            let Some(email) = ticket.reporter.email.as_deref() else {
                return Err("no address: người phản ánh không để lại địa chỉ thư điện tử".into());
            };
            let address = email.trim().parse().map_err(|_| {
                format!(
                    "no address: địa chỉ thư điện tử của người phản ánh không dùng được ({email})"
                )
            })?;
            return Ok((
                vec![Mailbox::new(ticket.reporter.name.clone(), address)],
                Vec::new(),
            ));
        }
        let agency = payload
            .get("agency")
            .and_then(|a| a.as_str())
            .map(str::to_owned)
            .or_else(|| ticket.agency_code.clone());
        let Some(agency) = agency else {
            return Err("no address: phản ánh chưa có đơn vị xử lý".into());
        };
        let Some(found) = self.contacts.of(&agency) else {
            return Err(format!(
                "no address: đơn vị {agency} chưa có địa chỉ thư trong config/agency-contacts.toml"
            ));
        };
        let name = self.agency_name(&agency);
        let boxes = |list: &[lettre::Address]| {
            list.iter()
                .map(|a| Mailbox::new(name.clone(), a.clone()))
                .collect::<Vec<_>>()
        };
        Ok((boxes(&found.to), boxes(&found.cc)))
    }

    fn agency_name(&self, code: &str) -> Option<String> {
        self.intake
            .router()
            .jurisdiction()
            .agencies
            .iter()
            .rev()
            .find(|a| a.code == code)
            .map(|a| a.name.clone())
    }

    fn view(
        &self,
        kind: Kind,
        ticket: &Ticket,
        payload: &serde_json::Value,
        to: &[Mailbox],
    ) -> View {
        let router = self.intake.router();
        let jurisdiction = router.jurisdiction();
        let category = jurisdiction
            .categories
            .iter()
            .find(|c| c.code == ticket.category_code)
            .map_or_else(|| ticket.category_code.clone(), |c| c.name.clone());
        let place = ticket.address.clone().or_else(|| {
            ticket
                .area_code
                .as_deref()
                .and_then(|a| jurisdiction.full_area_name(a))
        });
        let agency_code = payload
            .get("agency")
            .and_then(|a| a.as_str())
            .map(str::to_owned)
            .or_else(|| ticket.agency_code.clone());
        let agency = agency_code
            .as_deref()
            .map(|code| self.agency_name(code).unwrap_or_else(|| code.to_owned()));
        let greeting = if kind.to_citizen() {
            match ticket.reporter.name.as_deref() {
                Some(name) if !name.trim().is_empty() => format!("Kính gửi Ông/Bà {name},"),
                _ => "Kính gửi Ông/Bà,".to_owned(),
            }
        } else {
            let name = agency
                .clone()
                .or_else(|| to.first().and_then(|m| m.name.clone()));
            format!(
                "Kính gửi: {},",
                name.unwrap_or_else(|| "Quý cơ quan".to_owned())
            )
        };
        let tracking_url = self.intake.tracking_url(&ticket.code);
        let private_url = kind.to_citizen().then(|| {
            format!(
                "{tracking_url}/y-kien?ma={}",
                self.intake.citizen_token(ticket.id)
            )
        });
        let console_url = tracking_url.replacen("/tra-cuu/", "/console/phieu/", 1);
        View {
            kind,
            code: ticket.code.to_string(),
            title: ticket.title.clone(),
            greeting,
            category,
            place,
            agency,
            filed_at: datetime_vi(&ticket.created_at),
            answer_due: ticket.answer_due_at.as_ref().map(deadline_vi),
            text: payload
                .get("text")
                .and_then(|t| t.as_str())
                .map(str::to_owned)
                .filter(|t| !t.trim().is_empty()),
            tracking_url,
            private_url,
            console_url,
            operator_name: self.settings.operator_name.clone(),
            hotline: self.settings.hotline.clone(),
            reminder: None,
        }
    }
}

/// A reminder is sent only while its deadline still runs as it did when it was decided: an
/// agency that accepted, answered or got an extension between the round and the send gets
/// no stale reminder (the row settles with a note, like a missing address).
fn still_due(ticket: &Ticket, reminder: &ReminderPayload) -> Result<(), String> {
    let running = reminders::running_deadline(&ticket.into());
    let due_at = reminder.due_at.with_timezone(&Utc);
    if running == Some((reminder.deadline, due_at)) {
        Ok(())
    } else {
        Err(format!(
            "no longer due: thời hạn {} {} không còn áp dụng (trạng thái hiện tại: {})",
            ReminderView::of(reminder).step,
            deadline_vi(&reminder.due_at),
            ticket.status.label_vi()
        ))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn our_message_ids_read_back_and_others_do_not() {
        let code = TrackingCode::parse("1022-K7Q9-3MPX").unwrap();
        let id = Uuid::new_v4();
        let text = message_id(&id.to_string(), &code, "1022.longan.gov.vn");
        assert_eq!(text, format!("{id}.1022-K7Q9-3MPX@1022.longan.gov.vn"));
        assert_eq!(
            parse_message_id(&format!("<{text}>"), "1022.longan.gov.vn"),
            Some((id, code.clone()))
        );
        assert_eq!(parse_message_id(&text, "other.example"), None);
        assert_eq!(
            parse_message_id("<abc@1022.longan.gov.vn>", "1022.longan.gov.vn"),
            None
        );
    }

    fn reminder(kind: ReminderKind, deadline: DeadlineKind, minutes: i64) -> ReminderPayload {
        let local = |text: &str| chrono::DateTime::parse_from_rfc3339(text).unwrap();
        ReminderPayload {
            code: "1022-K7Q9-3MPX".into(),
            agency: "UBND-TN-P-LONGAN".into(),
            kind,
            deadline,
            due_at: local("2027-02-04T09:30:00+07:00"),
            day: chrono::NaiveDate::from_ymd_opt(2027, 2, 4).unwrap(),
            as_of: local("2027-02-04T08:00:00+07:00"),
            working_minutes: minutes,
            working_days_late: 0,
            calendar_days_late: 0,
        }
    }

    fn agency_view(kind: Kind, r: &ReminderPayload) -> View {
        View {
            kind,
            code: "1022-K7Q9-3MPX".into(),
            title: "Đèn đường <không> sáng".into(),
            greeting: "Kính gửi: UBND phường Long An,".into(),
            category: "Đèn đường".into(),
            place: Some("Phường Long An".into()),
            agency: Some("UBND phường Long An".into()),
            filed_at: "09:00 ngày 03/02/2027".into(),
            answer_due: Some("hết ngày 24/02/2027".into()),
            text: None,
            tracking_url: "https://1022.example.vn/tra-cuu/1022-K7Q9-3MPX".into(),
            private_url: None,
            console_url: "https://1022.example.vn/console/phieu/1022-K7Q9-3MPX".into(),
            operator_name: "Trung tâm IOC".into(),
            hotline: "1022".into(),
            reminder: Some(ReminderView::of(r)),
        }
    }

    #[test]
    fn working_time_reads_in_hours_and_minutes() {
        assert_eq!(working_time_vi(0), "dưới 1 phút");
        assert_eq!(working_time_vi(45), "45 phút");
        assert_eq!(working_time_vi(120), "2 giờ");
        assert_eq!(working_time_vi(210), "3 giờ 30 phút");
        assert_eq!(working_time_vi(-5), "dưới 1 phút");
    }

    #[test]
    fn a_due_soon_notice_names_the_deadline_and_the_time_left() {
        let r = reminder(ReminderKind::DueSoon, DeadlineKind::Accept, 90);
        let view = agency_view(Kind::DueSoon, &r);
        let text = TextBody { v: &view }.render().unwrap();
        assert!(text.starts_with("Kính gửi: UBND phường Long An,"), "{text}");
        assert!(
            text.contains(
                "sắp đến hạn tiếp nhận: hạn là 09:30 ngày 04/02/2027, đến 08:00 ngày \
                 04/02/2027 còn 1 giờ 30 phút làm việc."
            ),
            "{text}"
        );
        assert!(text.contains("Đề nghị Quý cơ quan tiếp nhận phản ánh trước thời hạn"));
        assert!(text.contains("https://1022.example.vn/console/phieu/1022-K7Q9-3MPX"));
        assert!(
            !text.contains("gia hạn"),
            "an accept deadline is not extended"
        );
        assert!(text.contains("không gửi qua thư điện tử"));
        let html = HtmlBody { v: &view }.render().unwrap();
        assert!(html.contains(
            "<strong>sắp đến hạn tiếp nhận</strong>: hạn là <strong>09:30 ngày 04/02/2027</strong>"
        ));
        assert!(
            html.contains("Đèn đường &#60;không&#62; sáng"),
            "escaped: {html}"
        );
        assert!(
            html.contains(r#"<a href="https://1022.example.vn/console/phieu/1022-K7Q9-3MPX">"#)
        );

        let answer = reminder(ReminderKind::DueSoon, DeadlineKind::Answer, 240);
        let text = TextBody {
            v: &agency_view(Kind::DueSoon, &answer),
        }
        .render()
        .unwrap();
        assert!(text.contains("sắp đến hạn giải quyết"), "{text}");
        assert!(text.contains("còn 4 giờ làm việc"), "{text}");
        assert!(text.contains("đề nghị gia hạn"), "{text}");
    }

    #[test]
    fn an_overdue_notice_says_how_late_in_working_time_then_in_days() {
        let r = reminder(ReminderKind::Overdue, DeadlineKind::Accept, 45);
        let text = TextBody {
            v: &agency_view(Kind::Overdue, &r),
        }
        .render()
        .unwrap();
        assert!(
            text.contains(
                "đã quá hạn tiếp nhận: hạn là 09:30 ngày 04/02/2027, đến 08:00 ngày \
                 04/02/2027 đã quá 45 phút làm việc."
            ),
            "{text}"
        );
        assert!(
            text.contains("cho đến khi phản ánh được tiếp nhận."),
            "{text}"
        );
        let mut late = reminder(ReminderKind::Overdue, DeadlineKind::Answer, 360);
        late.working_days_late = 1;
        late.calendar_days_late = 8;
        let view = agency_view(Kind::Overdue, &late);
        let text = TextBody { v: &view }.render().unwrap();
        assert!(
            text.contains("đã quá 1 ngày làm việc (8 ngày theo lịch)"),
            "{text}"
        );
        assert!(
            text.contains("khẩn trương giải quyết và gửi kết quả xử lý"),
            "{text}"
        );
        let html = HtmlBody { v: &view }.render().unwrap();
        assert!(
            html.contains("đã quá hạn giải quyết</strong>: hạn là <strong>09:30 ngày 04/02/2027"),
            "{html}"
        );
        assert!(
            html.contains("cho đến khi phản ánh có kết quả xử lý."),
            "{html}"
        );
    }

    #[test]
    fn a_reminder_whose_deadline_moved_on_is_not_sent() {
        use tongdai_domain::{Channel, Priority, Reporter, TicketStatus};
        let r = reminder(ReminderKind::Overdue, DeadlineKind::Accept, 45);
        let due = r.due_at.with_timezone(&Utc);
        let mut ticket = Ticket {
            id: TicketId(Uuid::new_v4()),
            code: TrackingCode::parse("1022-K7Q9-3MPX").unwrap(),
            channel: Channel::Web,
            status: TicketStatus::Forwarded,
            priority: Priority::BinhThuong,
            category_code: "chieu-sang.den-duong".into(),
            area_code: None,
            address: None,
            latitude: None,
            longitude: None,
            title: "Đèn đường không sáng".into(),
            description: String::new(),
            agency_code: Some("UBND-TN-P-LONGAN".into()),
            reporter: Reporter::default(),
            reporter_subject: None,
            consent_at: None,
            routing_decision: None,
            forward_due_at: None,
            accept_due_at: Some(due),
            answer_due_at: Some(due + chrono::Duration::days(20)),
            created_at: due - chrono::Duration::days(1),
            updated_at: due - chrono::Duration::days(1),
            closed_at: None,
            attributes: Default::default(),
            submitted_by: None,
            version: 1,
            answer_paused_at: None,
            pending_extension_until: None,
            published_at: None,
        };
        assert_eq!(still_due(&ticket, &r), Ok(()));
        ticket.status = TicketStatus::InProgress;
        let note = still_due(&ticket, &r).unwrap_err();
        assert!(
            note.starts_with("no longer due: thời hạn tiếp nhận"),
            "{note}"
        );
        assert!(note.contains("Đang xử lý"), "{note}");
        ticket.status = TicketStatus::Forwarded;
        ticket.accept_due_at = Some(due + chrono::Duration::hours(1));
        assert!(still_due(&ticket, &r).is_err(), "a moved deadline");
    }

    #[test]
    fn settings_name_the_bad_key() {
        let ok = MailSettings::new(
            "Tổng đài 1022 <1022@longan.gov.vn>",
            "1022@longan.gov.vn",
            "1022.longan.gov.vn",
            "X-Tongdai-Loop",
            "IOC",
            "1022",
        );
        assert!(ok.is_ok());
        let bad = |from: &str, domain: &str, header: &str| {
            MailSettings::new(from, "1022@longan.gov.vn", domain, header, "", "")
                .unwrap_err()
                .to_string()
        };
        assert!(bad("không phải địa chỉ", "a.vn", "X-A").contains("mail.from"));
        assert!(bad("a@b.vn", "a b", "X-A").contains("mail.message_id_domain"));
        assert!(bad("a@b.vn", "a.vn", "Loop: x").contains("mail.loop_header"));
    }
}
