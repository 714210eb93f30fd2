use crate::helpers::{assert_problem, backends, repo_root, spawn_app, spawn_app_with};

#[tokio::test]
async fn healthz_answers_and_every_response_carries_a_request_id() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let response = app.get("/healthz").await;
        assert_eq!(response.status().as_u16(), 200);
        let id = response
            .headers()
            .get("x-request-id")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        assert!(id.len() >= 16);
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["status"], "ok");

        // A sane id from a proxy is kept; a hostile one is replaced.
        let kept = app
            .client
            .get(app.url("/healthz"))
            .header("x-request-id", "proxy-abc-12345")
            .send()
            .await
            .unwrap();
        assert_eq!(kept.headers()["x-request-id"], "proxy-abc-12345");
        let replaced = app
            .client
            .get(app.url("/healthz"))
            .header("x-request-id", "<script>")
            .send()
            .await
            .unwrap();
        assert_ne!(replaced.headers()["x-request-id"], "<script>");
    }
}

#[tokio::test]
async fn readyz_reports_the_backend_and_a_current_schema() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let response = app.get("/readyz").await;
        assert_eq!(response.status().as_u16(), 200, "{backend}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["status"], "ready");
        assert_eq!(body["backend"], backend.to_string());
        assert_eq!(body["checks"]["migrations"], "ok");
        // The clock says 23/11/2026: deadlines reach into 2027, which ships.
        assert_eq!(body["missing_calendar_years"], serde_json::json!([]));
    }
}

#[tokio::test]
async fn readyz_warns_about_a_year_without_a_calendar() {
    for backend in backends() {
        // A calendar folder with 2026 only, as the shipped data was until December 2026.
        let calendar = tempfile::tempdir().unwrap();
        std::fs::copy(
            repo_root().join("config/calendar/2026.toml"),
            calendar.path().join("2026.toml"),
        )
        .unwrap();
        let dir = calendar.path().to_path_buf();
        let app = spawn_app_with(backend, move |config| config.calendar.dir = dir).await;
        let response = app.get("/readyz").await;
        assert_eq!(response.status().as_u16(), 200, "{backend}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["missing_calendar_years"], serde_json::json!([2027]));
        assert!(body["detail"].as_str().unwrap().contains("2027"));
    }
}

#[tokio::test]
async fn readyz_fails_with_a_problem_when_the_schema_is_behind() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        app.db.db.revert_all_migrations().unwrap();
        let body = assert_problem(app.get("/readyz").await, 503, "not-ready").await;
        assert!(
            body["detail"].as_str().unwrap().contains("tongdai migrate"),
            "{body}"
        );
    }
}

#[tokio::test]
async fn unknown_paths_are_problem_documents() {
    let app = spawn_app(tongdai_storage::Backend::Sqlite).await;
    let body = assert_problem(app.get("/khong-co").await, 404, "not-found").await;
    assert_eq!(body["title"], "Không tìm thấy");
}

#[tokio::test]
async fn metrics_are_served_to_this_machine_or_with_the_token_only() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let filed = crate::api::post_ticket(&app, &crate::api::lamp(), None, None).await;
        assert_eq!(filed.status().as_u16(), 201);
        let response = app.get("/metrics").await;
        assert_eq!(response.status().as_u16(), 200, "{backend}");
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            content_type.starts_with("text/plain; version=0.0.4"),
            "{content_type}"
        );
        let body = response.text().await.unwrap();
        for expected in [
            "tongdai_tickets{status=\"forwarded\",channel=\"app\"} 1\n",
            "tongdai_http_requests_total{method=\"POST\",route=\"/api/v1/tickets\",status=\"201\"} 1\n",
            "tongdai_outbox_messages{state=\"pending\"} 1\n",
            "tongdai_outbox_messages{state=\"dead\"} 0\n",
            "tongdai_db_pool_connections{state=\"open\"}",
            "tongdai_http_request_duration_seconds_bucket{route=\"/api/v1/tickets\",le=\"0.25\"}",
        ] {
            assert!(body.contains(expected), "{backend}: {expected} in\n{body}");
        }
        // Through a proxy it is not this machine's own client any more.
        let proxied = app
            .client
            .get(app.url("/metrics"))
            .header("x-forwarded-for", "203.0.113.7")
            .send()
            .await
            .unwrap();
        assert_problem(proxied, 403, "forbidden").await;
    }
    let token = "mã-đọc-số-liệu-của-prometheus-đủ-dài";
    let app = spawn_app_with(tongdai_storage::Backend::Sqlite, |c| {
        c.metrics.token = Some(secrecy::SecretString::from(token.to_owned()));
    })
    .await;
    assert_problem(app.get("/metrics").await, 403, "forbidden").await;
    let with_token = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(token)
        .header("x-forwarded-for", "203.0.113.7")
        .send()
        .await
        .unwrap();
    assert_eq!(with_token.status().as_u16(), 200);
}
