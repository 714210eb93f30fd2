//! The citizen's own page for a filed report, through the second private link of its
//! receipt: `GET /tra-cuu/{code}/y-kien?ma=<citizen token>` shows the ticket's state and a
//! form for each action the citizen may take now
//! ([`IntakeService::citizen_actions`]): `citizen-reply` (when the agency asked for
//! information), `reopen` (within `workflow.reopen_days` of the publication of the answer)
//! and `rate` (1 to 5 stars, once). `POST` to the same address performs one
//! ([`IntakeService::act_as_citizen`]) and redirects to the same address with
//! `&da-gui=<action>`, which says what was done (a reload sends nothing again).
//!
//! The token is [`IntakeService::citizen_token`] of the ticket, given only on the receipt.
//! A wrong or missing token, an unknown code and a malformed one all get the tracking
//! page's 404 ([`not_found`]), so the link says nothing the public page does not. Every
//! answer is [`private`]; the token is checked before the body is read; the form (a small
//! `application/x-www-form-urlencoded` body) carries the portal's CSRF token and the
//! ticket's version, so a form left open while staff acted is refused (409) rather than
//! applied to a state the citizen did not see. Refusals store nothing and come back as the
//! page with a Vietnamese message and what was typed.

use std::str::FromStr;

use actix_web::error::PayloadError;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Duration;
use futures_util::StreamExt;
use serde::Deserialize;
use tongdai_domain::workflow::Action;
use tongdai_domain::{TicketStatus, TrackingCode};
use tongdai_intake::work::refusal_message;
use tongdai_intake::{
    ActionInput, CitizenProof, FieldError, IntakeError, IntakeService, PublicTicket,
};
use tongdai_storage::tickets::Ticket;

use crate::error::WebError;
use crate::handlers::{check_csrf, log_csrf_refusal, not_found, see_other, with_csrf};
use crate::multipart::limited;
use crate::pages::{
    Answer, CitizenPage, Field, Link, RateForm, Star, SummaryItem, When, status_note,
};
use crate::response::{html, private};
use crate::{WebState, link};

/// The last segment of the private link: `/tra-cuu/{code}/y-kien`.
pub const SEGMENT: &str = "y-kien";
/// The query parameter of the confirmation after a POST: the action's code.
pub const DONE_PARAM: &str = "da-gui";
/// The form is text only: a few kilobytes; room for the longest text the service takes.
const BODY_LIMIT: usize = 256 * 1024;
/// The `maxlength` of the text boxes (the service takes up to 10 000 characters).
const TEXT_MAX: usize = 4000;

const FIX_THESE: &str = "Ý kiến chưa được gửi. Vui lòng sửa các mục sau:";
const NOT_SENT: &str = "Ý kiến chưa được gửi";

/// The private link on a receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CitizenLink {
    pub path: String,
    /// The whole address, for copying.
    pub url: String,
}

impl CitizenLink {
    pub fn new(intake: &IntakeService, code: &TrackingCode, token: &str) -> Self {
        Self {
            path: link::path(code, SEGMENT, token),
            url: link::url(intake, code, SEGMENT, token),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct CitizenQuery {
    ma: Option<String>,
    #[serde(rename = "da-gui")]
    done: Option<String>,
}

/// The fields of the page's forms (each form sends its own).
#[derive(Debug, Default, Deserialize)]
struct ActionForm {
    csrf: Option<String>,
    action: Option<String>,
    version: Option<String>,
    text: Option<String>,
    reason: Option<String>,
    rating: Option<String>,
}

/// A ticket whose private link was good.
struct Access {
    code: TrackingCode,
    token: String,
    ticket: Ticket,
    allowed: Vec<Action>,
    view: PublicTicket,
}

impl Access {
    fn link(&self) -> String {
        link::path(&self.code, SEGMENT, &self.token)
    }
}

/// Why a request on the private link gets no page of its own.
enum Refusal {
    /// The tracking page's 404: wrong or missing token, unknown or malformed code.
    NotFound(String),
    Failed(WebError, Option<String>),
}

impl Refusal {
    fn response(self, state: &WebState) -> HttpResponse {
        match self {
            Refusal::NotFound(code) => not_found(state, &code),
            Refusal::Failed(e, back) => {
                let mut links = Vec::new();
                if let Some(href) = back {
                    links.push(Link {
                        href,
                        label: "Quay lại trang ý kiến của bạn".to_owned(),
                    });
                }
                links.extend([Link::lookup(), Link::form()]);
                e.response_with(state, links)
            }
        }
    }
}

async fn authorize(
    intake: &IntakeService,
    raw_code: &str,
    token: Option<String>,
) -> Result<Access, Refusal> {
    let shown: String = raw_code.chars().take(40).collect();
    let Ok(code) = TrackingCode::parse(raw_code) else {
        return Err(Refusal::NotFound(shown));
    };
    let Some(token) = link::token(token) else {
        tracing::info!(%code, "citizen link refused: no token");
        return Err(Refusal::NotFound(code.to_string()));
    };
    let service = intake.clone();
    let lookup = code.clone();
    let outcome = tongdai_http::block(move || {
        let (ticket, allowed) = service.citizen_actions(&lookup, &CitizenProof::Token(token))?;
        let view = service.public_view(&ticket.code)?;
        Ok::<_, IntakeError>((ticket, allowed, view))
    })
    .await
    .map_err(|e| Refusal::Failed(e.into(), None))?;
    match outcome {
        Ok((ticket, allowed, view)) => Ok(Access {
            token: intake.citizen_token(ticket.id),
            code,
            ticket,
            allowed,
            view,
        }),
        Err(IntakeError::NotFound(_)) => {
            tracing::info!(%code, "citizen link refused: no such ticket or a wrong token");
            Err(Refusal::NotFound(code.to_string()))
        }
        Err(other) => Err(Refusal::Failed(other.into(), None)),
    }
}

/// Messages of a refused form: (input id, message).
#[derive(Debug, Default)]
struct Problems(Vec<(String, String)>);

impl Problems {
    fn general(message: impl Into<String>) -> Self {
        Self(vec![("form-errors".to_owned(), message.into())])
    }

    fn field(id: &str, message: impl Into<String>) -> Self {
        Self(vec![(id.to_owned(), message.into())])
    }

    /// The service's field errors, on the inputs of the form that was sent.
    fn from_fields(fields: &[FieldError], action: Action) -> Self {
        Self(
            fields
                .iter()
                .map(|f| (input_id(&f.field, action).to_owned(), f.message.clone()))
                .collect(),
        )
    }

    fn for_input(&self, id: &str) -> Option<String> {
        let messages: Vec<&str> = self
            .0
            .iter()
            .filter(|(i, _)| i == id)
            .map(|(_, m)| m.as_str())
            .collect();
        (!messages.is_empty()).then(|| messages.join(" "))
    }
}

fn input_id(field: &str, action: Action) -> &'static str {
    match (field, action) {
        ("text", Action::CitizenReply) => "f-reply",
        ("text", Action::Rate) => "f-comment",
        ("reason", _) => "f-reason",
        ("rating", _) => "f-rating-1",
        _ => "form-errors",
    }
}

fn field(id: &str, value: Option<&str>, problems: &Problems, hint: bool) -> Field {
    let error = problems.for_input(id);
    let mut ids = Vec::new();
    if hint {
        ids.push(format!("{id}-hint"));
    }
    if error.is_some() {
        ids.push(format!("{id}-error"));
    }
    Field {
        value: value.unwrap_or_default().to_owned(),
        error,
        describedby: ids.join(" "),
    }
}

const STARS: [&str; 5] = [
    "1 sao – Rất không hài lòng",
    "2 sao – Không hài lòng",
    "3 sao – Tạm được",
    "4 sao – Hài lòng",
    "5 sao – Rất hài lòng",
];

fn done_message(code: &str) -> Option<&'static str> {
    match Action::from_str(code).ok()? {
        Action::CitizenReply => {
            Some("Đã gửi thông tin bổ sung. Cơ quan xử lý tiếp tục giải quyết phản ánh của bạn.")
        }
        Action::Reopen => Some(
            "Phản ánh đã được mở lại. Cơ quan xử lý sẽ xem xét lại và trả lời bạn trên trang này.",
        ),
        Action::Rate => Some("Cảm ơn bạn đã đánh giá kết quả xử lý phản ánh."),
        _ => None,
    }
}

/// The citizen's actions this page offers.
fn citizen_action(code: Option<&str>) -> Option<Action> {
    let action = Action::from_str(code?.trim()).ok()?;
    matches!(action, Action::CitizenReply | Action::Reopen | Action::Rate).then_some(action)
}

struct Reply<'a> {
    req: &'a HttpRequest,
    intake: &'a IntakeService,
    state: &'a WebState,
    access: &'a Access,
}

impl Reply<'_> {
    /// The page; `sent` is the form that came back refused (its values are kept).
    fn render(
        &self,
        status: StatusCode,
        done: Option<&'static str>,
        summary_title: &str,
        problems: &Problems,
        sent: Option<(Action, &ActionForm)>,
    ) -> HttpResponse {
        let access = self.access;
        let view = &access.view;
        let allowed = |a: Action| access.allowed.contains(&a);
        let typed = |a: Action, value: fn(&ActionForm) -> Option<&str>| {
            sent.filter(|(s, _)| *s == a).and_then(|(_, f)| value(f))
        };
        let reply = allowed(Action::CitizenReply).then(|| {
            field(
                "f-reply",
                typed(Action::CitizenReply, |f| f.text.as_deref()),
                problems,
                true,
            )
        });
        let reopen = allowed(Action::Reopen).then(|| {
            field(
                "f-reason",
                typed(Action::Reopen, |f| f.reason.as_deref()),
                problems,
                true,
            )
        });
        let reopen_until = reopen.as_ref().and(access.ticket.published_at).map(|at| {
            let days = i64::from(self.intake.workflow().reopen_days);
            When::instant(&(at + Duration::days(days)))
        });
        let chosen: Option<u8> =
            typed(Action::Rate, |f| f.rating.as_deref()).and_then(|r| r.trim().parse().ok());
        let rate = allowed(Action::Rate).then(|| RateForm {
            stars: (1u8..=5)
                .zip(STARS)
                .map(|(value, label)| Star {
                    value,
                    glyphs: "★".repeat(usize::from(value)),
                    label,
                    checked: chosen == Some(value),
                })
                .collect(),
            error: problems.for_input("f-rating-1"),
            comment: field(
                "f-comment",
                typed(Action::Rate, |f| f.text.as_deref()),
                problems,
                false,
            ),
        });
        let finished = matches!(
            access.ticket.status,
            TicketStatus::Answered | TicketStatus::Closed
        );
        let rated = finished && view.answer.is_some() && !allowed(Action::Rate);
        let idle = access
            .allowed
            .is_empty()
            .then(|| match access.ticket.status {
                TicketStatus::Rejected => format!(
                    "Phản ánh không thuộc diện xử lý nên không có ý kiến nào cần gửi ở đây. Nếu \
                     cần trao đổi thêm, vui lòng gọi tổng đài {}.",
                    self.state.config.hotline
                ),
                _ if finished => format!(
                    "Đã quá thời hạn mở lại phản ánh. Nếu cần trao đổi thêm, vui lòng gọi tổng \
                     đài {} hoặc gửi một phản ánh mới.",
                    self.state.config.hotline
                ),
                _ => "Hiện chưa có việc gì cần bạn làm. Khi cơ quan xử lý đề nghị bổ sung thông \
                      tin hoặc công khai kết quả xử lý, bạn có thể trả lời, mở lại hoặc đánh giá \
                      tại trang này."
                    .to_owned(),
            });
        let question = (access.ticket.status == TicketStatus::WaitingCitizen)
            .then(|| {
                view.timeline
                    .iter()
                    .rev()
                    .find(|e| e.kind == "info_requested")
                    .and_then(|e| e.detail.clone())
            })
            .flatten();
        let mut summary: Vec<SummaryItem> = problems
            .0
            .iter()
            .map(|(id, message)| SummaryItem {
                href: (id != "form-errors").then(|| format!("#{id}")),
                message: message.clone(),
            })
            .collect();
        summary.sort_by_key(|item| item.href.is_some());
        with_csrf(self.req, self.intake, self.state, |csrf_token| {
            let page = CitizenPage {
                layout: self.state.layout(status),
                code: access.code.to_string(),
                title: view.title.clone(),
                status: view.status.clone(),
                status_label: view.status_label.clone(),
                status_note: status_note(&view.status),
                agency: view.agency.as_ref().map(|a| a.name.clone()),
                answer: Answer::of(view),
                question,
                done,
                summary_title: summary_title.to_owned(),
                summary,
                csrf_token,
                action: access.link(),
                version: access.ticket.version,
                reply,
                reopen,
                reopen_until,
                rate,
                rated,
                idle,
                text_max: TEXT_MAX,
                tracking_path: format!("/tra-cuu/{}", access.code),
            };
            html(status, &page)
        })
    }
}

/// `GET /tra-cuu/{code}/y-kien?ma=…` (and `…&da-gui=<action>` after a POST).
pub async fn page(
    req: HttpRequest,
    path: web::Path<String>,
    query: Option<web::Query<CitizenQuery>>,
    intake: web::Data<IntakeService>,
    state: web::Data<WebState>,
) -> HttpResponse {
    let query = query.map(web::Query::into_inner).unwrap_or_default();
    let mut response = match authorize(&intake, &path, query.ma).await {
        Err(refusal) => refusal.response(&state),
        Ok(access) => Reply {
            req: &req,
            intake: &intake,
            state: &state,
            access: &access,
        }
        .render(
            StatusCode::OK,
            query.done.as_deref().and_then(done_message),
            FIX_THESE,
            &Problems::default(),
            None,
        ),
    };
    private(&mut response);
    response
}

/// `POST /tra-cuu/{code}/y-kien?ma=…`: one citizen action.
pub async fn submit(
    req: HttpRequest,
    path: web::Path<String>,
    query: Option<web::Query<CitizenQuery>>,
    payload: web::Payload,
    intake: web::Data<IntakeService>,
    state: web::Data<WebState>,
) -> HttpResponse {
    let query = query.map(web::Query::into_inner).unwrap_or_default();
    let mut response = match act(&req, &path, query, payload, &intake, &state).await {
        Ok(response) => response,
        Err(refusal) => refusal.response(&state),
    };
    private(&mut response);
    response
}

/// Reads the small urlencoded form, within [`BODY_LIMIT`].
async fn read_form(req: &HttpRequest, payload: web::Payload) -> Result<ActionForm, WebError> {
    let too_large = WebError::PayloadTooLarge { limit: BODY_LIMIT };
    let limit = u64::try_from(BODY_LIMIT).unwrap_or(u64::MAX);
    if tongdai_http::declared_length(req).is_some_and(|n| n > limit) {
        return Err(too_large);
    }
    let urlencoded = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !urlencoded {
        return Err(WebError::BadRequest(
            "the citizen form is application/x-www-form-urlencoded".into(),
        ));
    }
    let mut body = Vec::new();
    let mut stream = std::pin::pin!(limited(payload, BODY_LIMIT));
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(bytes) => body.extend_from_slice(&bytes),
            Err(PayloadError::Overflow) => return Err(too_large),
            Err(e) => return Err(WebError::BadRequest(e.to_string())),
        }
    }
    serde_urlencoded::from_bytes(&body).map_err(|e| WebError::BadRequest(e.to_string()))
}

/// What the citizen must have filled in before the service is asked.
fn check(action: Action, form: &ActionForm) -> Result<Option<u8>, Problems> {
    let blank = |v: &Option<String>| v.as_deref().is_none_or(|t| t.trim().is_empty());
    match action {
        Action::CitizenReply if blank(&form.text) => Err(Problems::field(
            "f-reply",
            "Vui lòng nhập thông tin bổ sung cho cơ quan xử lý.",
        )),
        Action::Reopen if blank(&form.reason) => Err(Problems::field(
            "f-reason",
            "Vui lòng cho biết vì sao bạn chưa hài lòng với kết quả xử lý.",
        )),
        Action::Rate => match form.rating.as_deref().map(str::trim).map(str::parse::<u8>) {
            Some(Ok(n)) if (1..=5).contains(&n) => Ok(Some(n)),
            _ => Err(Problems::field(
                "f-rating-1",
                "Vui lòng chọn mức độ hài lòng, từ 1 đến 5 sao.",
            )),
        },
        _ => Ok(None),
    }
}

async fn act(
    req: &HttpRequest,
    raw_code: &str,
    query: CitizenQuery,
    payload: web::Payload,
    intake: &IntakeService,
    state: &WebState,
) -> Result<HttpResponse, Refusal> {
    // A stranger's body is refused unread.
    let access = authorize(intake, raw_code, query.ma).await?;
    let back = Some(access.link());
    let form = read_form(req, payload)
        .await
        .map_err(|e| Refusal::Failed(e, back.clone()))?;
    let Some(action) = citizen_action(form.action.as_deref()) else {
        return Err(Refusal::Failed(
            WebError::BadRequest("unknown citizen action".into()),
            back,
        ));
    };
    let reply = |access: &Access, status, title: &str, problems: &Problems| {
        Reply {
            req,
            intake,
            state,
            access,
        }
        .render(status, None, title, problems, Some((action, &form)))
    };
    if let Err(e) = check_csrf(req, intake, state, form.csrf.as_deref()) {
        log_csrf_refusal(e, tongdai_http::client_ip(req));
        let problems = Problems::general(
            "Không thể gửi ý kiến: biểu mẫu đã hết hạn hoặc không được gửi từ trang của Tổng \
             đài 1022. Trang đã được làm mới: vui lòng kiểm tra lại rồi gửi lại.",
        );
        return Ok(reply(&access, StatusCode::FORBIDDEN, NOT_SENT, &problems));
    }
    let rating = match check(action, &form) {
        Ok(rating) => rating,
        Err(problems) => {
            return Ok(reply(
                &access,
                StatusCode::UNPROCESSABLE_ENTITY,
                FIX_THESE,
                &problems,
            ));
        }
    };
    let input = ActionInput {
        // A missing or garbled version is no version the ticket has: refused as stale.
        version: form
            .version
            .as_deref()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0),
        text: (action != Action::Reopen)
            .then(|| form.text.clone())
            .flatten()
            .filter(|t| !t.trim().is_empty()),
        reason: (action == Action::Reopen)
            .then(|| form.reason.clone())
            .flatten(),
        rating,
        ..Default::default()
    };
    let service = intake.clone();
    let code = access.code.clone();
    let proof = CitizenProof::Token(access.token.clone());
    let outcome = tongdai_http::block(move || service.act_as_citizen(&code, &proof, action, input))
        .await
        .map_err(|e| Refusal::Failed(e.into(), back.clone()))?;
    let problems = match outcome {
        Ok(_) => {
            return Ok(see_other(&format!(
                "{}&{DONE_PARAM}={}",
                access.link(),
                action.code()
            )));
        }
        Err(IntakeError::Invalid(fields)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            FIX_THESE,
            Problems::from_fields(&fields, action),
        ),
        Err(IntakeError::Refused(refusal)) => {
            tracing::info!(code = %access.code, action = %action, why = ?refusal.why, "citizen action refused");
            (
                StatusCode::CONFLICT,
                NOT_SENT,
                Problems::general(refusal_message(&refusal)),
            )
        }
        Err(IntakeError::NotFound(_)) => return Err(Refusal::NotFound(access.code.to_string())),
        Err(other) => return Err(Refusal::Failed(other.into(), back)),
    };
    // The page again, in the state the refusal saw (staff may have acted meanwhile).
    let (status, title, problems) = problems;
    let fresh = authorize(intake, access.code.as_str(), Some(access.token.clone())).await?;
    Ok(reply(&fresh, status, title, &problems))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn only_the_citizen_s_actions_are_taken() {
        assert_eq!(
            citizen_action(Some("citizen-reply")),
            Some(Action::CitizenReply)
        );
        assert_eq!(citizen_action(Some(" rate ")), Some(Action::Rate));
        assert_eq!(citizen_action(Some("reopen")), Some(Action::Reopen));
        assert_eq!(citizen_action(Some("publish")), None);
        assert_eq!(citizen_action(Some("")), None);
        assert_eq!(citizen_action(None), None);
    }

    #[test]
    fn a_rating_must_be_one_to_five_stars() {
        let form = |r: &str| ActionForm {
            rating: Some(r.to_owned()),
            ..Default::default()
        };
        assert_eq!(check(Action::Rate, &form("4")).ok(), Some(Some(4)));
        for bad in ["0", "6", "", "năm", "-1"] {
            assert!(check(Action::Rate, &form(bad)).is_err(), "{bad}");
        }
        assert!(check(Action::Reopen, &ActionForm::default()).is_err());
        assert!(check(Action::CitizenReply, &ActionForm::default()).is_err());
    }
}
