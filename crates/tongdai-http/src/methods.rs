//! Which methods a resource answers, said once. [`resource`] builds an actix resource from
//! its routes and gives it a default service that knows their methods: `HEAD` is served
//! wherever `GET` is, `OPTIONS` is answered `204` with `Allow`, and every other method the
//! resource does not serve gets `405 Method Not Allowed` with `Allow` (RFC 9110 §15.5.6) — problem+json by default, or
//! the transport's own format ([`Endpoint::refuse_with`], e.g. Open311's error list).
//!
//! Every crate registers its routes through it (no `#[get]` macros: their resource-level
//! guard turns a wrong method into the app's 404).
//!
//! For example `cfg.service(tongdai_http::methods::resource("/api/v1/me/tickets").get(my_tickets))`.

use actix_web::dev::{AppService, HttpServiceFactory};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{FromRequest, Handler, HttpRequest, HttpResponse, Responder, Route, web};

use crate::Problem;

/// Renders the 405 of a resource; `allow` is the value of its `Allow` header (which is set
/// on the response afterwards whatever the renderer does).
pub type Refusal = fn(&HttpRequest, &str) -> HttpResponse;

/// A resource under construction: its path, its routes and the methods they serve.
pub struct Endpoint {
    path: String,
    routes: Vec<Route>,
    methods: Vec<Method>,
    refusal: Refusal,
}

/// Starts a resource at `path` (full path, or relative to the enclosing scope).
pub fn resource(path: impl Into<String>) -> Endpoint {
    Endpoint {
        path: path.into(),
        routes: Vec::new(),
        methods: Vec::new(),
        refusal: problem,
    }
}

impl Endpoint {
    /// Serves `method` with `route` (which may carry guards of its own, such as a content
    /// type; several routes may serve one method and are tried in order).
    pub fn route(mut self, method: Method, route: Route) -> Self {
        if !self.methods.contains(&method) {
            self.methods.push(method.clone());
        }
        self.routes.push(route.method(method));
        self
    }

    /// Serves `GET` and `HEAD` (the same handler; actix sends no body for `HEAD`).
    pub fn get<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::GET, web::route().to(handler.clone()))
            .route(Method::HEAD, web::route().to(handler))
    }

    pub fn post<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::POST, web::route().to(handler))
    }

    /// Answers unsupported methods with `refusal` instead of a problem document.
    pub fn refuse_with(mut self, refusal: Refusal) -> Self {
        self.refusal = refusal;
        self
    }

    /// The `Allow` value: the served methods, then `OPTIONS`.
    pub fn allow(&self) -> String {
        allow_value(&self.methods)
    }
}

fn allow_value(methods: &[Method]) -> String {
    methods
        .iter()
        .map(Method::as_str)
        .chain(std::iter::once("OPTIONS"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl HttpServiceFactory for Endpoint {
    fn register(self, config: &mut AppService) {
        let allow = self.allow();
        let refusal = self.refusal;
        let mut resource = web::resource(self.path);
        for route in self.routes {
            resource = resource.route(route);
        }
        let resource = resource.default_service(web::to(move |req: HttpRequest| {
            let allow = allow.clone();
            async move { refuse(&req, &allow, refusal) }
        }));
        resource.register(config);
    }
}

fn refuse(req: &HttpRequest, allow: &str, refusal: Refusal) -> HttpResponse {
    let mut response = if req.method() == Method::OPTIONS {
        HttpResponse::NoContent().finish()
    } else {
        let mut response = refusal(req, allow);
        *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
        response
    };
    if let Ok(value) = HeaderValue::from_str(allow) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}

/// The default 405: a problem document naming the methods the address accepts.
pub fn problem(req: &HttpRequest, allow: &str) -> HttpResponse {
    let (slug, title, _) = crate::plain_errors::describe(StatusCode::METHOD_NOT_ALLOWED);
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        slug,
        title,
        format!(
            "Địa chỉ {} không nhận phương thức {}; các phương thức được hỗ trợ: {allow}.",
            req.path(),
            req.method()
        ),
    )
    .response()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use actix_web::{App, test};

    use super::*;

    async fn ok() -> HttpResponse {
        HttpResponse::Ok().finish()
    }

    fn teapot(_: &HttpRequest, allow: &str) -> HttpResponse {
        HttpResponse::ImATeapot()
            .content_type("text/xml")
            .body(format!("<errors>{allow}</errors>"))
    }

    #[actix_web::test]
    async fn unsupported_methods_get_405_with_allow_and_options_answers() {
        let app = test::init_service(
            App::new()
                .service(resource("/r").get(ok).post(ok))
                .service(resource("/open311/x").get(ok).refuse_with(teapot)),
        )
        .await;
        for method in [Method::GET, Method::POST] {
            let req = test::TestRequest::default()
                .method(method)
                .uri("/r")
                .to_request();
            assert_eq!(test::call_service(&app, req).await.status(), 200);
        }
        for method in [Method::PUT, Method::DELETE, Method::PATCH, Method::TRACE] {
            let req = test::TestRequest::default()
                .method(method.clone())
                .uri("/r")
                .to_request();
            let res = test::call_service(&app, req).await;
            assert_eq!(res.status(), 405, "{method}");
            assert_eq!(
                res.headers().get(header::ALLOW).unwrap(),
                "GET, HEAD, POST, OPTIONS"
            );
            assert_eq!(
                res.headers().get(header::CONTENT_TYPE).unwrap(),
                crate::PROBLEM_JSON,
                "{method}"
            );
            let body: serde_json::Value = test::read_body_json(res).await;
            assert_eq!(body["type"], "urn:tongdai:problem:method-not-allowed");
            assert_eq!(body["status"], 405);
        }
        let req = test::TestRequest::default()
            .method(Method::OPTIONS)
            .uri("/r")
            .to_request();
        let res = test::call_service(&app, req).await;
        assert_eq!(res.status(), 204);
        assert_eq!(
            res.headers().get(header::ALLOW).unwrap(),
            "GET, HEAD, POST, OPTIONS"
        );
        let req = test::TestRequest::default()
            .method(Method::HEAD)
            .uri("/r")
            .to_request();
        assert_eq!(
            test::call_service(&app, req).await.status(),
            200,
            "HEAD with GET"
        );

        let req = test::TestRequest::delete().uri("/open311/x").to_request();
        let res = test::call_service(&app, req).await;
        assert_eq!(
            res.status(),
            405,
            "the renderer's format, the status of a 405"
        );
        assert_eq!(
            res.headers().get(header::ALLOW).unwrap(),
            "GET, HEAD, OPTIONS"
        );
        assert_eq!(res.headers().get(header::CONTENT_TYPE).unwrap(), "text/xml");
    }

    #[actix_web::test]
    async fn several_routes_for_one_method_are_listed_once() {
        let endpoint = resource("/t")
            .route(
                Method::POST,
                web::route()
                    .guard(actix_web::guard::Header("x", "1"))
                    .to(ok),
            )
            .post(ok);
        assert_eq!(endpoint.allow(), "POST, OPTIONS");
    }
}
