//! Typing of raw config strings: booleans, integers, ports and lists as the
//! reference's config reader accepts them.

use super::ConfigError;

/// Yes/No, True/False, On/Off and 1/0, in any case.
pub(crate) fn parse_bool(v: &str, line: usize, key: &str) -> Result<bool, ConfigError> {
    match v.trim().to_ascii_lowercase().as_str() {
        "yes" | "true" | "on" | "1" => Ok(true),
        "no" | "false" | "off" | "0" => Ok(false),
        _ => Err(ConfigError::value(line, key, "expected yes or no")),
    }
}

pub(crate) fn parse_int(v: &str, line: usize, key: &str) -> Result<i64, ConfigError> {
    v.trim()
        .parse::<i64>()
        .map_err(|_| ConfigError::value(line, key, "expected an integer"))
}

pub(crate) fn parse_u64(v: &str, line: usize, key: &str) -> Result<u64, ConfigError> {
    v.trim()
        .parse::<u64>()
        .map_err(|_| ConfigError::value(line, key, "expected a non-negative integer"))
}

pub(crate) fn parse_f64(v: &str, line: usize, key: &str) -> Result<f64, ConfigError> {
    match v.trim().parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        _ => Err(ConfigError::value(line, key, "expected a number")),
    }
}

pub(crate) fn parse_port(v: &str, line: usize, key: &str) -> Result<u16, ConfigError> {
    v.trim()
        .parse::<u16>()
        .map_err(|_| ConfigError::value(line, key, "expected a port number 0-65535"))
}

/// A comma-separated list, as ConfigObj reads an unquoted value with commas.
pub(crate) fn parse_list(v: &str) -> Vec<String> {
    v.split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_in_every_spelling() {
        for t in ["Yes", "TRUE", "on", "1", " yes "] {
            assert!(parse_bool(t, 1, "k").unwrap());
        }
        for f in ["No", "false", "OFF", "0"] {
            assert!(!parse_bool(f, 1, "k").unwrap());
        }
        assert_eq!(parse_bool("maybe", 7, "k").unwrap_err().line(), Some(7));
    }

    #[test]
    fn numbers_and_lists() {
        assert_eq!(parse_port("4242", 1, "p").unwrap(), 4242);
        assert!(parse_port("70000", 1, "p").is_err());
        assert!(parse_f64("nan", 1, "x").is_err());
        assert!(parse_u64("-1", 1, "x").is_err());
        assert_eq!(parse_list("eth0, wlan0,,"), vec!["eth0", "wlan0"]);
    }
}
