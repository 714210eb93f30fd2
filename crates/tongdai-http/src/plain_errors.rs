//! Errors that actix itself answers (an extractor's limit, a malformed path, a method no
//! route serves) come as `text/plain` English. This middleware turns every error response
//! without a body format of ours into problem+json with a Vietnamese title, so every route
//! answers errors one way. Responses that already have a format (problem+json, Open311's
//! JSON/XML error lists, the portal's HTML pages) pass unchanged.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::middleware::Next;

use crate::Problem;

/// The stable slug, Vietnamese title and detail of an HTTP error status.
pub fn describe(status: StatusCode) -> (&'static str, &'static str, &'static str) {
    match status.as_u16() {
        400 => (
            "bad-request",
            "Yêu cầu không hợp lệ",
            "Yêu cầu không đúng định dạng.",
        ),
        401 => ("unauthorized", "Cần đăng nhập", "Cần gửi mã xác thực."),
        403 => (
            "forbidden",
            "Không có quyền",
            "Không có quyền thực hiện yêu cầu này.",
        ),
        404 => (
            "not-found",
            "Không tìm thấy",
            "Không có địa chỉ hoặc dữ liệu được yêu cầu.",
        ),
        405 => (
            "method-not-allowed",
            "Phương thức không được hỗ trợ",
            "Địa chỉ này không nhận phương thức đã gửi (xem tiêu đề Allow).",
        ),
        406 => (
            "not-acceptable",
            "Không có định dạng phù hợp",
            "Máy chủ không trả được định dạng được yêu cầu.",
        ),
        408 => (
            "request-timeout",
            "Hết thời gian chờ dữ liệu gửi lên",
            "Yêu cầu không được gửi xong kịp thời; vui lòng gửi lại.",
        ),
        411 => (
            "length-required",
            "Thiếu độ dài dữ liệu",
            "Cần tiêu đề Content-Length.",
        ),
        413 => (
            "payload-too-large",
            "Dữ liệu gửi lên quá lớn",
            "Dữ liệu gửi lên vượt quá giới hạn cho phép.",
        ),
        414 => (
            "uri-too-long",
            "Địa chỉ quá dài",
            "Địa chỉ (URL) của yêu cầu quá dài.",
        ),
        415 => (
            "unsupported-media-type",
            "Định dạng dữ liệu không được hỗ trợ",
            "Content-Type của dữ liệu gửi lên không được hỗ trợ.",
        ),
        429 => (
            "too-many-requests",
            "Gửi quá nhiều yêu cầu",
            "Vui lòng thử lại sau.",
        ),
        431 => (
            "headers-too-large",
            "Tiêu đề yêu cầu quá lớn",
            "Các tiêu đề của yêu cầu quá lớn.",
        ),
        503 => (
            "service-unavailable",
            "Hệ thống tạm thời không phục vụ được, vui lòng thử lại sau",
            "Vui lòng thử lại sau ít phút.",
        ),
        code if code >= 500 => ("internal", "Lỗi hệ thống", crate::INTERNAL_DETAIL),
        _ => (
            "bad-request",
            "Yêu cầu không hợp lệ",
            "Yêu cầu không được chấp nhận.",
        ),
    }
}

fn has_our_format(response: &ServiceResponse<impl MessageBody>) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| !v.to_ascii_lowercase().starts_with("text/plain"))
}

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let response = next.call(req).await?;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || has_our_format(&response) {
        return Ok(response.map_into_boxed_body());
    }
    let allow = response.headers().get(header::ALLOW).cloned();
    let retry_after = response.headers().get(header::RETRY_AFTER).cloned();
    let challenge = response.headers().get(header::WWW_AUTHENTICATE).cloned();
    let (slug, title, detail) = describe(status);
    let mut http = Problem::new(status, slug, title, detail).response();
    for (name, value) in [
        (header::ALLOW, allow),
        (header::RETRY_AFTER, retry_after),
        (header::WWW_AUTHENTICATE, challenge),
    ] {
        if let Some(value) = value {
            http.headers_mut().insert(name, value);
        }
    }
    let (request, _) = response.into_parts();
    Ok(ServiceResponse::new(request, http))
}
