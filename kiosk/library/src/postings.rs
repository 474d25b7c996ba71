//! Posting lists: where a term occurs, as sorted 64-bit positions stored
//! delta-encoded as LEB128 varints (about 1–2 bytes per occurrence instead
//! of 8).
//!
//! A position packs the article, the field and the cell position so that
//! "the next cell of the same field" is simply `+1` and sorting by position
//! is sorting by library order:
//!
//! ```text
//!  63            32 31    24 23            0
//! [  article doc   |  slot  |  cell position ]
//! ```
//!
//! Slot 0 is the title, 1–254 the keywords, 255 the body.

/// The title's slot.
pub(crate) const TITLE: u8 = 0;
/// The body's slot.
pub(crate) const BODY: u8 = 255;
/// The most keywords indexed per article (slots 1..=254).
pub(crate) const MAX_KEYWORDS: usize = 254;
/// Cells beyond this position in one field are not indexed (a field would
/// have to be 16 million characters long).
pub(crate) const MAX_POS: u32 = (1 << 24) - 1;

/// Packs a position.
pub(crate) fn pack(doc: u32, slot: u8, pos: u32) -> u64 {
    (u64::from(doc) << 32) | (u64::from(slot) << 24) | u64::from(pos & MAX_POS)
}

/// The article of a position.
pub(crate) fn doc_of(p: u64) -> u32 {
    (p >> 32) as u32
}

/// The slot of a position.
pub(crate) fn slot_of(p: u64) -> u8 {
    (p >> 24) as u8
}

/// The cell position within its field.
pub(crate) fn pos_of(p: u64) -> u32 {
    (p & u64::from(MAX_POS)) as u32
}

/// Encodes a sorted, duplicate-free list.
pub(crate) fn encode(sorted: &[u64]) -> Vec<u8> {
    let mut out = Vec::with_capacity(sorted.len() * 2);
    let mut prev = 0u64;
    for &p in sorted {
        let mut delta = p.wrapping_sub(prev);
        prev = p;
        loop {
            let byte = (delta & 0x7F) as u8;
            delta >>= 7;
            if delta == 0 {
                out.push(byte);
                break;
            }
            out.push(byte | 0x80);
        }
    }
    out
}

/// Decodes into `out` (appending). `None` when the bytes are not a valid
/// list (truncated varint, overflow, or not increasing).
pub(crate) fn decode_into(bytes: &[u8], out: &mut Vec<u64>) -> Option<()> {
    let mut prev = 0u64;
    let mut first = true;
    let mut i = 0;
    while i < bytes.len() {
        let mut delta = 0u64;
        let mut shift = 0u32;
        loop {
            let byte = *bytes.get(i)?;
            i += 1;
            if shift >= 64 {
                return None;
            }
            delta |= u64::from(byte & 0x7F).checked_shl(shift)?;
            shift += 7;
            if byte & 0x80 == 0 {
                break;
            }
        }
        if !first && delta == 0 {
            return None;
        }
        prev = prev.checked_add(delta)?;
        first = false;
        out.push(prev);
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_sorted_positions() {
        let list = vec![pack(0, 0, 0), pack(0, 0, 1), pack(0, BODY, 900), pack(7, 3, 2), u64::MAX];
        let mut back = Vec::new();
        decode_into(&encode(&list), &mut back).unwrap();
        assert_eq!(back, list);
    }

    #[test]
    fn packing_keeps_fields_apart() {
        let p = pack(42, 5, 77);
        assert_eq!((doc_of(p), slot_of(p), pos_of(p)), (42, 5, 77));
        assert_eq!(pack(1, 2, 3) + 1, pack(1, 2, 4));
    }

    #[test]
    fn corrupt_bytes_are_rejected_not_panicked_on() {
        let mut out = Vec::new();
        assert!(decode_into(&[0x80], &mut out).is_none());
        assert!(decode_into(&[0xFF; 11], &mut out).is_none());
        assert!(decode_into(&[5, 0], &mut out).is_none());
    }
}
