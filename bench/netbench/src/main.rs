//! `netbench`: our stack and the Python reference (rns 1.5.7, lxmf 1.2.1 from
//! the project venv) measured side by side in one run on this machine, over
//! loopback TCP, printing ratios. Run it through `bench/net.sh` (release build).
//!
//! Usage: netbench [--quick] [--ours-only]
//!                 [--only announces,links,resources,lxmf,stamps,idle]
//!        netbench idle-node        (child mode used by the idle measurement)

mod announces;
mod configs;
mod idle;
mod links;
mod lxmf_bench;
mod reference;
mod report;

use report::{Row, median, percentile};

struct Plan {
    announces: usize,
    links: usize,
    sizes: Vec<usize>,
    rounds: usize,
    /// LXMF messages submitted at once.
    lxmf_messages: usize,
    /// Stamp costs timed (rounds each).
    stamp_costs: Vec<(u32, usize)>,
    only: Option<Vec<String>>,
    /// Skip the reference (for profiling our side alone); prints no ratios.
    ours_only: bool,
}

impl Plan {
    fn wants(&self, what: &str) -> bool {
        self.only
            .as_ref()
            .is_none_or(|o| o.iter().any(|w| w == what))
    }
}

fn parse_args() -> Result<Plan, String> {
    let mut plan = Plan {
        announces: 20_000,
        links: 200,
        sizes: vec![1 << 20, 10 << 20],
        rounds: 3,
        lxmf_messages: 500,
        stamp_costs: vec![(8, 3), (16, 3)],
        only: None,
        ours_only: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            // A few seconds' smoke run: proves the harness works end to end.
            "--quick" => {
                plan.announces = 500;
                plan.links = 5;
                plan.sizes = vec![64 << 10];
                plan.rounds = 1;
                plan.lxmf_messages = 20;
                plan.stamp_costs = vec![(4, 1)];
            }
            "--only" => {
                let list = args.next().ok_or("--only needs a list")?;
                plan.only = Some(list.split(',').map(str::to_owned).collect());
            }
            "--ours-only" => plan.ours_only = true,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(plan)
}

fn run(plan: &Plan) -> Result<Vec<Row>, String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let mut rows = Vec::new();

    if plan.wants("announces") {
        eprintln!("announces: signing {} ...", plan.announces);
        let bytes = announces::flood_bytes(plan.announces);
        eprintln!("announces: ours ...");
        let ours = announces::ours(&rt, &bytes, plan.announces)?;
        eprintln!("announces: reference ...");
        let reference = if plan.ours_only {
            f64::NAN
        } else {
            announces::reference(&bytes, plan.announces)?
        };
        rows.push(Row {
            what: format!("announces ingested+validated ({})", plan.announces),
            ours,
            reference,
            unit: "/s",
            higher_is_better: true,
        });
    }

    if plan.wants("links") || plan.wants("resources") {
        let sizes: &[usize] = if plan.wants("resources") {
            &plan.sizes
        } else {
            &[]
        };
        eprintln!("links/resources: ours ...");
        let mut ours = links::ours(&rt, plan.links, sizes, plan.rounds)?;
        eprintln!("links/resources: reference ...");
        let mut reference = if plan.ours_only {
            links::LinkResults {
                link_ms: Vec::new(),
                resource_s: sizes.iter().map(|s| (*s, Vec::new())).collect(),
            }
        } else {
            links::reference(plan.links, sizes, plan.rounds)?
        };
        if plan.wants("links") {
            rows.push(Row {
                what: format!("link establishment p50 ({} links)", plan.links),
                ours: median(&mut ours.link_ms),
                reference: median(&mut reference.link_ms),
                unit: "ms",
                higher_is_better: false,
            });
        }
        for ((size, ours_s), (_, ref_s)) in ours
            .resource_s
            .iter_mut()
            .zip(reference.resource_s.iter_mut())
        {
            let size = *size;
            let mb = size as f64 / 1e6;
            rows.push(Row {
                what: format!("resource {} KiB, median of {}", size / 1024, ours_s.len()),
                ours: mb / median(ours_s),
                reference: mb / median(ref_s),
                unit: "MB/s",
                higher_is_better: true,
            });
        }
    }

    if plan.wants("lxmf") {
        for (method, name) in [
            (lxmf::Method::Direct, "direct"),
            (lxmf::Method::Opportunistic, "opportunistic"),
        ] {
            eprintln!("lxmf {name}: ours ...");
            let mut ours = lxmf_bench::ours(&rt, plan.lxmf_messages, method)?;
            let mut reference = if plan.ours_only {
                lxmf_bench::LxmfResults {
                    unloaded_ms: Vec::new(),
                    unloaded_arrival_ms: Vec::new(),
                    burst_ms: Vec::new(),
                    burst_s: f64::NAN,
                }
            } else {
                eprintln!("lxmf {name}: reference ...");
                lxmf_bench::reference(plan.lxmf_messages, name)?
            };
            let n = plan.lxmf_messages;
            rows.push(Row {
                what: format!("LXMF {name}: messages/s, {n} at once"),
                ours: n as f64 / ours.burst_s,
                reference: n as f64 / reference.burst_s,
                unit: "/s",
                higher_is_better: true,
            });
            rows.push(Row {
                what: format!("LXMF {name}: p50 latency, {n} at once"),
                ours: percentile(&mut ours.burst_ms, 0.5),
                reference: percentile(&mut reference.burst_ms, 0.5),
                unit: "ms",
                higher_is_better: false,
            });
            rows.push(Row {
                what: format!("LXMF {name}: p99 latency, {n} at once"),
                ours: percentile(&mut ours.burst_ms, 0.99),
                reference: percentile(&mut reference.burst_ms, 0.99),
                unit: "ms",
                higher_is_better: false,
            });
            rows.push(Row {
                what: format!("LXMF {name}: unloaded p50 (20 one by one)"),
                ours: median(&mut ours.unloaded_ms),
                reference: median(&mut reference.unloaded_ms),
                unit: "ms",
                higher_is_better: false,
            });
            rows.push(Row {
                what: format!("LXMF {name}: unloaded p50 until the recipient has it"),
                ours: median(&mut ours.unloaded_arrival_ms),
                reference: median(&mut reference.unloaded_arrival_ms),
                unit: "ms",
                higher_is_better: false,
            });
        }
    }

    if plan.wants("stamps") {
        for &(cost, rounds) in &plan.stamp_costs {
            eprintln!("stamps at cost {cost} ...");
            let mut ours = lxmf_bench::ours_stamp(cost, rounds);
            let mut reference = if plan.ours_only {
                Vec::new()
            } else {
                lxmf_bench::reference_stamp(cost, rounds)?
            };
            rows.push(Row {
                what: format!("stamp at cost {cost}, median of {rounds}"),
                ours: median(&mut ours),
                reference: median(&mut reference),
                unit: "s",
                higher_is_better: false,
            });
        }
    }

    if plan.wants("idle") {
        eprintln!("idle: ours ...");
        let ours = idle::ours()?;
        eprintln!("idle: reference ...");
        let reference = if plan.ours_only {
            f64::NAN
        } else {
            idle::reference()?
        };
        rows.push(Row {
            what: "idle node RSS (RNS + LXMF router)".into(),
            ours,
            reference,
            unit: "MiB",
            higher_is_better: false,
        });
    }
    Ok(rows)
}

fn main() -> std::process::ExitCode {
    if std::env::args().nth(1).as_deref() == Some("idle-node") {
        return match idle::run_idle_node() {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("idle-node: {e}");
                std::process::ExitCode::FAILURE
            }
        };
    }
    let result = parse_args().and_then(|plan| run(&plan));
    match result {
        Ok(rows) => {
            report::print(&rows);
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("netbench: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
