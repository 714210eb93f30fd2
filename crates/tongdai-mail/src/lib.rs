//! Inbound e-mail to the 1022 mailbox, as data: `parse(raw bytes) -> ParsedMail`, then
//! `classify` (is it a citizen's mail, or an auto-reply, a bounce, a list, our own?) and
//! `thread_code` (which ticket does it continue?). Pure: no I/O, no clock, no database; the
//! IMAP poller only moves bytes, and the ticket service decides what to file.
//!
//! Errors: `parse` fails only for what cannot be a citizen's mail at all (over the size limit,
//! checked before parsing; nothing parseable; no sender), with an English `Display` for logs
//! and `MailError::vietnamese` for the quarantine reason. Everything else degrades: parts over
//! the limits are listed in `dropped_attachments`, broken charsets decode lossily, long texts
//! are cut. No input makes `parse` panic (the proptests and the fuzz target in `fuzz/` check it).
//!
//! Every string that comes out is NFC. windows-1258 (which writes tone marks as combining
//! characters) and NFD text from phones are composed, so they compare equal to UTF-8 NFC.

mod body;
mod charset;
mod classify;
mod parse;

pub use charset::decode_viscii;
pub use classify::{classify, code_in_our_message_id, our_message_id, thread_code};
pub use parse::{parse, parse_unguarded};

use chrono::{DateTime, FixedOffset};
use tongdai_domain::TrackingCode;

/// Longest subject kept, in characters (RFC 5322 lines are at most 998 bytes; a folded subject
/// may be longer, nobody writes one).
pub const MAX_SUBJECT_CHARS: usize = 500;
/// Longest display name kept, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest attachment file name kept, in characters.
pub const MAX_FILENAME_CHARS: usize = 255;
/// Longest message id kept, in bytes; a longer one counts as absent.
pub const MAX_MESSAGE_ID_BYTES: usize = 998;
/// At most this many ids are kept from `References` (the last ones: the newest).
pub const MAX_REFERENCES: usize = 100;

/// Limits applied while parsing. Over `max_message_bytes` is an error; the others cut or drop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailLimits {
    /// The whole raw message; checked before anything is parsed.
    pub max_message_bytes: usize,
    /// Attachments (inline images included) kept; the rest go to `dropped_attachments`.
    pub max_attachments: usize,
    /// One attachment's decoded size; larger ones go to `dropped_attachments`.
    pub max_attachment_bytes: usize,
    /// `description` and `full_text`, in characters.
    pub max_text_chars: usize,
}

impl Default for MailLimits {
    fn default() -> Self {
        Self {
            max_message_bytes: 25 * 1024 * 1024,
            max_attachments: 10,
            max_attachment_bytes: 10 * 1024 * 1024,
            max_text_chars: 20_000,
        }
    }
}

/// Who we are, to recognise our own mail and our loop header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnIdentity {
    /// Our addresses, lowercase, e.g. "1022@longan.gov.vn".
    pub addresses: Vec<String>,
    /// The header we put on everything we send, e.g. "X-Tongdai-Loop".
    pub loop_header: String,
    /// The domain of our Message-IDs, e.g. "1022.longan.gov.vn".
    pub message_id_domain: String,
}

/// Why a message is not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    #[error("message of {bytes} bytes is over the limit of {limit} bytes")]
    TooLarge { bytes: usize, limit: usize },
    #[error("message cannot be parsed: {0}")]
    Unparseable(String),
    #[error("message has no sender (no usable From address)")]
    NoSender,
}

impl MailError {
    /// The reason in Vietnamese, for the quarantine list staff read.
    pub fn vietnamese(&self) -> String {
        match self {
            Self::TooLarge { bytes, limit } => format!(
                "Thư quá lớn: {} (giới hạn {}).",
                human_size(*bytes),
                human_size(*limit)
            ),
            Self::Unparseable(detail) => {
                format!("Không đọc được thư: không đúng định dạng thư điện tử ({detail}).")
            }
            Self::NoSender => "Thư không có địa chỉ người gửi (trường From).".to_owned(),
        }
    }
}

/// A size as people read it: "512 byte", "1,5 MB" (Vietnamese decimal comma).
pub fn human_size(bytes: usize) -> String {
    const MIB: usize = 1024 * 1024;
    if bytes < 1024 {
        format!("{bytes} byte")
    } else if bytes < MIB {
        format!("{} KB", tenths(bytes, 1024))
    } else {
        format!("{} MB", tenths(bytes, MIB))
    }
}

fn tenths(bytes: usize, unit: usize) -> String {
    let t = (bytes as u128 * 10 + unit as u128 / 2) / unit as u128;
    if t.is_multiple_of(10) {
        format!("{}", t / 10)
    } else {
        format!("{},{}", t / 10, t % 10)
    }
}

/// A name and an address, as in `From: "Nguyễn Văn A" <a@example.vn>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    /// Decoded (RFC 2047), NFC, white space collapsed; `None` when absent or blank.
    pub name: Option<String>,
    /// Lowercase, NFC; always has a local part, an `@` and a domain.
    pub address: String,
}

/// One attachment or inline part kept within the limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailAttachment {
    /// Decoded (RFC 2231/2047), NFC, without directory parts; `None` when the part has none.
    pub filename: Option<String>,
    /// `type/subtype`, lowercase, e.g. "image/jpeg"; "application/octet-stream" when absent.
    pub content_type: String,
    /// The decoded bytes (transfer encoding removed; text attachments keep their own charset).
    pub bytes: Vec<u8>,
    /// Shown in the body (`Content-Disposition: inline`, or a part with a Content-ID and no
    /// disposition, such as an image referenced by `cid:`).
    pub inline: bool,
    /// Without `<>`.
    pub content_id: Option<String>,
    /// A `message/rfc822` part (a forwarded mail) kept whole; `bytes` is that message.
    pub is_forwarded_message: bool,
}

/// What a DSN (`multipart/report; report-type=delivery-status`, RFC 3464) says.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeliveryReport {
    /// `Final-Recipient` of each recipient whose `Action` is `failed` (lowercase addresses).
    pub failed_recipients: Vec<String>,
    /// The Message-ID of the message that bounced (from the returned headers), without `<>`.
    pub original_message_id: Option<String>,
}

/// The headers `classify` looks at, raw values unfolded and trimmed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HeadersOfNote {
    pub auto_submitted: Option<String>,
    pub x_autoreply: Option<String>,
    pub x_autorespond: Option<String>,
    pub x_auto_response_suppress: Option<String>,
    pub precedence: Option<String>,
    pub list_unsubscribe: Option<String>,
    pub list_id: Option<String>,
    pub return_path: Option<String>,
    pub x_failed_recipients: Option<String>,
    /// `type/subtype` of the message itself, lowercase.
    pub content_type: String,
    /// The `report-type` parameter of a `multipart/report`, lowercase.
    pub report_type: Option<String>,
    /// Every top-level header name, lowercase (to find our loop header, whose name `parse`
    /// does not know).
    pub names: Vec<String>,
}

impl HeadersOfNote {
    /// Whether a header of this name (any case) is present.
    pub fn has(&self, name: &str) -> bool {
        let name = name.to_ascii_lowercase();
        self.names.contains(&name)
    }
}

/// A parsed inbound message. Every string is NFC.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedMail {
    /// Without `<>`; when the header is absent or unusable: "sha256-<hex of the raw bytes>".
    pub message_id: String,
    pub has_message_id: bool,
    /// Without `<>`.
    pub in_reply_to: Vec<String>,
    /// Without `<>`, at most `MAX_REFERENCES` (the last ones).
    pub references: Vec<String>,
    /// Always `Some` in a `ParsedMail` (no sender is `MailError::NoSender`); an `Option` for the
    /// shape the services were written against.
    pub from: Option<Mailbox>,
    pub reply_to: Option<Mailbox>,
    pub to: Vec<Mailbox>,
    pub cc: Vec<Mailbox>,
    /// Decoded (RFC 2047), NFC, white space collapsed, at most `MAX_SUBJECT_CHARS`.
    pub subject: String,
    pub date: Option<DateTime<FixedOffset>>,
    /// The citizen's own words: quoted replies and signatures trimmed, at most
    /// `max_text_chars`.
    pub description: String,
    /// The whole body text before trimming, at most `max_text_chars`.
    pub full_text: String,
    /// The text came from an HTML body (there was no usable text/plain one).
    pub from_html: bool,
    /// Attachments and inline parts within the limits, in message order.
    pub attachments: Vec<MailAttachment>,
    /// "name (size): reason" of each part over the limits, in Vietnamese.
    pub dropped_attachments: Vec<String>,
    /// A tracking code in the subject, e.g. "Re: [1022-K7Q9-3MPX] Đèn đường".
    pub tracking_code: Option<TrackingCode>,
    /// The code of an In-Reply-To/References id of the shape of ours
    /// (`<uuid>.<code>@<domain>`), whatever the domain; `thread_code` also checks the domain.
    pub replied_code: Option<TrackingCode>,
    pub delivery_report: Option<DeliveryReport>,
    pub headers_of_note: HeadersOfNote,
}

/// What kind of message this is, for the poller: only `Ordinary` becomes or continues a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailKind {
    Ordinary,
    /// Auto-Submitted, X-Autoreply, X-Autorespond, Outlook's OOF, Precedence: auto_reply, or an
    /// "Automatic reply:" subject. `reason` names the rule (English, for logs).
    AutoReply {
        reason: String,
    },
    /// A delivery failure report (DSN), or a mailer-daemon's bounce without one.
    Bounce {
        failed_recipients: Vec<String>,
        original_message_id: Option<String>,
    },
    /// From one of our addresses, or carrying our loop header.
    OwnMail,
    /// Precedence bulk/junk/list, List-Unsubscribe, List-Id.
    List {
        reason: String,
    },
}
