//! `/admin/metrics`: this instance's figures with the thresholds
//! highlighted, and small charts of the last hour.

use crate::components::{loading, PageHead, Table};
use crate::metrics::{instance_metrics, Figure, Series};
use leptos::prelude::*;

#[component]
pub fn MetricsPage() -> impl IntoView {
    // Blocking, so a refused request answers 403 before any HTML is sent.
    let metrics = Resource::new_blocking(|| (), |_| instance_metrics());
    view! {
        <PageHead title="Metrics">
            <div class="actions">
                // A plain link: reloading is the refresh, with or without JavaScript.
                <a href="/admin/metrics" class="button" rel="external">"Refresh"</a>
            </div>
        </PageHead>
        <p class="muted">"Figures of the instance that answered this page, since it started. Every instance also serves them to Prometheus as " <code>"/metrics"</code> " on its operators' address (" <code>"--metrics-listen"</code> ", not reachable from the public site); Prometheus adds them up."</p>
        <Suspense fallback=loading>
            {move || metrics.get().map(|result| match result {
                Ok(view) => view! {
                    {if view.alerts.is_empty() {
                        view! { <div class="alert success" role="status" data-testid="metrics-ok">"All figures are within their thresholds."</div> }.into_any()
                    } else {
                        view! {
                            <div class="alert error" role="alert" data-testid="metrics-alerts">
                                <strong>"Over a threshold:"</strong>
                                <ul>{view.alerts.into_iter().map(|alert| view! { <li>{alert}</li> }).collect_view()}</ul>
                            </div>
                        }.into_any()
                    }}
                    <div class="tiles" data-testid="metric-tiles">
                        {view.figures.into_iter().map(tile).collect_view()}
                    </div>
                    <div class="charts">
                        {view.series.into_iter().map(chart).collect_view()}
                    </div>
                    <div class="worklists">
                        <section class="panel">
                            <h2>"Version conflicts by record type"</h2>
                            <Table testid="conflicts-by-entity" columns=&["Record"] numbers=&["Updates", "Conflicts", "Rate"]>
                                {view.conflicts.into_iter().map(|row| view! {
                                    <tr class:over=row.over_threshold()>
                                        <td>{row.entity.replace('_', " ")}</td>
                                        <td class="num">{row.writes}</td>
                                        <td class="num">{row.conflicts}</td>
                                        <td class="num">{format!("{:.1} %", row.rate() * 100.0)}</td>
                                    </tr>
                                }).collect_view()}
                            </Table>
                        </section>
                        <section class="panel">
                            <h2>"Numbers drawn"</h2>
                            <Pairs pairs=view.numbers_drawn empty="No numbers drawn yet." />
                            <h2>"Database errors by SQLSTATE"</h2>
                            <Pairs pairs=view.db_errors empty="None." />
                        </section>
                    </div>
                    <section class="panel">
                        <h2>"Busiest routes"</h2>
                        <Table testid="routes" columns=&["Route"] numbers=&["Requests", "Average"]>
                            {view.routes.into_iter().map(|row| view! {
                                <tr>
                                    <td><code>{format!("{} {}", row.method, row.route)}</code></td>
                                    <td class="num">{row.requests}</td>
                                    <td class="num">{format!("{:.1} ms", row.average_ms)}</td>
                                </tr>
                            }).collect_view()}
                        </Table>
                    </section>
                }.into_any(),
                Err(error) => crate::components::load_error(error, "administrators", ("/", "Home")),
            })}
        </Suspense>
    }
}

fn tile(figure: Figure) -> impl IntoView {
    view! {
        <section class="tile" class:over=figure.alert data-testid="metric-tile">
            <h2>{figure.label}</h2>
            <p class="figure">{figure.value}</p>
            <p class="muted">{figure.note}</p>
        </section>
    }
}

/// A server-rendered SVG sparkline; the scale is the series' own maximum.
fn chart(series: Series) -> impl IntoView {
    const WIDTH: f64 = 240.0;
    const HEIGHT: f64 = 56.0;
    let max = series.points.iter().copied().fold(0.0_f64, f64::max);
    let last = series.points.last().copied().unwrap_or(0.0);
    let step = WIDTH / (series.points.len().max(2) - 1) as f64;
    let points: Vec<String> = series
        .points
        .iter()
        .enumerate()
        .map(|(i, value)| {
            let y = if max > 0.0 { HEIGHT - 2.0 - (value / max) * (HEIGHT - 4.0) } else { HEIGHT - 2.0 };
            format!("{:.1},{:.1}", i as f64 * step, y)
        })
        .collect();
    let label = format!("{}: latest {last}, highest {max}", series.label);
    view! {
        <figure class="chart panel">
            <figcaption>{series.label}<span class="muted">{format!(" latest {last}, max {max}")}</span></figcaption>
            {if points.len() < 2 {
                view! { <p class="muted">"Collecting: one point every 10 seconds."</p> }.into_any()
            } else {
                view! {
                    <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") width="100%" height=HEIGHT role="img" aria-label=label>
                        <polyline points=points.join(" ") fill="none" stroke="currentColor" stroke-width="1.5" />
                    </svg>
                }.into_any()
            }}
        </figure>
    }
}

#[component]
fn Pairs(pairs: Vec<(String, u64)>, empty: &'static str) -> impl IntoView {
    if pairs.is_empty() {
        return view! { <p class="muted">{empty}</p> }.into_any();
    }
    view! {
        <ul class="pairs">
            {pairs.into_iter().map(|(label, n)| view! { <li><span>{label}</span><strong>{n}</strong></li> }).collect_view()}
        </ul>
    }
    .into_any()
}
