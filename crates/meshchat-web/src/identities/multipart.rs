//! Just enough `multipart/form-data` to take one uploaded file out of a
//! form (the restore page sends the key file that way). The body is already
//! capped by the router, so this only slices it; nothing is copied or
//! allocated per part.

/// The bytes of the form field `name` in `body`, whose content type (with
/// its `boundary=` parameter) is `content_type`.
pub(crate) fn file_field<'a>(content_type: &str, body: &'a [u8], name: &str) -> Option<&'a [u8]> {
    let boundary = boundary(content_type)?;
    let delimiter = format!("--{boundary}");
    let wanted = format!("name=\"{name}\"");
    let mut rest = body;
    // Skip the preamble up to the first delimiter.
    rest = &rest[find(rest, delimiter.as_bytes())? + delimiter.len()..];
    loop {
        if rest.starts_with(b"--") {
            return None; // the closing delimiter
        }
        let head_end = find(rest, b"\r\n\r\n")?;
        let head = std::str::from_utf8(&rest[..head_end]).ok()?;
        let content = &rest[head_end + 4..];
        let next = find(content, format!("\r\n{delimiter}").as_bytes())?;
        if head.lines().any(|l| {
            l.to_ascii_lowercase().starts_with("content-disposition") && l.contains(&wanted)
        }) {
            return Some(&content[..next]);
        }
        rest = &content[next + 2 + delimiter.len()..];
    }
}

fn boundary(content_type: &str) -> Option<&str> {
    let at = content_type.find("boundary=")? + "boundary=".len();
    let b = content_type[at..]
        .split(';')
        .next()?
        .trim()
        .trim_matches('"');
    (!b.is_empty() && b.len() <= 200).then_some(b)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CT: &str = "multipart/form-data; boundary=XyZ";

    #[test]
    fn the_named_file_is_found_among_other_fields() {
        let body =
            b"preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"identity\"\r\n\
Content-Type: application/octet-stream\r\n\r\n\x01\x02\r\n\x03\r\n--XyZ--\r\n";
        assert_eq!(file_field(CT, body, "file"), Some(&b"\x01\x02\r\n\x03"[..]));
        assert_eq!(file_field(CT, body, "note"), Some(&b"hi"[..]));
        assert_eq!(file_field(CT, body, "other"), None);
    }

    #[test]
    fn malformed_forms_find_nothing_and_never_panic() {
        for body in [
            &b""[..],
            b"--XyZ",
            b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nno end",
            b"--XyZ--\r\n",
            b"\r\n\r\n--",
        ] {
            assert_eq!(file_field(CT, body, "file"), None);
        }
        assert_eq!(file_field("multipart/form-data", b"--x", "file"), None);
    }
}
