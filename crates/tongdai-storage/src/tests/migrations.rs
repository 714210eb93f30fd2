use diesel::RunQueryDsl;
use diesel::connection::SimpleConnection;

use crate::Backend;
use crate::testing::{TestDatabase, backends};

#[test]
fn migrations_run_up_down_and_up_again() {
    for backend in backends() {
        let db = TestDatabase::empty(backend);
        assert!(!db.db.pending_migrations().unwrap().is_empty());
        let applied = db.db.run_migrations().unwrap();
        assert!(!applied.is_empty(), "{backend}: something was applied");
        assert!(db.db.pending_migrations().unwrap().is_empty());
        // Starting twice is harmless.
        assert!(db.db.run_migrations().unwrap().is_empty());
        db.db.revert_all_migrations().unwrap();
        assert_eq!(db.db.pending_migrations().unwrap().len(), applied.len());
        db.db.run_migrations().unwrap();
        assert!(db.db.pending_migrations().unwrap().is_empty(), "{backend}");
    }
}

#[derive(diesel::QueryableByName)]
struct Unindexed {
    #[diesel(sql_type = diesel::sql_types::Text)]
    description: String,
}

/// Every foreign key column leads an index, so joins and cascades never scan a table.
#[test]
fn every_foreign_key_has_an_index_on_postgres() {
    if !backends().contains(&Backend::Postgres) {
        return;
    }
    let db = TestDatabase::new(Backend::Postgres);
    let mut conn = db.db.conn().unwrap();
    let missing: Vec<Unindexed> = diesel::sql_query(
        "SELECT c.conrelid::regclass::text || '(' || a.attname || ')' AS description
         FROM pg_constraint c
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
         WHERE c.contype = 'f'
           AND NOT EXISTS (
             SELECT 1 FROM pg_index i
             WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1])",
    )
    .load(&mut *conn)
    .unwrap();
    let names: Vec<_> = missing.into_iter().map(|m| m.description).collect();
    assert!(names.is_empty(), "foreign keys without an index: {names:?}");
}

#[test]
fn ticket_events_refuse_updates_and_deletes() {
    super::on_each_backend(|db| {
        super::load_demo(db);
        let ticket = super::tickets::store_sample(db, "1022-AAAA-AAAA");
        let mut conn = db.db.conn().unwrap();
        let id = ticket.id.to_string();
        let update = conn.batch_execute(&format!(
            "UPDATE ticket_events SET kind = 'x' WHERE ticket_id = '{id}'"
        ));
        assert!(update.is_err(), "{}: update must fail", db.backend());
        let delete = conn.batch_execute(&format!(
            "DELETE FROM ticket_events WHERE ticket_id = '{id}'"
        ));
        assert!(delete.is_err(), "{}: delete must fail", db.backend());
    });
}
