//! The receiver's request window: how many parts it asks for per round, grown
//! after every complete round and shrunk after every timeout, with a ceiling
//! that follows the measured transfer rate (§12).
//!
//! The window starts at 4 between a floor of 2 and a ceiling of 10. Four
//! rounds faster than 6250 B/s lift the ceiling to 75; two rounds slower than
//! 250 B/s drop it to 4. The floor trails the window by at most the
//! flexibility (4), so a window that has grown does not collapse at once.
//! A link hands the window of its last incoming resource to the next one.

use rns_wire::resource::{
    WINDOW, WINDOW_MAX_FAST, WINDOW_MAX_SLOW, WINDOW_MAX_VERY_SLOW, WINDOW_MIN,
};

/// How far the floor may trail the window.
const WINDOW_FLEXIBILITY: usize = 4;
/// Bytes per second above which a round counts as fast (50 kbit/s).
const RATE_FAST: f64 = 50_000.0 / 8.0;
/// Bytes per second below which a round counts as very slow (2 kbit/s).
const RATE_VERY_SLOW: f64 = 2_000.0 / 8.0;
/// Fast rounds needed to lift the ceiling.
const FAST_RATE_THRESHOLD: u32 = 4;
/// Very slow rounds needed to drop it.
const VERY_SLOW_RATE_THRESHOLD: u32 = 2;

/// One receiver's window state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    size: usize,
    min: usize,
    max: usize,
    fast_rounds: u32,
    very_slow_rounds: u32,
}

impl Default for Window {
    fn default() -> Self {
        Window {
            size: WINDOW,
            min: WINDOW_MIN,
            max: WINDOW_MAX_SLOW,
            fast_rounds: 0,
            very_slow_rounds: 0,
        }
    }
}

impl Window {
    /// Parts to request in the next round.
    pub fn size(&self) -> usize {
        self.size
    }

    /// The current ceiling.
    pub fn max(&self) -> usize {
        self.max
    }

    /// The current floor.
    pub fn min(&self) -> usize {
        self.min
    }

    /// Every part requested in a round arrived; `rate` is the round's bytes per
    /// second, when it could be measured.
    pub fn round_complete(&mut self, rate: Option<f64>) {
        if self.size < self.max {
            self.size += 1;
            if self.size - self.min > WINDOW_FLEXIBILITY - 1 {
                self.min += 1;
            }
        }
        let Some(rate) = rate else { return };
        if rate > RATE_FAST && self.fast_rounds < FAST_RATE_THRESHOLD {
            self.fast_rounds += 1;
            if self.fast_rounds == FAST_RATE_THRESHOLD {
                self.max = WINDOW_MAX_FAST;
            }
        }
        if rate < RATE_VERY_SLOW && self.very_slow_rounds < VERY_SLOW_RATE_THRESHOLD {
            self.very_slow_rounds += 1;
            if self.very_slow_rounds == VERY_SLOW_RATE_THRESHOLD {
                self.max = WINDOW_MAX_VERY_SLOW;
                self.size = self.size.min(self.max);
                self.min = self.min.min(self.size);
            }
        }
    }

    /// A round timed out: ask for fewer parts, and lower the ceiling towards
    /// the window so that it is not regained at once.
    pub fn timed_out(&mut self) {
        if self.size > self.min {
            self.size -= 1;
            if self.max > self.min {
                self.max -= 1;
                if self.max - self.size > WINDOW_FLEXIBILITY - 1 {
                    self.max -= 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_to_the_slow_ceiling_then_the_fast_one() {
        let mut w = Window::default();
        for _ in 0..20 {
            w.round_complete(None);
        }
        assert_eq!((w.size(), w.max()), (WINDOW_MAX_SLOW, WINDOW_MAX_SLOW));
        assert_eq!(w.min(), WINDOW_MAX_SLOW - (WINDOW_FLEXIBILITY - 1));
        for _ in 0..3 {
            w.round_complete(Some(1e6));
        }
        assert_eq!(w.max(), WINDOW_MAX_SLOW);
        w.round_complete(Some(1e6));
        assert_eq!(w.max(), WINDOW_MAX_FAST);
        for _ in 0..100 {
            w.round_complete(Some(1e6));
        }
        assert_eq!(w.size(), WINDOW_MAX_FAST);
    }

    #[test]
    fn very_slow_rounds_cap_the_window() {
        let mut w = Window::default();
        w.round_complete(Some(100.0));
        assert_eq!(w.max(), WINDOW_MAX_SLOW);
        w.round_complete(Some(100.0));
        assert_eq!(w.max(), WINDOW_MAX_VERY_SLOW);
        assert!(w.size() <= WINDOW_MAX_VERY_SLOW);
        for _ in 0..10 {
            w.round_complete(Some(100.0));
        }
        assert_eq!(w.size(), WINDOW_MAX_VERY_SLOW);
    }

    #[test]
    fn timeouts_shrink_to_the_floor() {
        let mut w = Window::default();
        for _ in 0..50 {
            w.timed_out();
        }
        assert_eq!(w.size(), WINDOW_MIN);
        assert!(w.max() >= w.size());
        w.round_complete(None);
        assert!(w.size() <= w.max());
    }
}
