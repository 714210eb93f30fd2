use super::{date, load_demo, on_each_backend};
use crate::jurisdiction::*;

#[test]
fn loading_twice_updates_instead_of_duplicating() {
    on_each_backend(|db| {
        load_demo(db);
        let mut conn = db.db.conn().unwrap();
        let before = areas_at(&mut conn, date(2025, 1, 1)).unwrap().len();
        let again = load_jurisdiction(
            &mut conn,
            &super::demo_jurisdiction(),
            "config/jurisdiction",
            "second-load",
            super::at(2026, 11, 23, 9, 0).naive_utc(),
        )
        .unwrap();
        assert_eq!(again.inserted, 0, "{}", db.backend());
        assert!(again.updated > 100);
        assert_eq!(areas_at(&mut conn, date(2025, 1, 1)).unwrap().len(), before);
    });
}

#[test]
fn snapshots_are_stored_under_growing_generations() {
    on_each_backend(|db| {
        let mut conn = db.db.conn().unwrap();
        assert_eq!(latest_generation(&mut conn).unwrap(), None);
        // A load without a snapshot (older callers) takes no generation.
        load_demo(db);
        assert_eq!(latest_generation(&mut conn).unwrap(), None);
        let now = super::at(2026, 11, 23, 9, 0).naive_utc();
        let mut store = |digest: &str, body: &str, id: &str| {
            load_jurisdiction_with(
                &mut conn,
                &super::demo_jurisdiction(),
                Some(SnapshotText { digest, body }),
                "config/jurisdiction",
                id,
                now,
            )
            .unwrap()
            .generation
        };
        assert_eq!(store("aa", "first", "load-a"), 1);
        assert_eq!(store("bb", "second", "load-b"), 2);
        assert_eq!(
            store("aa", "first", "load-c"),
            3,
            "a reload of the first files"
        );
        let mut conn = db.db.conn().unwrap();
        assert_eq!(latest_generation(&mut conn).unwrap(), Some(3));
        assert_eq!(generation_of_digest(&mut conn, "aa").unwrap(), Some(3));
        assert_eq!(generation_of_digest(&mut conn, "bb").unwrap(), Some(2));
        assert_eq!(generation_of_digest(&mut conn, "cc").unwrap(), None);
        let stored = snapshot_at(&mut conn, 2).unwrap().unwrap();
        assert_eq!(stored.id, "load-b");
        assert_eq!(stored.snapshot.as_deref(), Some("second"));
        assert_eq!(stored.digest.as_deref(), Some("bb"));
        assert!(snapshot_at(&mut conn, 4).unwrap().is_none());
    });
}

#[test]
fn which_agency_was_valid_on_a_date() {
    on_each_backend(|db| {
        load_demo(db);
        let mut conn = db.db.conn().unwrap();
        // The committee of Phường 4 (Tân An) ends with the district level on 30/6/2025.
        assert!(
            agency_valid_on(&mut conn, "UBND-LA-TANAN-P4", date(2025, 6, 30))
                .unwrap()
                .is_some()
        );
        assert!(
            agency_valid_on(&mut conn, "UBND-LA-TANAN-P4", date(2025, 7, 1))
                .unwrap()
                .is_none()
        );
        // Sở TTTT runs 1022 until it is merged into Sở KH&CN on 1/3/2025.
        assert!(
            agency_valid_on(&mut conn, "SO-TTTT-LA", date(2025, 2, 28))
                .unwrap()
                .is_some()
        );
        assert!(
            agency_valid_on(&mut conn, "SO-TTTT-LA", date(2025, 3, 1))
                .unwrap()
                .is_none()
        );
        let in_force: Vec<_> = agencies_at(&mut conn, date(2025, 7, 1))
            .unwrap()
            .into_iter()
            .map(|a| a.code)
            .collect();
        assert!(in_force.contains(&"UBND-TN-P-LONGAN".to_owned()));
        assert!(!in_force.contains(&"UBND-LA-TANAN".to_owned()));
        assert!(in_force.contains(&"IOC".to_owned()));
        let governing: Vec<_> = agencies_for_area_on(&mut conn, "TN-P-KHANHHAU", date(2026, 1, 5))
            .unwrap()
            .into_iter()
            .map(|a| a.code)
            .collect();
        assert_eq!(governing, vec!["UBND-TN-P-KHANHHAU".to_owned()]);
    });
}

#[test]
fn which_area_was_valid_on_a_date() {
    on_each_backend(|db| {
        load_demo(db);
        let mut conn = db.db.conn().unwrap();
        let codes = |d| -> Vec<String> {
            areas_at(&mut db.db.conn().unwrap(), d)
                .unwrap()
                .into_iter()
                .map(|a| a.code)
                .collect()
        };
        // Phường 2 merged into Phường 1 on 1/12/2024 (Nghị quyết 1244/NQ-UBTVQH15).
        let nov = codes(date(2024, 11, 30));
        assert!(nov.contains(&"LA-TANAN-P2".to_owned()));
        assert!(!nov.contains(&"LA-TANAN-P1-2024".to_owned()));
        let dec = codes(date(2024, 12, 1));
        assert!(!dec.contains(&"LA-TANAN-P2".to_owned()));
        assert!(dec.contains(&"LA-TANAN-P1-2024".to_owned()));
        // 1/7/2025: Tây Ninh, no district level.
        let july = codes(date(2025, 7, 1));
        assert!(july.contains(&"TN-P-LONGAN".to_owned()));
        assert!(!july.iter().any(|c| c.starts_with("LA")));
        let p4 = area_valid_on(&mut conn, "LA-TANAN-P4", date(2025, 6, 1))
            .unwrap()
            .unwrap();
        assert_eq!(p4.full_name, "Phường 4, Thành phố Tân An, Tỉnh Long An");
        assert!(p4.search_key.contains("phuong 4 thanh pho tan an"));
        assert!(
            area_valid_on(&mut conn, "LA-TANAN-P4", date(2025, 7, 1))
                .unwrap()
                .is_none()
        );
    });
}

#[test]
fn old_units_map_to_their_successors_including_partial_ones() {
    on_each_backend(|db| {
        load_demo(db);
        let mut conn = db.db.conn().unwrap();
        let p4 = successors_of(&mut conn, "LA-TANAN-P4").unwrap();
        assert_eq!(p4.len(), 1);
        assert_eq!(p4[0].successor_code, "TN-P-LONGAN");
        assert!(!p4[0].partial);
        assert_eq!(p4[0].effective, date(2025, 7, 1));
        let binh_thanh = successors_of(&mut conn, "LA-THUTHUA-BINHTHANH").unwrap();
        assert!(
            binh_thanh
                .iter()
                .any(|s| s.successor_code == "TN-P-LONGAN" && s.partial)
        );
    });
}

#[test]
fn categories_keep_their_order_and_attributes() {
    on_each_backend(|db| {
        load_demo(db);
        let mut conn = db.db.conn().unwrap();
        let cats = categories_at(&mut conn, date(2026, 1, 1)).unwrap();
        assert!(cats.len() >= 15);
        let lamp = cats
            .iter()
            .find(|c| c.code == "chieu-sang.den-duong")
            .unwrap();
        assert_eq!(lamp.parent_code.as_deref(), Some("chieu-sang"));
        let attributes: serde_json::Value = serde_json::from_str(&lamp.attributes).unwrap();
        assert!(attributes.as_array().is_some_and(|a| !a.is_empty()));
        // Parents are listed before their sub-categories.
        let parent_pos = cats.iter().position(|c| c.code == "chieu-sang").unwrap();
        let child_pos = cats
            .iter()
            .position(|c| c.code == "chieu-sang.den-duong")
            .unwrap();
        assert!(parent_pos < child_pos);
    });
}
