//! Parameters as GeoReport v2 clients send them: a query string, or a form-encoded body
//! (`attribute[code]=value` pairs included), and what they become: a search filter or a
//! [`TicketDraft`].

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use tongdai_domain::jurisdiction::Category;
use tongdai_domain::{Channel, Reporter, vn_offset};
use tongdai_intake::validate::TITLE_MIN_CHARS;
use tongdai_intake::{FieldError, TicketDraft};
use tongdai_routing::Place;

use crate::error::Open311Error;

/// The pairs of a query string or form body, in order (a name may repeat).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(pub Vec<(String, String)>);

impl Params {
    /// Parses `application/x-www-form-urlencoded` pairs. NUL and the other control
    /// characters (except tab and line breaks) are refused here, naming the parameter,
    /// before any value reaches a query: PostgreSQL refuses NUL in text.
    pub fn parse(encoded: &str) -> Result<Params, Open311Error> {
        let pairs = serde_urlencoded::from_str::<Vec<(String, String)>>(encoded)
            .map_err(|e| Open311Error::bad_request(format!("Tham số không đọc được: {e}")))?;
        let forbidden = |t: &str| {
            t.chars()
                .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        };
        if let Some((k, _)) = pairs.iter().find(|(k, v)| forbidden(k) || forbidden(v)) {
            let shown: String = k.chars().filter(|c| !c.is_control()).take(40).collect();
            return Err(Open311Error::bad_request(format!(
                "{shown}: tham số chứa ký tự điều khiển (ví dụ NUL), không được chấp nhận."
            )));
        }
        Ok(Params(pairs))
    }

    /// `self` then `later` (a later value of the same name wins in [`Params::get`]).
    pub fn merged(mut self, later: Params) -> Params {
        self.0.extend(later.0);
        self
    }

    /// The last non-empty value of `name`, trimmed.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .find(|v| !v.is_empty())
    }

    /// `attribute[code]=value` and `attribute[code][]=value` pairs, by code.
    pub fn attributes(&self) -> BTreeMap<String, Vec<String>> {
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (k, v) in &self.0 {
            let Some(rest) = k.strip_prefix("attribute[") else {
                continue;
            };
            let code = rest
                .strip_suffix("][]")
                .or_else(|| rest.strip_suffix(']'))
                .unwrap_or(rest);
            let value = v.trim();
            if code.is_empty() || value.is_empty() {
                continue;
            }
            out.entry(code.to_owned())
                .or_default()
                .push(value.to_owned());
        }
        out
    }
}

/// `start_date`/`end_date`: W3C/ISO 8601 date-times (`2026-11-23T09:00:00+07:00`, `…Z`,
/// fractions allowed); without an offset the time is Vietnamese; a bare date is the start
/// of that day (or, for an end, the last instant of it). An unencoded `+` of an offset
/// arrives as a space and is put back.
pub fn parse_datetime(
    field: &str,
    raw: &str,
    end_of_day: bool,
) -> Result<DateTime<Utc>, Open311Error> {
    let text = raw.trim().replace(' ', "+");
    if let Ok(t) = DateTime::parse_from_rfc3339(&text) {
        return Ok(t.with_timezone(&Utc));
    }
    let local = |naive: NaiveDateTime| {
        vn_offset()
            .from_local_datetime(&naive)
            .single()
            .map(|t| t.with_timezone(&Utc))
    };
    for pattern in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(&text, pattern)
            && let Some(t) = local(naive)
        {
            return Ok(t);
        }
    }
    if let Ok(date) = NaiveDate::parse_from_str(&text, "%Y-%m-%d")
        && let Some(start) = local(date.and_time(NaiveTime::MIN))
    {
        return Ok(if end_of_day {
            start + Duration::days(1) - Duration::seconds(1)
        } else {
            start
        });
    }
    Err(Open311Error::bad_request(format!(
        "{field}: \"{raw}\" không phải ngày giờ theo định dạng W3C/ISO 8601 (ví dụ 2026-11-23T09:00:00+07:00)."
    )))
}

/// A GeoReport request has no title, and its description is the citizen's own words
/// (where people write their name and phone), so the public title is the service's name,
/// lengthened where it is shorter than a title may be.
pub fn title_for_service(service_name: &str) -> String {
    if service_name.chars().count() >= TITLE_MIN_CHARS {
        service_name.to_owned()
    } else {
        format!("Phản ánh lĩnh vực {service_name}")
    }
}

const MEDIA_URL_MAX_CHARS: usize = 500;

/// What a `POST requests` carries, checked for shape (the intake checks the rest).
pub fn draft(params: &Params, service: &Category) -> Result<TicketDraft, Open311Error> {
    let mut errors = Vec::new();
    let number = |name: &str, errors: &mut Vec<FieldError>| match params.get(name) {
        None => None,
        Some(raw) => match raw.parse::<f64>() {
            Ok(v) if v.is_finite() => Some(v),
            _ => {
                errors.push(FieldError::new(
                    name,
                    format!("\"{raw}\" không phải một số (tọa độ WGS 84)."),
                ));
                None
            }
        },
    };
    let lat = number("lat", &mut errors);
    let lon = number("long", &mut errors);

    let mut attributes = BTreeMap::new();
    for (code, values) in params.attributes() {
        if values.len() > 1 {
            errors.push(FieldError::new(
                format!("attribute[{code}]"),
                "Mỗi câu hỏi chỉ nhận một giá trị.",
            ));
            continue;
        }
        if let Some(v) = values.into_iter().next() {
            attributes.insert(code, v);
        }
    }

    let mut description = params.get("description").unwrap_or_default().to_owned();
    if let Some(url) = params.get("media_url") {
        let ok = (url.starts_with("https://") || url.starts_with("http://"))
            && url.chars().count() <= MEDIA_URL_MAX_CHARS
            && !url.chars().any(|c| c.is_whitespace() || c.is_control());
        if ok {
            description.push_str(&format!("\n\nẢnh/tệp đính kèm (media_url): {url}"));
        } else {
            errors.push(FieldError::new(
                "media_url",
                format!("Cần một địa chỉ http(s) hợp lệ, tối đa {MEDIA_URL_MAX_CHARS} ký tự."),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(Open311Error::invalid(&errors));
    }

    let name = [params.get("first_name"), params.get("last_name")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    Ok(TicketDraft {
        channel: Channel::Open311,
        category: service.code.clone(),
        title: title_for_service(&service.name),
        description,
        priority: None,
        place: Place {
            area_code: params.get("address_id").map(str::to_owned),
            address: params.get("address_string").map(str::to_owned),
            lat,
            lon,
        },
        reporter: Reporter {
            name: (!name.is_empty()).then_some(name),
            phone: params.get("phone").map(str::to_owned),
            email: params.get("email").map(str::to_owned),
        },
        reporter_subject: None,
        // A registered integrator (API key) undertakes to obtain the citizen's consent
        // under Nghị định 13/2023/NĐ-CP before submitting: see the crate documentation.
        consent: true,
        attributes,
        photos: Vec::new(),
        submitted_by: None,
        // Every Open311 filer is identified by its API key.
        anonymous_client: None,
    })
}

/// The intake's field names → the GeoReport parameter the client sent. The title is the
/// service's name, never the client's input, so its errors are not the client's to fix
/// and are dropped.
pub fn open311_field_errors(errors: Vec<FieldError>) -> Vec<FieldError> {
    let mut out = Vec::new();
    for e in errors {
        let field = match e.field.as_str() {
            "title" => continue,
            "description" => "description".to_owned(),
            "category" => "service_code".to_owned(),
            "location" => "lat/long, address_string, address_id".to_owned(),
            "location.area_code" => "address_id".to_owned(),
            "location.address" => "address_string".to_owned(),
            "reporter" => "email, phone".to_owned(),
            "reporter.phone" => "phone".to_owned(),
            "reporter.email" => "email".to_owned(),
            "reporter.name" => "first_name, last_name".to_owned(),
            other => match other.strip_prefix("attributes.") {
                Some(code) => format!("attribute[{code}]"),
                None => other.to_owned(),
            },
        };
        out.push(FieldError::new(field, e.message));
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn attributes_are_read_in_both_bracket_forms() {
        let p = Params::parse(
            "attribute%5Bmuc-ngap%5D=20-50cm&attribute[nguon-on][]=karaoke&attribute[x]=&other=1",
        )
        .unwrap();
        let a = p.attributes();
        assert_eq!(a["muc-ngap"], vec!["20-50cm"]);
        assert_eq!(a["nguon-on"], vec!["karaoke"]);
        assert!(!a.contains_key("x"));
        assert_eq!(a.len(), 2);
    }

    #[test]
    fn the_last_value_wins() {
        let p = Params::parse("a=1")
            .unwrap()
            .merged(Params::parse("a=2&a=").unwrap());
        assert_eq!(p.get("a"), Some("2"));
        assert_eq!(p.get("b"), None);
    }

    #[test]
    fn w3c_datetimes_are_read_with_or_without_offset() {
        let nine = Utc.with_ymd_and_hms(2026, 11, 23, 2, 0, 0).unwrap();
        for raw in [
            "2026-11-23T09:00:00+07:00",
            "2026-11-23T09:00:00 07:00",
            "2026-11-23T02:00:00Z",
            "2026-11-23T02:00:00.000Z",
            "2026-11-23T09:00:00",
        ] {
            assert_eq!(
                parse_datetime("start_date", raw, false).unwrap(),
                nine,
                "{raw}"
            );
        }
        let day_start = Utc.with_ymd_and_hms(2026, 11, 22, 17, 0, 0).unwrap();
        assert_eq!(
            parse_datetime("start_date", "2026-11-23", false).unwrap(),
            day_start
        );
        assert_eq!(
            parse_datetime("end_date", "2026-11-23", true).unwrap(),
            day_start + Duration::days(1) - Duration::seconds(1)
        );
        let err = parse_datetime("end_date", "hôm qua", false).unwrap_err();
        assert!(err.entries[0].description.starts_with("end_date:"));
    }

    #[test]
    fn titles_are_the_service_name_never_the_citizens_words() {
        assert_eq!(title_for_service("Đèn đường"), "Đèn đường");
        assert_eq!(title_for_service("Khác"), "Phản ánh lĩnh vực Khác");
        assert!(title_for_service("Y tế").chars().count() >= TITLE_MIN_CHARS);
    }

    #[test]
    fn control_characters_in_parameters_are_refused_naming_the_parameter() {
        let err = Params::parse("service_code=%00").unwrap_err();
        assert_eq!(err.status.as_u16(), 400);
        assert!(err.entries[0].description.starts_with("service_code:"));
        assert!(Params::parse("a%00b=1").is_err());
        let ok = Params::parse("description=d%C3%B2ng%201%0D%0Ad%C3%B2ng%202%09x").unwrap();
        assert_eq!(ok.get("description"), Some("dòng 1\r\ndòng 2\tx"));
    }

    #[test]
    fn intake_fields_become_open311_parameters() {
        let mapped = open311_field_errors(vec![
            FieldError::new("title", "Tiêu đề quá ngắn"),
            FieldError::new("description", "Nội dung quá ngắn"),
            FieldError::new("attributes.muc-ngap", "Vui lòng trả lời"),
            FieldError::new("location", "Vui lòng chọn"),
        ]);
        let fields: Vec<&str> = mapped.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "description",
                "attribute[muc-ngap]",
                "lat/long, address_string, address_id"
            ]
        );
    }

    #[test]
    fn a_draft_is_built_from_form_fields() {
        let p = Params::parse(
            "service_code=cay-xanh&lat=10.53&long=106.4&description=C%C3%A2y+%C4%91%E1%BB%95+ch%E1%BA%AFn+%C4%91%C6%B0%E1%BB%9Dng&first_name=An&last_name=Nguy%E1%BB%85n&email=an%40example.vn&media_url=https%3A%2F%2Fex.vn%2Fa.jpg",
        )
        .unwrap();
        let service = Category {
            code: "cay-xanh".into(),
            name: "Cây xanh".into(),
            parent: None,
            description: None,
            attributes: Vec::new(),
            valid_from: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
            valid_to: None,
            basis: None,
            confirmed: true,
        };
        let d = draft(&p, &service).unwrap();
        assert_eq!(d.channel, Channel::Open311);
        assert_eq!(d.category, "cay-xanh");
        // The public title is the service, never the citizen's own words.
        assert_eq!(d.title, "Cây xanh");
        assert!(d.description.starts_with("Cây đổ chắn đường\n\n"));
        assert!(d.description.ends_with("https://ex.vn/a.jpg"));
        assert_eq!(d.reporter.name.as_deref(), Some("An Nguyễn"));
        assert_eq!(d.place.lat, Some(10.53));
        assert!(d.consent);
        let bad = Params::parse("lat=abc&media_url=javascript:alert(1)").unwrap();
        let err = draft(&bad, &service).unwrap_err();
        assert_eq!(err.entries.len(), 2);
    }
}
