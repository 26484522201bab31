//! A minimal ZIP writer for the identities export: stored entries (no
//! compression: 64 random bytes do not compress), CRC-32, a central
//! directory. Enough for `unzip` and every archive tool; no zip64 (the
//! export is at most a few kilobytes).

/// Entries are added in order; [`finish`](Writer::finish) gives the archive.
#[derive(Debug, Default)]
pub(crate) struct Writer {
    out: Vec<u8>,
    central: Vec<u8>,
    entries: u16,
}

/// 1980-01-01 00:00, the DOS epoch: the export carries no timestamps.
const DOS_DATE: u16 = (1 << 5) | 1;

impl Writer {
    pub(crate) fn add(&mut self, name: &str, data: &[u8]) {
        let offset = u32::try_from(self.out.len()).unwrap_or(u32::MAX);
        let crc = crc32(data);
        let size = u32::try_from(data.len()).unwrap_or(u32::MAX);
        let name_len = u16::try_from(name.len()).unwrap_or(u16::MAX);
        let name = &name.as_bytes()[..usize::from(name_len)];
        // Local file header.
        self.out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        push_common(&mut self.out, crc, size, name_len);
        self.out.extend_from_slice(name);
        self.out.extend_from_slice(data);
        // Central directory entry.
        self.central
            .extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        self.central.extend_from_slice(&20u16.to_le_bytes()); // made by
        let mut fields = Vec::new();
        push_common(&mut fields, crc, size, name_len);
        self.central.extend_from_slice(&fields);
        self.central.extend_from_slice(&0u16.to_le_bytes()); // comment
        self.central.extend_from_slice(&0u16.to_le_bytes()); // disk
        self.central.extend_from_slice(&0u16.to_le_bytes()); // internal attrs
        self.central.extend_from_slice(&0u32.to_le_bytes()); // external attrs
        self.central.extend_from_slice(&offset.to_le_bytes());
        self.central.extend_from_slice(name);
        self.entries = self.entries.saturating_add(1);
    }

    pub(crate) fn finish(mut self) -> Vec<u8> {
        let offset = u32::try_from(self.out.len()).unwrap_or(u32::MAX);
        let size = u32::try_from(self.central.len()).unwrap_or(u32::MAX);
        self.out.append(&mut self.central);
        self.out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        self.out.extend_from_slice(&0u16.to_le_bytes()); // this disk
        self.out.extend_from_slice(&0u16.to_le_bytes()); // central dir disk
        self.out.extend_from_slice(&self.entries.to_le_bytes());
        self.out.extend_from_slice(&self.entries.to_le_bytes());
        self.out.extend_from_slice(&size.to_le_bytes());
        self.out.extend_from_slice(&offset.to_le_bytes());
        self.out.extend_from_slice(&0u16.to_le_bytes()); // comment
        self.out
    }
}

/// The fields local header and central entry share, from "version needed"
/// to "extra field length".
fn push_common(out: &mut Vec<u8>, crc: u32, size: u32, name_len: u16) {
    out.extend_from_slice(&20u16.to_le_bytes()); // version needed (2.0)
    out.extend_from_slice(&0u16.to_le_bytes()); // flags
    out.extend_from_slice(&0u16.to_le_bytes()); // method: stored
    out.extend_from_slice(&0u16.to_le_bytes()); // time
    out.extend_from_slice(&DOS_DATE.to_le_bytes());
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(&size.to_le_bytes()); // compressed
    out.extend_from_slice(&size.to_le_bytes()); // uncompressed
    out.extend_from_slice(&name_len.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes()); // extra
}

/// CRC-32 (IEEE 802.3, reflected, as ZIP uses it), bit by bit: the export
/// is a few hundred bytes.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn an_archive_has_its_entries_and_a_central_directory() {
        let mut w = Writer::default();
        w.add("identity_ab", &[7; 64]);
        w.add("identity_cd", &[9; 64]);
        let zip = w.finish();
        assert_eq!(&zip[..4], b"PK\x03\x04");
        let eocd = zip.len() - 22;
        assert_eq!(&zip[eocd..eocd + 4], b"PK\x05\x06");
        assert_eq!(u16::from_le_bytes([zip[eocd + 10], zip[eocd + 11]]), 2);
        // First entry's data follows its 30-byte header and 11-byte name.
        assert_eq!(&zip[41..105], &[7; 64]);
    }
}
