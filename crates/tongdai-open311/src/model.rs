//! From our records to GeoReport v2 documents (field names exactly as the spec's).

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use tongdai_domain::jurisdiction::Dated;
use tongdai_domain::{
    Category, CategoryAttribute, EventKind, Jurisdiction, TicketStatus, vn_offset,
};
use tongdai_intake::PublicTicket;
use tongdai_storage::tickets::Ticket;

use crate::tree::Node;

/// The spec's limit on `description` (the JSON Schema says `maxLength: 4000`).
const DESCRIPTION_MAX_CHARS: usize = 4000;

/// W3C date-time with the Vietnamese offset: `2026-11-23T09:00:00+07:00`.
pub fn w3c(t: DateTime<FixedOffset>) -> String {
    t.with_timezone(&vn_offset())
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

pub fn w3c_utc(t: DateTime<Utc>) -> String {
    w3c(t.fixed_offset())
}

/// Categories in force on `today`, in the order of the jurisdiction files.
pub fn services_in_force(jurisdiction: &Jurisdiction, today: NaiveDate) -> Vec<&Category> {
    jurisdiction
        .categories
        .iter()
        .filter(|c| c.valid_on(today))
        .collect()
}

pub fn find_service<'a>(
    jurisdiction: &'a Jurisdiction,
    today: NaiveDate,
    code: &str,
) -> Option<&'a Category> {
    jurisdiction
        .categories
        .iter()
        .find(|c| c.code == code && c.valid_on(today))
}

/// `giao-thong.o-ga` → `giao thong, o ga`: the code's parts are the category's words
/// without accents, which is what people type into a 311 client's search box.
pub fn keywords(code: &str) -> String {
    code.split('.')
        .map(|part| part.replace('-', " "))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One `service`. `group` is the parent category's name (a top-level category is its own group).
pub fn service(category: &Category, jurisdiction: &Jurisdiction, today: NaiveDate) -> Node {
    let group = match &category.parent {
        Some(parent) => jurisdiction
            .categories
            .iter()
            .find(|c| &c.code == parent && c.valid_on(today))
            .or_else(|| jurisdiction.categories.iter().find(|c| &c.code == parent))
            .map_or_else(|| parent.clone(), |c| c.name.clone()),
        None => category.name.clone(),
    };
    Node::Object(vec![
        ("service_code", Node::text(&category.code)),
        ("service_name", Node::text(&category.name)),
        ("description", Node::opt_text(category.description.clone())),
        ("metadata", Node::Bool(!category.attributes.is_empty())),
        ("type", Node::text("realtime")),
        ("keywords", Node::text(keywords(&category.code))),
        ("group", Node::text(group)),
    ])
}

pub fn services(categories: &[&Category], jurisdiction: &Jurisdiction, today: NaiveDate) -> Node {
    Node::List {
        item: "service",
        items: categories
            .iter()
            .map(|c| service(c, jurisdiction, today))
            .collect(),
    }
}

fn datatype_description(attribute: &CategoryAttribute) -> Option<&'static str> {
    match attribute.datatype.as_str() {
        "datetime" => Some("Ngày giờ theo ISO 8601, ví dụ 2026-11-23T09:00:00+07:00."),
        "number" => Some("Một số, ví dụ 12 hoặc 0.5."),
        "singlevaluelist" => Some("Chọn một giá trị: gửi key của giá trị đó."),
        "multivaluelist" => Some("Chọn một giá trị trong danh sách: gửi key của giá trị đó."),
        _ => None,
    }
}

/// The `service_definition` of a category: its extra questions as attributes.
pub fn service_definition(category: &Category) -> Node {
    let mut attributes: Vec<&CategoryAttribute> = category.attributes.iter().collect();
    attributes.sort_by_key(|a| a.order);
    Node::Object(vec![
        ("service_code", Node::text(&category.code)),
        (
            "attributes",
            Node::List {
                item: "attribute",
                items: attributes
                    .into_iter()
                    .map(|a| {
                        Node::Object(vec![
                            ("variable", Node::Bool(true)),
                            ("code", Node::text(&a.code)),
                            ("datatype", Node::text(&a.datatype)),
                            ("required", Node::Bool(a.required)),
                            (
                                "datatype_description",
                                Node::opt_text(datatype_description(a)),
                            ),
                            ("order", Node::Int(i64::from(a.order))),
                            ("description", Node::text(&a.description)),
                            (
                                "values",
                                Node::List {
                                    item: "value",
                                    items: a
                                        .values
                                        .iter()
                                        .map(|v| {
                                            Node::Object(vec![
                                                ("key", Node::text(&v.key)),
                                                ("name", Node::text(&v.name)),
                                            ])
                                        })
                                        .collect(),
                                },
                            ),
                        ])
                    })
                    .collect(),
            },
        ),
    ])
}

/// GeoReport's two statuses for ours: `closed` once the answer is public, the ticket was
/// rejected or closed; `open` before, including while an answer waits for approval or
/// publication (the citizen has no answer yet) and after a reopening.
pub fn georeport_status(status: TicketStatus) -> &'static str {
    if status.is_open() { "open" } else { "closed" }
}

pub fn open_or_closed(ticket: &Ticket) -> &'static str {
    georeport_status(ticket.status)
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max - 1).collect();
    cut.push('…');
    cut
}

/// What the citizen's 311 client shows next to the status: the agency and by when it must
/// answer, and where to follow the ticket.
pub fn service_notice(view: &PublicTicket, tracking_url: &str) -> String {
    let mut notice = match &view.agency {
        Some(agency) => format!("Phản ánh đã được chuyển đến {}.", agency.name),
        None => "Tổng đài 1022 đang phân loại và sẽ chuyển phản ánh đến cơ quan có thẩm quyền."
            .to_owned(),
    };
    if let Some(due) = view.deadlines.answer_due {
        notice.push_str(&format!(
            " Hạn trả lời: {} ngày {}.",
            due.format("%H:%M"),
            due.format("%d/%m/%Y")
        ));
    }
    notice.push_str(&format!(" Tra cứu: {tracking_url}"));
    notice
}

/// `status_notes`: the published answer if there is one (hidden again by a reopening until
/// the next publication); for a rejected report the reason given; else the latest public
/// event. Built from the public view only, so an internal note (staff notes, the agency's
/// unpublished answer, the citizen's own texts) cannot reach it.
pub fn status_notes(view: &PublicTicket) -> Option<String> {
    if let Some(answer) = &view.answer {
        return Some(answer.text.clone());
    }
    let rejected = [TicketStatus::Rejected, TicketStatus::Closed]
        .iter()
        .any(|s| s.code() == view.status);
    if rejected
        && let Some(reason) = view
            .timeline
            .iter()
            .rev()
            .take_while(|e| e.kind != EventKind::Reopened.code())
            .find(|e| e.kind == EventKind::Rejected.code())
            .and_then(|e| e.detail.clone())
    {
        return Some(reason);
    }
    view.timeline
        .iter()
        .rev()
        .find_map(|e| e.detail.clone().or_else(|| Some(e.label.clone())))
}

/// One `request`. Never the reporter's personal data (the public view does not carry it),
/// and `description` is the ticket's public title: the full text citizens type may hold
/// names and phone numbers, and Open311 reads are unauthenticated.
pub fn request(ticket: &Ticket, view: &PublicTicket, tracking_url: &str) -> Node {
    let updated = [
        Some(ticket.updated_at),
        ticket.closed_at,
        view.timeline.last().map(|e| e.at.with_timezone(&Utc)),
    ]
    .into_iter()
    .flatten()
    .max()
    .unwrap_or(ticket.created_at);
    let address = ticket
        .address
        .clone()
        .or_else(|| view.area.as_ref().map(|a| a.name.clone()));
    Node::Object(vec![
        ("service_request_id", Node::text(ticket.code.as_str())),
        ("status", Node::text(open_or_closed(ticket))),
        ("status_notes", Node::opt_text(status_notes(view))),
        ("service_name", Node::text(&view.category.name)),
        ("service_code", Node::text(&ticket.category_code)),
        (
            "description",
            Node::text(truncate(&view.title, DESCRIPTION_MAX_CHARS)),
        ),
        (
            "agency_responsible",
            Node::text(view.agency.as_ref().map_or("", |a| a.name.as_str())),
        ),
        (
            "service_notice",
            Node::text(service_notice(view, tracking_url)),
        ),
        ("requested_datetime", Node::text(w3c_utc(ticket.created_at))),
        ("updated_datetime", Node::text(w3c_utc(updated))),
        (
            "expected_datetime",
            Node::opt_text(view.deadlines.answer_due.map(w3c)),
        ),
        ("address", Node::opt_text(address)),
        ("address_id", Node::opt_text(ticket.area_code.clone())),
        ("zipcode", Node::Null),
        ("lat", Node::opt_float(ticket.latitude)),
        ("long", Node::opt_float(ticket.longitude)),
        ("media_url", Node::Null),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn datetimes_are_w3c_in_vietnamese_time() {
        let t = Utc.with_ymd_and_hms(2026, 11, 23, 2, 0, 0).unwrap();
        assert_eq!(w3c_utc(t), "2026-11-23T09:00:00+07:00");
    }

    #[test]
    fn every_status_is_open_or_closed() {
        for status in TicketStatus::ALL {
            let expected = match status {
                TicketStatus::Answered | TicketStatus::Rejected | TicketStatus::Closed => "closed",
                _ => "open",
            };
            assert_eq!(georeport_status(*status), expected, "{status}");
        }
    }

    #[test]
    fn keywords_come_from_the_code() {
        assert_eq!(keywords("giao-thong.o-ga"), "giao thong, o ga");
        assert_eq!(keywords("khac"), "khac");
    }

    #[test]
    fn long_descriptions_are_cut_to_the_spec_limit() {
        let long = "a".repeat(5000);
        let cut = truncate(&long, DESCRIPTION_MAX_CHARS);
        assert_eq!(cut.chars().count(), DESCRIPTION_MAX_CHARS);
        assert!(cut.ends_with('…'));
        assert_eq!(truncate("ngắn", 10), "ngắn");
    }
}
