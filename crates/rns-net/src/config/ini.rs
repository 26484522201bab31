//! The raw document layer of the config file: a ConfigObj-style INI with nested
//! `[section]`, `[[subsection]]`, ... headers and `key = value` lines.
//!
//! Everything stays a string here; typing happens in the parent module. Order is
//! kept (interfaces are brought up in file order), and a document can be written
//! back out, which the config editor of the layers above relies on.

use super::ConfigError;

/// Deeper nesting than this is refused: the reference's files use two levels and
/// a hostile file must not make the parser recurse or allocate without bound.
const MAX_DEPTH: usize = 8;

/// One `[name]` block: its own keys in file order and its subsections.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Section {
    pub name: String,
    /// `(key, value, line)` in file order; keys are unique within a section.
    pub entries: Vec<(String, String, usize)>,
    pub sections: Vec<Section>,
    /// The line of the header, 0 for the root.
    pub line: usize,
}

impl Section {
    /// The raw value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(k, _, _)| k == key)
            .map(|(_, v, _)| v.as_str())
    }

    /// The line `key` was given on, for error messages.
    pub fn line_of(&self, key: &str) -> usize {
        self.entries
            .iter()
            .find(|(k, _, _)| k == key)
            .map_or(self.line, |(_, _, l)| *l)
    }

    /// The direct subsection called `name`.
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// Writes the section back as config text, indented by depth.
    fn write_into(&self, depth: usize, out: &mut String) {
        if depth > 0 {
            let indent = "  ".repeat(depth - 1);
            let open = "[".repeat(depth);
            let close = "]".repeat(depth);
            out.push_str(&format!("{indent}{open}{}{close}\n", self.name));
        }
        let indent = "  ".repeat(depth);
        for (k, v, _) in &self.entries {
            out.push_str(&format!("{indent}{k} = {}\n", quote_if_needed(v)));
        }
        for s in &self.sections {
            s.write_into(depth + 1, out);
        }
    }
}

/// A whole parsed file; the root holds any keys before the first header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Document {
    pub root: Section,
}

impl Document {
    /// Parses config text. Errors carry the 1-based line number.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let mut root = Section::default();
        // The path of section indices from the root to the section being filled.
        let mut path: Vec<usize> = Vec::new();
        // Editors on some systems start UTF-8 files with a byte-order mark.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        for (idx, raw_line) in text.lines().enumerate() {
            let line_no = idx + 1;
            let line = raw_line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if line.starts_with('[') {
                let (depth, name) = parse_header(line, line_no)?;
                if depth > path.len() + 1 {
                    return Err(ConfigError::syntax(
                        line_no,
                        format!("section [{name}] is nested deeper than its parent"),
                    ));
                }
                path.truncate(depth - 1);
                let parent = section_at(&mut root, &path);
                if parent.sections.iter().any(|s| s.name == name) {
                    return Err(ConfigError::syntax(
                        line_no,
                        format!("duplicate section [{name}]"),
                    ));
                }
                parent.sections.push(Section {
                    name,
                    line: line_no,
                    ..Section::default()
                });
                path.push(parent.sections.len() - 1);
                continue;
            }
            let (key, value) = parse_entry(line, line_no)?;
            let section = section_at(&mut root, &path);
            if section.entries.iter().any(|(k, _, _)| *k == key) {
                return Err(ConfigError::syntax(
                    line_no,
                    format!("duplicate key \"{key}\""),
                ));
            }
            section.entries.push((key, value, line_no));
        }
        Ok(Document { root })
    }

    /// The top-level section called `name`.
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.root.section(name)
    }

    /// The document as config text (comments are not kept).
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        self.root.write_into(0, &mut out);
        out
    }
}

fn section_at<'a>(root: &'a mut Section, path: &[usize]) -> &'a mut Section {
    let mut s = root;
    for &i in path {
        // Indices in `path` were pushed right after the push they point at, and
        // sections are never removed, so they are always in range; fall back to
        // the current section rather than panic if that ever changed.
        if i >= s.sections.len() {
            break;
        }
        s = &mut s.sections[i];
    }
    s
}

/// `[name]` → (1, name), `[[name]]` → (2, name), ... with matching brackets.
fn parse_header(line: &str, line_no: usize) -> Result<(usize, String), ConfigError> {
    let line = strip_comment(line).trim();
    let depth = line.chars().take_while(|&c| c == '[').count();
    let closing = line.chars().rev().take_while(|&c| c == ']').count();
    if depth != closing || depth == 0 || line.len() < depth * 2 {
        return Err(ConfigError::syntax(line_no, "unbalanced section brackets"));
    }
    if depth > MAX_DEPTH {
        return Err(ConfigError::syntax(line_no, "sections nested too deeply"));
    }
    let name = line[depth..line.len() - depth].trim();
    if name.is_empty() || name.contains(['[', ']']) {
        return Err(ConfigError::syntax(line_no, "bad section name"));
    }
    Ok((depth, unquote(name).to_string()))
}

/// `key = value` with an optional inline `# comment` outside quotes.
fn parse_entry(line: &str, line_no: usize) -> Result<(String, String), ConfigError> {
    let Some((key, value)) = line.split_once('=') else {
        return Err(ConfigError::syntax(line_no, "expected `key = value`"));
    };
    let key = key.trim();
    if key.is_empty() {
        return Err(ConfigError::syntax(line_no, "empty key"));
    }
    let value = strip_comment(value).trim();
    let value = if is_quoted(value) {
        &value[1..value.len() - 1]
    } else if value.starts_with(['"', '\'']) {
        return Err(ConfigError::syntax(line_no, "unterminated quote"));
    } else {
        value
    };
    Ok((key.to_string(), value.to_string()))
}

fn is_quoted(v: &str) -> bool {
    v.len() >= 2
        && ((v.starts_with('"') && v.ends_with('"')) || (v.starts_with('\'') && v.ends_with('\'')))
}

fn unquote(v: &str) -> &str {
    if is_quoted(v) { &v[1..v.len() - 1] } else { v }
}

/// Cuts a `#` comment that is not inside quotes.
fn strip_comment(s: &str) -> &str {
    let mut quote: Option<char> = None;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '#') => return &s[..i],
            _ => {}
        }
    }
    s
}

/// Values with a `#`, leading/trailing blanks or a leading quote are quoted so
/// they read back unchanged.
fn quote_if_needed(v: &str) -> String {
    let needs = v.contains('#') || v.trim() != v || v.starts_with(['"', '\'']);
    if !needs {
        v.to_string()
    } else if v.contains('"') {
        format!("'{v}'")
    } else {
        format!("\"{v}\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_sections_and_comments() {
        let doc = Document::parse(
            "# top\n[a]\n  x = 1 # note\n[b]\n  [[c d]]\n    y = \"q # not a comment\"\n  [[e]]\n[f]\n",
        )
        .unwrap();
        assert_eq!(doc.section("a").unwrap().get("x"), Some("1"));
        let b = doc.section("b").unwrap();
        assert_eq!(b.sections.len(), 2);
        assert_eq!(
            b.section("c d").unwrap().get("y"),
            Some("q # not a comment")
        );
        assert!(doc.section("f").is_some());
    }

    #[test]
    fn errors_carry_line_numbers() {
        let e = Document::parse("[a]\nx = 1\nnonsense\n").unwrap_err();
        assert_eq!(e.line(), Some(3));
        assert_eq!(Document::parse("[a\n").unwrap_err().line(), Some(1));
        assert_eq!(Document::parse("[[a]]\n").unwrap_err().line(), Some(1));
        assert_eq!(
            Document::parse("[a]\nk=1\nk=2\n").unwrap_err().line(),
            Some(3)
        );
        assert_eq!(Document::parse("[a]\n[a]\n").unwrap_err().line(), Some(2));
        assert_eq!(Document::parse("[a]\n = 3\n").unwrap_err().line(), Some(2));
        assert_eq!(
            Document::parse("[a]\nk = \"open\n").unwrap_err().line(),
            Some(2)
        );
        assert_eq!(Document::parse("[]\n").unwrap_err().line(), Some(1));
        let deep = format!("{}x{}\n", "[".repeat(20), "]".repeat(20));
        assert!(Document::parse(&deep).is_err());
    }

    #[test]
    fn round_trips_through_text() {
        let doc = Document::parse("[r]\nk = a#b\n[i]\n[[n]]\nz =  spaced \n").unwrap();
        let again = Document::parse(&doc.to_text()).unwrap();
        assert_eq!(again.section("r").unwrap().get("k"), Some("a"));
        assert_eq!(
            again.section("i").unwrap().section("n").unwrap().get("z"),
            Some("spaced")
        );
        let mut d2 = Document::default();
        d2.root.sections.push(Section {
            name: "s".into(),
            entries: vec![("p".into(), "x # y".into(), 0)],
            ..Section::default()
        });
        let back = Document::parse(&d2.to_text()).unwrap();
        assert_eq!(back.section("s").unwrap().get("p"), Some("x # y"));
    }

    #[test]
    fn hostile_input_does_not_panic() {
        for text in [
            "\u{0}\u{1}[[[",
            "]]]]",
            "[a]\n=",
            "[ä]\nü = ö\n",
            "[a]\n[[b]]\n[[[c]]]\n[[[[d]]]]\n",
            "[a]\nk = '\n",
            "[a]\nk = \"\"\n",
            "\r\n\r\n[x]\r\nk = v\r\n",
        ] {
            let _ = Document::parse(text);
        }
        let big = "[s]\n".to_string() + &"k".repeat(100_000) + " = v\n";
        assert!(Document::parse(&big).is_ok());
    }
}
