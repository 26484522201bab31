//! Printing results: one row per measurement, ours beside the reference's,
//! with the ratio oriented so that above 1 means we are better.

pub struct Row {
    pub what: String,
    pub ours: f64,
    pub reference: f64,
    pub unit: &'static str,
    /// True when a larger number is better (rates); false for times and sizes.
    pub higher_is_better: bool,
}

impl Row {
    pub fn ratio(&self) -> f64 {
        if self.higher_is_better {
            self.ours / self.reference
        } else {
            self.reference / self.ours
        }
    }
}

pub fn print(rows: &[Row]) {
    println!();
    println!(
        "{:<44} {:>12} {:>12}  {:<6} {:>8}",
        "measurement", "ours", "reference", "unit", "ratio"
    );
    for r in rows {
        println!(
            "{:<44} {:>12.2} {:>12.2}  {:<6} {:>7.2}x",
            r.what,
            r.ours,
            r.reference,
            r.unit,
            r.ratio()
        );
    }
    println!("(ratio > 1: ours is better; same machine, same run, loopback TCP)");
}

pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// The value below which `q` (0..=1) of `values` lie (nearest rank).
pub fn percentile(values: &mut [f64], q: f64) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    if values.is_empty() {
        return f64::NAN;
    }
    let rank = ((q * values.len() as f64).ceil() as usize).clamp(1, values.len());
    values[rank - 1]
}
