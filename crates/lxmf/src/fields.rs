//! The message's `fields` map: field ids, an order-keeping container that carries
//! every entry through unchanged, and typed helpers for the common fields.

use rns_msgpack::Value;

/// Field ids (protocol.md §16). Values are the reference's.
pub mod id {
    pub const EMBEDDED_LXMS: u64 = 0x01;
    pub const TELEMETRY: u64 = 0x02;
    pub const TELEMETRY_STREAM: u64 = 0x03;
    pub const ICON_APPEARANCE: u64 = 0x04;
    pub const FILE_ATTACHMENTS: u64 = 0x05;
    pub const IMAGE: u64 = 0x06;
    pub const AUDIO: u64 = 0x07;
    pub const THREAD: u64 = 0x08;
    pub const COMMANDS: u64 = 0x09;
    pub const RESULTS: u64 = 0x0A;
    pub const GROUP: u64 = 0x0B;
    pub const TICKET: u64 = 0x0C;
    pub const EVENT: u64 = 0x0D;
    pub const RNR_REFS: u64 = 0x0E;
    pub const RENDERER: u64 = 0x0F;
    pub const REPLY_TO: u64 = 0x30;
    pub const REPLY_QUOTE: u64 = 0x31;
    pub const REACTION: u64 = 0x40;
    pub const COMMENT: u64 = 0x41;
    pub const CONTINUATION: u64 = 0x42;
    pub const CUSTOM_TYPE: u64 = 0xFB;
    pub const CUSTOM_DATA: u64 = 0xFC;
    pub const CUSTOM_META: u64 = 0xFD;
    pub const NON_SPECIFIC: u64 = 0xFE;
    pub const DEBUG: u64 = 0xFF;
}

/// Values of the `RENDERER` field.
pub mod renderer {
    pub const PLAIN: u64 = 0;
    pub const MICRON: u64 = 1;
    pub const MARKDOWN: u64 = 2;
    pub const BBCODE: u64 = 3;
}

/// Keys inside a `REACTION` field map (the reference's `REACTION_TO`,
/// `REACTION_CONTENT`).
pub mod reaction {
    pub const TO: u64 = 0;
    pub const CONTENT: u64 = 1;
}

/// Audio modes: the first element of an `AUDIO` field.
pub mod audio_mode {
    pub const CODEC2_450PWB: u64 = 0x01;
    pub const CODEC2_450: u64 = 0x02;
    pub const CODEC2_700C: u64 = 0x03;
    pub const CODEC2_1200: u64 = 0x04;
    pub const CODEC2_1300: u64 = 0x05;
    pub const CODEC2_1400: u64 = 0x06;
    pub const CODEC2_1600: u64 = 0x07;
    pub const CODEC2_2400: u64 = 0x08;
    pub const CODEC2_3200: u64 = 0x09;
    pub const OPUS_OGG: u64 = 0x10;
    pub const OPUS_LBW: u64 = 0x11;
    pub const OPUS_MBW: u64 = 0x12;
    pub const OPUS_PTT: u64 = 0x13;
    pub const OPUS_RT_HDX: u64 = 0x14;
    pub const OPUS_RT_FDX: u64 = 0x15;
    pub const OPUS_STANDARD: u64 = 0x16;
    pub const OPUS_HQ: u64 = 0x17;
    pub const OPUS_BROADCAST: u64 = 0x18;
    pub const OPUS_LOSSLESS: u64 = 0x19;
    pub const CUSTOM: u64 = 0xFF;
}

/// The `fields` map in wire order.
///
/// Keys are normally integers, but the reference accepts any key, so entries are
/// kept as raw `(key, value)` pairs: whatever arrives is re-encoded unchanged.
/// Setting a field that exists replaces its value in place (as a dict would).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Fields(Vec<(Value, Value)>);

impl Fields {
    pub fn new() -> Self {
        Self::default()
    }

    /// Wraps raw pairs (as decoded).
    pub fn from_pairs(pairs: Vec<(Value, Value)>) -> Self {
        Self(pairs)
    }

    pub fn pairs(&self) -> &[(Value, Value)] {
        &self.0
    }

    pub fn into_pairs(self) -> Vec<(Value, Value)> {
        self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value of integer field `id`.
    pub fn get(&self, id: u64) -> Option<&Value> {
        self.0
            .iter()
            .find(|(k, _)| k.as_u64() == Some(id))
            .map(|(_, v)| v)
    }

    /// Sets integer field `id`, replacing an existing value in place.
    pub fn set(&mut self, id: u64, value: impl Into<Value>) -> &mut Self {
        let value = value.into();
        match self.0.iter_mut().find(|(k, _)| k.as_u64() == Some(id)) {
            Some(entry) => entry.1 = value,
            None => self.0.push((Value::UInt(id), value)),
        }
        self
    }

    /// Removes integer field `id` and returns its value.
    pub fn remove(&mut self, id: u64) -> Option<Value> {
        let pos = self.0.iter().position(|(k, _)| k.as_u64() == Some(id))?;
        Some(self.0.remove(pos).1)
    }

    /// The map as a msgpack value.
    pub fn to_value(&self) -> Value {
        Value::Map(self.0.clone())
    }

    /// File attachments, if the field is present and well-formed. Entries that
    /// are not `[name, bytes]` are skipped (the sender's problem, not ours).
    pub fn file_attachments(&self) -> Option<Vec<FileAttachment>> {
        let list = self.get(id::FILE_ATTACHMENTS)?.as_array()?;
        Some(list.iter().filter_map(FileAttachment::from_value).collect())
    }

    pub fn set_file_attachments(&mut self, files: &[FileAttachment]) -> &mut Self {
        let list = files
            .iter()
            .map(FileAttachment::to_value)
            .collect::<Vec<_>>();
        self.set(id::FILE_ATTACHMENTS, Value::Array(list))
    }

    pub fn image(&self) -> Option<Image> {
        Image::from_value(self.get(id::IMAGE)?)
    }

    pub fn set_image(&mut self, image: &Image) -> &mut Self {
        self.set(id::IMAGE, image.to_value())
    }

    pub fn audio(&self) -> Option<Audio> {
        Audio::from_value(self.get(id::AUDIO)?)
    }

    pub fn set_audio(&mut self, audio: &Audio) -> &mut Self {
        self.set(id::AUDIO, audio.to_value())
    }

    pub fn icon_appearance(&self) -> Option<IconAppearance> {
        IconAppearance::from_value(self.get(id::ICON_APPEARANCE)?)
    }

    pub fn set_icon_appearance(&mut self, icon: &IconAppearance) -> &mut Self {
        self.set(id::ICON_APPEARANCE, icon.to_value())
    }

    /// The renderer (see [`renderer`]); absent means plain.
    pub fn renderer(&self) -> Option<u64> {
        self.get(id::RENDERER)?.as_u64()
    }

    /// The message this one replies to: a message id (`bin`).
    pub fn reply_to(&self) -> Option<&[u8]> {
        self.get(id::REPLY_TO)?.as_bin()
    }

    /// The thread id (`bin`).
    pub fn thread(&self) -> Option<&[u8]> {
        self.get(id::THREAD)?.as_bin()
    }
}

/// Text that may come as `str` or as `bin` (clients differ); `bin` must be UTF-8.
fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::Str(s) => Some(s.clone()),
        Value::Bin(b) => String::from_utf8(b.clone()).ok(),
        _ => None,
    }
}

/// One entry of `FILE_ATTACHMENTS`: `[name (str), data (bin)]`.
#[derive(Clone, PartialEq, Eq)]
pub struct FileAttachment {
    pub name: String,
    pub data: Vec<u8>,
}

impl FileAttachment {
    pub fn from_value(v: &Value) -> Option<Self> {
        match v.as_array()? {
            [name, data] => Some(Self {
                name: text_of(name)?,
                data: data.as_bin()?.to_vec(),
            }),
            _ => None,
        }
    }

    pub fn to_value(&self) -> Value {
        Value::Array(vec![
            Value::Str(self.name.clone()),
            Value::Bin(self.data.clone()),
        ])
    }
}

impl std::fmt::Debug for FileAttachment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileAttachment")
            .field("name", &self.name)
            .field("len", &self.data.len())
            .finish()
    }
}

/// `IMAGE`: `[type (str, e.g. "png", "webp"), data (bin)]`.
#[derive(Clone, PartialEq, Eq)]
pub struct Image {
    pub kind: String,
    pub data: Vec<u8>,
}

impl Image {
    pub fn from_value(v: &Value) -> Option<Self> {
        match v.as_array()? {
            [kind, data, ..] => Some(Self {
                kind: text_of(kind)?,
                data: data.as_bin()?.to_vec(),
            }),
            _ => None,
        }
    }

    pub fn to_value(&self) -> Value {
        Value::Array(vec![
            Value::Str(self.kind.clone()),
            Value::Bin(self.data.clone()),
        ])
    }
}

impl std::fmt::Debug for Image {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Image")
            .field("kind", &self.kind)
            .field("len", &self.data.len())
            .finish()
    }
}

/// `AUDIO`: `[mode (int, see [`audio_mode`]), data (bin)]`.
#[derive(Clone, PartialEq, Eq)]
pub struct Audio {
    pub mode: u64,
    pub data: Vec<u8>,
}

impl Audio {
    pub fn from_value(v: &Value) -> Option<Self> {
        match v.as_array()? {
            [mode, data, ..] => Some(Self {
                mode: mode.as_u64()?,
                data: data.as_bin()?.to_vec(),
            }),
            _ => None,
        }
    }

    pub fn to_value(&self) -> Value {
        Value::Array(vec![Value::UInt(self.mode), Value::Bin(self.data.clone())])
    }
}

impl std::fmt::Debug for Audio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Audio")
            .field("mode", &self.mode)
            .field("len", &self.data.len())
            .finish()
    }
}

/// `ICON_APPEARANCE`: `[icon name (str), foreground rgb (bin 3), background rgb (bin 3)]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IconAppearance {
    pub icon: String,
    pub foreground: [u8; 3],
    pub background: [u8; 3],
}

impl IconAppearance {
    pub fn from_value(v: &Value) -> Option<Self> {
        match v.as_array()? {
            [icon, fg, bg, ..] => Some(Self {
                icon: text_of(icon)?,
                foreground: fg.as_bin()?.try_into().ok()?,
                background: bg.as_bin()?.try_into().ok()?,
            }),
            _ => None,
        }
    }

    pub fn to_value(&self) -> Value {
        Value::Array(vec![
            Value::Str(self.icon.clone()),
            Value::bin(self.foreground),
            Value::bin(self.background),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_replaces_in_place_and_keeps_order() {
        let mut f = Fields::new();
        f.set(id::RENDERER, 2u64).set(id::THREAD, vec![0u8; 4]);
        f.set(id::RENDERER, 1u64);
        assert_eq!(f.pairs()[0], (Value::UInt(id::RENDERER), Value::UInt(1)));
        assert_eq!(f.renderer(), Some(renderer::MICRON));
        assert_eq!(f.thread(), Some(&[0u8; 4][..]));
        assert_eq!(f.remove(id::RENDERER), Some(Value::UInt(1)));
        assert_eq!(f.len(), 1);
    }

    #[test]
    fn typed_helpers_round_trip() {
        let mut f = Fields::new();
        let files = vec![FileAttachment {
            name: "a.txt".into(),
            data: b"hi".to_vec(),
        }];
        let image = Image {
            kind: "webp".into(),
            data: vec![1, 2, 3],
        };
        let audio = Audio {
            mode: audio_mode::OPUS_OGG,
            data: vec![9],
        };
        let icon = IconAppearance {
            icon: "star".into(),
            foreground: [1, 2, 3],
            background: [4, 5, 6],
        };
        f.set_file_attachments(&files)
            .set_image(&image)
            .set_audio(&audio)
            .set_icon_appearance(&icon);
        assert_eq!(f.file_attachments(), Some(files));
        assert_eq!(f.image(), Some(image));
        assert_eq!(f.audio(), Some(audio));
        assert_eq!(f.icon_appearance(), Some(icon));
    }

    #[test]
    fn malformed_typed_fields_are_none() {
        let mut f = Fields::new();
        f.set(id::IMAGE, 5u64)
            .set(id::ICON_APPEARANCE, vec![Value::from("x")]);
        assert_eq!(f.image(), None);
        assert_eq!(f.icon_appearance(), None);
        f.set(
            id::FILE_ATTACHMENTS,
            vec![
                Value::Nil,
                FileAttachment {
                    name: "b".into(),
                    data: vec![],
                }
                .to_value(),
            ],
        );
        assert_eq!(f.file_attachments().map(|v| v.len()), Some(1));
    }
}
