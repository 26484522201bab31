//! The binary's log: start-up progress and the network stack's state on
//! stderr, filtered by `--rns-log-level` on the reference's 0-7 scale.

use anyhow::bail;

/// The reference's level names, in order: 0 critical ..= 7 extreme.
const NAMES: [&str; 8] = [
    "critical", "error", "warning", "notice", "info", "verbose", "debug", "extreme",
];

pub const ERROR: u8 = 1;
pub const WARNING: u8 = 2;
pub const NOTICE: u8 = 3;

/// Which messages are shown: those at or below `max` (`None`: none).
#[derive(Debug, Clone, Copy)]
pub struct Log {
    max: Option<u8>,
}

impl Log {
    /// Parses a level name or number; `None` is the default, info (4).
    pub fn parse(level: Option<&str>) -> anyhow::Result<Log> {
        let Some(level) = level.map(|l| l.trim().to_ascii_lowercase()) else {
            return Ok(Log { max: Some(4) });
        };
        if level == "none" {
            return Ok(Log { max: None });
        }
        if let Some(i) = NAMES.iter().position(|n| *n == level) {
            return Ok(Log {
                max: u8::try_from(i).ok(),
            });
        }
        match level.parse::<u8>() {
            Ok(n) if n <= 7 => Ok(Log { max: Some(n) }),
            _ => bail!("unknown log level {level:?} (none, critical ... extreme, or 0-7)"),
        }
    }

    pub fn log(&self, level: u8, msg: impl std::fmt::Display) {
        if self.max.is_some_and(|max| level <= max) {
            let name = NAMES.get(usize::from(level)).copied().unwrap_or("info");
            eprintln!("[{name}] {msg}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_parse_by_name_and_number() {
        assert_eq!(Log::parse(None).unwrap().max, Some(4));
        assert_eq!(Log::parse(Some("none")).unwrap().max, None);
        assert_eq!(Log::parse(Some("Debug")).unwrap().max, Some(6));
        assert_eq!(Log::parse(Some("2")).unwrap().max, Some(2));
        assert!(Log::parse(Some("8")).is_err());
        assert!(Log::parse(Some("loud")).is_err());
    }
}
