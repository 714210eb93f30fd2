//! `parse`: raw RFC 5322 bytes to a `ParsedMail`. mail-parser does the MIME work; this module
//! picks what the 1022 needs, cleans every string (NFC, no controls) and applies the limits.

use std::borrow::Cow;

use mail_parser::decoders::base64::base64_decode;
use mail_parser::decoders::quoted_printable::quoted_printable_decode;
use mail_parser::{
    Address, Encoding, HeaderValue, Message, MessageParser, MessagePart, MimeHeaders, PartType,
};
use sha2::{Digest, Sha256};
use tongdai_domain::TrackingCode;
use unicode_normalization::UnicodeNormalization;

use crate::body::{
    clean_line, clean_text, html_quote_start, html_to_text, trim_reply, truncate_chars,
};
use crate::charset::{decode_viscii, is_viscii, transcode_header_words};
use crate::classify::code_in_id_of_our_shape;
use crate::{
    DeliveryReport, HeadersOfNote, MAX_FILENAME_CHARS, MAX_MESSAGE_ID_BYTES, MAX_NAME_CHARS,
    MAX_REFERENCES, MAX_SUBJECT_CHARS, MailAttachment, MailError, MailLimits, Mailbox, ParsedMail,
    human_size,
};

/// Longest header value kept in `HeadersOfNote`, in characters.
const MAX_HEADER_CHARS: usize = 998;
/// At most this many header names are kept in `HeadersOfNote::names`.
const MAX_HEADER_NAMES: usize = 500;
/// At most this many failed recipients are read from a DSN.
const MAX_FAILED_RECIPIENTS: usize = 100;

/// Parses one message. Over `limits.max_message_bytes` is refused before anything is read.
/// Never panics: the parsing runs under `catch_unwind` as a last net for a bug in a
/// dependency (the proptests run the unguarded function, so such a bug would be seen).
pub fn parse(raw: &[u8], limits: &MailLimits) -> Result<ParsedMail, MailError> {
    if raw.len() > limits.max_message_bytes {
        return Err(MailError::TooLarge {
            bytes: raw.len(),
            limit: limits.max_message_bytes,
        });
    }
    std::panic::catch_unwind(|| parse_unguarded(raw, limits)).unwrap_or_else(|_| {
        Err(MailError::Unparseable(
            "internal error of the MIME parser".to_owned(),
        ))
    })
}

/// `parse` without its `catch_unwind` net, for the proptests and the fuzz target.
#[doc(hidden)]
pub fn parse_unguarded(raw: &[u8], limits: &MailLimits) -> Result<ParsedMail, MailError> {
    if raw.len() > limits.max_message_bytes {
        return Err(MailError::TooLarge {
            bytes: raw.len(),
            limit: limits.max_message_bytes,
        });
    }
    starts_with_header(raw)?;
    let prepared = transcode_header_words(raw);
    let msg = MessageParser::default()
        .parse(&prepared[..])
        .ok_or_else(|| MailError::Unparseable("no message found".to_owned()))?;
    let Some(root) = msg.parts.first() else {
        return Err(MailError::Unparseable("no header found".to_owned()));
    };
    if root.headers.is_empty() {
        return Err(MailError::Unparseable("no header found".to_owned()));
    }

    let from = msg
        .from()
        .and_then(first_mailbox)
        .or_else(|| msg.sender().and_then(first_mailbox))
        .ok_or(MailError::NoSender)?;

    let (message_id, has_message_id) = match msg.message_id().and_then(clean_id) {
        Some(id) => (id, true),
        None => (
            format!("sha256-{}", hex::encode(Sha256::digest(raw))),
            false,
        ),
    };
    let in_reply_to = ids(msg.in_reply_to());
    let mut references = ids(msg.references());
    if references.len() > MAX_REFERENCES {
        references.drain(..references.len() - MAX_REFERENCES);
    }
    let subject = msg
        .subject()
        .map(|s| clean_line(s, MAX_SUBJECT_CHARS))
        .unwrap_or_default();
    let tracking_code = code_in_subject(&subject);
    let replied_code = in_reply_to
        .iter()
        .rev()
        .chain(references.iter().rev())
        .find_map(|id| code_in_id_of_our_shape(id).map(|(code, _)| code));

    let headers_of_note = headers_of_note(&msg, root);
    let delivery_report = (headers_of_note.content_type == "multipart/report"
        && headers_of_note.report_type.as_deref() == Some("delivery-status"))
    .then(|| delivery_report(&msg));

    let body = body_text(&msg, limits);
    let (attachments, dropped_attachments) = attachments(&msg, limits, delivery_report.is_some());

    Ok(ParsedMail {
        message_id,
        has_message_id,
        in_reply_to,
        references,
        from: Some(from),
        reply_to: msg.reply_to().and_then(first_mailbox),
        to: msg.to().map(mailboxes).unwrap_or_default(),
        cc: msg.cc().map(mailboxes).unwrap_or_default(),
        subject,
        date: msg.date().and_then(to_chrono),
        description: body.description,
        full_text: body.full_text,
        from_html: body.from_html,
        attachments,
        dropped_attachments,
        tracking_code,
        replied_code,
        delivery_report,
        headers_of_note,
    })
}

/// The input must begin with a header field ("Name: value"), after an optional mbox
/// "From " line: this is what tells a message from an arbitrary file.
fn starts_with_header(raw: &[u8]) -> Result<(), MailError> {
    let mut rest = raw;
    if rest.starts_with(b"From ") {
        let nl = rest.iter().position(|b| *b == b'\n').unwrap_or(rest.len());
        rest = rest.get(nl + 1..).unwrap_or_default();
    }
    let line_end = rest.iter().position(|b| *b == b'\n').unwrap_or(rest.len());
    let line = &rest[..line_end];
    let colon = line.iter().position(|b| *b == b':');
    let valid = colon.is_some_and(|c| {
        c > 0
            && line[..c]
                .iter()
                .all(|b| (33..=126).contains(b) && *b != b':')
    });
    if valid {
        Ok(())
    } else {
        Err(MailError::Unparseable(
            "does not begin with a header field".to_owned(),
        ))
    }
}

/// A usable address: lowercase, NFC, `local@domain`, no white space or brackets, at most 254
/// characters (RFC 5321).
fn clean_address(address: &str) -> Option<String> {
    let a = address.trim().trim_start_matches('<').trim_end_matches('>');
    let a = clean_line(a, 1000).to_lowercase();
    let (local, domain) = a.rsplit_once('@')?;
    let bad = |c: char| c.is_whitespace() || matches!(c, '<' | '>' | ',' | ';' | '"' | '(' | ')');
    (!local.is_empty() && !domain.is_empty() && a.chars().count() <= 254 && !a.chars().any(bad))
        .then_some(a)
}

fn mailbox(addr: &mail_parser::Addr<'_>) -> Option<Mailbox> {
    let address = clean_address(addr.address()?)?;
    let name = addr
        .name()
        .map(|n| {
            clean_line(
                n.trim().trim_matches('"').trim_matches('\''),
                MAX_NAME_CHARS,
            )
        })
        .filter(|n| !n.is_empty());
    Some(Mailbox { name, address })
}

fn first_mailbox(address: &Address<'_>) -> Option<Mailbox> {
    address.iter().find_map(mailbox)
}

fn mailboxes(address: &Address<'_>) -> Vec<Mailbox> {
    address.iter().filter_map(mailbox).take(1000).collect()
}

/// A message id without `<>`, NFC, no white space, at most `MAX_MESSAGE_ID_BYTES`.
fn clean_id(id: &str) -> Option<String> {
    let id = id.trim();
    let id = id.strip_prefix('<').unwrap_or(id);
    let id = id.strip_suffix('>').unwrap_or(id);
    let clean = clean_line(id, MAX_MESSAGE_ID_BYTES);
    (!clean.is_empty()
        && clean.len() <= MAX_MESSAGE_ID_BYTES
        && !clean.contains(char::is_whitespace))
    .then_some(clean)
}

fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    let raw: Vec<&str> = match value {
        HeaderValue::Text(t) => vec![t.as_ref()],
        HeaderValue::TextList(list) => list.iter().map(|t| t.as_ref()).collect(),
        _ => vec![],
    };
    let mut out: Vec<String> = Vec::new();
    for id in raw.iter().flat_map(|t| t.split_whitespace()) {
        if let Some(id) = clean_id(id)
            && !out.contains(&id)
        {
            out.push(id);
        }
    }
    out
}

/// A tracking code written in the subject: "1022-K7Q9-3MPX", "[1022-k7q9-3mpx]" or
/// "1022K7Q93MPX", not glued to other letters or digits.
fn code_in_subject(subject: &str) -> Option<TrackingCode> {
    let chars: Vec<char> = subject.chars().collect();
    let mut i = 0;
    while i + 4 <= chars.len() {
        let starts = chars[i..i + 4].iter().collect::<String>() == "1022"
            && (i == 0 || !chars[i - 1].is_alphanumeric());
        if starts {
            let mut j = i + 4;
            let mut alnum = 0;
            let mut candidate = String::from("1022");
            while j < chars.len()
                && alnum < 8
                && (chars[j].is_ascii_alphanumeric() || chars[j] == '-')
            {
                if chars[j] != '-' {
                    alnum += 1;
                }
                candidate.push(chars[j]);
                j += 1;
            }
            let ends = j == chars.len() || !chars[j].is_alphanumeric();
            if alnum == 8
                && ends
                && let Ok(code) = TrackingCode::parse(&candidate)
            {
                return Some(code);
            }
        }
        i += 1;
    }
    None
}

fn to_chrono(d: &mail_parser::DateTime) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    let offset = (i32::from(d.tz_hour) * 3600 + i32::from(d.tz_minute) * 60)
        * if d.tz_before_gmt { -1 } else { 1 };
    let offset = chrono::FixedOffset::east_opt(offset)?;
    chrono::NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))?
        .and_hms_opt(u32::from(d.hour), u32::from(d.minute), u32::from(d.second))?
        .and_local_timezone(offset)
        .single()
}

/// The raw value of the first top-level header `name`, unfolded and cleaned.
fn raw_header(msg: &Message<'_>, root: &MessagePart<'_>, name: &str) -> Option<String> {
    let h = root
        .headers
        .iter()
        .find(|h| h.name().eq_ignore_ascii_case(name))?;
    let bytes = msg
        .raw_message()
        .get(h.offset_start() as usize..h.offset_end() as usize)?;
    let value = clean_line(&String::from_utf8_lossy(bytes), MAX_HEADER_CHARS);
    Some(value)
}

fn headers_of_note(msg: &Message<'_>, root: &MessagePart<'_>) -> HeadersOfNote {
    let get = |name: &str| raw_header(msg, root, name);
    let mut names: Vec<String> = Vec::new();
    for h in &root.headers {
        let n = clean_line(h.name(), MAX_HEADER_CHARS).to_ascii_lowercase();
        if !names.contains(&n) && names.len() < MAX_HEADER_NAMES {
            names.push(n);
        }
    }
    let ct = root.content_type();
    let content_type = ct
        .map(|ct| {
            let t = ct.ctype().to_ascii_lowercase();
            match ct.subtype() {
                Some(s) => format!("{t}/{}", s.to_ascii_lowercase()),
                None => t,
            }
        })
        .map(|t| clean_line(&t, MAX_HEADER_CHARS))
        .unwrap_or_else(|| "text/plain".to_owned());
    let report_type = ct
        .and_then(|ct| ct.attribute("report-type"))
        .map(|r| clean_line(r, MAX_HEADER_CHARS).to_ascii_lowercase());
    HeadersOfNote {
        auto_submitted: get("Auto-Submitted"),
        x_autoreply: get("X-Autoreply"),
        x_autorespond: get("X-Autorespond"),
        x_auto_response_suppress: get("X-Auto-Response-Suppress"),
        precedence: get("Precedence"),
        list_unsubscribe: get("List-Unsubscribe"),
        list_id: get("List-Id"),
        return_path: get("Return-Path"),
        x_failed_recipients: get("X-Failed-Recipients"),
        content_type,
        report_type,
        names,
    }
}

/// `type/subtype` of a part, lowercase.
fn part_type(part: &MessagePart<'_>) -> Option<String> {
    part.content_type().map(|ct| {
        let t = ct.ctype().to_ascii_lowercase();
        match ct.subtype() {
            Some(s) => format!("{t}/{}", s.to_ascii_lowercase()),
            None => t,
        }
    })
}

/// The part's body bytes with only the transfer encoding removed (the charset kept).
fn raw_part_bytes<'a>(raw_message: &'a [u8], part: &MessagePart<'_>) -> Cow<'a, [u8]> {
    let start = part.offset_body as usize;
    let end = (part.offset_end as usize).max(start);
    let bytes = raw_message.get(start..end).unwrap_or_default();
    let decoded = match part.encoding {
        Encoding::Base64 => base64_decode(bytes),
        Encoding::QuotedPrintable => quoted_printable_decode(bytes),
        Encoding::None => None,
    };
    decoded.map_or(Cow::Borrowed(bytes), Cow::Owned)
}

/// The text of a text part: mail-parser's, except for the charsets it does not know (VISCII),
/// which are decoded here from the part's bytes.
fn part_text<'a>(msg: &'a Message<'_>, part: &'a MessagePart<'_>, text: &'a str) -> Cow<'a, str> {
    let viscii = part
        .content_type()
        .and_then(|ct| ct.attribute("charset"))
        .is_some_and(is_viscii);
    if viscii {
        Cow::Owned(decode_viscii(&raw_part_bytes(msg.raw_message(), part)))
    } else {
        Cow::Borrowed(text)
    }
}

struct Body {
    full_text: String,
    description: String,
    from_html: bool,
}

fn body_text(msg: &Message<'_>, limits: &MailLimits) -> Body {
    // Enough source for `max_text_chars` of text even in verbose HTML; the rest is never read.
    let max_source = limits.max_text_chars.saturating_mul(64).max(64 * 1024);
    let mut full = Vec::new();
    let mut own = Vec::new();
    let mut from_html = false;
    for id in &msg.text_body {
        add_body_part(msg, *id, max_source, &mut full, &mut own, &mut from_html);
    }
    // An empty text/plain beside a real HTML body (some web mailers): read the HTML.
    if clean_text(&full.join("\n")).is_empty() {
        full.clear();
        own.clear();
        from_html = false;
        for id in &msg.html_body {
            add_body_part(msg, *id, max_source, &mut full, &mut own, &mut from_html);
        }
    }
    let full_text = clean_text(&full.join("\n\n"));
    let mut description = trim_reply(&clean_text(&own.join("\n\n")));
    if description.is_empty() {
        description = full_text.clone();
    }
    Body {
        full_text: limit_text(&full_text, limits.max_text_chars),
        description: limit_text(&description, limits.max_text_chars),
        from_html,
    }
}

/// Adds one body part's text: to `full` as it is, to `own` without an HTML reply's quote.
fn add_body_part(
    msg: &Message<'_>,
    id: u32,
    max_source: usize,
    full: &mut Vec<String>,
    own: &mut Vec<String>,
    from_html: &mut bool,
) {
    let Some(part) = msg.parts.get(id as usize) else {
        return;
    };
    match &part.body {
        PartType::Text(t) => {
            let text = part_text(msg, part, t);
            let text = cut_bytes(&text, max_source);
            full.push(text.to_owned());
            own.push(text.to_owned());
        }
        PartType::Html(h) => {
            let html = part_text(msg, part, h);
            let html = cut_bytes(&html, max_source);
            full.push(html_to_text(html));
            let own_html = html_quote_start(html).map_or(html, |at| &html[..at]);
            own.push(html_to_text(own_html));
            *from_html = true;
        }
        _ => {}
    }
}

/// At most `max_chars` characters, no trailing white space, NFC.
fn limit_text(text: &str, max_chars: usize) -> String {
    let cut = truncate_chars(text, max_chars);
    truncate_chars(&cut.trim_end().nfc().collect::<String>(), max_chars)
}

/// At most `max` bytes of `s`, cut at a character boundary.
fn cut_bytes(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The parts that belong to a delivery report itself, not attachments of a person's.
fn is_report_part(content_type: &str) -> bool {
    matches!(
        content_type,
        "message/delivery-status"
            | "message/global-delivery-status"
            | "message/disposition-notification"
            | "text/rfc822-headers"
            | "message/global-headers"
    )
}

fn clean_filename(name: &str) -> Option<String> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let clean = clean_line(base, MAX_FILENAME_CHARS);
    (!clean.is_empty() && clean != "." && clean != "..").then_some(clean)
}

fn attachments(
    msg: &Message<'_>,
    limits: &MailLimits,
    is_report: bool,
) -> (Vec<MailAttachment>, Vec<String>) {
    let mut kept = Vec::new();
    let mut dropped = Vec::new();
    for part in msg
        .attachments
        .iter()
        .filter_map(|id| msg.parts.get(*id as usize))
    {
        let declared = part_type(part);
        let is_forwarded_message = matches!(part.body, PartType::Message(_));
        let content_type = match (&declared, &part.body) {
            (_, PartType::Message(_)) => "message/rfc822".to_owned(),
            (Some(t), _) if t.contains('/') => clean_line(t, 255),
            (_, PartType::Text(_)) => "text/plain".to_owned(),
            (_, PartType::Html(_)) => "text/html".to_owned(),
            _ => "application/octet-stream".to_owned(),
        };
        if is_report && is_report_part(&content_type) {
            continue;
        }
        let bytes: Cow<'_, [u8]> = match &part.body {
            PartType::Message(m) => Cow::Borrowed(m.raw_message()),
            PartType::Text(_) | PartType::Html(_) => raw_part_bytes(msg.raw_message(), part),
            PartType::Binary(b) | PartType::InlineBinary(b) => Cow::Borrowed(b.as_ref()),
            PartType::Multipart(_) => continue,
        };
        let filename = part.attachment_name().and_then(clean_filename).or_else(|| {
            if let PartType::Message(m) = &part.body {
                let subject = m.subject().map(|s| clean_line(s, 200)).unwrap_or_default();
                clean_filename(&format!("{subject}.eml"))
                    .filter(|n| n != ".eml")
                    .or_else(|| Some("thu-chuyen-tiep.eml".to_owned()))
            } else {
                None
            }
        });
        let content_id = part.content_id().and_then(clean_id);
        let inline = match part.content_disposition() {
            Some(d) if d.is_attachment() => false,
            Some(d) if d.is_inline() => true,
            _ => content_id.is_some(),
        };
        let label = filename
            .clone()
            .unwrap_or_else(|| format!("(không tên, {content_type})"));
        if bytes.len() > limits.max_attachment_bytes {
            dropped.push(format!(
                "{label} ({}): lớn hơn giới hạn {} của một tệp",
                human_size(bytes.len()),
                human_size(limits.max_attachment_bytes)
            ));
            continue;
        }
        if kept.len() >= limits.max_attachments {
            dropped.push(format!(
                "{label} ({}): quá số tệp tối đa ({} tệp)",
                human_size(bytes.len()),
                limits.max_attachments
            ));
            continue;
        }
        kept.push(MailAttachment {
            filename,
            content_type,
            bytes: bytes.into_owned(),
            inline,
            content_id,
            is_forwarded_message,
        });
    }
    (kept, dropped)
}

/// Final-Recipient of the failed recipients, and the bounced message's id (RFC 3464).
fn delivery_report(msg: &Message<'_>) -> DeliveryReport {
    let mut report = DeliveryReport::default();
    for part in &msg.parts {
        let Some(t) = part_type(part) else { continue };
        match (t.as_str(), &part.body) {
            ("message/delivery-status" | "message/global-delivery-status", _) => {
                let text = String::from_utf8_lossy(part.contents()).into_owned();
                for r in failed_recipients(&text) {
                    if !report.failed_recipients.contains(&r)
                        && report.failed_recipients.len() < MAX_FAILED_RECIPIENTS
                    {
                        report.failed_recipients.push(r);
                    }
                }
            }
            ("text/rfc822-headers" | "message/global-headers", _)
                if report.original_message_id.is_none() =>
            {
                report.original_message_id = MessageParser::new()
                    .parse_headers(part.contents())
                    .and_then(|m| m.message_id().and_then(clean_id));
            }
            (_, PartType::Message(m)) if report.original_message_id.is_none() => {
                report.original_message_id = m.message_id().and_then(clean_id);
            }
            _ => {}
        }
    }
    report
}

/// The `Final-Recipient` of every per-recipient block whose `Action` is `failed` (or absent).
fn failed_recipients(status: &str) -> Vec<String> {
    let unified = status.replace("\r\n", "\n");
    let mut out = Vec::new();
    for block in unified.split("\n\n") {
        // Unfold continuation lines.
        let mut fields: Vec<String> = Vec::new();
        for line in block.lines() {
            if line.starts_with([' ', '\t']) {
                if let Some(last) = fields.last_mut() {
                    last.push(' ');
                    last.push_str(line.trim());
                }
            } else {
                fields.push(line.to_owned());
            }
        }
        let field = |name: &str| {
            fields.iter().find_map(|f| {
                let (n, v) = f.split_once(':')?;
                n.trim()
                    .eq_ignore_ascii_case(name)
                    .then(|| v.trim().to_owned())
            })
        };
        let Some(recipient) = field("Final-Recipient") else {
            continue;
        };
        let action = field("Action").map(|a| a.to_ascii_lowercase());
        if action.as_deref().is_some_and(|a| a != "failed") {
            continue;
        }
        // "rfc822; someone@example.vn"
        let address = recipient.rsplit(';').next().unwrap_or(&recipient);
        if let Some(a) = clean_address(address) {
            out.push(a);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn codes_in_subjects() {
        let code = |s: &str| code_in_subject(s).map(|c| c.to_string());
        assert_eq!(
            code("Re: [1022-K7Q9-3MPX] Đèn đường").as_deref(),
            Some("1022-K7Q9-3MPX")
        );
        assert_eq!(
            code("Bổ sung 1022-k7q9-3mpx").as_deref(),
            Some("1022-K7Q9-3MPX")
        );
        assert_eq!(code("Mã 1022K7Q93MPX").as_deref(), Some("1022-K7Q9-3MPX"));
        assert_eq!(code("Gọi 1022 ngay"), None);
        assert_eq!(code("x1022-K7Q9-3MPX"), None);
        assert_eq!(code("1022-K7Q9-3MPXA"), None);
        assert_eq!(code("1022-K7Q0-3MPX"), None);
        assert_eq!(
            code("Tổng đài 1022 - 1022-AAAA-CCCC").as_deref(),
            Some("1022-AAAA-CCCC")
        );
    }

    #[test]
    fn legacy_charsets_in_headers() {
        let limits = MailLimits::default();
        // GB2312 (through mail-parser's full_encoding): "路灯" (street light).
        let raw = b"From: a@b.vn\r\nSubject: =?gb2312?B?wre1xg==?=\r\n\r\nx\r\n";
        assert_eq!(parse(raw, &limits).unwrap().subject, "路灯");
        // windows-1258 with a combining grave (0xCC) after "e": composed to "è".
        let raw = b"From: a@b.vn\r\nSubject: =?windows-1258?Q?=D0e=CCn?=\r\n\r\nx\r\n";
        assert_eq!(parse(raw, &limits).unwrap().subject, "Đèn");
    }

    #[test]
    fn addresses() {
        assert_eq!(
            clean_address(" Dan@Example.VN ").as_deref(),
            Some("dan@example.vn")
        );
        assert_eq!(clean_address("<a@b>").as_deref(), Some("a@b"));
        for bad in ["", "@", "a@", "@b", "a b@c", "a@b,c", "abc"] {
            assert_eq!(clean_address(bad), None, "{bad}");
        }
    }

    #[test]
    fn failed_recipients_of_a_status() {
        let status = "Reporting-MTA: dns; mx.example.vn\r\n\r\nFinal-Recipient: rfc822; A@x.vn\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\nFinal-Recipient: rfc822;b@x.vn\r\nAction: delayed\r\n\r\nFinal-Recipient:\r\n rfc822; c@x.vn\r\n";
        assert_eq!(failed_recipients(status), vec!["a@x.vn", "c@x.vn"]);
    }

    #[test]
    fn header_check() {
        assert!(starts_with_header(b"From: a@b\r\n").is_ok());
        assert!(starts_with_header(b"From a@b Mon Dec 1 2026\nSubject: x\n").is_ok());
        assert!(starts_with_header(b"\x89PNG\r\n").is_err());
        assert!(starts_with_header(b"hello world: no").is_err());
        assert!(starts_with_header(b"").is_err());
    }
}
