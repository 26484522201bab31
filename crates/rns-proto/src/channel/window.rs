//! The channel's send window: how many messages may await their proofs at
//! once, grown by deliveries and shrunk by timeouts, with its bounds raised as
//! the link proves fast (§13).

/// The window a link starts with.
const WINDOW_INITIAL: u16 = 2;
/// The start on a very slow link (rtt above [`RTT_VERY_SLOW`]).
const WINDOW_INITIAL_VERY_SLOW: u16 = 1;
/// Above this rtt a link starts with a window of one.
const RTT_VERY_SLOW: f64 = 1.45;

const WINDOW_MIN: u16 = 2;
const WINDOW_MAX_SLOW: u16 = 5;
const WINDOW_MAX_MEDIUM: u16 = 12;
/// The largest window there is; also how far ahead a receiver buffers.
pub const WINDOW_MAX: u16 = 48;
const WINDOW_MIN_MEDIUM: u16 = 5;
const WINDOW_MIN_FAST: u16 = 16;

/// Below this rtt a delivery counts as a fast round.
pub const RTT_FAST: f64 = 0.18;
/// Below this rtt a delivery counts as a medium round.
pub const RTT_MEDIUM: f64 = 0.75;
/// Consecutive rounds at a speed before the bounds are raised to it.
pub const ROUNDS_TO_UPGRADE: u32 = 10;

/// A snapshot of the window, for status displays and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowState {
    /// Messages that may be outstanding now.
    pub window: u16,
    pub min: u16,
    pub max: u16,
}

#[derive(Debug, Clone)]
pub(crate) struct Window {
    current: u16,
    min: u16,
    max: u16,
    fast_rounds: u32,
    medium_rounds: u32,
}

impl Window {
    /// The window for a link whose handshake measured `rtt`. A very slow link
    /// starts at one, below the minimum: the minimum only stops timeouts from
    /// shrinking the window further, and deliveries grow it as usual.
    pub(crate) fn new(rtt: f64) -> Window {
        let current = if rtt > RTT_VERY_SLOW {
            WINDOW_INITIAL_VERY_SLOW
        } else {
            WINDOW_INITIAL
        };
        Window {
            current,
            min: WINDOW_MIN,
            max: WINDOW_MAX_SLOW,
            fast_rounds: 0,
            medium_rounds: 0,
        }
    }

    pub(crate) fn state(&self) -> WindowState {
        WindowState {
            window: self.current,
            min: self.min,
            max: self.max,
        }
    }

    /// A message was proved `rtt` seconds after the transmission the proof
    /// names. One delivery is one round, and its speed is that measured round
    /// trip: queueing on a congested path shows up in it, so a link earns the
    /// larger bounds only while it actually delivers fast. A round slower than
    /// a tier breaks that tier's streak.
    pub(crate) fn on_delivered(&mut self, rtt: f64) {
        if self.current < self.max {
            self.current += 1;
        }
        if rtt < RTT_FAST {
            self.fast_rounds = self.fast_rounds.saturating_add(1);
        } else {
            self.fast_rounds = 0;
        }
        if rtt < RTT_MEDIUM {
            self.medium_rounds = self.medium_rounds.saturating_add(1);
        } else {
            self.medium_rounds = 0;
        }
        if self.fast_rounds >= ROUNDS_TO_UPGRADE {
            self.raise(WINDOW_MIN_FAST, WINDOW_MAX);
        } else if self.medium_rounds >= ROUNDS_TO_UPGRADE {
            self.raise(WINDOW_MIN_MEDIUM, WINDOW_MAX_MEDIUM);
        }
    }

    /// Bounds only ever go up; the window is lifted to the new minimum at once,
    /// since a link that earned the tier should not wait rounds to use it.
    fn raise(&mut self, min: u16, max: u16) {
        self.min = self.min.max(min);
        self.max = self.max.max(max);
        self.current = self.current.max(self.min);
    }

    /// A message timed out: send less at once, but never below the minimum.
    pub(crate) fn on_timeout(&mut self) {
        if self.current > self.min {
            self.current -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_small_and_grows_to_the_slow_maximum() {
        let mut w = Window::new(1.0);
        assert_eq!(w.state().window, 2);
        for _ in 0..20 {
            w.on_delivered(1.0);
        }
        assert_eq!(
            w.state(),
            WindowState {
                window: 5,
                min: 2,
                max: 5
            }
        );
        for _ in 0..10 {
            w.on_timeout();
        }
        assert_eq!(w.state().window, 2);
    }

    #[test]
    fn very_slow_links_start_at_one() {
        let mut w = Window::new(1.5);
        assert_eq!(w.state().window, 1);
        w.on_timeout();
        assert_eq!(w.state().window, 1);
        w.on_delivered(1.5);
        assert_eq!(w.state().window, 2);
    }

    #[test]
    fn ten_medium_rounds_raise_the_bounds() {
        let mut w = Window::new(0.5);
        for _ in 0..9 {
            w.on_delivered(0.5);
        }
        assert_eq!(
            w.state(),
            WindowState {
                window: 5,
                min: 2,
                max: 5
            }
        );
        w.on_delivered(0.5);
        assert_eq!(
            w.state(),
            WindowState {
                window: 5,
                min: 5,
                max: 12
            }
        );
        for _ in 0..20 {
            w.on_delivered(0.5);
        }
        assert_eq!(w.state().window, 12);
    }

    #[test]
    fn ten_fast_rounds_reach_the_fast_tier() {
        let mut w = Window::new(0.01);
        for _ in 0..10 {
            w.on_delivered(0.01);
        }
        assert_eq!(
            w.state(),
            WindowState {
                window: 16,
                min: 16,
                max: 48
            }
        );
        for _ in 0..100 {
            w.on_delivered(0.01);
        }
        assert_eq!(w.state().window, 48);
        w.on_timeout();
        assert_eq!(w.state().window, 47);
    }

    #[test]
    fn a_slow_round_breaks_the_streak() {
        let mut w = Window::new(0.1);
        for _ in 0..9 {
            w.on_delivered(0.1);
        }
        w.on_delivered(1.0);
        for _ in 0..9 {
            w.on_delivered(0.1);
        }
        assert_eq!(w.state().max, 5);
        w.on_delivered(0.1);
        assert_eq!(w.state().max, 48);
    }
}
