//! SVG charts of the monthly report for web pages, drawn with `plotters` (SVG backend only).
//! Text is written as SVG `<text>` for the browser to set, so no font is loaded here
//! (plotters' layout estimate without the `ttf` feature is enough for the label areas we size
//! ourselves). The output is then made accessible: the root element gets `role="img"`, a
//! `<title>` and a `<desc>` that states every value in Vietnamese, and a `viewBox` with
//! `width="100%"` instead of a fixed pixel size, so it shrinks on a phone. No script.

use std::cmp::Reverse;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use sha2::{Digest, Sha256};

use crate::ReportError;
use crate::model::{AgencyRow, OverdueReport};
use crate::table::rate_vi;

/// The fill of a bar (and of the trend line) at or above the target rate.
pub const BAR_COLOR: &str = "#1F5F99";
/// The fill of a bar below the target rate.
pub const BAR_BELOW_TARGET_COLOR: &str = "#B45309";
/// The on-time rate (percent) below which a bar is drawn in the warning colour.
pub const TARGET_RATE: f64 = 80.0;

const BLUE: RGBColor = RGBColor(0x1F, 0x5F, 0x99);
const AMBER: RGBColor = RGBColor(0xB4, 0x53, 0x09);
const INK: RGBColor = RGBColor(0x1F, 0x29, 0x37);
const WIDTH: u32 = 720;
const FONT: &str = "sans-serif";

fn chart_error<E: std::fmt::Display>(e: E) -> ReportError {
    ReportError::Chart(e.to_string())
}

fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// A stable id prefix for the title and description, derived from what the chart says, so
/// two different charts on one page do not share ids.
fn id_for(kind: &str, title: &str, desc: &str) -> String {
    let digest = Sha256::digest(format!("{title}\n{desc}").as_bytes());
    format!("tdr-{kind}-{}", hex::encode(&digest[..6]))
}

/// Replaces plotters' root `<svg width=… height=… viewBox=…>` with an accessible, fluid one.
fn accessible(
    svg: &str,
    size: (u32, u32),
    kind: &str,
    title: &str,
    desc: &str,
) -> Result<String, ReportError> {
    let start = svg
        .find("<svg")
        .ok_or_else(|| ReportError::Chart("no <svg> element".to_owned()))?;
    let end = svg[start..]
        .find('>')
        .map(|i| start + i + 1)
        .ok_or_else(|| ReportError::Chart("unterminated <svg> element".to_owned()))?;
    let id = id_for(kind, title, desc);
    let (w, h) = size;
    let root = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"100%\" \
         preserveAspectRatio=\"xMidYMid meet\" style=\"max-width:{w}px;height:auto\" \
         role=\"img\" aria-labelledby=\"{id}-title {id}-desc\">\n\
         <title id=\"{id}-title\">{}</title>\n<desc id=\"{id}-desc\">{}</desc>\n",
        xml_escape(title),
        xml_escape(desc)
    );
    Ok(format!("{root}{}", &svg[end..]))
}

/// Shortens a label to `max` characters, with an ellipsis.
fn clip_label(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

fn message(root: &DrawingArea<SVGBackend<'_>, Shift>, text: &str) -> Result<(), ReportError> {
    let (w, h) = root.dim_in_pixel();
    root.draw(&Text::new(
        text.to_owned(),
        (
            i32::try_from(w / 2).unwrap_or(0),
            i32::try_from(h / 2).unwrap_or(0),
        ),
        TextStyle::from((FONT, 20).into_font())
            .color(&INK)
            .pos(Pos::new(HPos::Center, VPos::Center)),
    ))
    .map_err(chart_error)
}

/// The ranked agencies, worst on-time rate first (the reverse of the league order).
fn worst_first(report: &OverdueReport) -> Vec<&AgencyRow> {
    let mut rows: Vec<&AgencyRow> = report
        .rows
        .iter()
        .filter(|r| r.rank.is_some() && r.counts.on_time_rate.is_some())
        .collect();
    rows.sort_by(|a, b| {
        (Reverse(a.rank), &a.agency.name, &a.agency.code).cmp(&(
            Reverse(b.rank),
            &b.agency.name,
            &b.agency.code,
        ))
    });
    rows
}

/// Horizontal bars of the on-time rate by agency, worst first, at most `max_rows` of them
/// (the worst ones; 0 = all). Agency names label the bars and each bar carries its value
/// (`93,5%`). Unranked agencies (nothing answered) are left out and counted in the
/// description.
pub fn on_time_by_agency_svg(
    report: &OverdueReport,
    max_rows: usize,
) -> Result<String, ReportError> {
    let all = worst_first(report);
    let shown: Vec<&AgencyRow> = if max_rows == 0 {
        all.clone()
    } else {
        all.iter().copied().take(max_rows).collect()
    };
    let unranked = report.rows.len() - all.len();
    let title = format!(
        "Tỷ lệ xử lý đúng hạn theo đơn vị, kỳ {}",
        report.period.label
    );
    let mut desc = if shown.is_empty() {
        "Không có đơn vị nào được xếp hạng trong kỳ.".to_owned()
    } else {
        let values: Vec<String> = shown
            .iter()
            .map(|r| {
                format!(
                    "{} {}",
                    r.agency.name,
                    rate_vi(r.counts.on_time_rate.unwrap_or_default())
                )
            })
            .collect();
        let which = if shown.len() < all.len() {
            format!(
                "{} đơn vị thấp nhất trong {} đơn vị được xếp hạng",
                shown.len(),
                all.len()
            )
        } else {
            format!("{} đơn vị được xếp hạng", all.len())
        };
        format!(
            "Biểu đồ thanh ngang, {which}, từ thấp đến cao: {}.",
            values.join("; ")
        )
    };
    if unranked > 0 {
        desc.push_str(&format!(
            " {unranked} đơn vị không được xếp hạng vì không trả lời phiếu nào trong kỳ."
        ));
    }

    let n = shown.len();
    let height = if n == 0 {
        160
    } else {
        90 + 34 * u32::try_from(n).unwrap_or(u32::MAX / 64).min(200)
    };
    let longest = shown
        .iter()
        .map(|r| r.agency.name.chars().count())
        .max()
        .unwrap_or(0)
        .min(34);
    let label_width = u32::try_from(longest * 8 + 16).unwrap_or(250).max(60);
    let size = (WIDTH, height);
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, size).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error)?;
        if n == 0 {
            message(&root, "Không có đơn vị nào được xếp hạng trong kỳ")?;
        } else {
            let rows = n as f64;
            let mut chart = ChartBuilder::on(&root)
                .caption(&title, (FONT, 22).into_font().color(&INK))
                .margin(12)
                .margin_right(24)
                .x_label_area_size(32)
                .y_label_area_size(label_width)
                .build_cartesian_2d(0f64..100f64, 0f64..rows)
                .map_err(chart_error)?;
            chart
                .configure_mesh()
                .disable_y_mesh()
                .y_labels(0)
                .y_label_formatter(&|_| String::new())
                .x_labels(6)
                .x_label_formatter(&|v| format!("{v:.0}%"))
                .x_label_style((FONT, 16).into_font().color(&INK))
                .max_light_lines(0)
                .draw()
                .map_err(chart_error)?;
            // Row i (worst first) is drawn from the top.
            let band = |i: usize| (rows - i as f64 - 0.82, rows - i as f64 - 0.18);
            chart
                .draw_series(shown.iter().enumerate().map(|(i, r)| {
                    let rate = r.counts.on_time_rate.unwrap_or_default().clamp(0.0, 100.0);
                    let (y0, y1) = band(i);
                    let color = if rate < TARGET_RATE { AMBER } else { BLUE };
                    Rectangle::new([(0.0, y0), (rate, y1)], color.filled())
                }))
                .map_err(chart_error)?;
            for (i, r) in shown.iter().enumerate() {
                let rate = r.counts.on_time_rate.unwrap_or_default().clamp(0.0, 100.0);
                let (y0, y1) = band(i);
                let middle = (y0 + y1) / 2.0;
                // The value: after the bar, or inside its end when the bar is long.
                let (x, y) = chart.backend_coord(&(rate, middle));
                let (x, anchor, color) = if rate > 85.0 {
                    (x - 6, HPos::Right, WHITE)
                } else {
                    (x + 6, HPos::Left, INK)
                };
                root.draw(&Text::new(
                    rate_vi(rate),
                    (x, y),
                    TextStyle::from((FONT, 16).into_font())
                        .color(&color)
                        .pos(Pos::new(anchor, VPos::Center)),
                ))
                .map_err(chart_error)?;
                // The agency's name, left of the axis.
                let (x0, _) = chart.backend_coord(&(0.0, middle));
                root.draw(&Text::new(
                    clip_label(&r.agency.name, 34),
                    (x0 - 8, y),
                    TextStyle::from((FONT, 16).into_font())
                        .color(&INK)
                        .pos(Pos::new(HPos::Right, VPos::Center)),
                ))
                .map_err(chart_error)?;
            }
        }
        root.present().map_err(chart_error)?;
    }
    accessible(&buf, size, "agencies", &title, &desc)
}

/// The year's monthly on-time rate as a line: one point per entry (`("T1", Some(92.5))`),
/// labelled with the entry's label; `None` (no report, or nothing answered) leaves a gap.
pub fn monthly_trend_svg(points: &[(String, Option<f64>)]) -> Result<String, ReportError> {
    let title = "Tỷ lệ xử lý đúng hạn theo tháng".to_owned();
    let desc = if points.is_empty() {
        "Chưa có số liệu.".to_owned()
    } else {
        let values: Vec<String> = points
            .iter()
            .map(|(label, v)| match v {
                Some(v) => format!("{label} {}", rate_vi(*v)),
                None => format!("{label} không có số liệu"),
            })
            .collect();
        format!("Biểu đồ đường theo tháng: {}.", values.join("; "))
    };
    let size = (WIDTH, 320);
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, size).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error)?;
        if points.iter().all(|(_, v)| v.is_none()) {
            message(&root, "Chưa có số liệu")?;
        } else {
            let n = points.len() as f64;
            let mut chart = ChartBuilder::on(&root)
                .caption(&title, (FONT, 22).into_font().color(&INK))
                .margin(12)
                .margin_right(24)
                .x_label_area_size(32)
                .y_label_area_size(48)
                .build_cartesian_2d(-0.5f64..(n - 0.5), 0f64..105f64)
                .map_err(chart_error)?;
            chart
                .configure_mesh()
                .disable_x_mesh()
                .x_labels(0)
                .x_label_formatter(&|_| String::new())
                .y_labels(6)
                .y_label_formatter(&|v| format!("{v:.0}%"))
                .y_label_style((FONT, 16).into_font().color(&INK))
                .max_light_lines(0)
                .draw()
                .map_err(chart_error)?;
            // One line per run of consecutive months with a figure.
            let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
            for (i, (_, v)) in points.iter().enumerate() {
                match v {
                    Some(v) => {
                        if let Some(run) = runs.last_mut() {
                            run.push((i as f64, v.clamp(0.0, 100.0)));
                        }
                    }
                    None => runs.push(Vec::new()),
                }
            }
            for run in runs.into_iter().filter(|r| r.len() > 1) {
                chart
                    .draw_series(LineSeries::new(run, BLUE.stroke_width(2)))
                    .map_err(chart_error)?;
            }
            let known = || {
                points
                    .iter()
                    .enumerate()
                    .filter_map(|(i, (_, v))| v.map(|v| (i as f64, v.clamp(0.0, 100.0))))
            };
            chart
                .draw_series(known().map(|p| Circle::new(p, 4, BLUE.filled())))
                .map_err(chart_error)?;
            for (x, v) in known() {
                let (px, py) = chart.backend_coord(&(x, v));
                root.draw(&Text::new(
                    rate_vi(v),
                    (px, py - 8),
                    TextStyle::from((FONT, 14).into_font())
                        .color(&INK)
                        .pos(Pos::new(HPos::Center, VPos::Bottom)),
                ))
                .map_err(chart_error)?;
            }
            for (i, (label, _)) in points.iter().enumerate() {
                let (px, py) = chart.backend_coord(&(i as f64, 0.0));
                root.draw(&Text::new(
                    clip_label(label, 8),
                    (px, py + 8),
                    TextStyle::from((FONT, 16).into_font())
                        .color(&INK)
                        .pos(Pos::new(HPos::Center, VPos::Top)),
                ))
                .map_err(chart_error)?;
            }
        }
        root.present().map_err(chart_error)?;
    }
    accessible(&buf, size, "trend", &title, &desc)
}
