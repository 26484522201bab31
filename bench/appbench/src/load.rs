//! Throughput of one route: `connections` keep-alive connections on their
//! own threads, each sending the next GET as soon as the last answer is in,
//! for a fixed time (like `wrk -c8`). Only 200s count.

use std::time::{Duration, Instant};

use crate::http::Conn;

pub struct Load {
    pub per_second: f64,
    /// Answers that were not 200, or connections that failed.
    pub errors: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

pub fn run(port: u16, path: &str, connections: usize, duration: Duration) -> Result<Load, String> {
    let start = Instant::now();
    let end = start + duration;
    let workers: Vec<_> = (0..connections)
        .map(|_| {
            let path = path.to_string();
            std::thread::spawn(move || -> (u64, u64, Vec<f64>) {
                let (mut ok, mut errors, mut latencies) = (0, 0, Vec::new());
                let mut conn = Conn::open(port).ok();
                while Instant::now() < end {
                    let Some(c) = conn.as_mut() else {
                        errors += 1;
                        conn = Conn::open(port).ok();
                        continue;
                    };
                    let t = Instant::now();
                    match c.get(&path) {
                        Ok((200, _)) => {
                            ok += 1;
                            latencies.push(t.elapsed().as_secs_f64() * 1000.0);
                        }
                        Ok(_) => errors += 1,
                        Err(_) => {
                            errors += 1;
                            conn = Conn::open(port).ok();
                        }
                    }
                }
                (ok, errors, latencies)
            })
        })
        .collect();
    let (mut ok, mut errors, mut latencies) = (0, 0, Vec::new());
    for w in workers {
        let (o, e, l) = w.join().map_err(|_| "a load thread panicked")?;
        ok += o;
        errors += e;
        latencies.extend(l);
    }
    let elapsed = start.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    Ok(Load {
        per_second: ok as f64 / elapsed,
        errors,
        p50_ms: percentile(&latencies, 0.5),
        p99_ms: percentile(&latencies, 0.99),
    })
}

/// `q` quantile of sorted values (NaN when empty).
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}
