//! The reports page (admins, auditors): pages printed per day, printer,
//! department and user over a chosen span; the paper saved by expiry and
//! deletion; colour against mono and one- against two-sided. Charts are SVG
//! drawn on the server by plotters, served as images of this site (no
//! script, no inline style), each beside its table; every report is also a
//! CSV download.

use super::{Signed, act, day_ms, field, frame, page, query, trouble};
use crate::{Appliance, ConsoleAct, Outcome, ReportView};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use local_connector::reports::{Report, Tally};
use maud::{Markup, html};
use plotters::prelude::*;
use std::sync::Arc;

const DAY_MS: u64 = 86_400_000;
/// Rows a table shows at most (the CSV has all).
const TOP: usize = 25;

/// The span a query asks for: `from` and `to` (days, UTC, both included);
/// the last 30 days by default. As ms, and as typed for the links.
fn span(f: &[(String, String)]) -> (u64, u64, String, String) {
    let today = local_connector::clock::now_ms() / DAY_MS * DAY_MS;
    let to = day_ms(&field(f, "to")).unwrap_or(today) + DAY_MS;
    let from = day_ms(&field(f, "from")).unwrap_or(to.saturating_sub(30 * DAY_MS)).min(to - DAY_MS);
    let day = |ms: u64| local_connector::reports::day_of(ms);
    (from, to, day(from), day(to - DAY_MS))
}

async fn report(
    app: Arc<dyn Appliance>,
    who: &Signed,
    q: Option<&str>,
) -> Result<(Box<ReportView>, String, String), Response> {
    let f = query(q);
    let (from_ms, to_ms, from, to) = span(&f);
    match act(app, who, ConsoleAct::Report { from_ms, to_ms }).await {
        Outcome::Report(v) => Ok((v, from, to)),
        o => Err(trouble(&who.0, o)),
    }
}

/// `GET /reports?from=&to=`
pub(super) async fn show(State(app): State<Arc<dyn Appliance>>, who: Signed, RawQuery(q): RawQuery) -> Response {
    match report(app, &who, q.as_deref()).await {
        Ok((v, from, to)) => page(StatusCode::OK, frame(&who.0, "/reports", "Reports", view(&v, &from, &to))),
        Err(r) => r,
    }
}

/// `GET /reports/charts/{name}?from=&to=`: `days`, `printers` or `split`, as SVG.
pub(super) async fn chart(
    State(app): State<Arc<dyn Appliance>>,
    who: Signed,
    Path(name): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let (v, from, to) = match report(app, &who, q.as_deref()).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let drawn = match name.as_str() {
        "days" => days_chart(&v.report, &from, &to),
        "printers" => printers_chart(&v.report, &v.printers),
        "split" => split_chart(&v.report),
        _ => return super::trouble(&who.0, Outcome::NotFound),
    };
    match drawn {
        Ok(svg) => {
            let mut r = ([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response();
            let h = r.headers_mut();
            h.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
            );
            crate::harden(r)
        }
        Err(e) => {
            log::error!("console: drawing the {name} chart: {e}");
            trouble(&who.0, Outcome::Failed)
        }
    }
}

/// `GET /reports/csv/{name}?from=&to=`: `days`, `printers`, `departments`,
/// `users`, `saved`, `colour` or `sides`.
pub(super) async fn csv(
    State(app): State<Arc<dyn Appliance>>,
    who: Signed,
    Path(name): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let (v, from, to) = match report(app, &who, q.as_deref()).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let r = &v.report;
    let printer = |id: &str| v.printers.iter().find(|(i, _)| i == id).map_or(id.to_owned(), |(_, n)| n.clone());
    let mut rows: Vec<Vec<String>> = Vec::new();
    let tally = |t: &Tally| vec![t.jobs.to_string(), t.pages.to_string(), t.sheets.to_string()];
    let header = match name.as_str() {
        "days" => {
            for (d, x) in &r.days {
                rows.push([vec![d.clone()], tally(&x.printed), tally(&x.saved)].concat());
            }
            "day,printed_jobs,printed_pages,printed_sheets,saved_jobs,saved_pages,saved_sheets"
        }
        "printers" => {
            for (id, t) in &r.printers {
                rows.push([vec![printer(id), id.clone()], tally(t)].concat());
            }
            "printer,printer_id,jobs,pages,sheets"
        }
        "departments" | "users" => {
            for (k, t) in if name == "users" { &r.users } else { &r.departments } {
                rows.push([vec![k.clone()], tally(t)].concat());
            }
            if name == "users" { "user,jobs,pages,sheets" } else { "department,jobs,pages,sheets" }
        }
        "saved" => {
            rows.push([vec!["expired".into()], tally(&r.expired)].concat());
            rows.push([vec!["deleted".into()], tally(&r.deleted)].concat());
            "reason,jobs,pages,sheets"
        }
        "colour" => {
            rows.push([vec!["colour".into()], tally(&r.colour)].concat());
            rows.push([vec!["mono".into()], tally(&r.mono)].concat());
            "colour,jobs,pages,sheets"
        }
        "sides" => {
            rows.push([vec!["one-sided".into()], tally(&r.simplex)].concat());
            rows.push([vec!["two-sided".into()], tally(&r.duplex)].concat());
            "sides,jobs,pages,sheets"
        }
        _ => return trouble(&who.0, Outcome::NotFound),
    };
    let mut out = format!("{header}\r\n");
    for row in rows {
        out.push_str(&row.iter().map(|c| csv_field(c)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    let disposition = format!("attachment; filename=\"pullprint-{name}-{from}-to-{to}.csv\"");
    let mut resp = ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], out).into_response();
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        resp.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    crate::harden(resp)
}

/// One CSV field (RFC 4180), quoted when it must be, and never read as a
/// formula by a spreadsheet.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_owned() };
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s }
}

type Drawn = Result<String, Box<dyn std::error::Error>>;

/// Colours with enough contrast on white, and told apart without colour
/// too (the tables carry the same numbers).
const PRINTED: RGBColor = RGBColor(23, 78, 166);
const SAVED: RGBColor = RGBColor(30, 110, 52);

// Chart coordinates are f64: day numbers (at most 400) and page counts, far
// below 2^52, convert exactly; a label's position is floored to its day.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn days_chart(r: &Report, from: &str, to: &str) -> Drawn {
    // Every day of the span, empty ones too, so that the chart is a timeline.
    let (Some(first), Some(last)) = (day_ms(from), day_ms(to)) else { return Err("a day".into()) };
    let n = usize::try_from(last.saturating_sub(first) / DAY_MS + 1).unwrap_or(1).min(400);
    let days: Vec<(String, u64, u64)> = (0..n)
        .map(|i| {
            let d = local_connector::reports::day_of(first + i as u64 * DAY_MS);
            let x = r.days.get(&d).copied().unwrap_or_default();
            (d, x.printed.pages, x.saved.pages)
        })
        .collect();
    let top = days.iter().map(|(_, p, s)| (*p).max(*s)).max().unwrap_or(0).max(1) as f64;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (760, 300)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .caption("Pages per day: printed (blue, left), never printed (green, right)", ("sans-serif", 16))
            .x_label_area_size(36)
            .y_label_area_size(56)
            .build_cartesian_2d(0f64..n as f64, 0f64..top * 1.1)?;
        let label = |x: &f64| {
            days.get(x.max(0.0).floor() as usize)
                .map(|(d, _, _)| d.get(5..).unwrap_or(d).to_owned())
                .unwrap_or_default()
        };
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n.min(8))
            .x_label_formatter(&label)
            .y_label_formatter(&|y: &f64| format!("{y:.0}"))
            .label_style(("sans-serif", 13))
            .y_desc("pages")
            .draw()?;
        let at = |i: usize| i as f64;
        chart.draw_series(
            days.iter()
                .enumerate()
                .map(|(i, (_, p, _))| Rectangle::new([(at(i) + 0.1, 0.0), (at(i) + 0.5, *p as f64)], PRINTED.filled())),
        )?;
        chart.draw_series(
            days.iter()
                .enumerate()
                .map(|(i, (_, _, s))| Rectangle::new([(at(i) + 0.5, 0.0), (at(i) + 0.9, *s as f64)], SAVED.filled())),
        )?;
        root.present()?;
    }
    Ok(svg)
}

fn bars(title: &str, rows: &[(String, u64, RGBColor)]) -> Drawn {
    let mut svg = String::new();
    {
        let height = 80 + 40 * u32::try_from(rows.len().max(1)).unwrap_or(u32::MAX / 80);
        let root = SVGBackend::with_string(&mut svg, (760, height)).into_drawing_area();
        root.fill(&WHITE)?;
        let top = rows.iter().map(|(_, v, _)| *v).max().unwrap_or(0).max(1) as f64;
        let n = rows.len().max(1) as f64;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .caption(title, ("sans-serif", 16))
            .x_label_area_size(34)
            .y_label_area_size(12)
            .build_cartesian_2d(0f64..top * 1.4, 0f64..n)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .x_label_formatter(&|x: &f64| format!("{x:.0}"))
            .label_style(("sans-serif", 13))
            .x_desc("pages")
            .draw()?;
        // The first row on top; each bar labelled with its name and number.
        let y = |i: usize| n - 1.0 - i as f64;
        chart.draw_series(
            rows.iter()
                .enumerate()
                .map(|(i, (_, v, c))| Rectangle::new([(0.0, y(i) + 0.2), (*v as f64, y(i) + 0.8)], c.filled())),
        )?;
        chart.draw_series(rows.iter().enumerate().map(|(i, (label, v, _))| {
            let text = format!("{} — {v}", label.chars().take(32).collect::<String>());
            Text::new(text, (*v as f64 + top * 0.01, y(i) + 0.62), ("sans-serif", 14).into_font().color(&BLACK))
        }))?;
        root.present()?;
    }
    Ok(svg)
}

fn printers_chart(r: &Report, names: &[(String, String)]) -> Drawn {
    let name = |id: &str| names.iter().find(|(i, _)| i == id).map_or(id.to_owned(), |(_, n)| n.clone());
    let mut rows: Vec<(String, u64, RGBColor)> =
        r.printers.iter().map(|(id, t)| (name(id), t.pages, PRINTED)).collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.1));
    rows.truncate(10);
    bars("Pages printed per printer (the ten busiest)", &rows)
}

fn split_chart(r: &Report) -> Drawn {
    let rows = vec![
        ("colour".to_owned(), r.colour.pages, RGBColor(176, 0, 110)),
        ("mono".to_owned(), r.mono.pages, RGBColor(60, 60, 60)),
        ("one-sided".to_owned(), r.simplex.pages, PRINTED),
        ("two-sided".to_owned(), r.duplex.pages, SAVED),
    ];
    bars("Colour against mono, one- against two-sided", &rows)
}

fn tally_table(id: &str, caption: &str, first: &str, rows: &[(String, Tally)]) -> Markup {
    html! {
        div.scroll {
            table id=(id) {
                caption { (caption) }
                thead { tr { th scope="col" { (first) } th scope="col" { "Jobs" } th scope="col" { "Pages" } th scope="col" { "Sheets" } } }
                tbody {
                    @for (k, t) in rows.iter().take(TOP) {
                        tr { th scope="row" { (k) } td { (t.jobs) } td { (t.pages) } td { (t.sheets) } }
                    }
                }
            }
        }
    }
}

fn sorted(m: &std::collections::BTreeMap<String, Tally>) -> Vec<(String, Tally)> {
    let mut v: Vec<(String, Tally)> = m.iter().map(|(k, t)| (k.clone(), *t)).collect();
    v.sort_by_key(|r| std::cmp::Reverse(r.1.pages));
    v
}

fn view(v: &ReportView, from: &str, to: &str) -> Markup {
    let r = &v.report;
    let q = local_connector::html::query_string(&[("from".into(), from.into()), ("to".into(), to.into())]);
    let printed = r.days.values().fold(Tally::default(), |a, d| Tally {
        jobs: a.jobs + d.printed.jobs,
        pages: a.pages + d.printed.pages,
        sheets: a.sheets + d.printed.sheets,
    });
    let saved = Tally {
        jobs: r.expired.jobs + r.deleted.jobs,
        pages: r.expired.pages + r.deleted.pages,
        sheets: r.expired.sheets + r.deleted.sheets,
    };
    let name = |id: &str| v.printers.iter().find(|(i, _)| i == id).map_or(id.to_owned(), |(_, n)| n.clone());
    let printers: Vec<(String, Tally)> = sorted(&r.printers).into_iter().map(|(id, t)| (name(&id), t)).collect();
    let csv = |n: &str| format!("/reports/csv/{n}?{q}");
    html! {
        form.filters method="get" action="/reports" role="search" aria-label="Choose the span" {
            div { label for="from" { "From" } input type="date" id="from" name="from" value=(from); }
            div { label for="to" { "To (included)" } input type="date" id="to" name="to" value=(to); }
            div { button.primary type="submit" { "Show" } }
        }
        @if v.names_hidden { p.muted { "User names and departments are shown as the privacy settings say." } }
        div.cards {
            div.card { div.n id="printed-pages" { (printed.pages) } div.l { "pages printed (" (printed.sheets) " sheets, " (printed.jobs) " jobs)" } }
            div.card { div.n id="saved-pages" { (saved.pages) } div.l { "pages never printed: " (saved.sheets) " sheets of paper saved" } }
            div.card { div.n { (r.expired.jobs) } div.l { "jobs expired unclaimed" } }
            div.card { div.n { (r.deleted.jobs) } div.l { "jobs deleted" } }
            div.card { div.n { (r.failed) } div.l { "releases that failed" } }
        }
        h2 { "Per day" }
        img.chart src=(format!("/reports/charts/days?{q}")) width="760" height="300"
            alt=(format!("Bar chart of pages per day from {from} to {to}: {} printed and {} never printed; the CSV has each day.", printed.pages, saved.pages));
        p { a href=(csv("days")) { "Download per day (CSV)" } }
        h2 { "Per printer" }
        img.chart src=(format!("/reports/charts/printers?{q}")) width="760" alt="Bar chart of pages printed per printer, the same numbers as the table below.";
        (tally_table("per-printer", "Printed per printer", "Printer", &printers))
        p { a href=(csv("printers")) { "Download per printer (CSV)" } }
        h2 { "Per department" }
        (tally_table("per-department", "Printed per department (as the directory last said)", "Department", &sorted(&r.departments)))
        p { a href=(csv("departments")) { "Download per department (CSV)" } }
        h2 { "Per user" }
        (tally_table("per-user", "Printed per user (the busiest 25; the CSV has everyone)", "User", &sorted(&r.users)))
        p { a href=(csv("users")) { "Download per user (CSV)" } }
        h2 { "Paper saved" }
        (tally_table("saved", "Jobs never printed", "Why", &[("expired unclaimed".into(), r.expired), ("deleted".into(), r.deleted)]))
        p { a href=(csv("saved")) { "Download paper saved (CSV)" } }
        h2 { "Colour and sides" }
        img.chart src=(format!("/reports/charts/split?{q}")) width="760" alt="Bar chart of pages printed in colour and in mono, one-sided and two-sided, the same numbers as the table below.";
        (tally_table("split", "Printed pages by colour and sides", "Kind", &[
            ("colour".into(), r.colour), ("mono".into(), r.mono), ("one-sided".into(), r.simplex), ("two-sided".into(), r.duplex),
        ]))
        p { a href=(csv("colour")) { "Download colour against mono (CSV)" } " · " a href=(csv("sides")) { "one- against two-sided (CSV)" } }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("-1"), "'-1");
    }

    #[test]
    fn charts_are_svg_and_escape_what_they_label() {
        let mut r = Report::default();
        r.printers.insert("d-1".into(), Tally { jobs: 1, pages: 5, sheets: 5 });
        r.days.insert("2026-12-06".into(), Default::default());
        let svg = printers_chart(&r, &[("d-1".into(), "Lobby <east> & co".into())]).expect("drawn");
        assert!(svg.starts_with("<svg") && svg.contains("</svg>"), "{svg}");
        assert!(!svg.contains("<east>"), "{svg}");
        assert!(days_chart(&r, "2026-11-07", "2026-12-06").expect("drawn").contains("<svg"));
        assert!(split_chart(&r).expect("drawn").contains("<svg"));
    }
}
