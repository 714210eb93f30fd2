//! The shipped `config/calendar/2027.toml`: every day off pinned, and which of them still wait
//! for the Government's notice. When the notice is published, fix the file and these tests
//! together (the unconfirmed list below must then shrink).

use chrono::{Datelike, NaiveDate, Weekday};
use tongdai_calendar::Span;

use crate::common::{cal, cal_without_2027, date, due};

fn dates(list: &[&str]) -> Vec<NaiveDate> {
    list.iter().map(|d| date(d)).collect()
}

fn year_2027() -> impl Iterator<Item = NaiveDate> {
    date("2027-01-01")
        .iter_days()
        .take_while(|d| d.year() == 2027)
}

#[test]
fn new_year_2027_friday_is_off_and_confirmed() {
    let d = cal().day(date("2027-01-01"));
    assert_eq!(d.weekday, "Thứ Sáu");
    assert!(!d.working);
    assert!(d.confirmed);
    assert_eq!(d.reason, "Tết Dương lịch");
    assert!(cal().is_working_day(date("2026-12-31")));
    assert!(!cal().is_working_day(date("2027-01-02")));
    assert!(!cal().is_working_day(date("2027-01-03")));
    assert!(cal().is_working_day(date("2027-01-04")));
}

#[test]
fn tet_2027_runs_5_to_11_february_and_is_unconfirmed() {
    // Mùng 1 Tết Đinh Mùi is Saturday 06/02/2027 (Hồ Ngọc Đức's algorithm, UTC+7).
    assert_eq!(date("2027-02-06").weekday(), Weekday::Sat);
    let days = cal().days(date("2027-02-04"), date("2027-02-12"));
    let off: Vec<bool> = days.iter().map(|d| !d.working).collect();
    assert_eq!(
        off,
        [false, true, true, true, true, true, true, true, false]
    );
    assert!(days[1..6].iter().all(|d| d.reason == "Tết Nguyên đán"));
    assert!(
        days[6..8]
            .iter()
            .all(|d| d.reason == "Nghỉ bù Tết Nguyên đán")
    );
    assert!(days[1..8].iter().all(|d| !d.confirmed), "{days:?}");
    // The days around it are plain working days of a loaded year.
    assert!(days[0].confirmed && days[8].confirmed);
    assert_eq!(days[8].weekday, "Thứ Sáu");
}

#[test]
fn gio_to_2027_is_friday_16_04_with_no_compensatory_day() {
    let d = cal().day(date("2027-04-16"));
    assert_eq!(d.weekday, "Thứ Sáu");
    assert!(!d.working);
    assert!(d.confirmed);
    assert_eq!(d.reason, "Giỗ Tổ Hùng Vương");
    assert!(cal().is_working_day(date("2027-04-15")));
    assert!(cal().is_working_day(date("2027-04-19")));
}

#[test]
fn labour_day_2027_on_saturday_gives_monday_03_05_off() {
    let days = cal().days(date("2027-04-29"), date("2027-05-04"));
    let off: Vec<bool> = days.iter().map(|d| !d.working).collect();
    assert_eq!(off, [false, true, true, true, true, false]);
    assert_eq!(
        days[1].reason,
        "Ngày Chiến thắng 30/4 và Quốc tế Lao động 1/5"
    );
    assert_eq!(days[2].weekday, "Thứ Bảy");
    assert_eq!(days[2].reason, days[1].reason);
    assert_eq!(days[3].reason, "Nghỉ lễ 30/4 – 1/5 (cuối tuần)");
    assert_eq!(days[4].weekday, "Thứ Hai");
    assert_eq!(days[4].reason, "Nghỉ bù Quốc tế Lao động 1/5");
    // Điều 111 khoản 3 fixes the compensatory day: nothing here waits for a notice.
    assert!(days.iter().all(|d| d.confirmed), "{days:?}");
}

#[test]
fn quoc_khanh_2027_is_02_09_plus_an_unconfirmed_03_09() {
    let d = cal().day(date("2027-09-02"));
    assert_eq!(d.weekday, "Thứ Năm");
    assert!(!d.working);
    assert!(d.confirmed);
    assert_eq!(d.reason, "Quốc khánh");
    let adjacent = cal().day(date("2027-09-03"));
    assert!(!adjacent.working);
    assert!(!adjacent.confirmed);
    assert_eq!(adjacent.reason, "Quốc khánh (ngày liền kề, chưa xác nhận)");
    assert!(cal().is_working_day(date("2027-09-01")));
    assert!(cal().is_working_day(date("2027-09-06")));
}

#[test]
fn weekdays_off_in_2027_are_exactly_these() {
    let off: Vec<NaiveDate> = year_2027()
        .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
        .filter(|d| !cal().is_working_day(*d))
        .collect();
    assert_eq!(
        off,
        dates(&[
            "2027-01-01",
            "2027-02-05",
            "2027-02-08",
            "2027-02-09",
            "2027-02-10",
            "2027-02-11",
            "2027-04-16",
            "2027-04-30",
            "2027-05-03",
            "2027-09-02",
            "2027-09-03",
        ])
    );
    // No swap is announced: no Saturday or Sunday of 2027 is a working day.
    assert!(
        year_2027()
            .filter(|d| matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
            .all(|d| !cal().is_working_day(d))
    );
}

#[test]
fn unconfirmed_days_of_2027_are_flagged() {
    // Everything the Government still has to announce: where the 5 Tết days and their
    // compensatory days fall, and which day goes with 02/09.
    let unconfirmed: Vec<NaiveDate> = year_2027().filter(|d| !cal().day(*d).confirmed).collect();
    assert_eq!(
        unconfirmed,
        dates(&[
            "2027-02-05",
            "2027-02-06",
            "2027-02-07",
            "2027-02-08",
            "2027-02-09",
            "2027-02-10",
            "2027-02-11",
            "2027-09-03",
        ])
    );
}

#[test]
fn ten_working_days_filed_16_12_2026_end_on_30_12_2026() {
    // Filed Wed 16/12/2026 16:00: counting starts Thu 17/12 (BLDS art. 147). Working days:
    // 17, 18, 21, 22, 23, 24, 25, 28, 29, 30/12 → the 10th is Wed 30/12/2026, so this one
    // does not reach New Year; with or without the 2027 file it is the same.
    assert_eq!(
        due("2026-12-16T16:00:00+07:00", Span::WorkingDays(10)),
        "2026-12-30T23:59:59+07:00"
    );
}

#[test]
fn fifteen_working_days_filed_16_12_2026_skip_new_year_2027() {
    // The same filing with the 15 days of a "phức tạp" ticket: after the 10 above come
    // Thu 31/12 (11), then Fri 01/01/2027 (Tết Dương lịch) and the weekend are skipped,
    // Mon 04/01 (12), Tue 05/01 (13), Wed 06/01 (14), Thu 07/01 (15).
    assert_eq!(
        due("2026-12-16T16:00:00+07:00", Span::WorkingDays(15)),
        "2027-01-07T23:59:59+07:00"
    );
    // Without the 2027 file 01/01 would count and the deadline would be a day early.
    let without = cal_without_2027().deadline_local(
        crate::common::at("2026-12-16T16:00:00+07:00"),
        Span::WorkingDays(15),
    );
    assert_eq!(without.to_rfc3339(), "2027-01-06T23:59:59+07:00");
}

#[test]
fn ten_working_days_filed_21_12_2026_end_on_05_01_2027() {
    // Mon 21/12/2026: 22, 23, 24, 25, 28, 29, 30, 31/12 (8), skip 01–03/01, 04/01 (9),
    // 05/01 (10).
    assert_eq!(
        due("2026-12-21T09:00:00+07:00", Span::WorkingDays(10)),
        "2027-01-05T23:59:59+07:00"
    );
}

#[test]
fn five_working_days_before_tet_2027_end_on_18_02() {
    // Thu 04/02 16:00: 05–11/02 off, Fri 12/02 (1), Mon 15 (2), Tue 16 (3), Wed 17 (4),
    // Thu 18 (5). Rests on unconfirmed days: it moves if the notice moves Tết.
    assert_eq!(
        due("2027-02-04T16:00:00+07:00", Span::WorkingDays(5)),
        "2027-02-18T23:59:59+07:00"
    );
}

#[test]
fn one_working_day_over_the_2027_holidays() {
    // Giỗ Tổ: Thu 15/04 → Fri 16/04 off, weekend → Mon 19/04.
    assert_eq!(
        due("2027-04-15T10:00:00+07:00", Span::WorkingDays(1)),
        "2027-04-19T23:59:59+07:00"
    );
    // 30/4 – 1/5: Thu 29/04 → 30/04–03/05 off → Tue 04/05.
    assert_eq!(
        due("2027-04-29T10:00:00+07:00", Span::WorkingDays(1)),
        "2027-05-04T23:59:59+07:00"
    );
    // Quốc khánh: Wed 01/09 16:00 + 2 working hours: 16:00–17:00, then 02/09, 03/09 and the
    // weekend are off, so the second hour is Mon 06/09 07:30–08:30.
    assert_eq!(
        due("2027-09-01T16:00:00+07:00", Span::working_hours(2)),
        "2027-09-06T08:30:00+07:00"
    );
}
