//! Attachments over HTTP: the `fields` of a send request read into the
//! core's [`Attachments`], the bytes left out of the message JSON the API
//! serves (the reference answers `file_bytes: null` with a `file_size`; the
//! bytes come from the attachment route), and the headers of a download.

use data_encoding::BASE64;
use meshchat_core::attachments::{self, Attachments, FileAttachment, Image};
use serde_json::{Map, Value};

use crate::error::{ApiError, ErrorKind};

fn bad(why: &str) -> ApiError {
    ApiError::new(
        ErrorKind::BadRequest,
        format!("Invalid lxmf_message.fields: {why}"),
    )
}

fn too_large() -> ApiError {
    ApiError::new(
        ErrorKind::PayloadTooLarge,
        format!(
            "Attachments are larger than {} bytes",
            attachments::MAX_ATTACHMENT_BYTES
        ),
    )
}

/// `lxmf_message.fields` of a send request. Absent or `null` is none; keys
/// we do not know are ignored (as the reference does); a known key of the
/// wrong shape, bad base64, an image that is not one, too many files is
/// 400, too many bytes 413.
pub(crate) fn parse_fields(fields: Option<&Value>) -> Result<Attachments, ApiError> {
    let fields = match fields {
        None | Some(Value::Null) => return Ok(Attachments::default()),
        Some(Value::Object(o)) => o,
        Some(_) => return Err(bad("must be an object")),
    };
    let mut total = 0usize;
    let mut decode = |v: Option<&Value>, what: &str| -> Result<Vec<u8>, ApiError> {
        let text = v
            .and_then(Value::as_str)
            .ok_or_else(|| bad(&format!("{what} must be a base64 string")))?;
        if text.len() / 4 * 3 > attachments::MAX_ATTACHMENT_BYTES + 3 {
            return Err(too_large());
        }
        let data = BASE64
            .decode(text.as_bytes())
            .map_err(|_| bad(&format!("{what} is not valid base64")))?;
        total = total.saturating_add(data.len());
        if total > attachments::MAX_ATTACHMENT_BYTES {
            return Err(too_large());
        }
        Ok(data)
    };
    let mut out = Attachments::default();
    match fields.get("file_attachments") {
        None | Some(Value::Null) => {}
        Some(Value::Array(list)) => {
            if list.len() > attachments::MAX_FILES {
                return Err(bad(&format!(
                    "at most {} files per message",
                    attachments::MAX_FILES
                )));
            }
            for f in list {
                let f = f
                    .as_object()
                    .ok_or_else(|| bad("a file attachment must be an object"))?;
                let name = match f.get("file_name") {
                    Some(Value::String(n)) if !n.is_empty() => n.clone(),
                    _ => return Err(bad("file_name must be a non-empty string")),
                };
                let data = decode(f.get("file_bytes"), "file_bytes")?;
                out.files.push(FileAttachment { name, data });
            }
        }
        Some(_) => return Err(bad("file_attachments must be a list")),
    }
    match fields.get("image") {
        None | Some(Value::Null) => {}
        Some(Value::Object(i)) => {
            let data = decode(i.get("image_bytes"), "image_bytes")?;
            // Named by its bytes, whatever `image_type` says (as the reference).
            let kind = attachments::image_type(&data)
                .ok_or_else(|| bad("the image is not PNG, JPEG, WebP, GIF or BMP"))?;
            out.image = Some(Image {
                kind: kind.into(),
                data,
            });
        }
        Some(_) => return Err(bad("image must be an object")),
    }
    Ok(out)
}

/// Decoded length of base64 text (without decoding it).
fn decoded_len(text: &str) -> usize {
    let pad = text.bytes().rev().take_while(|&b| b == b'=').count();
    (text.len() / 4 * 3).saturating_sub(pad)
}

/// The stored fields as the API serves them: each `*_bytes` replaced by
/// `null` and its size given as `*_size`.
pub(crate) fn for_api(mut fields: Value) -> Value {
    fn strip(obj: &mut Map<String, Value>, prefix: &str) {
        let bytes = format!("{prefix}_bytes");
        let size = obj.get(&bytes).and_then(Value::as_str).map(decoded_len);
        if let Some(size) = size {
            obj.insert(format!("{prefix}_size"), Value::from(size));
            obj.insert(bytes, Value::Null);
        }
    }
    if let Some(files) = fields
        .get_mut("file_attachments")
        .and_then(Value::as_array_mut)
    {
        for f in files.iter_mut().filter_map(Value::as_object_mut) {
            strip(f, "file");
        }
    }
    for (key, prefix) in [("image", "image"), ("audio", "audio")] {
        if let Some(obj) = fields.get_mut(key).and_then(Value::as_object_mut) {
            strip(obj, prefix);
        }
    }
    fields
}

/// `Content-Type` of an image download: `image/<type>` for the raster
/// types browsers show, anything else (an SVG, a made-up type from a peer)
/// as plain bytes.
pub(crate) fn image_content_type(kind: &str) -> String {
    match kind.to_ascii_lowercase().as_str() {
        "png" => "image/png",
        "jpeg" | "jpg" => "image/jpeg",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "bmp" => "image/bmp",
        "avif" => "image/avif",
        _ => "application/octet-stream",
    }
    .into()
}

/// `Content-Disposition` for a file a peer named: `attachment;
/// filename="a.txt"` as the reference writes it. The name loses any path,
/// control characters (no header injection), quotes and backslashes; a
/// name with non-ASCII letters gets an ASCII `filename` and the UTF-8 one
/// in `filename*` (RFC 6266).
pub(crate) fn content_disposition(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = base
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| if c == '"' { '_' } else { c })
        .collect();
    let clean = clean.trim();
    let clean = if clean.is_empty() || clean == "." || clean == ".." {
        "attachment"
    } else {
        clean
    };
    let ascii: String = clean
        .chars()
        .map(|c| if c.is_ascii() { c } else { '_' })
        .collect();
    if ascii == clean {
        return format!("attachment; filename=\"{ascii}\"");
    }
    let mut encoded = String::new();
    for b in clean.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn file_names_cannot_inject_headers() {
        assert_eq!(
            content_disposition("a.txt"),
            "attachment; filename=\"a.txt\""
        );
        let evil = content_disposition("evil\"\r\nX-Bad: 1 name.txt");
        assert_eq!(evil, "attachment; filename=\"evil_X-Bad: 1 name.txt\"");
        assert!(axum::http::HeaderValue::from_str(&evil).is_ok());
        assert_eq!(
            content_disposition("../../etc/passwd"),
            "attachment; filename=\"passwd\""
        );
        assert_eq!(
            content_disposition(".."),
            "attachment; filename=\"attachment\""
        );
        assert_eq!(
            content_disposition("Grüße.txt"),
            "attachment; filename=\"Gr__e.txt\"; filename*=UTF-8''Gr%C3%BC%C3%9Fe.txt"
        );
        assert_eq!(image_content_type("svg+xml"), "application/octet-stream");
        assert_eq!(image_content_type("webp"), "image/webp");
    }

    #[test]
    fn fields_are_checked_and_bytes_left_out_of_the_json() {
        let png = BASE64.encode(b"\x89PNG\r\n\x1a\nrest");
        let ok = parse_fields(Some(&json!({
            "file_attachments": [{"file_name": "a", "file_bytes": "AAH/"}],
            "image": {"image_type": "webp", "image_bytes": png},
            "unknown": 1
        })))
        .unwrap();
        assert_eq!(ok.files[0].data, vec![0, 1, 255]);
        assert_eq!(ok.image.unwrap().kind, "png");
        for bad in [
            json!(5),
            json!({"file_attachments": "x"}),
            json!({"file_attachments": [{"file_name": "a", "file_bytes": "!!"}]}),
            json!({"file_attachments": [{"file_bytes": "AAAA"}]}),
            json!({"file_attachments": [{"file_name": 5, "file_bytes": "AAAA"}]}),
            json!({"image": {"image_bytes": "AAAA"}}),
            json!({"image": 5}),
        ] {
            let e = parse_fields(Some(&bad)).unwrap_err();
            assert_eq!(e.kind, ErrorKind::BadRequest, "{bad}");
        }
        let stored = json!({"file_attachments": [{"file_name": "a", "file_bytes": "AAH/"}],
                            "image": {"image_type": "png", "image_bytes": "aW1n"}});
        let api = for_api(stored);
        assert_eq!(api["file_attachments"][0]["file_size"], 3);
        assert_eq!(api["file_attachments"][0]["file_bytes"], Value::Null);
        assert_eq!(api["image"]["image_size"], 3);
        assert_eq!(decoded_len("AA=="), 1);
    }
}
