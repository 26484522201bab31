//! Backup archives: a ZIP writer and a hostile-input-safe ZIP reader, both
//! for *stored* (uncompressed) entries only, no zip64.
//!
//! Why stored only: no compression dependency is needed, and a stored entry
//! cannot be a zip bomb (its bytes are in the file). Reading refuses, with a
//! clear error and before anything is written: compressed or encrypted
//! entries, zip64, names that are absolute, contain `..`, a backslash, a
//! drive letter or a NUL, duplicate names, more than [`MAX_ENTRIES`] entries,
//! entries that point outside the file or whose declared sizes disagree, and
//! archives whose entries add up to more bytes than the file holds
//! (overlapping entries, the stored-entry bomb). CRC-32 is checked on
//! extraction.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;

use crate::{Error, Result};

/// Entries an archive may hold.
pub const MAX_ENTRIES: usize = 4096;
/// Longest entry name.
const MAX_NAME: usize = 512;

const LOCAL: u32 = 0x0403_4b50;
const CENTRAL: u32 = 0x0201_4b50;
const END: u32 = 0x0605_4b50;

/// Writes an archive to a file, entry by entry, streaming each one.
#[derive(Debug)]
pub struct ZipWriter {
    out: BufWriter<File>,
    offset: u64,
    central: Vec<u8>,
    entries: u16,
}

impl ZipWriter {
    pub fn create(path: &Path) -> Result<ZipWriter> {
        Ok(ZipWriter {
            out: BufWriter::new(File::create(path)?),
            offset: 0,
            central: Vec::new(),
            entries: 0,
        })
    }

    /// Adds `name` with the bytes of the file at `src`.
    pub fn add_file(&mut self, name: &str, src: &Path) -> Result<()> {
        let mut f = File::open(src)?;
        let mut crc = Crc32::default();
        let mut buf = vec![0u8; 64 * 1024];
        let mut size = 0u64;
        loop {
            let n = f.read(&mut buf)?;
            if n == 0 {
                break;
            }
            crc.update(&buf[..n]);
            size += n as u64;
        }
        f.seek(SeekFrom::Start(0))?;
        let taken = self.header(name, crc.finish(), size)?;
        let copied = std::io::copy(&mut f.take(size), &mut self.out)?;
        if copied != size {
            return Err(bad("a file changed while it was archived"));
        }
        self.offset += taken + size;
        Ok(())
    }

    /// Adds `name` with `data`.
    pub fn add_bytes(&mut self, name: &str, data: &[u8]) -> Result<()> {
        let mut crc = Crc32::default();
        crc.update(data);
        let taken = self.header(name, crc.finish(), data.len() as u64)?;
        self.out.write_all(data)?;
        self.offset += taken + data.len() as u64;
        Ok(())
    }

    /// Writes the local header and records the central entry; bytes written.
    fn header(&mut self, name: &str, crc: u32, size: u64) -> Result<u64> {
        check_name(name)?;
        let size = u32::try_from(size).map_err(|_| bad("an entry over 4 GiB (no zip64)"))?;
        let offset =
            u32::try_from(self.offset).map_err(|_| bad("an archive over 4 GiB (no zip64)"))?;
        let name_len = name.len() as u16;
        let mut common = Vec::with_capacity(26);
        common.extend_from_slice(&20u16.to_le_bytes()); // version needed
        common.extend_from_slice(&0x0800u16.to_le_bytes()); // flags: UTF-8 names
        common.extend_from_slice(&0u16.to_le_bytes()); // method: stored
        common.extend_from_slice(&0u16.to_le_bytes()); // time
        common.extend_from_slice(&((1u16 << 5) | 1).to_le_bytes()); // date 1980-01-01
        common.extend_from_slice(&crc.to_le_bytes());
        common.extend_from_slice(&size.to_le_bytes());
        common.extend_from_slice(&size.to_le_bytes());
        common.extend_from_slice(&name_len.to_le_bytes());
        common.extend_from_slice(&0u16.to_le_bytes()); // extra
        self.out.write_all(&LOCAL.to_le_bytes())?;
        self.out.write_all(&common)?;
        self.out.write_all(name.as_bytes())?;
        self.central.extend_from_slice(&CENTRAL.to_le_bytes());
        self.central.extend_from_slice(&20u16.to_le_bytes()); // made by
        self.central.extend_from_slice(&common);
        self.central.extend_from_slice(&[0; 6]); // comment, disk, internal attrs
        self.central.extend_from_slice(&0u32.to_le_bytes()); // external attrs
        self.central.extend_from_slice(&offset.to_le_bytes());
        self.central.extend_from_slice(name.as_bytes());
        self.entries = self
            .entries
            .checked_add(1)
            .filter(|n| usize::from(*n) <= MAX_ENTRIES)
            .ok_or_else(|| bad("too many entries"))?;
        Ok(30 + u64::from(name_len))
    }

    /// Writes the central directory, flushes and syncs the file.
    pub fn finish(mut self) -> Result<()> {
        let offset =
            u32::try_from(self.offset).map_err(|_| bad("an archive over 4 GiB (no zip64)"))?;
        let size = self.central.len() as u32;
        self.out.write_all(&self.central)?;
        self.out.write_all(&END.to_le_bytes())?;
        self.out.write_all(&[0; 4])?; // disks
        self.out.write_all(&self.entries.to_le_bytes())?;
        self.out.write_all(&self.entries.to_le_bytes())?;
        self.out.write_all(&size.to_le_bytes())?;
        self.out.write_all(&offset.to_le_bytes())?;
        self.out.write_all(&0u16.to_le_bytes())?;
        let file = self.out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        Ok(())
    }
}

/// One checked entry of an archive being read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub size: u64,
    crc: u32,
    /// Where the entry's bytes start in the file.
    data: u64,
}

/// An archive whose directory passed every check; entries are read on demand.
#[derive(Debug)]
pub struct ZipReader {
    file: File,
    entries: Vec<Entry>,
}

impl ZipReader {
    /// Opens and checks the archive's directory (see the module docs).
    pub fn open(path: &Path) -> Result<ZipReader> {
        let mut file = File::open(path)?;
        let len = file.metadata()?.len();
        let tail_len = len.min(22 + 65_535);
        file.seek(SeekFrom::Start(len - tail_len))?;
        let mut tail = vec![0u8; tail_len as usize];
        file.read_exact(&mut tail)?;
        let end = (0..tail.len().saturating_sub(21))
            .rev()
            .find(|&i| u32_at(&tail, i) == Some(END))
            .ok_or_else(|| bad("not a ZIP archive (no end of central directory; truncated?)"))?;
        let count = usize::from(u16_at(&tail, end + 10).unwrap_or(0));
        let cd_size = u64::from(u32_at(&tail, end + 12).unwrap_or(0));
        let cd_offset = u64::from(u32_at(&tail, end + 16).unwrap_or(0));
        if count == 0xFFFF || cd_offset == 0xFFFF_FFFF {
            return Err(bad("zip64 archives are not supported"));
        }
        if count > MAX_ENTRIES {
            return Err(bad("too many entries"));
        }
        let cd_end = cd_offset
            .checked_add(cd_size)
            .filter(|e| *e <= len)
            .ok_or_else(|| bad("the central directory lies outside the file (truncated?)"))?;
        file.seek(SeekFrom::Start(cd_offset))?;
        let mut cd = vec![0u8; cd_size as usize];
        file.read_exact(&mut cd)?;
        let mut entries = Vec::with_capacity(count);
        let mut names = HashSet::new();
        let mut total = 0u64;
        let mut at = 0usize;
        for _ in 0..count {
            let (entry, next) = central_entry(&mut file, &cd, at, cd_offset)?;
            if !names.insert(entry.name.clone()) {
                return Err(bad(&format!("duplicate entry {:?}", entry.name)));
            }
            total = total.saturating_add(entry.size);
            entries.push(entry);
            at = next;
        }
        // Stored entries cannot hold more than the file: more means they overlap.
        if total > cd_end {
            return Err(bad("entries overlap (a zip bomb)"));
        }
        Ok(ZipReader { file, entries })
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The sum of the entries' sizes.
    pub fn total_size(&self) -> u64 {
        self.entries.iter().map(|e| e.size).sum()
    }

    pub fn find(&self, name: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.name == name)
    }

    /// Copies an entry to `dest` (created new), checking its CRC-32.
    pub fn extract(&mut self, entry: &Entry, dest: &Path) -> Result<()> {
        let mut out = BufWriter::new(
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(dest)?,
        );
        self.file.seek(SeekFrom::Start(entry.data))?;
        let mut left = entry.size;
        let mut crc = Crc32::default();
        let mut buf = vec![0u8; 64 * 1024];
        while left > 0 {
            let want = buf.len().min(usize::try_from(left).unwrap_or(buf.len()));
            let n = self.file.read(&mut buf[..want])?;
            if n == 0 {
                return Err(bad("an entry is truncated"));
            }
            crc.update(&buf[..n]);
            out.write_all(&buf[..n])?;
            left -= n as u64;
        }
        if crc.finish() != entry.crc {
            return Err(bad(&format!("CRC mismatch in {:?}", entry.name)));
        }
        out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        Ok(())
    }

    /// Reads a small entry into memory (at most `max` bytes).
    pub fn read_small(&mut self, entry: &Entry, max: u64) -> Result<Vec<u8>> {
        if entry.size > max {
            return Err(bad(&format!("{:?} is too large", entry.name)));
        }
        self.file.seek(SeekFrom::Start(entry.data))?;
        let mut buf = vec![0u8; entry.size as usize];
        self.file.read_exact(&mut buf)?;
        let mut crc = Crc32::default();
        crc.update(&buf);
        if crc.finish() != entry.crc {
            return Err(bad(&format!("CRC mismatch in {:?}", entry.name)));
        }
        Ok(buf)
    }
}

/// Parses the central entry at `at`; checks it and its local header.
fn central_entry(file: &mut File, cd: &[u8], at: usize, cd_offset: u64) -> Result<(Entry, usize)> {
    let truncated = || bad("the central directory is truncated");
    if u32_at(cd, at) != Some(CENTRAL) {
        return Err(truncated());
    }
    let flags = u16_at(cd, at + 8).ok_or_else(truncated)?;
    let method = u16_at(cd, at + 10).ok_or_else(truncated)?;
    let crc = u32_at(cd, at + 16).ok_or_else(truncated)?;
    let csize = u32_at(cd, at + 20).ok_or_else(truncated)?;
    let usize_ = u32_at(cd, at + 24).ok_or_else(truncated)?;
    let name_len = usize::from(u16_at(cd, at + 28).ok_or_else(truncated)?);
    let extra_len = usize::from(u16_at(cd, at + 30).ok_or_else(truncated)?);
    let comment_len = usize::from(u16_at(cd, at + 32).ok_or_else(truncated)?);
    let local = u64::from(u32_at(cd, at + 42).ok_or_else(truncated)?);
    let name = cd.get(at + 46..at + 46 + name_len).ok_or_else(truncated)?;
    let name = std::str::from_utf8(name).map_err(|_| bad("an entry name is not UTF-8"))?;
    check_name(name)?;
    if flags & 1 != 0 {
        return Err(bad("encrypted entries are not supported"));
    }
    if method != 0 {
        return Err(bad(&format!(
            "{name:?} is compressed (method {method}); only stored entries are \
             accepted: unzip the archive and restore its database.db"
        )));
    }
    if csize != usize_ || csize == u32::MAX {
        return Err(bad(&format!("{name:?} declares inconsistent sizes")));
    }
    // The local header: its own name and extra lengths decide where the data starts.
    let mut head = [0u8; 30];
    file.seek(SeekFrom::Start(local))?;
    file.read_exact(&mut head).map_err(|_| truncated())?;
    if u32_at(&head, 0) != Some(LOCAL) {
        return Err(bad(&format!("{name:?} has no local header (truncated?)")));
    }
    let lname = u64::from(u16_at(&head, 26).unwrap_or(0));
    let lextra = u64::from(u16_at(&head, 28).unwrap_or(0));
    let data = local + 30 + lname + lextra;
    if data + u64::from(csize) > cd_offset {
        return Err(bad(&format!("{name:?} runs past its data (truncated?)")));
    }
    let entry = Entry {
        name: name.to_owned(),
        size: u64::from(usize_),
        crc,
        data,
    };
    Ok((entry, at + 46 + name_len + extra_len + comment_len))
}

/// An entry name must be a plain relative path: no zip-slip.
pub fn check_name(name: &str) -> Result<()> {
    let bad_name = |why: &str| bad(&format!("unsafe entry name {name:?}: {why}"));
    if name.is_empty() || name.len() > MAX_NAME {
        return Err(bad_name("empty or too long"));
    }
    if name.starts_with('/') || name.contains('\\') || name.contains('\0') {
        return Err(bad_name("absolute or not a plain path"));
    }
    if name.as_bytes().get(1) == Some(&b':') {
        return Err(bad_name("a drive letter"));
    }
    if name
        .split('/')
        .any(|c| c.is_empty() || c == ".." || c == ".")
    {
        return Err(bad_name("`..`, `.` or an empty component"));
    }
    Ok(())
}

fn bad(why: &str) -> Error {
    Error::BadArchive(why.to_owned())
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// CRC-32 (IEEE), bytewise with a table built once per call site.
#[derive(Debug)]
struct Crc32 {
    table: [u32; 256],
    value: u32,
}

impl Default for Crc32 {
    fn default() -> Self {
        let mut table = [0u32; 256];
        for (i, slot) in table.iter_mut().enumerate() {
            let mut c = i as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
            *slot = c;
        }
        Crc32 {
            table,
            value: 0xFFFF_FFFF,
        }
    }
}

impl Crc32 {
    fn update(&mut self, data: &[u8]) {
        for &b in data {
            self.value =
                self.table[((self.value ^ u32::from(b)) & 0xFF) as usize] ^ (self.value >> 8);
        }
    }

    fn finish(&self) -> u32 {
        !self.value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("mcx-archive-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn round_trip_and_crc() {
        let d = tmp("rt");
        let mut c = Crc32::default();
        c.update(b"123456789");
        assert_eq!(c.finish(), 0xCBF4_3926);
        let zip = d.join("a.zip");
        let mut w = ZipWriter::create(&zip).unwrap();
        w.add_bytes("a.txt", b"hello").unwrap();
        w.add_bytes("dir/b.bin", &[7; 70_000]).unwrap();
        w.finish().unwrap();
        let mut r = ZipReader::open(&zip).unwrap();
        assert_eq!(r.entries().len(), 2);
        let e = r.find("dir/b.bin").unwrap().clone();
        r.extract(&e, &d.join("b")).unwrap();
        assert_eq!(std::fs::read(d.join("b")).unwrap(), vec![7; 70_000]);
        let e = r.find("a.txt").unwrap().clone();
        assert_eq!(r.read_small(&e, 10).unwrap(), b"hello");
        // Truncated: refused.
        let bytes = std::fs::read(&zip).unwrap();
        std::fs::write(d.join("t.zip"), &bytes[..bytes.len() - 30]).unwrap();
        assert!(ZipReader::open(&d.join("t.zip")).is_err());
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn unsafe_names_are_refused() {
        for n in [
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a\\b",
            "C:/x",
            "",
            "a//b",
            "./a",
        ] {
            assert!(check_name(n).is_err(), "{n}");
        }
        assert!(check_name("identity").is_ok());
        assert!(check_name("a/b.c").is_ok());
    }
}
