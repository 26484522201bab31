//! Attachments of the messages we send (files, one image) with their
//! limits, the image type read from the bytes, and one attachment read back
//! from a stored row for download.

/// The LXMF shapes of a file and an image.
pub use lxmf::fields::{FileAttachment, Image};

use crate::error::CoreError;

/// At most this many files per message.
pub const MAX_FILES: usize = 16;
/// At most this many bytes of attachments (files and image, decoded) per
/// message. Above the default LXMF delivery limit (1000 kB, ours and the
/// reference's), so a recipient that raised its limit, or a propagation
/// node, can still take a large message; a default recipient refuses it.
pub const MAX_ATTACHMENT_BYTES: usize = 6 * 1024 * 1024;
/// At most this many bytes of a file name.
pub const MAX_FILE_NAME_BYTES: usize = 255;

/// What a message carries besides its text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Attachments {
    pub files: Vec<FileAttachment>,
    pub image: Option<Image>,
}

impl Attachments {
    pub fn is_empty(&self) -> bool {
        self.files.is_empty() && self.image.is_none()
    }

    /// Bytes of attachment data, decoded.
    pub fn total_bytes(&self) -> usize {
        let files: usize = self.files.iter().map(|f| f.data.len()).sum();
        files + self.image.as_ref().map_or(0, |i| i.data.len())
    }

    /// Checks the limits: file count, names, total size, and an image
    /// whose bytes are a type we know.
    pub fn validate(&self) -> Result<(), CoreError> {
        let bad = |m: String| Err(CoreError::InvalidInput(m));
        if self.files.len() > MAX_FILES {
            return bad(format!("At most {MAX_FILES} files per message"));
        }
        for f in &self.files {
            if f.name.is_empty() || f.name.len() > MAX_FILE_NAME_BYTES {
                return bad(format!(
                    "A file name must have 1 to {MAX_FILE_NAME_BYTES} bytes"
                ));
            }
        }
        if self.total_bytes() > MAX_ATTACHMENT_BYTES {
            return bad(format!(
                "Attachments are larger than {MAX_ATTACHMENT_BYTES} bytes"
            ));
        }
        if let Some(image) = &self.image
            && image_type(&image.data) != Some(image.kind.as_str())
        {
            return bad("The image is not PNG, JPEG, WebP, GIF or BMP".into());
        }
        Ok(())
    }
}

/// The image type its bytes show (the reference, too, names an image by
/// its content, whatever type the client claimed): `png`, `jpeg`, `webp`,
/// `gif`, `bmp`; `None` for anything else.
pub fn image_type(bytes: &[u8]) -> Option<&'static str> {
    let kind = match bytes {
        [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, ..] => "png",
        [0xff, 0xd8, 0xff, ..] => "jpeg",
        [
            b'R',
            b'I',
            b'F',
            b'F',
            _,
            _,
            _,
            _,
            b'W',
            b'E',
            b'B',
            b'P',
            ..,
        ] => "webp",
        [b'G', b'I', b'F', b'8', b'7' | b'9', b'a', ..] => "gif",
        [b'B', b'M', ..] if bytes.len() > 26 => "bmp",
        _ => return None,
    };
    Some(kind)
}

/// Which attachment of a stored message to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachmentKind {
    Image,
    /// The file at this index of the message's file attachments.
    File(usize),
}

/// One attachment read back from a stored message.
#[derive(Clone, PartialEq, Eq)]
pub enum StoredAttachment {
    /// `kind` as the sender named it (`png`, `webp`, ...): not checked.
    Image { kind: String, data: Vec<u8> },
    /// `name` as the sender wrote it: not sanitised.
    File { name: String, data: Vec<u8> },
}

impl std::fmt::Debug for StoredAttachment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Image { kind, data } => write!(f, "Image({kind}, {} bytes)", data.len()),
            Self::File { name, data } => write!(f, "File({name:?}, {} bytes)", data.len()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_types_come_from_the_bytes() {
        assert_eq!(image_type(b"\x89PNG\r\n\x1a\nrest"), Some("png"));
        assert_eq!(image_type(b"\xff\xd8\xff\xe0"), Some("jpeg"));
        assert_eq!(image_type(b"RIFF\0\0\0\0WEBPVP8 "), Some("webp"));
        assert_eq!(image_type(b"GIF89a"), Some("gif"));
        assert_eq!(image_type(b"<svg xmlns=...>"), None);
        assert_eq!(image_type(b""), None);
    }

    #[test]
    fn limits_are_checked() {
        let file = |name: &str, n: usize| FileAttachment {
            name: name.into(),
            data: vec![0; n],
        };
        let ok = Attachments {
            files: vec![file("a", 3)],
            image: Some(Image {
                kind: "png".into(),
                data: b"\x89PNG\r\n\x1a\n".to_vec(),
            }),
        };
        assert!(ok.validate().is_ok());
        let many = Attachments {
            files: vec![file("a", 1); MAX_FILES + 1],
            image: None,
        };
        assert!(many.validate().is_err());
        let big = Attachments {
            files: vec![file("a", MAX_ATTACHMENT_BYTES + 1)],
            image: None,
        };
        assert!(big.validate().is_err());
        assert!(
            Attachments {
                files: vec![file("", 1)],
                image: None
            }
            .validate()
            .is_err()
        );
        let fake = Attachments {
            files: vec![],
            image: Some(Image {
                kind: "png".into(),
                data: b"not an image".to_vec(),
            }),
        };
        assert!(fake.validate().is_err());
    }
}
