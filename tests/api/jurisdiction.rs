use serde_json::Value;

use crate::helpers::{assert_problem, backends, spawn_app};

fn codes(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["code"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn areas_in_force_follow_the_2025_reorganisation() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        // Today (the test clock: 23/11/2026): Tây Ninh, two-tier government.
        let today: Value = app.get("/api/v1/areas").await.json().await.unwrap();
        assert_eq!(today["at"], "2026-11-23");
        let now = codes(&today);
        assert!(
            now.contains(&"TN-P-LONGAN".to_owned()),
            "{backend}: {now:?}"
        );
        assert!(!now.iter().any(|c| c.starts_with("LA")));
        let item = today["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["code"] == "TN-P-LONGAN")
            .unwrap();
        assert_eq!(item["name"], "Phường Long An");

        // Before 1/7/2025: Long An with its districts.
        let before: Value = app
            .get("/api/v1/areas?at=2025-06-15")
            .await
            .json()
            .await
            .unwrap();
        let old = codes(&before);
        assert!(old.contains(&"LA-TANAN-P4".to_owned()));
        assert!(old.contains(&"LA-TANAN".to_owned()));
        assert!(!old.contains(&"TN-P-LONGAN".to_owned()));
        let p4 = before["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["code"] == "LA-TANAN-P4")
            .unwrap();
        assert_eq!(p4["full_name"], "Phường 4, Thành phố Tân An, Tỉnh Long An");
    }
}

#[tokio::test]
async fn agencies_and_categories_are_listed_with_code_and_vietnamese_name() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let agencies: Value = app
            .get("/api/v1/agencies?at=2025-06-30")
            .await
            .json()
            .await
            .unwrap();
        let list = codes(&agencies);
        assert!(list.contains(&"UBND-LA-TANAN-P4".to_owned()));
        assert!(list.contains(&"IOC".to_owned()));
        let agencies_later: Value = app
            .get("/api/v1/agencies?at=2025-07-01")
            .await
            .json()
            .await
            .unwrap();
        assert!(!codes(&agencies_later).contains(&"UBND-LA-TANAN-P4".to_owned()));

        let categories: Value = app.get("/api/v1/categories").await.json().await.unwrap();
        let items = categories["items"].as_array().unwrap();
        assert!(items.len() >= 15, "{backend}");
        for item in items {
            assert!(item["code"].as_str().is_some_and(|c| !c.is_empty()));
            assert!(item["name"].as_str().is_some_and(|n| !n.is_empty()));
        }
        let lamp = items
            .iter()
            .find(|i| i["code"] == "chieu-sang.den-duong")
            .unwrap();
        assert_eq!(lamp["parent"], "chieu-sang");
        assert!(lamp["attributes"].as_array().is_some_and(|a| !a.is_empty()));
    }
}

#[tokio::test]
async fn a_malformed_date_is_a_400_problem_in_vietnamese() {
    let app = spawn_app(tongdai_storage::Backend::Sqlite).await;
    for query in [
        "?at=2025-13-01",
        "?at=hom-nay",
        "?at=01/07/2025",
        "?at=",
        "?at=2025-7-1",
        "?at=%202025-07-01",
    ] {
        let body = assert_problem(
            app.get(&format!("/api/v1/areas{query}")).await,
            400,
            "invalid-query",
        )
        .await;
        assert_eq!(body["title"], "Tham số truy vấn không hợp lệ");
        assert!(body["detail"].as_str().unwrap().contains("YYYY-MM-DD"));
    }
}

#[tokio::test]
async fn without_a_date_the_listing_follows_the_injected_clock() {
    let app = spawn_app(tongdai_storage::Backend::Sqlite).await;
    // 00:30 on 1/7/2025 in Vietnam is still 30/6 in UTC: the local date decides.
    app.clock.set(crate::helpers::vn(2025, 7, 1, 0, 30));
    let body: Value = app.get("/api/v1/areas").await.json().await.unwrap();
    assert_eq!(body["at"], "2025-07-01");
    assert!(codes(&body).contains(&"TN-P-LONGAN".to_owned()));
    app.clock.set(crate::helpers::vn(2025, 6, 30, 23, 59));
    let body: Value = app.get("/api/v1/areas").await.json().await.unwrap();
    assert!(codes(&body).contains(&"LA-TANAN-P4".to_owned()));
    // The server generated its signing secret in its own data folder.
    assert!(app.data_dir.path().join("jwt-secret").is_file());
}
