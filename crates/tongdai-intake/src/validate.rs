//! Parse, don't validate: a [`TicketDraft`] (what a channel received) becomes a
//! [`ValidTicket`] once, or a list of [`FieldError`]s in Vietnamese. Pure: the jurisdiction
//! and the date are passed in.

use std::collections::BTreeMap;
use std::net::IpAddr;

use chrono::NaiveDate;
use serde::Serialize;
use tongdai_domain::jurisdiction::Dated;
use tongdai_domain::text::normalize;
use tongdai_domain::{Channel, Jurisdiction, Priority, Reporter};
use tongdai_routing::Place;
use uuid::Uuid;

use crate::error::FieldError;

/// The shortest title accepted, in characters (after normalisation).
pub const TITLE_MIN_CHARS: usize = 5;
/// The shortest description accepted, in characters (after normalisation).
pub const DESCRIPTION_MIN_CHARS: usize = 10;

/// Size limits of one report; `[intake]` in the configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IntakeLimits {
    pub title_max_chars: usize,
    pub description_max_chars: usize,
    pub address_max_chars: usize,
    pub name_max_chars: usize,
    pub attribute_max_chars: usize,
    pub max_photos: usize,
    pub max_photo_bytes: usize,
    /// Tickets per minute an anonymous client (one network address) may file through any
    /// channel, after a burst of `anonymous_burst`; 0 turns the limit off.
    pub anonymous_per_minute: u32,
    pub anonymous_burst: u32,
    /// How long an `Idempotency-Key` (and the portal's form id) replays its first answer.
    pub idempotency_retention_hours: u32,
    /// Photo files without an attachment row (a crash between writing them and the
    /// commit) older than this are removed at start-up.
    pub orphan_photo_grace_minutes: u32,
}

impl Default for IntakeLimits {
    fn default() -> Self {
        Self {
            title_max_chars: 200,
            description_max_chars: 5000,
            address_max_chars: 300,
            name_max_chars: 100,
            attribute_max_chars: 500,
            max_photos: 5,
            max_photo_bytes: 5 * 1024 * 1024,
            anonymous_per_minute: 6,
            anonymous_burst: 3,
            idempotency_retention_hours: 24,
            orphan_photo_grace_minutes: 60,
        }
    }
}

/// A file as uploaded; its type is decided by its content, never by its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// What a channel received, before any check.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketDraft {
    pub channel: Channel,
    pub category: String,
    pub title: String,
    pub description: String,
    /// `None`: the policy default (bình thường). Citizens' channels may leave it out.
    pub priority: Option<Priority>,
    pub place: Place,
    pub reporter: Reporter,
    /// The `sub` of the citizen's token, when the report came with one.
    pub reporter_subject: Option<String>,
    pub consent: bool,
    pub attributes: BTreeMap<String, String>,
    pub photos: Vec<Upload>,
    /// The staff user who typed the report in (hotline operator).
    pub submitted_by: Option<Uuid>,
    /// The network address of a filer who is not identified (no citizen token, no staff
    /// user, no Open311 API key): such tickets share the anonymous rate limit. `None` for
    /// identified filers.
    pub anonymous_client: Option<IpAddr>,
}

/// A photo whose content was recognised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidPhoto {
    pub file_name: String,
    pub content_type: &'static str,
    pub extension: &'static str,
    pub bytes: Vec<u8>,
}

/// A draft that passed every check: normalised text, a known category, a reachable reporter.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidTicket {
    pub channel: Channel,
    pub category: String,
    pub title: String,
    pub description: String,
    pub priority: Priority,
    pub place: Place,
    pub reporter: Reporter,
    pub reporter_subject: Option<String>,
    pub attributes: BTreeMap<String, String>,
    pub photos: Vec<ValidPhoto>,
    pub submitted_by: Option<Uuid>,
}

fn clean(text: &str) -> String {
    normalize(text)
}

fn optional(text: Option<&String>) -> Option<String> {
    text.map(|t| clean(t)).filter(|t| !t.is_empty())
}

/// Vietnamese phone numbers as people write them (`0912 345 678`, `+84 912-345-678`,
/// `(0272) 3 822 022`) → `0912345678`. Mobiles have 10 digits (03, 05, 07, 08, 09),
/// landlines 11 (02x area code).
pub fn normalize_phone(input: &str) -> Option<String> {
    let compact: String = input
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')'))
        .collect();
    let national = if let Some(rest) = compact.strip_prefix("+84") {
        format!("0{rest}")
    } else if let Some(rest) = compact
        .strip_prefix("84")
        .filter(|r| r.len() >= 9 && !r.starts_with('0'))
    {
        format!("0{rest}")
    } else {
        compact
    };
    if !national.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let bytes = national.as_bytes();
    let ok = match (bytes.len(), bytes.get(1)) {
        (10, Some(b'3' | b'5' | b'7' | b'8' | b'9')) => bytes[0] == b'0',
        (11, Some(b'2')) => bytes[0] == b'0',
        _ => false,
    };
    ok.then_some(national)
}

fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    email.len() <= 254
        && !local.is_empty()
        && local.len() <= 64
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// The photo formats a phone camera produces; recognised by their first bytes.
pub(crate) fn recognise_photo(bytes: &[u8]) -> Option<(&'static str, &'static str)> {
    let kind = infer::get(bytes)?;
    match kind.mime_type() {
        "image/jpeg" => Some(("image/jpeg", "jpg")),
        "image/png" => Some(("image/png", "png")),
        "image/webp" => Some(("image/webp", "webp")),
        "image/heif" | "image/heic" => Some(("image/heic", "heic")),
        _ => None,
    }
}

fn length_check(
    errors: &mut Vec<FieldError>,
    field: &str,
    value: &str,
    min: usize,
    max: usize,
    label: &str,
) {
    let n = value.chars().count();
    if n < min {
        let message = if n == 0 {
            format!("Vui lòng nhập {label}.")
        } else {
            format!("{} quá ngắn (ít nhất {min} ký tự).", capitalise(label))
        };
        errors.push(FieldError::new(field, message));
    } else if n > max {
        errors.push(FieldError::new(
            field,
            format!("{} dài tối đa {max} ký tự.", capitalise(label)),
        ));
    }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Checks a draft against the limits and the jurisdiction in force on `filed_on`.
pub fn validate(
    draft: TicketDraft,
    limits: &IntakeLimits,
    jurisdiction: &Jurisdiction,
    filed_on: NaiveDate,
) -> Result<ValidTicket, Vec<FieldError>> {
    let mut errors = Vec::new();

    let category_code = draft.category.trim().to_owned();
    let category = jurisdiction
        .categories
        .iter()
        .find(|c| c.code == category_code && c.valid_on(filed_on));
    if category.is_none() {
        let message = if category_code.is_empty() {
            "Vui lòng chọn lĩnh vực phản ánh.".to_owned()
        } else {
            format!("Lĩnh vực {category_code:?} không có trong danh mục hiện hành.")
        };
        errors.push(FieldError::new("category", message));
    }

    let title = clean(&draft.title);
    length_check(
        &mut errors,
        "title",
        &title,
        TITLE_MIN_CHARS,
        limits.title_max_chars,
        "tiêu đề",
    );
    let description = clean_multiline(&draft.description);
    length_check(
        &mut errors,
        "description",
        &description,
        DESCRIPTION_MIN_CHARS,
        limits.description_max_chars,
        "nội dung phản ánh",
    );

    let area_code = optional(draft.place.area_code.as_ref());
    if let Some(code) = &area_code
        && jurisdiction.area(code).is_none()
    {
        errors.push(FieldError::new(
            "location.area_code",
            format!("Không có phường/xã mã {code:?}."),
        ));
    }
    let address = optional(draft.place.address.as_ref());
    if let Some(a) = &address
        && a.chars().count() > limits.address_max_chars
    {
        errors.push(FieldError::new(
            "location.address",
            format!("Địa chỉ dài tối đa {} ký tự.", limits.address_max_chars),
        ));
    }
    let (lat, lon) = match (draft.place.lat, draft.place.lon) {
        (Some(lat), Some(lon))
            if lat.is_finite() && lon.is_finite() && lat.abs() <= 90.0 && lon.abs() <= 180.0 =>
        {
            (Some(lat), Some(lon))
        }
        (None, None) => (None, None),
        _ => {
            errors.push(FieldError::new(
                "location",
                "Tọa độ không hợp lệ (cần cả vĩ độ và kinh độ).",
            ));
            (None, None)
        }
    };
    // A mail has no place field: the IOC completes the place in triage (the router sends
    // a ticket without one there), instead of the citizen's mail being refused.
    if area_code.is_none() && address.is_none() && lat.is_none() && draft.channel != Channel::Email
    {
        errors.push(FieldError::new(
            "location",
            "Vui lòng chọn phường/xã hoặc nhập địa chỉ nơi xảy ra sự việc.",
        ));
    }

    let name = optional(draft.reporter.name.as_ref());
    if let Some(n) = &name
        && n.chars().count() > limits.name_max_chars
    {
        errors.push(FieldError::new(
            "reporter.name",
            format!("Họ tên dài tối đa {} ký tự.", limits.name_max_chars),
        ));
    }
    let phone = match optional(draft.reporter.phone.as_ref()) {
        None => None,
        Some(raw) => match normalize_phone(&raw) {
            Some(p) => Some(p),
            None => {
                errors.push(FieldError::new(
                    "reporter.phone",
                    "Số điện thoại không hợp lệ (ví dụ 0912 345 678 hoặc 0272 3 822 022).",
                ));
                None
            }
        },
    };
    let email = match optional(draft.reporter.email.as_ref()) {
        None => None,
        Some(raw) if valid_email(&raw) => Some(raw.to_lowercase()),
        Some(_) => {
            errors.push(FieldError::new(
                "reporter.email",
                "Địa chỉ thư điện tử không hợp lệ.",
            ));
            None
        }
    };
    let phone_given = draft
        .reporter
        .phone
        .as_deref()
        .is_some_and(|p| !p.trim().is_empty());
    let email_given = draft
        .reporter
        .email
        .as_deref()
        .is_some_and(|e| !e.trim().is_empty());
    if !phone_given && !email_given {
        errors.push(FieldError::new(
            "reporter",
            "Vui lòng để lại số điện thoại hoặc thư điện tử để cơ quan liên hệ và trả lời.",
        ));
    }
    if !draft.consent {
        errors.push(FieldError::new(
            "consent",
            "Bạn cần đồng ý cho phép xử lý dữ liệu cá nhân để gửi phản ánh (Nghị định 13/2023/NĐ-CP).",
        ));
    }

    let mut attributes = BTreeMap::new();
    if let Some(category) = category {
        for (code, value) in &draft.attributes {
            let value = clean(value);
            let Some(attribute) = category.attributes.iter().find(|a| &a.code == code) else {
                errors.push(FieldError::new(
                    format!("attributes.{code}"),
                    format!("Lĩnh vực «{}» không có câu hỏi {code:?}.", category.name),
                ));
                continue;
            };
            if value.chars().count() > limits.attribute_max_chars {
                errors.push(FieldError::new(
                    format!("attributes.{code}"),
                    format!(
                        "Câu trả lời dài tối đa {} ký tự.",
                        limits.attribute_max_chars
                    ),
                ));
            } else if !attribute.values.is_empty()
                && !value.is_empty()
                && !attribute.values.iter().any(|v| v.key == value)
            {
                errors.push(FieldError::new(
                    format!("attributes.{code}"),
                    "Vui lòng chọn một giá trị trong danh sách.",
                ));
            }
            if !value.is_empty() {
                attributes.insert(code.clone(), value);
            }
        }
        // Nobody can answer a category's questions in a mail: the agency asks if it must.
        let asks = draft.channel != Channel::Email;
        for attribute in category.attributes.iter().filter(|a| asks && a.required) {
            if !attributes.contains_key(&attribute.code) {
                errors.push(FieldError::new(
                    format!("attributes.{}", attribute.code),
                    format!("Vui lòng trả lời: {}", attribute.description),
                ));
            }
        }
    }

    let photos = match validate_photos(draft.photos, limits) {
        Ok(photos) => photos,
        Err(photo_errors) => {
            errors.extend(photo_errors);
            Vec::new()
        }
    };

    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ValidTicket {
        channel: draft.channel,
        category: category_code,
        title,
        description,
        priority: draft.priority.unwrap_or(Priority::BinhThuong),
        place: Place {
            area_code,
            address,
            lat,
            lon,
        },
        reporter: Reporter { name, phone, email },
        reporter_subject: draft.reporter_subject,
        attributes,
        photos,
        submitted_by: draft.submitted_by,
    })
}

/// Checks count, size and content of uploaded photos.
pub fn validate_photos(
    uploads: Vec<Upload>,
    limits: &IntakeLimits,
) -> Result<Vec<ValidPhoto>, Vec<FieldError>> {
    let mut errors = Vec::new();
    if uploads.len() > limits.max_photos {
        errors.push(FieldError::new(
            "photos",
            format!("Chỉ gửi được tối đa {} ảnh.", limits.max_photos),
        ));
    }
    let mut photos = Vec::new();
    for (i, upload) in uploads.into_iter().enumerate() {
        let field = format!("photos[{i}]");
        let shown = sanitize_file_name(&upload.file_name, i);
        if upload.bytes.len() > limits.max_photo_bytes {
            errors.push(FieldError::new(
                field,
                format!(
                    "Ảnh «{shown}» lớn hơn {} MB.",
                    limits.max_photo_bytes.div_ceil(1024 * 1024)
                ),
            ));
            continue;
        }
        match recognise_photo(&upload.bytes) {
            Some((content_type, extension)) => photos.push(ValidPhoto {
                file_name: shown,
                content_type,
                extension,
                bytes: upload.bytes,
            }),
            None => errors.push(FieldError::new(
                field,
                format!("Tệp «{shown}» không phải ảnh JPEG, PNG, HEIC hoặc WebP."),
            )),
        }
    }
    if errors.is_empty() {
        Ok(photos)
    } else {
        Err(errors)
    }
}

/// Like `normalize` but keeps the citizen's line breaks (paragraphs of a description).
fn clean_multiline(text: &str) -> String {
    let lines: Vec<String> = text.replace("\r\n", "\n").split('\n').map(clean).collect();
    let joined = lines.join("\n");
    let mut out = String::with_capacity(joined.len());
    let mut blank_run = 0;
    for line in joined.split('\n') {
        if line.is_empty() {
            blank_run += 1;
            if blank_run > 1 {
                continue;
            }
        } else {
            blank_run = 0;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(line);
    }
    out.trim().to_owned()
}

/// A file name safe to show and store as metadata (the file on disk gets our own name).
pub(crate) fn sanitize_file_name(name: &str, index: usize) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = normalize(base)
        .chars()
        .filter(|c| !c.is_control())
        .take(120)
        .collect();
    if cleaned.is_empty() {
        format!("anh-{}", index + 1)
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn vietnamese_phone_formats_are_normalised() {
        for (input, expected) in [
            ("0912345678", "0912345678"),
            ("0912 345 678", "0912345678"),
            ("+84 912-345-678", "0912345678"),
            ("84912345678", "0912345678"),
            ("(0272) 3 822 022", "02723822022"),
            ("0272.3822.022", "02723822022"),
        ] {
            assert_eq!(normalize_phone(input).as_deref(), Some(expected), "{input}");
        }
        for bad in [
            "1022",
            "091234567",
            "09123456789",
            "0112345678",
            "abc",
            "+1 202 555 0100",
            "0612345678",
        ] {
            assert_eq!(normalize_phone(bad), None, "{bad}");
        }
    }

    #[test]
    fn emails_are_checked_for_shape() {
        assert!(valid_email("nguoi.dan@example.vn"));
        for bad in [
            "",
            "a@b",
            "@example.vn",
            "a b@example.vn",
            "a@@example.vn",
            "a@example.vn.",
        ] {
            assert!(!valid_email(bad), "{bad}");
        }
    }

    #[test]
    fn photos_are_recognised_by_content_not_name() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        assert_eq!(recognise_photo(&png), Some(("image/png", "png")));
        let jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0];
        assert_eq!(recognise_photo(&jpeg), Some(("image/jpeg", "jpg")));
        assert_eq!(recognise_photo(b"MZ\x90\0 this is a windows program"), None);
        assert_eq!(recognise_photo(b"%PDF-1.7"), None);
    }

    #[test]
    fn descriptions_keep_paragraphs_but_not_runs_of_blank_lines() {
        assert_eq!(
            clean_multiline("  Dòng 1  \r\n\r\n\r\n  Dòng   2 "),
            "Dòng 1\n\nDòng 2"
        );
    }

    #[test]
    fn file_names_lose_their_paths() {
        assert_eq!(sanitize_file_name("C:\\Users\\a\\ảnh.jpg", 0), "ảnh.jpg");
        assert_eq!(sanitize_file_name("../../etc/passwd", 0), "passwd");
        assert_eq!(sanitize_file_name("", 2), "anh-3");
    }
}
