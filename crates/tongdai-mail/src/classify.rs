//! What a parsed message is (`classify`), which ticket it continues (`thread_code`), and the
//! shape of our own Message-IDs, `<{uuid}.{TRACKING-CODE}@{message_id_domain}>`, which carries
//! the ticket's code so that a reply finds its ticket even when the subject was rewritten.
//!
//! `classify` rules, first match wins (a loop is the worst outcome, so it is checked first):
//! 1. `OwnMail`: From one of our addresses, or our loop header present;
//! 2. `Bounce`: a DSN (`multipart/report; report-type=delivery-status`), or mail from
//!    MAILER-DAEMON/postmaster, or with `X-Failed-Recipients`;
//! 3. `AutoReply`: `Auto-Submitted` other than `no` (RFC 3834), `X-Autoreply`, `X-Autorespond`,
//!    Outlook's OOF (`X-Auto-Response-Suppress` with `All` or `OOF`), `Precedence: auto_reply`,
//!    or a subject that starts with "Automatic reply:", "Autoreply:", "Out of Office", "Trả lời
//!    tự động:", "Vắng mặt:";
//! 4. `List`: `Precedence` bulk/junk/list, `List-Unsubscribe`, `List-Id`;
//! 5. `Ordinary`.

use tongdai_domain::TrackingCode;
use uuid::Uuid;

use crate::OwnIdentity;
use crate::{MailKind, ParsedMail};

/// Our Message-ID for a message about ticket `code`, without `<>`:
/// `{uuid}.{code}@{domain}`.
pub fn our_message_id(uuid: Uuid, code: &TrackingCode, domain: &str) -> String {
    format!(
        "{}.{}@{}",
        uuid.hyphenated(),
        code.as_str(),
        domain.to_ascii_lowercase()
    )
}

/// The tracking code in one of our Message-IDs (with or without `<>`), if `id` is ours: the
/// domain matches (any case) and the local part is a UUID, a dot and a valid code.
pub fn code_in_our_message_id(id: &str, domain: &str) -> Option<TrackingCode> {
    let (code, id_domain) = code_in_id_of_our_shape(id)?;
    id_domain
        .eq_ignore_ascii_case(domain.trim())
        .then_some(code)
}

/// The code and the domain of an id of our shape, whatever its domain.
pub(crate) fn code_in_id_of_our_shape(id: &str) -> Option<(TrackingCode, &str)> {
    let id = id.trim();
    let id = id.strip_prefix('<').unwrap_or(id);
    let id = id.strip_suffix('>').unwrap_or(id);
    let (local, domain) = id.rsplit_once('@')?;
    let (uuid, code) = local.split_once('.')?;
    Uuid::try_parse(uuid).ok()?;
    // The canonical form only: "1022-XXXX-XXXX", nothing else around it.
    let parsed = TrackingCode::parse(code).ok()?;
    (parsed.as_str() == code && !domain.is_empty()).then_some((parsed, domain))
}

/// The ticket a message continues: an In-Reply-To or References id of ours first (the newest
/// reference wins), the code in the subject second.
pub fn thread_code(mail: &ParsedMail, own: &OwnIdentity) -> Option<TrackingCode> {
    let domain = own.message_id_domain.as_str();
    mail.in_reply_to
        .iter()
        .rev()
        .chain(mail.references.iter().rev())
        .find_map(|id| code_in_our_message_id(id, domain))
        .or_else(|| mail.tracking_code.clone())
}

/// What kind of message this is; see the module doc for the rules.
pub fn classify(mail: &ParsedMail, own: &OwnIdentity) -> MailKind {
    let h = &mail.headers_of_note;
    let ours = |address: &str| {
        own.addresses
            .iter()
            .any(|a| a.trim().eq_ignore_ascii_case(address))
    };
    if mail.from.as_ref().is_some_and(|f| ours(&f.address))
        || (!own.loop_header.trim().is_empty() && h.has(own.loop_header.trim()))
    {
        return MailKind::OwnMail;
    }

    if let Some(report) = &mail.delivery_report {
        return MailKind::Bounce {
            failed_recipients: report.failed_recipients.clone(),
            original_message_id: report.original_message_id.clone(),
        };
    }
    let from_daemon = mail.from.as_ref().is_some_and(|f| {
        let local = f.address.split('@').next().unwrap_or_default();
        matches!(local, "mailer-daemon" | "postmaster" | "mail-daemon")
    });
    if from_daemon || h.x_failed_recipients.is_some() {
        let failed_recipients = h
            .x_failed_recipients
            .as_deref()
            .map(|v| {
                v.split(',')
                    .map(|a| a.trim().to_lowercase())
                    .filter(|a| a.contains('@'))
                    .collect()
            })
            .unwrap_or_default();
        let original_message_id = mail
            .attachments
            .iter()
            .filter(|a| a.is_forwarded_message)
            .find_map(|a| {
                mail_parser::MessageParser::new()
                    .parse_headers(&a.bytes[..])
                    .and_then(|m| m.message_id().map(str::to_owned))
            });
        return MailKind::Bounce {
            failed_recipients,
            original_message_id,
        };
    }

    if let Some(reason) = auto_reply_reason(mail) {
        return MailKind::AutoReply { reason };
    }
    if let Some(reason) = list_reason(mail) {
        return MailKind::List { reason };
    }
    MailKind::Ordinary
}

fn auto_reply_reason(mail: &ParsedMail) -> Option<String> {
    let h = &mail.headers_of_note;
    if let Some(v) = &h.auto_submitted
        && !v.trim().to_ascii_lowercase().starts_with("no")
    {
        return Some(format!("Auto-Submitted: {v}"));
    }
    if let Some(v) = &h.x_autoreply {
        return Some(format!("X-Autoreply: {v}"));
    }
    if let Some(v) = &h.x_autorespond {
        return Some(format!("X-Autorespond: {v}"));
    }
    if let Some(v) = &h.x_auto_response_suppress {
        let lower = v.to_ascii_lowercase();
        if lower.split([',', ' ']).any(|t| t == "all" || t == "oof") {
            return Some(format!("X-Auto-Response-Suppress: {v}"));
        }
    }
    if let Some(v) = &h.precedence
        && v.trim().eq_ignore_ascii_case("auto_reply")
    {
        return Some(format!("Precedence: {v}"));
    }
    const SUBJECTS: [&str; 6] = [
        "automatic reply:",
        "autoreply:",
        "out of office",
        "trả lời tự động:",
        "vắng mặt:",
        "thư trả lời tự động",
    ];
    let subject = mail.subject.to_lowercase();
    SUBJECTS
        .iter()
        .find(|s| subject.starts_with(*s))
        .map(|_| format!("Subject: {}", mail.subject))
}

fn list_reason(mail: &ParsedMail) -> Option<String> {
    let h = &mail.headers_of_note;
    if let Some(v) = &h.precedence {
        let lower = v.trim().to_ascii_lowercase();
        if matches!(lower.as_str(), "bulk" | "junk" | "list") {
            return Some(format!("Precedence: {v}"));
        }
    }
    if let Some(v) = &h.list_id {
        return Some(format!("List-Id: {v}"));
    }
    if h.list_unsubscribe.is_some() {
        return Some("List-Unsubscribe".to_owned());
    }
    None
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::{DeliveryReport, HeadersOfNote, Mailbox};

    fn own() -> OwnIdentity {
        OwnIdentity {
            addresses: vec!["1022@longan.gov.vn".into(), "tongdai@longan.gov.vn".into()],
            loop_header: "X-Tongdai-Loop".into(),
            message_id_domain: "1022.longan.gov.vn".into(),
        }
    }

    fn mail() -> ParsedMail {
        ParsedMail {
            message_id: "a@b".into(),
            has_message_id: true,
            in_reply_to: vec![],
            references: vec![],
            from: Some(Mailbox {
                name: None,
                address: "dan@example.vn".into(),
            }),
            reply_to: None,
            to: vec![],
            cc: vec![],
            subject: "Đèn đường hỏng".into(),
            date: None,
            description: String::new(),
            full_text: String::new(),
            from_html: false,
            attachments: vec![],
            dropped_attachments: vec![],
            tracking_code: None,
            replied_code: None,
            delivery_report: None,
            headers_of_note: HeadersOfNote::default(),
        }
    }

    fn code(s: &str) -> TrackingCode {
        TrackingCode::parse(s).unwrap()
    }

    #[test]
    fn message_ids_round_trip() {
        let uuid = Uuid::parse_str("0190f5b8-4a1c-7d2e-9f00-123456789abc").unwrap();
        let id = our_message_id(uuid, &code("1022-K7Q9-3MPX"), "1022.LongAn.gov.vn");
        assert_eq!(
            id,
            "0190f5b8-4a1c-7d2e-9f00-123456789abc.1022-K7Q9-3MPX@1022.longan.gov.vn"
        );
        assert_eq!(
            code_in_our_message_id(&id, "1022.longan.gov.vn"),
            Some(code("1022-K7Q9-3MPX"))
        );
        assert_eq!(
            code_in_our_message_id(&format!("<{id}>"), "1022.LONGAN.gov.vn"),
            Some(code("1022-K7Q9-3MPX"))
        );
    }

    #[test]
    fn foreign_or_malformed_ids_have_no_code() {
        let d = "1022.longan.gov.vn";
        for id in [
            "0190f5b8-4a1c-7d2e-9f00-123456789abc.1022-K7Q9-3MPX@evil.example",
            "not-a-uuid.1022-K7Q9-3MPX@1022.longan.gov.vn",
            "0190f5b8-4a1c-7d2e-9f00-123456789abc.1022-K7Q0-3MPX@1022.longan.gov.vn",
            "0190f5b8-4a1c-7d2e-9f00-123456789abc.1022k7q93mpx@1022.longan.gov.vn",
            "0190f5b8-4a1c-7d2e-9f00-123456789abc@1022.longan.gov.vn",
            "0190f5b8-4a1c-7d2e-9f00-123456789abc.1022-K7Q9-3MPX",
            "",
            "@",
        ] {
            assert_eq!(code_in_our_message_id(id, d), None, "{id}");
        }
    }

    #[test]
    fn thread_code_prefers_our_references_over_the_subject() {
        let own = own();
        let mut m = mail();
        m.tracking_code = Some(code("1022-AAAA-CCCC"));
        assert_eq!(thread_code(&m, &own), Some(code("1022-AAAA-CCCC")));
        m.references = vec![
            "0190f5b8-4a1c-7d2e-9f00-123456789abc.1022-K7Q9-3MPX@1022.longan.gov.vn".into(),
            "other@gmail.com".into(),
        ];
        assert_eq!(thread_code(&m, &own), Some(code("1022-K7Q9-3MPX")));
        m.in_reply_to =
            vec!["0190f5b8-4a1c-7d2e-9f00-123456789abd.1022-DDDD-EEEE@1022.longan.gov.vn".into()];
        assert_eq!(thread_code(&m, &own), Some(code("1022-DDDD-EEEE")));
        m.tracking_code = None;
        m.in_reply_to = vec![];
        m.references = vec!["x@y".into()];
        assert_eq!(thread_code(&m, &own), None);
    }

    #[test]
    fn own_mail_by_address_or_loop_header() {
        let own = own();
        let mut m = mail();
        m.from = Some(Mailbox {
            name: None,
            address: "tongdai@longan.gov.vn".into(),
        });
        assert_eq!(classify(&m, &own), MailKind::OwnMail);
        let mut m = mail();
        m.headers_of_note.names = vec!["x-tongdai-loop".into()];
        // Even when it also looks like an auto-reply.
        m.headers_of_note.auto_submitted = Some("auto-replied".into());
        assert_eq!(classify(&m, &own), MailKind::OwnMail);
    }

    #[test]
    fn bounces() {
        let own = own();
        let mut m = mail();
        m.delivery_report = Some(DeliveryReport {
            failed_recipients: vec!["x@y.vn".into()],
            original_message_id: Some("id@1022.longan.gov.vn".into()),
        });
        assert_eq!(
            classify(&m, &own),
            MailKind::Bounce {
                failed_recipients: vec!["x@y.vn".into()],
                original_message_id: Some("id@1022.longan.gov.vn".into())
            }
        );
        let mut m = mail();
        m.from = Some(Mailbox {
            name: None,
            address: "mailer-daemon@mx.example.vn".into(),
        });
        m.headers_of_note.x_failed_recipients = Some("A@x.vn, b@y.vn".into());
        assert_eq!(
            classify(&m, &own),
            MailKind::Bounce {
                failed_recipients: vec!["a@x.vn".into(), "b@y.vn".into()],
                original_message_id: None
            }
        );
    }

    #[test]
    fn auto_replies() {
        let own = own();
        type Case = (fn(&mut ParsedMail), &'static str);
        let cases: [Case; 7] = [
            (
                |m| m.headers_of_note.auto_submitted = Some("auto-replied".into()),
                "Auto-Submitted: auto-replied",
            ),
            (
                |m| m.headers_of_note.auto_submitted = Some("auto-generated".into()),
                "Auto-Submitted: auto-generated",
            ),
            (
                |m| m.headers_of_note.x_autoreply = Some("yes".into()),
                "X-Autoreply: yes",
            ),
            (
                |m| m.headers_of_note.x_autorespond = Some("1".into()),
                "X-Autorespond: 1",
            ),
            (
                |m| m.headers_of_note.x_auto_response_suppress = Some("All".into()),
                "X-Auto-Response-Suppress: All",
            ),
            (
                |m| m.headers_of_note.precedence = Some("auto_reply".into()),
                "Precedence: auto_reply",
            ),
            (
                |m| m.subject = "Trả lời tự động: Đèn đường".into(),
                "Subject: Trả lời tự động: Đèn đường",
            ),
        ];
        for (set, reason) in cases {
            let mut m = mail();
            set(&mut m);
            assert_eq!(
                classify(&m, &own),
                MailKind::AutoReply {
                    reason: reason.into()
                }
            );
        }
        let mut m = mail();
        m.headers_of_note.auto_submitted = Some("no".into());
        m.headers_of_note.x_auto_response_suppress = Some("DR, RN, NRN".into());
        assert_eq!(classify(&m, &own), MailKind::Ordinary);
    }

    #[test]
    fn lists() {
        let own = own();
        for p in ["bulk", "junk", "list", "Bulk"] {
            let mut m = mail();
            m.headers_of_note.precedence = Some(p.into());
            assert_eq!(
                classify(&m, &own),
                MailKind::List {
                    reason: format!("Precedence: {p}")
                }
            );
        }
        let mut m = mail();
        m.headers_of_note.list_unsubscribe = Some("<mailto:u@x.vn>".into());
        assert_eq!(
            classify(&m, &own),
            MailKind::List {
                reason: "List-Unsubscribe".into()
            }
        );
        m.headers_of_note.list_id = Some("<tin.x.vn>".into());
        assert_eq!(
            classify(&m, &own),
            MailKind::List {
                reason: "List-Id: <tin.x.vn>".into()
            }
        );
    }

    #[test]
    fn ordinary() {
        assert_eq!(classify(&mail(), &own()), MailKind::Ordinary);
    }
}
