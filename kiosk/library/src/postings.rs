//! Posting lists: where a term occurs, as sorted 64-bit positions stored
//! delta-encoded as LEB128 varints (about 1–3 bytes per occurrence instead
//! of 8), read back one position at a time so a search can stop early.
//!
//! A position packs where a cell is so that sorting positions sorts them in
//! the order search wants to read them, and "the next cell of the same
//! field" is a fixed step. Head (title and keyword) positions sort by rank:
//! titles before keywords, then by cell position, then by article, so a
//! search reading head lists from the start meets each article first at its
//! best match and can stop once it has enough articles:
//!
//! ```text
//!  head:  56     55      40 39          8 7      0     next cell: + 1 << 40
//!        [class][ cell pos ][ article doc ][ slot ]    class: 0 title, 1 keyword
//!  body:  63          24 23            0               next cell: + 1
//!        [ article doc ][  cell pos    ]
//! ```
//!
//! Slot 0 is the title, 1–254 the keywords. Body hits rank in library
//! order, which is the order body positions sort in.

/// The title's slot.
pub(crate) const TITLE: u8 = 0;
/// The most keywords indexed per article (slots 1..=254).
pub(crate) const MAX_KEYWORDS: usize = 254;
/// Cells beyond this position of a title or keyword are not indexed.
pub(crate) const MAX_HEAD_POS: u32 = (1 << 16) - 1;
/// Cells beyond this position of a body are not indexed.
pub(crate) const MAX_BODY_POS: u32 = (1 << 24) - 1;
/// The difference between a head position and the next cell's.
pub(crate) const HEAD_STEP: u64 = 1 << 40;
/// The difference between a body position and the next cell's.
pub(crate) const BODY_STEP: u64 = 1;

/// Packs a head position.
pub(crate) fn pack_head(doc: u32, slot: u8, pos: u32) -> u64 {
    let class = u64::from(slot != TITLE);
    (class << 56) | (u64::from(pos & MAX_HEAD_POS) << 40) | (u64::from(doc) << 8) | u64::from(slot)
}

/// (article, slot, cell position) of a head position.
pub(crate) fn unpack_head(p: u64) -> (u32, u8, u32) {
    (
        ((p >> 8) & 0xFFFF_FFFF) as u32,
        (p & 0xFF) as u8,
        ((p >> 40) as u32) & MAX_HEAD_POS,
    )
}

/// Packs a body position.
pub(crate) fn pack_body(doc: u32, pos: u32) -> u64 {
    (u64::from(doc) << 24) | u64::from(pos & MAX_BODY_POS)
}

/// (article, cell position) of a body position.
pub(crate) fn unpack_body(p: u64) -> (u32, u32) {
    ((p >> 24) as u32, (p as u32) & MAX_BODY_POS)
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

/// A list's bytes do not decode (truncated, overflowing or not increasing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Corrupt;

/// Reads an encoded list one position at a time.
#[derive(Debug, Clone)]
pub(crate) struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
    value: u64,
    started: bool,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Cursor<'a> {
        Cursor {
            bytes,
            at: 0,
            value: 0,
            started: false,
        }
    }

    /// The next position, `None` at the end.
    #[inline]
    pub(crate) fn next(&mut self) -> Result<Option<u64>, Corrupt> {
        let Some(&first) = self.bytes.get(self.at) else {
            return Ok(None);
        };
        let delta = if first < 0x80 {
            self.at += 1;
            u64::from(first)
        } else {
            let mut delta = 0u64;
            let mut shift = 0u32;
            loop {
                let byte = *self.bytes.get(self.at).ok_or(Corrupt)?;
                self.at += 1;
                if shift > 63 {
                    return Err(Corrupt);
                }
                delta |= u64::from(byte & 0x7F) << shift;
                shift += 7;
                if byte < 0x80 {
                    break;
                }
            }
            delta
        };
        if self.started && delta == 0 {
            return Err(Corrupt);
        }
        self.value = self.value.checked_add(delta).ok_or(Corrupt)?;
        self.started = true;
        Ok(Some(self.value))
    }

    /// The first position `>= target` at or after the current one.
    #[inline]
    pub(crate) fn seek(&mut self, target: u64) -> Result<Option<u64>, Corrupt> {
        if self.started && self.value >= target {
            return Ok(Some(self.value));
        }
        while let Some(v) = self.next()? {
            if v >= target {
                return Ok(Some(v));
            }
        }
        Ok(None)
    }
}

/// Reads several lists as one (the terms of a prefix lookup).
#[derive(Debug, Clone)]
pub(crate) struct Union<'a> {
    parts: Vec<(Cursor<'a>, Option<u64>)>,
    started: bool,
}

impl<'a> Union<'a> {
    pub(crate) fn new(parts: Vec<Cursor<'a>>) -> Union<'a> {
        Union {
            parts: parts.into_iter().map(|c| (c, None)).collect(),
            started: false,
        }
    }

    /// The first position `>= target` in any of the lists, at or after the
    /// current one.
    pub(crate) fn seek(&mut self, target: u64) -> Result<Option<u64>, Corrupt> {
        let mut best: Option<u64> = None;
        for (cursor, head) in &mut self.parts {
            if !self.started || head.is_some_and(|h| h < target) {
                *head = cursor.seek(target)?;
            }
            if let Some(h) = *head {
                best = Some(best.map_or(h, |b| b.min(h)));
            }
        }
        self.started = true;
        Ok(best)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> Result<Vec<u64>, Corrupt> {
        let mut cursor = Cursor::new(bytes);
        let mut out = Vec::new();
        while let Some(v) = cursor.next()? {
            out.push(v);
        }
        Ok(out)
    }

    #[test]
    fn round_trips_sorted_positions() {
        let list = vec![
            pack_body(0, 0),
            pack_body(0, 1),
            pack_body(0, 900),
            pack_body(7, 2),
            u64::MAX,
        ];
        assert_eq!(decode(&encode(&list)), Ok(list.clone()));
        let bytes = encode(&list);
        let mut cursor = Cursor::new(&bytes);
        assert_eq!(cursor.seek(pack_body(0, 2)), Ok(Some(pack_body(0, 900))));
        assert_eq!(cursor.seek(pack_body(0, 2)), Ok(Some(pack_body(0, 900))));
        assert_eq!(cursor.seek(pack_body(7, 3)), Ok(Some(u64::MAX)));
        assert_eq!(cursor.next(), Ok(None));
    }

    #[test]
    fn packing_keeps_fields_apart_and_steps_to_the_next_cell() {
        assert_eq!(unpack_head(pack_head(42, 5, 77)), (42, 5, 77));
        assert_eq!(pack_head(1, 2, 3) + HEAD_STEP, pack_head(1, 2, 4));
        assert_eq!(unpack_body(pack_body(9, 1000)), (9, 1000));
        assert_eq!(pack_body(1, 3) + BODY_STEP, pack_body(1, 4));
    }

    #[test]
    fn head_positions_sort_by_rank() {
        // Title before keyword, earlier cell before later, then article.
        let mut list = [
            pack_head(0, 1, 0),
            pack_head(5, TITLE, 3),
            pack_head(9, TITLE, 0),
            pack_head(1, TITLE, 3),
        ];
        list.sort_unstable();
        let order: Vec<_> = list.iter().map(|&p| unpack_head(p)).collect();
        assert_eq!(order, vec![(9, 0, 0), (1, 0, 3), (5, 0, 3), (0, 1, 0)]);
    }

    #[test]
    fn union_seeks_across_lists() {
        let a = encode(&[1, 10, 20]);
        let b = encode(&[5, 15]);
        let mut u = Union::new(vec![Cursor::new(&a), Cursor::new(&b)]);
        assert_eq!(u.seek(0), Ok(Some(1)));
        assert_eq!(u.seek(2), Ok(Some(5)));
        assert_eq!(u.seek(11), Ok(Some(15)));
        assert_eq!(u.seek(16), Ok(Some(20)));
        assert_eq!(u.seek(21), Ok(None));
    }

    #[test]
    fn corrupt_bytes_are_rejected_not_panicked_on() {
        assert_eq!(decode(&[0x80]), Err(Corrupt));
        assert_eq!(decode(&[0xFF; 11]), Err(Corrupt));
        assert_eq!(decode(&[5, 0]), Err(Corrupt));
    }
}
