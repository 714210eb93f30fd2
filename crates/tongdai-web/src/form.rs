//! The report form as the browser sends it: field names, the citizen's values, the draft
//! handed to the intake service, and where each of the intake's messages goes back on the
//! page.

use std::collections::BTreeMap;

use tongdai_domain::{Channel, Reporter};
use tongdai_intake::{FieldError, TicketDraft, Upload};
use tongdai_routing::Place;

/// Names of the form's inputs (also used by the templates and the tests).
pub mod names {
    pub const CSRF: &str = "csrf";
    pub const FORM_ID: &str = "form_id";
    /// The honeypot: hidden from people, filled by naive bots.
    pub const HONEYPOT: &str = "website";
    pub const CATEGORY: &str = "category";
    pub const AREA: &str = "area_code";
    pub const ADDRESS: &str = "address";
    pub const LAT: &str = "lat";
    pub const LON: &str = "lon";
    pub const TITLE: &str = "title";
    pub const DESCRIPTION: &str = "description";
    pub const PHOTOS: &str = "photos";
    pub const NAME: &str = "name";
    pub const PHONE: &str = "phone";
    pub const EMAIL: &str = "email";
    pub const CONSENT: &str = "consent";
    /// `attr:<category code>:<attribute code>`: every category's questions are on the page.
    pub const ATTRIBUTE_PREFIX: &str = "attr:";
}

/// The name of the input answering `attribute` of `category`.
pub fn attribute_name(category: &str, attribute: &str) -> String {
    format!("{}{category}:{attribute}", names::ATTRIBUTE_PREFIX)
}

/// The HTML id of that input.
pub fn attribute_id(category: &str, attribute: &str) -> String {
    format!("f-attr-{}-{}", category.replace('.', "_"), attribute)
}

/// What the citizen typed (files aside), kept to fill the form again after an error.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FormInput {
    pub csrf: Option<String>,
    pub form_id: String,
    pub honeypot: String,
    pub category: String,
    pub area_code: String,
    pub address: String,
    pub lat: String,
    pub lon: String,
    pub title: String,
    pub description: String,
    pub name: String,
    pub phone: String,
    pub email: String,
    pub consent: bool,
    /// category code → attribute code → answer.
    pub attributes: BTreeMap<String, BTreeMap<String, String>>,
}

impl FormInput {
    /// Stores one text field; unknown names are ignored.
    pub fn set(&mut self, name: &str, value: String) {
        use names::*;
        match name {
            CSRF => self.csrf = Some(value),
            FORM_ID => self.form_id = value,
            HONEYPOT => self.honeypot = value,
            CATEGORY => self.category = value,
            AREA => self.area_code = value,
            ADDRESS => self.address = value,
            LAT => self.lat = value,
            LON => self.lon = value,
            TITLE => self.title = value,
            DESCRIPTION => self.description = value,
            NAME => self.name = value,
            PHONE => self.phone = value,
            EMAIL => self.email = value,
            CONSENT => self.consent = !value.is_empty(),
            other => {
                if let Some((category, code)) = other
                    .strip_prefix(ATTRIBUTE_PREFIX)
                    .and_then(|rest| rest.rsplit_once(':'))
                {
                    self.attributes
                        .entry(category.to_owned())
                        .or_default()
                        .insert(code.to_owned(), value);
                }
            }
        }
    }

    /// The answer given to a question (for refilling the form).
    pub fn attribute(&self, category: &str, code: &str) -> &str {
        self.attributes
            .get(category)
            .and_then(|answers| answers.get(code))
            .map_or("", String::as_str)
    }

    /// True when a bot filled the hidden field.
    pub fn is_bot(&self) -> bool {
        !self.honeypot.trim().is_empty()
    }

    /// The report for the intake service (channel web). Only the chosen category's
    /// questions are sent; empty answers are left out.
    pub fn to_draft(&self, photos: Vec<Upload>) -> TicketDraft {
        let attributes = self
            .attributes
            .get(self.category.trim())
            .map(|answers| {
                answers
                    .iter()
                    .filter(|(_, v)| !v.trim().is_empty())
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default();
        TicketDraft {
            channel: Channel::Web,
            category: self.category.trim().to_owned(),
            title: self.title.clone(),
            description: self.description.clone(),
            priority: None,
            place: Place {
                area_code: non_empty(&self.area_code),
                address: non_empty(&self.address),
                lat: coordinate(&self.lat),
                lon: coordinate(&self.lon),
            },
            reporter: Reporter {
                name: non_empty(&self.name),
                phone: non_empty(&self.phone),
                email: non_empty(&self.email),
            },
            reporter_subject: None,
            consent: self.consent,
            attributes,
            photos,
            submitted_by: None,
            // The portal is anonymous: the handler sets the client's address.
            anonymous_client: None,
        }
    }
}

fn non_empty(value: &str) -> Option<String> {
    let v = value.trim();
    (!v.is_empty()).then(|| v.to_owned())
}

/// Empty → none; anything that is not a number → NaN, which the intake refuses with its
/// own message about coordinates.
fn coordinate(value: &str) -> Option<f64> {
    let v = value.trim();
    if v.is_empty() {
        None
    } else {
        Some(v.parse().unwrap_or(f64::NAN))
    }
}

/// Where on the page a message of the intake service is shown; declared in the order of the
/// page (the category's questions follow the category picker).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Slot {
    /// Not tied to an input (shown in the summary only, first).
    General,
    Category,
    Attribute(String),
    Title,
    Description,
    /// The commune/ward picker; also messages about the place as a whole.
    Area,
    Address,
    Photos,
    Name,
    /// The phone input; also "give us a way to reach you".
    Phone,
    Email,
    Consent,
}

impl Slot {
    /// Maps the intake's field names (`reporter.phone`, `photos[2]`, `attributes.x`, …).
    pub fn of(field: &str) -> Slot {
        match field {
            "category" => Slot::Category,
            "location" | "location.area_code" | "location.lat" | "location.lon" => Slot::Area,
            "location.address" => Slot::Address,
            "title" => Slot::Title,
            "description" => Slot::Description,
            "reporter" | "reporter.phone" => Slot::Phone,
            "reporter.name" => Slot::Name,
            "reporter.email" => Slot::Email,
            "consent" => Slot::Consent,
            f if f == "photos" || f.starts_with("photos[") => Slot::Photos,
            f => match f.strip_prefix("attributes.") {
                Some(code) if !code.is_empty() => Slot::Attribute(code.to_owned()),
                _ => Slot::General,
            },
        }
    }

    /// The id of the input the message belongs to (the error summary links to it).
    pub fn input_id(&self, category: &str) -> String {
        match self {
            Slot::Category => "f-category".into(),
            Slot::Area => "f-area".into(),
            Slot::Address => "f-address".into(),
            Slot::Title => "f-title".into(),
            Slot::Description => "f-description".into(),
            Slot::Attribute(code) => attribute_id(category, code),
            Slot::Photos => "f-photos".into(),
            Slot::Name => "f-name".into(),
            Slot::Phone => "f-phone".into(),
            Slot::Email => "f-email".into(),
            Slot::Consent => "f-consent".into(),
            Slot::General => "form-errors".into(),
        }
    }
}

/// The messages of one failed submission, by input id, in the order of the page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormErrors {
    entries: Vec<(Slot, String, String)>,
}

impl FormErrors {
    pub fn from_fields(errors: &[FieldError], category: &str) -> Self {
        let mut entries: Vec<(Slot, String, String)> = errors
            .iter()
            .map(|e| {
                let slot = Slot::of(&e.field);
                let id = slot.input_id(category);
                (slot, id, e.message.clone())
            })
            .collect();
        // Stable: messages of one input keep the intake's order.
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        Self { entries }
    }

    /// One message not tied to an input.
    pub fn general(message: impl Into<String>) -> Self {
        Self {
            entries: vec![(Slot::General, "form-errors".into(), message.into())],
        }
    }

    pub fn push(&mut self, field: &str, message: impl Into<String>, category: &str) {
        let slot = Slot::of(field);
        let id = slot.input_id(category);
        self.entries.push((slot, id, message.into()));
        self.entries.sort_by(|a, b| a.0.cmp(&b.0));
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// (input id, message) for the summary at the top of the page.
    pub fn summary(&self) -> Vec<(String, String)> {
        self.entries
            .iter()
            .map(|(_, id, m)| (id.clone(), m.clone()))
            .collect()
    }

    /// The messages shown next to the input `id`, joined.
    pub fn for_input(&self, id: &str) -> Option<String> {
        let messages: Vec<&str> = self
            .entries
            .iter()
            .filter(|(_, i, _)| i == id)
            .map(|(_, _, m)| m.as_str())
            .collect();
        (!messages.is_empty()).then(|| messages.join(" "))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn intake_fields_map_to_inputs() {
        let cat = "giao-thong.o-ga";
        for (field, id) in [
            ("category", "f-category"),
            ("title", "f-title"),
            ("description", "f-description"),
            ("location", "f-area"),
            ("location.area_code", "f-area"),
            ("location.address", "f-address"),
            ("reporter", "f-phone"),
            ("reporter.phone", "f-phone"),
            ("reporter.name", "f-name"),
            ("reporter.email", "f-email"),
            ("consent", "f-consent"),
            ("photos", "f-photos"),
            ("photos[2]", "f-photos"),
            (
                "attributes.muc-nguy-hiem",
                "f-attr-giao-thong_o-ga-muc-nguy-hiem",
            ),
            ("attributes.", "form-errors"),
            ("something.else", "form-errors"),
        ] {
            assert_eq!(Slot::of(field).input_id(cat), id, "{field}");
        }
    }

    #[test]
    fn messages_are_grouped_by_input_in_page_order() {
        let errors = FormErrors::from_fields(
            &[
                FieldError::new("reporter", "Vui lòng để lại số điện thoại."),
                FieldError::new("title", "Vui lòng nhập tiêu đề."),
                FieldError::new("photos[0]", "Tệp «a.png» không phải ảnh."),
                FieldError::new("photos[1]", "Ảnh «b.jpg» lớn hơn 5 MB."),
            ],
            "",
        );
        let ids: Vec<String> = errors.summary().into_iter().map(|(id, _)| id).collect();
        assert_eq!(ids, ["f-title", "f-photos", "f-photos", "f-phone"]);
        assert_eq!(
            errors.for_input("f-photos").as_deref(),
            Some("Tệp «a.png» không phải ảnh. Ảnh «b.jpg» lớn hơn 5 MB.")
        );
        assert_eq!(errors.for_input("f-email"), None);

        // The form asks for the category and its questions, then title and description,
        // then the place.
        let errors = FormErrors::from_fields(
            &[
                FieldError::new("consent", "c"),
                FieldError::new("location", "p"),
                FieldError::new("description", "d"),
                FieldError::new("attributes.muc-nguy-hiem", "q"),
                FieldError::new("title", "t"),
                FieldError::new("category", "k"),
                FieldError::new("oops", "g"),
            ],
            "giao-thong.o-ga",
        );
        let messages: Vec<String> = errors.summary().into_iter().map(|(_, m)| m).collect();
        assert_eq!(messages, ["g", "k", "q", "t", "d", "p", "c"]);
    }

    #[test]
    fn form_fields_become_a_web_draft() {
        let mut input = FormInput::default();
        for (name, value) in [
            ("category", " giao-thong.o-ga "),
            ("area_code", "TN-P-TANAN"),
            ("address", "  "),
            ("lat", "10.5357"),
            ("lon", "106.4137"),
            ("title", "Ổ gà lớn"),
            ("description", "Ổ gà giữa đường"),
            ("name", ""),
            ("phone", "0912 345 678"),
            ("email", ""),
            ("consent", "yes"),
            ("attr:giao-thong.o-ga:muc-nguy-hiem", "co"),
            ("attr:giao-thong.o-ga:kich-thuoc", ""),
            ("attr:cap-thoat-nuoc.ngap-nuoc:muc-ngap", "tren-50cm"),
            ("unknown", "ignored"),
        ] {
            input.set(name, value.to_owned());
        }
        assert!(!input.is_bot());
        let photo = Upload {
            file_name: "a.png".into(),
            bytes: vec![1, 2, 3],
        };
        let draft = input.to_draft(vec![photo.clone()]);
        assert_eq!(draft.channel, Channel::Web);
        assert_eq!(draft.category, "giao-thong.o-ga");
        assert_eq!(draft.place.area_code.as_deref(), Some("TN-P-TANAN"));
        assert_eq!(draft.place.address, None);
        assert_eq!(draft.place.lat, Some(10.5357));
        assert_eq!(draft.place.lon, Some(106.4137));
        assert_eq!(draft.reporter.phone.as_deref(), Some("0912 345 678"));
        assert_eq!(draft.reporter.name, None);
        assert!(draft.consent);
        assert_eq!(
            draft.attributes.into_iter().collect::<Vec<_>>(),
            [("muc-nguy-hiem".to_owned(), "co".to_owned())],
            "only the chosen category's answered questions"
        );
        assert_eq!(draft.photos, [photo]);
        assert_eq!(
            input.attribute("cap-thoat-nuoc.ngap-nuoc", "muc-ngap"),
            "tren-50cm"
        );
    }

    #[test]
    fn bad_coordinates_reach_the_intake_as_nan_and_bots_are_spotted() {
        let mut input = FormInput::default();
        input.set("lat", "north".into());
        input.set("website", "http://spam.example".into());
        let draft = input.to_draft(Vec::new());
        assert!(draft.place.lat.is_some_and(f64::is_nan));
        assert_eq!(draft.place.lon, None);
        assert!(!draft.consent);
        assert!(input.is_bot());
    }
}
