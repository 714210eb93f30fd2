//! A request body that stops arriving must not hold a connection (and a worker's memory)
//! for ever. Every route's body is read through a timer: no byte for `idle`, or the whole
//! body not in within `total`, and the request is answered `408` problem+json with
//! `Connection: close`, whatever the handler made of the broken body. Registered with
//! `web::Data<BodyTimeouts>`; without it the defaults apply.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::HttpMessage;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::{ConnectionType, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use futures_util::Stream;
use tokio::time::{Instant, Sleep, sleep_until};

use crate::Problem;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyTimeouts {
    /// Longest pause between two pieces of the body.
    pub idle: Duration,
    /// Longest time for the whole body.
    pub total: Duration,
}

impl Default for BodyTimeouts {
    fn default() -> Self {
        Self {
            idle: Duration::from_secs(15),
            total: Duration::from_secs(600),
        }
    }
}

struct TimedPayload {
    inner: Payload,
    idle: Duration,
    idle_timer: Pin<Box<Sleep>>,
    total_timer: Pin<Box<Sleep>>,
    timed_out: Arc<AtomicBool>,
    done: bool,
}

impl Stream for TimedPayload {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.done {
            return Poll::Ready(None);
        }
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                let next = Instant::now() + this.idle;
                this.idle_timer.as_mut().reset(next);
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(other) => {
                this.done = other.is_none();
                Poll::Ready(other)
            }
            Poll::Pending => {
                let idle = this.idle_timer.as_mut().poll(cx).is_ready();
                let total = this.total_timer.as_mut().poll(cx).is_ready();
                if idle || total {
                    this.timed_out.store(true, Ordering::Relaxed);
                    this.done = true;
                    Poll::Ready(Some(Err(PayloadError::Io(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "the request body stopped arriving",
                    )))))
                } else {
                    Poll::Pending
                }
            }
        }
    }
}

pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let limits = req
        .app_data::<web::Data<BodyTimeouts>>()
        .map(|d| *d.get_ref())
        .unwrap_or_default();
    let timed_out = Arc::new(AtomicBool::new(false));
    let now = Instant::now();
    let timed = TimedPayload {
        inner: req.take_payload(),
        idle: limits.idle,
        idle_timer: Box::pin(sleep_until(now + limits.idle)),
        total_timer: Box::pin(sleep_until(now + limits.total)),
        timed_out: timed_out.clone(),
        done: false,
    };
    req.set_payload(Payload::Stream {
        payload: Box::pin(timed),
    });
    let response = next.call(req).await?;
    if !timed_out.load(Ordering::Relaxed) {
        return Ok(response.map_into_boxed_body());
    }
    tracing::warn!(
        idle_secs = limits.idle.as_secs(),
        total_secs = limits.total.as_secs(),
        "request body timed out; connection closed"
    );
    let problem = Problem::new(
        StatusCode::REQUEST_TIMEOUT,
        "request-timeout",
        "Hết thời gian chờ dữ liệu gửi lên",
        format!(
            "Dữ liệu gửi lên ngừng đến quá {} giây (hoặc chưa gửi xong sau {} giây). \
             Vui lòng kiểm tra kết nối mạng và gửi lại.",
            limits.idle.as_secs(),
            limits.total.as_secs()
        ),
    );
    let mut http = problem.response();
    http.head_mut().set_connection_type(ConnectionType::Close);
    let (request, _) = response.into_parts();
    Ok(ServiceResponse::new(request, http))
}

/// Ends a request body stream with `Overflow` once more than `limit` bytes went through:
/// the bound on what one upload may cost, applied while it streams.
pub fn limited<S>(
    stream: S,
    limit: usize,
) -> impl futures_util::Stream<Item = Result<actix_web::web::Bytes, actix_web::error::PayloadError>>
where
    S: futures_util::Stream<Item = Result<actix_web::web::Bytes, actix_web::error::PayloadError>>,
{
    use futures_util::StreamExt;
    let mut seen = 0usize;
    stream.map(move |chunk| {
        let chunk = chunk?;
        seen = seen.saturating_add(chunk.len());
        if seen > limit {
            Err(actix_web::error::PayloadError::Overflow)
        } else {
            Ok(chunk)
        }
    })
}

/// What one multipart form may cost while it is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadLimits {
    /// The whole body.
    pub body: usize,
    /// One photo: up to `photo + 1` bytes are kept, so the intake can say it is too big.
    pub photo: usize,
    /// One text field.
    pub text: usize,
    /// Number of parts (fields and files).
    pub parts: usize,
}

impl ReadLimits {
    /// Room for every photo at its largest, plus 1 MiB for the text fields and the framing;
    /// at most `parts` fields and files.
    pub fn for_photos(max_photos: usize, max_photo_bytes: usize, parts: usize) -> Self {
        Self {
            body: max_photos
                .saturating_mul(max_photo_bytes)
                .saturating_add(1024 * 1024),
            photo: max_photo_bytes,
            text: 64 * 1024,
            parts,
        }
    }
}
