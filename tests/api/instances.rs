//! Several instances on one PostgreSQL (issue 16): instances that start together on an
//! empty database take turns at migrating and loading the jurisdiction (an advisory lock),
//! so every one of them comes up and nothing is stored twice.

use std::sync::Arc;

use diesel::prelude::*;
use tongdai_domain::FixedClock;
use tongdai_server::app;
use tongdai_storage::Backend;
use tongdai_storage::testing::{TestDatabase, backends};

use crate::helpers::{test_config, vn};

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn count(db: &TestDatabase, sql: &str) -> i64 {
    let mut conn = db.db.conn().unwrap();
    diesel::sql_query(sql)
        .get_result::<Count>(&mut *conn)
        .unwrap()
        .n
}

#[test]
fn instances_starting_together_on_an_empty_postgresql_all_come_up() {
    for backend in backends() {
        if backend != Backend::Postgres {
            continue;
        }
        let db = TestDatabase::empty(backend);
        let clock = Arc::new(FixedClock::new(vn(2026, 11, 23, 9, 0)));
        let instances = 4;
        let barrier = Arc::new(std::sync::Barrier::new(instances));
        let started: Vec<Result<(), String>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..instances)
                .map(|_| {
                    let barrier = barrier.clone();
                    let clock = clock.clone();
                    let url = db.url.clone();
                    scope.spawn(move || {
                        let data = tempfile::tempdir().unwrap();
                        let config = test_config(&url, data.path());
                        barrier.wait();
                        app::prepare(config, clock)
                            .map(|_| ())
                            .map_err(|e| e.to_string())
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for (i, result) in started.iter().enumerate() {
            assert!(result.is_ok(), "instance {i} did not come up: {result:?}");
        }
        let migrations = std::fs::read_dir(crate::helpers::repo_root().join("migrations/postgres"))
            .unwrap()
            .filter(|e| e.as_ref().is_ok_and(|e| e.path().is_dir()))
            .count() as i64;
        assert_eq!(
            count(&db, "SELECT count(*) AS n FROM __diesel_schema_migrations"),
            migrations,
            "every migration applied once"
        );
        // The first instance to take the lock loaded the jurisdiction; the others found
        // the same folder (by its digest) as the generation in force and stored nothing.
        let areas = count(&db, "SELECT count(*) AS n FROM areas");
        let distinct = count(&db, "SELECT count(DISTINCT code) AS n FROM areas");
        assert_eq!(areas, distinct);
        assert!(areas > 10, "{areas}");
        assert_eq!(
            count(&db, "SELECT count(*) AS n FROM jurisdiction_loads"),
            1
        );
        assert_eq!(
            count(
                &db,
                "SELECT count(*) AS n FROM jurisdiction_loads WHERE generation = 1"
            ),
            1
        );
    }
}

/// Two instances with data folders of their own (no shared files) on one PostgreSQL: a staff
/// token issued by one is accepted by the other, and a portal form served by one is filed
/// by the other — the JWT and CSRF secrets are the fleet's, kept in the database.
#[tokio::test]
async fn a_token_or_a_form_issued_by_one_instance_works_on_another() {
    for backend in backends() {
        if backend != Backend::Postgres {
            continue;
        }
        let app = crate::helpers::spawn_app(backend).await;
        let second = crate::helpers::spawn_instance(&app, |_| {}).await;
        crate::console::create_user(&app, "ioc.truc", &["ioc"], None);
        let token = crate::api::staff_token(&app, "ioc.truc").await;
        let listed = app
            .client
            .get(format!("{}/api/v1/staff/tickets", second.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(
            listed.status().as_u16(),
            200,
            "the second instance takes the token"
        );

        let session = crate::web::open_form(&app).await;
        let body = crate::web::report(&session, &[]);
        let filed = app
            .client
            .post(format!("{}/", second.base))
            .header("cookie", &session.cookie)
            .header(
                "content-type",
                format!("multipart/form-data; boundary={}", crate::web::BOUNDARY),
            )
            .body(body.finish())
            .send()
            .await
            .unwrap();
        assert_eq!(
            filed.status().as_u16(),
            200,
            "the second instance takes the form"
        );
        assert_eq!(crate::web::count_tickets(&app), 1);
        // Neither instance wrote a secret file: the secrets are in the database.
        assert!(!app.data_dir.path().join("jwt-secret").exists());
        let stored: Vec<String> = {
            use tongdai_storage::schema::server_secrets;
            let mut conn = app.db.db.conn().unwrap();
            server_secrets::table
                .select(server_secrets::name)
                .order(server_secrets::name)
                .load(&mut *conn)
                .unwrap()
        };
        assert_eq!(stored, ["csrf", "jwt"]);
    }
}
