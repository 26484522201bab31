//! LXMF fields as the JSON the reference stores in `lxmf_messages.fields`
//! and serves: `{"file_attachments": [{"file_name", "file_bytes"}],
//! "image": {"image_type", "image_bytes"}}` with bytes in base64 (observed in
//! a database the reference wrote). Fields we do not know yet are left out.

use data_encoding::BASE64;
use lxmf::Fields;
use serde_json::{Map, Value, json};

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
    Value::Object(out).to_string()
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
}
