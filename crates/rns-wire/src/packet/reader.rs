//! A bounds-checked cursor over received bytes, shared by this crate's decoders so
//! that none of them indexes a slice directly.

use crate::WireError;

/// Reads fixed-size fields from the front of a byte slice.
#[derive(Debug)]
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0 }
    }

    /// The next `N` bytes as an array, or `Truncated` if fewer remain.
    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], WireError> {
        let end = self.pos.saturating_add(N);
        let field = self
            .bytes
            .get(self.pos..end)
            .and_then(|s| <[u8; N]>::try_from(s).ok())
            .ok_or(WireError::Truncated {
                needed: end,
                have: self.bytes.len(),
            })?;
        self.pos = end;
        Ok(field)
    }

    /// The next byte.
    pub(crate) fn byte(&mut self) -> Result<u8, WireError> {
        let [b] = self.array::<1>()?;
        Ok(b)
    }

    /// Everything not read yet (possibly empty); the reader is then exhausted.
    pub(crate) fn rest(&mut self) -> &'a [u8] {
        let rest = self.bytes.get(self.pos..).unwrap_or_default();
        self.pos = self.bytes.len();
        rest
    }
}

/// Fails with `Truncated` unless `bytes` holds at least `needed` bytes.
pub(crate) fn need(bytes: &[u8], needed: usize) -> Result<(), WireError> {
    if bytes.len() < needed {
        return Err(WireError::Truncated {
            needed,
            have: bytes.len(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_until_short() {
        let mut r = Reader::new(&[1, 2, 3]);
        assert_eq!(r.byte().unwrap(), 1);
        assert_eq!(
            r.array::<3>(),
            Err(WireError::Truncated { needed: 4, have: 3 })
        );
        assert_eq!(r.array::<2>().unwrap(), [2, 3]);
        assert!(r.rest().is_empty());
        assert!(need(&[0; 4], 5).is_err() && need(&[0; 4], 4).is_ok());
    }
}
