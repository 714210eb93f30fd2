//! The two pages of the monthly overdue report, end to end on a fixed clock: the console's
//! `/console/bao-cao` (whole province for a reporter, the own agency for a lead, 403 for a
//! clerk, sign-in first, 400 for a bad period, XLSX/CSV downloads) and the portal's public
//! `/thong-ke` (rates and ranks of the stored months, no ticket code); then both pages in
//! headless Chromium with axe-core on a phone and a desk.

use serde_json::json;

use crate::api::staff_token;
use crate::console::{Browser, browser_sign_in, sign_in};
use crate::helpers::{TestApp, backends, spawn_app, vn};
use crate::web::{Driver, axe_source, browser_available};
use crate::workflow::{act, staff_user};

const WARD: &str = "UBND-TN-P-LONGAN";
const OTHER: &str = "SO-XD-TN";

fn agency_name(app: &TestApp, code: &str) -> String {
    app.intake
        .router()
        .jurisdiction()
        .agencies
        .iter()
        .find(|a| a.code == code)
        .map(|a| a.name.clone())
        .unwrap()
}

async fn file(app: &TestApp) -> String {
    let response = crate::api::post_ticket(app, &crate::api::lamp(), None, None).await;
    assert_eq!(response.status().as_u16(), 201);
    let body: serde_json::Value = response.json().await.unwrap();
    body["code"].as_str().unwrap().to_owned()
}

/// The October codes: `on_time` (ward, answered 7/10), `late` (ward, answered 21/10 after
/// its deadline of 19/10), `open` (ward, never answered: overdue), `other` (transferred to
/// the construction department, answered on time). The clock ends on Monday 2 November.
struct October {
    on_time: String,
    late: String,
    open: String,
    other: String,
}

impl October {
    fn codes(&self) -> [&str; 4] {
        [&self.on_time, &self.late, &self.open, &self.other]
    }
}

async fn october(app: &TestApp) -> October {
    app.clock.set(vn(2026, 10, 5, 9, 0));
    let clerk = staff_user(app, "clerk", &["clerk"], Some(WARD)).await;
    let other = staff_user(app, "other", &["clerk"], Some(OTHER)).await;
    let ioc = staff_user(app, "ioc", &["ioc"], None).await;
    staff_user(app, "reporter", &["reporter"], None).await;
    staff_user(app, "lead", &["lead"], Some(WARD)).await;
    let codes = [
        file(app).await,
        file(app).await,
        file(app).await,
        file(app).await,
    ];
    for code in &codes[..3] {
        act(app, &clerk, code, "accept", json!({})).await;
    }
    let [on_time, late, open, moved] = codes;
    act(
        app,
        &ioc,
        &moved,
        "transfer",
        json!({"agency": OTHER, "reason": "Thuộc Sở Xây dựng"}),
    )
    .await;
    act(app, &other, &moved, "accept", json!({})).await;

    app.clock.set(vn(2026, 10, 7, 9, 0));
    let (clerk, other, ioc) = (
        staff_token(app, "clerk").await,
        staff_token(app, "other").await,
        staff_token(app, "ioc").await,
    );
    act(
        app,
        &clerk,
        &on_time,
        "answer",
        json!({"text": "Đã thay bóng đèn."}),
    )
    .await;
    act(
        app,
        &other,
        &moved,
        "answer",
        json!({"text": "Đã sửa xong."}),
    )
    .await;
    act(
        app,
        &ioc,
        &on_time,
        "publish",
        json!({"text": "Đã thay bóng đèn."}),
    )
    .await;

    app.clock.set(vn(2026, 10, 21, 9, 0));
    let clerk = staff_token(app, "clerk").await;
    act(
        app,
        &clerk,
        &late,
        "answer",
        json!({"text": "Đã xử lý, chậm."}),
    )
    .await;

    app.clock.set(vn(2026, 11, 2, 9, 0));
    October {
        on_time,
        late,
        open,
        other: moved,
    }
}

fn assert_no_inline_style(html: &str, what: &str) {
    assert!(
        !html.contains(" style=\""),
        "{what}: an inline style attribute (blocked by the CSP)"
    );
}

#[tokio::test]
async fn the_console_report_page_serves_each_audience_and_the_downloads() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        // Nothing stored yet: the public page says so.
        let empty = app.get("/thong-ke").await;
        assert_eq!(empty.status().as_u16(), 200);
        assert!(empty.text().await.unwrap().contains("id=\"no-statistics\""));

        let oct = october(&app).await;
        let ward = agency_name(&app, WARD);
        let other = agency_name(&app, OTHER);
        crate::console::create_user(&app, "clerk.web", &["clerk"], Some(WARD));

        // Not signed in: to the sign-in page, for the page and the files.
        let anonymous = Browser::new(&app);
        for path in [
            "/console/bao-cao",
            "/console/bao-cao/tai-ve?ky=2026-10&dinh-dang=csv",
        ] {
            let page = anonymous.get(path).await;
            assert_eq!(page.status, 303, "{backend} {path}");
            assert_eq!(page.location.as_deref(), Some("/console/dang-nhap"));
        }

        // The reporter: the whole province, October by default (the last closed period).
        let reporter = sign_in(&app, "reporter").await;
        let queue = reporter.get("/console").await;
        assert!(queue.body.contains("href=\"/console/bao-cao\""), "nav link");
        let page = reporter.get("/console/bao-cao").await;
        assert_eq!(page.status, 200, "{backend}: {}", page.body);
        let html = &page.body;
        assert!(html.contains("Báo cáo trễ hạn tháng 10/2026"), "{html}");
        assert!(
            html.contains("<option value=\"2026-10\" selected>"),
            "{html}"
        );
        assert!(html.contains("Số liệu chính thức"));
        assert!(html.contains("Mã kiểm tra SHA-256"));
        assert!(html.contains(&ward) && html.contains(&other));
        assert_eq!(html.matches("<svg").count(), 2, "two charts");
        assert_eq!(html.matches("role=\"img\"").count(), 2);
        assert!(html.contains("<caption"));
        assert!(html.contains("tabindex=\"0\""));
        assert_no_inline_style(html, "console report");
        // Ward: one on time, one late → 50,0 %; the department 100,0 % and first.
        assert!(html.contains("50,0%") && html.contains("100,0%"), "{html}");
        for code in [&oct.late, &oct.open] {
            assert!(
                html.contains(&format!("href=\"/console/phieu/{code}\"")),
                "{code} listed late"
            );
        }
        assert!(!html.contains(&format!("/console/phieu/{}\"", oct.on_time)));
        for id in ["by-category", "by-area", "by-channel"] {
            assert!(html.contains(&format!("id=\"{id}\"")), "{id}");
        }
        assert!(
            html.contains("/console/bao-cao/tai-ve?ky=2026-10&") && html.contains("dinh-dang=xlsx")
        );
        let same = reporter.get("/console/bao-cao?ky=2026-10").await;
        assert_eq!(same.status, 200);

        // The current month is provisional.
        let now = reporter.get("/console/bao-cao?ky=2026-11").await;
        assert_eq!(now.status, 200);
        assert!(now.body.contains("Tạm tính"));

        // Bad periods: the page with the message, 400.
        let long = format!("/console/bao-cao?ky={}", "9".repeat(5000));
        for path in [
            "/console/bao-cao?ky=2026-13",
            "/console/bao-cao?ky=26-10",
            long.as_str(),
            "/console/bao-cao?ky=2027-05",
        ] {
            let bad = reporter.get(path).await;
            assert_eq!(bad.status, 400, "{backend} {}", &path[..path.len().min(40)]);
            assert!(bad.body.contains("id=\"report-error\""), "{}", bad.body);
            assert!(bad.body.contains("name=\"ky\""), "the form again");
        }
        let future = reporter.get("/console/bao-cao?ky=2027-05").await;
        assert!(future.body.contains("chưa bắt đầu"));

        // The downloads.
        let xlsx = reporter
            .get("/console/bao-cao/tai-ve?ky=2026-10&dinh-dang=xlsx")
            .await;
        assert_eq!(xlsx.status, 200);
        assert_eq!(
            xlsx.headers["content-type"],
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        );
        assert_eq!(xlsx.headers["cache-control"], "no-store");
        let disposition = xlsx.headers["content-disposition"].to_str().unwrap();
        assert!(
            disposition.starts_with("attachment;")
                && disposition.contains("bao-cao-tre-han-2026-10.xlsx"),
            "{disposition}"
        );
        assert!(xlsx.body.starts_with("PK"), "a zip");
        let csv = reporter
            .get("/console/bao-cao/tai-ve?ky=2026-10&dinh-dang=csv")
            .await;
        assert_eq!(csv.status, 200);
        assert_eq!(csv.headers["content-type"], "text/csv; charset=utf-8");
        assert!(csv.body.contains(&ward) && csv.body.contains(&other));
        let bad = reporter
            .get("/console/bao-cao/tai-ve?ky=2026-10&dinh-dang=pdf")
            .await;
        assert_eq!(bad.status, 400);

        // The lead: the ward's own row and late tickets only.
        let lead = sign_in(&app, "lead").await;
        let page = lead.get("/console/bao-cao?ky=2026-10").await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains(&ward));
        assert!(!page.body.contains(&other), "another agency's name");
        assert!(page.body.contains(&format!("/console/phieu/{}", oct.late)));
        assert!(!page.body.contains("id=\"by-category\""));
        assert_no_inline_style(&page.body, "lead's report");
        let csv = lead
            .get("/console/bao-cao/tai-ve?ky=2026-10&dinh-dang=csv")
            .await;
        assert_eq!(csv.status, 200);
        assert!(csv.body.contains(&ward) && !csv.body.contains(&other));
        assert!(
            csv.headers["content-disposition"]
                .to_str()
                .unwrap()
                .contains(&format!("bao-cao-tre-han-2026-10-{WARD}.csv"))
        );

        // A clerk: no nav link, 403 for the page and the files.
        let clerk = sign_in(&app, "clerk.web").await;
        let queue = clerk.get("/console").await;
        assert!(!queue.body.contains("href=\"/console/bao-cao\""));
        for path in ["/console/bao-cao", "/console/bao-cao/tai-ve?ky=2026-10"] {
            let page = clerk.get(path).await;
            assert_eq!(page.status, 403, "{backend} {path}");
            assert!(
                page.body.contains("Báo cáo trễ hạn dành cho"),
                "{}",
                page.body
            );
        }

        // The public page: October's rates and ranks, no ticket code.
        let response = app.get("/thong-ke").await;
        assert_eq!(response.status().as_u16(), 200);
        let html = response.text().await.unwrap();
        assert!(html.contains("Số liệu tháng 10/2026"), "{html}");
        assert!(html.contains(&ward) && html.contains(&other));
        assert!(html.contains("100,0%") && html.contains("50,0%"));
        // The department first, the ward second.
        let first = html.find(&other).unwrap();
        let second = html.find(&ward).unwrap();
        assert!(first < second, "ranked by rate");
        assert!(html.contains("<td>1</td>") && html.contains("<td>2</td>"));
        assert!(html.contains("w-100") && html.contains("w-50 low"));
        for code in oct.codes() {
            assert!(!html.contains(code), "{code} on the public page");
        }
        assert!(!html.contains("/console/"));
        assert_no_inline_style(&html, "public statistics");
        let same = app.get("/thong-ke?ky=2026-10").await;
        assert_eq!(same.status().as_u16(), 200);
        let unknown = app.get("/thong-ke?ky=2026-09").await;
        assert_eq!(unknown.status().as_u16(), 404);
        assert!(
            unknown
                .text()
                .await
                .unwrap()
                .contains("Chưa có số liệu công bố của tháng 09/2026")
        );
        let bad = app.get("/thong-ke?ky=2026-99").await;
        assert_eq!(bad.status().as_u16(), 400);
        assert!(bad.text().await.unwrap().contains("id=\"stat-error\""));
    }
}

/// `/console/bao-cao` signed in as a reporter and `/thong-ke`, at 390×844 and 1280×900:
/// axe-core finds no violation and nothing is wider than the window. With
/// `TONGDAI_SCREENSHOTS=<folder>`, full-page PNGs of each.
#[tokio::test]
async fn report_pages_in_headless_chromium_pass_axe_on_a_phone_and_a_desk() {
    if !browser_available() {
        return;
    }
    let Some(axe_js) = axe_source() else {
        return;
    };
    let shots = std::env::var_os("TONGDAI_SCREENSHOTS").map(std::path::PathBuf::from);
    let mut violations = Vec::new();
    let mut checked = 0;
    for (device, width, height) in [("phone", 390, 844), ("desk", 1280, 900)] {
        let app = spawn_app(tongdai_storage::Backend::Sqlite).await;
        october(&app).await;
        let browser = Driver::start().await;
        browser.resize(width, height).await;
        let mut check = async |page: &str| {
            let (found, passed) = browser.axe(&axe_js).await;
            assert!(
                passed >= 10,
                "{device} {page}: axe-core ran only {passed} rules"
            );
            violations.extend(found.into_iter().map(|v| format!("{device} {page}: {v}")));
            let overflow = browser
                .execute("return document.documentElement.scrollWidth - window.innerWidth;")
                .await;
            assert!(
                overflow.as_i64().unwrap() <= 0,
                "{device} {page}: the page is wider than the window by {overflow} px"
            );
            if let Some(dir) = &shots {
                std::fs::create_dir_all(dir).unwrap();
                browser
                    .full_screenshot(&dir.join(format!("report-{device}-{page}.png")))
                    .await;
            }
            checked += 1;
        };
        browser_sign_in(&browser, &app, "reporter").await;
        browser.goto(&app.url("/console/bao-cao")).await;
        browser.find("#league").await;
        check("console").await;
        browser.delete_cookies().await;
        browser_sign_in(&browser, &app, "lead").await;
        browser.goto(&app.url("/console/bao-cao?ky=2026-10")).await;
        browser.find("#league").await;
        check("console-lead").await;
        browser.goto(&app.url("/thong-ke")).await;
        browser.find("#statistics").await;
        check("thong-ke").await;
        browser.quit().await;
    }
    assert_eq!(checked, 6);
    assert!(
        violations.is_empty(),
        "axe-core found {} violation(s):\n{}",
        violations.len(),
        violations.join("\n")
    );
}
