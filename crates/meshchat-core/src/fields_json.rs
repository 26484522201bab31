//! LXMF fields as the JSON the reference stores in `lxmf_messages.fields`
//! and serves: `{"file_attachments": [{"file_name", "file_bytes"}],
//! "image": {"image_type", "image_bytes"}, "reply_to": hex}` with bytes in
//! base64, and `"reaction": {"reaction_to": hex, "reaction_content"}`
//! (observed in a database the reference wrote, and in the rows it
//! stores for what it sends). Fields we do not know yet are left out. Also
//! the way back: the fields of a stored outbound message (to resend it) and
//! one attachment (to download it).

use data_encoding::{BASE64, HEXLOWER};
use lxmf::Fields;
use lxmf::fields::{FileAttachment, Image, id};
use serde_json::{Map, Value, json};

use crate::attachments::{AttachmentKind, Attachments, StoredAttachment};
use crate::error::CoreError;

/// The fields of a message we send, in the order we always write them
/// (files, image, reply-to): a resend rebuilds the same map, so the same
/// hash.
pub fn outbound(attachments: &Attachments, reply_to: Option<&[u8; 32]>) -> Fields {
    let mut fields = Fields::new();
    if !attachments.files.is_empty() {
        fields.set_file_attachments(&attachments.files);
    }
    if let Some(image) = &attachments.image {
        fields.set_image(image);
    }
    if let Some(hash) = reply_to {
        fields.set(id::REPLY_TO, hash.to_vec());
    }
    fields
}

/// The fields of a stored outbound message, rebuilt from its JSON as
/// [`outbound`] wrote them; `None` if the JSON is not what we write.
pub fn from_json(text: &str) -> Option<Fields> {
    let v: Value = serde_json::from_str(text).ok()?;
    let obj = v.as_object()?;
    let mut files = Vec::new();
    if let Some(list) = obj.get("file_attachments") {
        for f in list.as_array()? {
            files.push(FileAttachment {
                name: f.get("file_name")?.as_str()?.to_owned(),
                data: BASE64
                    .decode(f.get("file_bytes")?.as_str()?.as_bytes())
                    .ok()?,
            });
        }
    }
    let image = match obj.get("image") {
        Some(i) => Some(Image {
            kind: i.get("image_type")?.as_str()?.to_owned(),
            data: BASE64
                .decode(i.get("image_bytes")?.as_str()?.as_bytes())
                .ok()?,
        }),
        None => None,
    };
    let reply_to = match obj.get("reply_to") {
        Some(h) => Some(
            HEXLOWER
                .decode(h.as_str()?.as_bytes())
                .ok()?
                .try_into()
                .ok()?,
        ),
        None => None,
    };
    // A reaction is sent alone (see `crate::reactions`).
    if let Some(r) = obj.get("reaction") {
        if obj.len() != 1 {
            return None;
        }
        let to: [u8; 32] = HEXLOWER
            .decode(r.get("reaction_to")?.as_str()?.as_bytes())
            .ok()?
            .try_into()
            .ok()?;
        let emoji = r.get("reaction_content")?.as_str()?;
        return Some(crate::reactions::fields(&to, emoji));
    }
    let known = ["file_attachments", "image", "reply_to"];
    if obj.keys().any(|k| !known.contains(&k.as_str())) {
        return None;
    }
    Some(outbound(&Attachments { files, image }, reply_to.as_ref()))
}

/// One attachment of a message's stored fields JSON.
pub fn attachment(text: &str, kind: AttachmentKind) -> Result<StoredAttachment, CoreError> {
    let missing = || CoreError::NotFound("Attachment not found".into());
    let v: Value = serde_json::from_str(text).map_err(|_| missing())?;
    let decode = |b: Option<&Value>| {
        b.and_then(Value::as_str)
            .and_then(|s| BASE64.decode(s.as_bytes()).ok())
            .ok_or_else(missing)
    };
    match kind {
        AttachmentKind::Image => {
            let image = v.get("image").ok_or_else(missing)?;
            Ok(StoredAttachment::Image {
                kind: image
                    .get("image_type")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                data: decode(image.get("image_bytes"))?,
            })
        }
        AttachmentKind::File(index) => {
            let files = v
                .get("file_attachments")
                .and_then(Value::as_array)
                .ok_or_else(missing)?;
            let file = files
                .get(index)
                .ok_or_else(|| CoreError::InvalidInput("Invalid file index".into()))?;
            Ok(StoredAttachment::File {
                name: file
                    .get("file_name")
                    .and_then(Value::as_str)
                    .unwrap_or("attachment")
                    .to_owned(),
                data: decode(file.get("file_bytes"))?,
            })
        }
    }
}

/// The stored JSON text of `fields`.
pub fn to_json(fields: &Fields) -> String {
    let mut out = Map::new();
    if let Some(files) = fields.file_attachments() {
        let list: Vec<Value> = files
            .iter()
            .map(|f| json!({ "file_name": f.name, "file_bytes": BASE64.encode(&f.data) }))
            .collect();
        out.insert("file_attachments".into(), Value::Array(list));
    }
    if let Some(image) = fields.image() {
        out.insert(
            "image".into(),
            json!({ "image_type": image.kind, "image_bytes": BASE64.encode(&image.data) }),
        );
    }
    if let Some(hash) = fields.reply_to() {
        out.insert("reply_to".into(), Value::String(HEXLOWER.encode(hash)));
    }
    if let Some(r) = crate::reactions::from_fields(fields) {
        out.insert(
            "reaction".into(),
            json!({ "reaction_to": r.to, "reaction_content": r.emoji }),
        );
    }
    Value::Object(out).to_string()
}

/// The message a received one replies to, if it names one (a 32-byte hash).
pub fn reply_to_hash(fields: &Fields) -> Option<String> {
    fields
        .reply_to()
        .filter(|h| h.len() == 32)
        .map(|h| HEXLOWER.encode(h))
}

/// Which kinds of attachment a message carries: (image, audio, files).
pub fn flags(fields: &Fields) -> (bool, bool, bool) {
    use lxmf::fields::id;
    (
        fields.get(id::IMAGE).is_some(),
        fields.get(id::AUDIO).is_some(),
        fields.get(id::FILE_ATTACHMENTS).is_some(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use lxmf::fields::{FileAttachment, Image};

    #[test]
    fn files_and_images_take_the_reference_shape() {
        let mut f = Fields::new();
        f.set_file_attachments(&[FileAttachment {
            name: "a.bin".into(),
            data: vec![0, 1, 255],
        }]);
        f.set_image(&Image {
            kind: "png".into(),
            data: b"img".to_vec(),
        });
        let v: Value = serde_json::from_str(&to_json(&f)).unwrap();
        assert_eq!(v["file_attachments"][0]["file_name"], "a.bin");
        assert_eq!(v["file_attachments"][0]["file_bytes"], "AAH/");
        assert_eq!(v["image"]["image_type"], "png");
        assert_eq!(v["image"]["image_bytes"], "aW1n");
        assert_eq!(flags(&f), (true, false, true));
        assert_eq!(to_json(&Fields::new()), "{}");
    }

    #[test]
    fn outbound_fields_survive_the_stored_json() {
        let attachments = Attachments {
            files: vec![FileAttachment {
                name: "a.bin".into(),
                data: vec![0, 1, 255],
            }],
            image: Some(Image {
                kind: "png".into(),
                data: b"img".to_vec(),
            }),
        };
        let f = outbound(&attachments, Some(&[7; 32]));
        let text = to_json(&f);
        assert_eq!(from_json(&text), Some(f.clone()));
        assert_eq!(reply_to_hash(&f), Some("07".repeat(32)));
        assert_eq!(from_json(r#"{"other": 1}"#), None);
        let reaction = crate::reactions::fields(&[9; 32], "🔥");
        let reaction_text = to_json(&reaction);
        assert_eq!(
            serde_json::from_str::<Value>(&reaction_text).unwrap(),
            json!({"reaction": {"reaction_to": "09".repeat(32), "reaction_content": "🔥"}})
        );
        assert_eq!(from_json(&reaction_text), Some(reaction));
        assert_eq!(
            attachment(&text, AttachmentKind::File(0)).unwrap(),
            StoredAttachment::File {
                name: "a.bin".into(),
                data: vec![0, 1, 255]
            }
        );
        assert!(matches!(
            attachment(&text, AttachmentKind::File(1)),
            Err(CoreError::InvalidInput(_))
        ));
        assert!(matches!(
            attachment(&text, AttachmentKind::Image),
            Ok(StoredAttachment::Image { .. })
        ));
        assert!(matches!(
            attachment("{}", AttachmentKind::Image),
            Err(CoreError::NotFound(_))
        ));
    }
}
