//! Staff sessions end to end: a login answers a refresh token; refreshing rotates it; a
//! spent token presented again ends the whole session; logout, a disabled account and a new
//! password end it too. On both backends.

use serde_json::{Value, json};

use crate::api::{create_staff, login};
use crate::helpers::{TestApp, assert_problem, backends, spawn_app};

const PASSWORD: &str = "mật-khẩu-đủ-dài-2026";

async fn post(app: &TestApp, path: &str, refresh_token: &str) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .json(&json!({ "refresh_token": refresh_token }))
        .send()
        .await
        .unwrap()
}

async fn signed_in(app: &TestApp, username: &str) -> Value {
    let response = login(app, username, PASSWORD).await;
    assert_eq!(response.status().as_u16(), 200);
    response.json().await.unwrap()
}

#[tokio::test]
async fn refresh_tokens_rotate_and_a_reused_one_ends_the_session() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        create_staff(&app, "op1", &["operator"]);
        let first = signed_in(&app, "op1").await;
        let token = first["refresh_token"].as_str().unwrap().to_owned();
        assert_eq!(token.len(), 64);
        assert_eq!(first["refresh_expires_in"], 30 * 24 * 3600);
        assert!(first["access_token"].as_str().is_some());

        // Rotation: a new pair; the access token works.
        let response = post(&app, "/api/v1/auth/refresh", &token).await;
        assert_eq!(response.status().as_u16(), 200, "{backend}");
        assert_eq!(response.headers()["cache-control"], "no-store");
        let second: Value = response.json().await.unwrap();
        let next = second["refresh_token"].as_str().unwrap().to_owned();
        assert_ne!(next, token);
        assert_eq!(second["user_id"], first["user_id"]);

        // The spent token again: refused, and the whole family dies with it.
        let reused = post(&app, "/api/v1/auth/refresh", &token).await;
        let problem = assert_problem(reused, 401, "invalid-token").await;
        assert!(problem["detail"].as_str().unwrap().contains("đã được dùng"));
        let after = post(&app, "/api/v1/auth/refresh", &next).await;
        assert_problem(after, 401, "invalid-token").await;

        // Unknown tokens are refused without a hint.
        let unknown = post(&app, "/api/v1/auth/refresh", &"0".repeat(64)).await;
        assert_problem(unknown, 401, "invalid-token").await;
    }
}

#[tokio::test]
async fn a_refresh_token_is_refused_after_logout_disable_or_a_new_password() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        create_staff(&app, "op1", &["operator"]);

        // Logout.
        let session = signed_in(&app, "op1").await;
        let token = session["refresh_token"].as_str().unwrap();
        let out = post(&app, "/api/v1/auth/logout", token).await;
        assert_eq!(out.status().as_u16(), 204, "{backend}");
        assert_problem(
            post(&app, "/api/v1/auth/refresh", token).await,
            401,
            "invalid-token",
        )
        .await;
        // Logging out again, or with nonsense, answers the same.
        assert_eq!(
            post(&app, "/api/v1/auth/logout", token)
                .await
                .status()
                .as_u16(),
            204
        );
        assert_eq!(
            post(&app, "/api/v1/auth/logout", "x")
                .await
                .status()
                .as_u16(),
            204
        );

        // A new password ends every session.
        let session = signed_in(&app, "op1").await;
        let token = session["refresh_token"].as_str().unwrap().to_owned();
        {
            use tongdai_domain::Clock;
            let mut conn = app.db.db.conn().unwrap();
            tongdai_auth::users::change_password(
                &mut conn,
                "op1",
                "một-mật-khẩu-mới-dài",
                app.clock.now(),
            )
            .unwrap();
        }
        assert_problem(
            post(&app, "/api/v1/auth/refresh", &token).await,
            401,
            "invalid-token",
        )
        .await;

        // A disabled account can neither refresh nor use its access token.
        let response = login(&app, "op1", "một-mật-khẩu-mới-dài").await;
        let session: Value = response.json().await.unwrap();
        let token = session["refresh_token"].as_str().unwrap().to_owned();
        let access = session["access_token"].as_str().unwrap().to_owned();
        {
            use tongdai_domain::Clock;
            let mut conn = app.db.db.conn().unwrap();
            tongdai_auth::users::disable_user(&mut conn, "op1", app.clock.now()).unwrap();
        }
        assert_problem(
            post(&app, "/api/v1/auth/refresh", &token).await,
            401,
            "invalid-token",
        )
        .await;
        let filed = app
            .client
            .post(app.url("/api/v1/operator/tickets"))
            .bearer_auth(&access)
            .json(&crate::api::lamp())
            .send()
            .await
            .unwrap();
        assert_problem(filed, 401, "invalid-token").await;
    }
}
