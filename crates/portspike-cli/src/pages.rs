//! The page headers of a Parquet column chunk, read before its pages are:
//! each page's claimed sizes are checked against the bytes its chunk
//! really has, so that a file of a few hundred bytes cannot make the
//! reader allocate gigabytes for pages it claims to decompress into.
//!
//! A page header is a Thrift struct in the compact protocol: field 2 is
//! the page's uncompressed size, field 3 its stored size; every other
//! field (statistics, the dictionary and data page headers) is skipped
//! without being kept.

use std::io::Read;

/// The most one page may decompress into (our own pages hold at most
/// 1 MiB, as do DuckDB's and Spark's): the reader holds a page of every
/// column at once, so this bounds its memory.
pub const PAGE_MAX: i64 = 4 << 20;
/// The most a page may claim to grow when decompressed, against its stored size.
pub const PAGE_INFLATION: i64 = 1024;
/// Nesting deeper than this is not a page header.
const DEPTH_MAX: u32 = 16;

/// What a page header says of its sizes, and how long it is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Header {
    pub len: u64,
    pub uncompressed: i64,
    pub compressed: i64,
}

struct Input<R> {
    r: R,
    /// Bytes read so far.
    at: u64,
    /// Bytes left in the chunk: nothing is read past them.
    left: u64,
}

impl<R: Read> Input<R> {
    fn byte(&mut self) -> Result<u8, String> {
        if self.left == 0 {
            return Err("runs past the end of its column chunk".into());
        }
        let mut b = [0u8; 1];
        self.r
            .read_exact(&mut b)
            .map_err(|e| format!("cannot be read ({e})"))?;
        self.at += 1;
        self.left -= 1;
        Ok(b[0])
    }

    fn skip(&mut self, n: u64) -> Result<(), String> {
        if n > self.left {
            return Err(format!(
                "claims a field of {n} bytes where its chunk has {} left",
                self.left
            ));
        }
        let got = std::io::copy(&mut (&mut self.r).take(n), &mut std::io::sink())
            .map_err(|e| format!("cannot be read ({e})"))?;
        if got != n {
            return Err("runs past the end of its file".into());
        }
        self.at += n;
        self.left -= n;
        Ok(())
    }

    fn varint(&mut self) -> Result<u64, String> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err("holds a number longer than 64 bits".into())
    }

    fn zigzag(&mut self) -> Result<i64, String> {
        let v = self.varint()?;
        Ok((v >> 1) as i64 ^ -((v & 1) as i64))
    }

    /// Skip one value of compact type `t`.
    fn value(&mut self, t: u8, depth: u32) -> Result<(), String> {
        if depth > DEPTH_MAX {
            return Err(format!("nests deeper than {DEPTH_MAX} levels"));
        }
        match t {
            1 | 2 => Ok(()),
            3 => self.skip(1),
            4..=6 => self.varint().map(|_| ()),
            7 => self.skip(8),
            8 => {
                let n = self.varint()?;
                self.skip(n)
            }
            9 | 10 => {
                let h = self.byte()?;
                let n = match h >> 4 {
                    15 => self.varint()?,
                    n => u64::from(n),
                };
                self.items(n, h & 0x0f, depth)
            }
            11 => {
                let n = self.varint()?;
                if n == 0 {
                    return Ok(());
                }
                // Every entry takes at least two bytes.
                if n > self.left / 2 {
                    return Err(format!(
                        "claims a map of {n} entries where its chunk has {} bytes left",
                        self.left
                    ));
                }
                let kv = self.byte()?;
                for _ in 0..n {
                    self.element(kv >> 4, depth + 1)?;
                    self.element(kv & 0x0f, depth + 1)?;
                }
                Ok(())
            }
            12 => self.fields(depth + 1, |_, _, _| Ok(false)).map(|_| ()),
            other => Err(format!("holds a value of unknown type {other}")),
        }
    }

    fn items(&mut self, n: u64, t: u8, depth: u32) -> Result<(), String> {
        // Every item takes at least a byte (booleans in lists do too).
        if n > self.left {
            return Err(format!(
                "claims a list of {n} items where its chunk has {} bytes left",
                self.left
            ));
        }
        for _ in 0..n {
            self.element(t, depth + 1)?;
        }
        Ok(())
    }

    /// Skip one item of a list, set or map: a boolean there takes a byte
    /// (in a struct's field header it takes none).
    fn element(&mut self, t: u8, depth: u32) -> Result<(), String> {
        match t {
            1 | 2 => self.skip(1),
            _ => self.value(t, depth),
        }
    }

    /// Walk a struct's fields, handing each (id, type) to `take`, which
    /// reads the value itself and says so, or leaves it to be skipped.
    fn fields(
        &mut self,
        depth: u32,
        mut take: impl FnMut(&mut Self, i16, u8) -> Result<bool, String>,
    ) -> Result<(), String> {
        let mut id: i16 = 0;
        loop {
            let h = self.byte()?;
            let t = h & 0x0f;
            if t == 0 {
                return Ok(());
            }
            id = match h >> 4 {
                0 => i16::try_from(self.zigzag()?).map_err(|_| "holds a bad field id")?,
                d => id.saturating_add(i16::from(d)),
            };
            if !take(self, id, t)? {
                self.value(t, depth)?;
            }
        }
    }
}

/// Read the page header at the start of `r`, reading at most `left` bytes.
pub fn header(r: impl Read, left: u64) -> Result<Header, String> {
    let mut input = Input { r, at: 0, left };
    let (mut uncompressed, mut compressed) = (None, None);
    input.fields(0, |i, id, t| match (id, t) {
        (2, 5) => {
            uncompressed = Some(i.zigzag()?);
            Ok(true)
        }
        (3, 5) => {
            compressed = Some(i.zigzag()?);
            Ok(true)
        }
        _ => Ok(false),
    })?;
    match (uncompressed, compressed) {
        (Some(uncompressed), Some(compressed)) => Ok(Header {
            len: input.at,
            uncompressed,
            compressed,
        }),
        _ => Err("is not a page header (its sizes are missing)".into()),
    }
}

/// Check every page of the column chunk at `start`, `len` bytes long, in a
/// source `open` reads from any offset: each page header well formed, its
/// stored bytes inside the chunk, its decompressed size within
/// [`PAGE_MAX`] and [`PAGE_INFLATION`] times its stored size (or 64 KiB).
/// The error says which page, at which byte, claimed what.
pub fn check_chunk<R: Read>(
    mut open: impl FnMut(u64) -> std::io::Result<R>,
    start: u64,
    len: u64,
) -> Result<(), String> {
    let end = start.saturating_add(len);
    let mut at = start;
    let mut page = 0usize;
    while at < end {
        let r = open(at).map_err(|e| format!("page {page} at byte {at}: cannot be read ({e})"))?;
        let h =
            header(r, end - at).map_err(|e| format!("page {page} at byte {at}: its header {e}"))?;
        let body = at + h.len;
        let room = end - body;
        if !(0..=i64::try_from(room).unwrap_or(i64::MAX)).contains(&h.compressed) {
            return Err(format!(
                "page {page} at byte {at}: claims {} stored bytes where its column chunk has {room} left",
                h.compressed
            ));
        }
        let bound = (h.compressed.saturating_mul(PAGE_INFLATION)).clamp(64 << 10, PAGE_MAX);
        if !(0..=bound).contains(&h.uncompressed) {
            return Err(format!(
                "page {page} at byte {at}: claims {} bytes decompressed from {} stored (at most {bound} are read)",
                h.uncompressed, h.compressed
            ));
        }
        at = body + h.compressed as u64;
        page += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A compact-protocol page header: type, sizes, then a data page header
    /// struct holding a list and a binary, as statistics would.
    fn page(uncompressed: i32, compressed: i32) -> Vec<u8> {
        let zz = |v: i32| -> Vec<u8> {
            let mut z = ((v << 1) ^ (v >> 31)) as u32;
            let mut out = Vec::new();
            loop {
                let b = (z & 0x7f) as u8;
                z >>= 7;
                if z == 0 {
                    out.push(b);
                    return out;
                }
                out.push(b | 0x80);
            }
        };
        let mut h = vec![0x15];
        h.extend(zz(0));
        h.push(0x15);
        h.extend(zz(uncompressed));
        h.push(0x15);
        h.extend(zz(compressed));
        // field 5 (delta 2), a struct: field 1 i32, field 2 a list of 2 i32, field 3 binary "ab", stop.
        h.extend([
            0x2c, 0x15, 0x02, 0x19, 0x25, 0x02, 0x04, 0x18, 0x02, b'a', b'b', 0x00,
        ]);
        h.push(0x00);
        h.extend(vec![0u8; compressed.max(0) as usize]);
        h
    }

    fn check(bytes: &[u8]) -> Result<(), String> {
        check_chunk(|at| Ok(&bytes[at as usize..]), 0, bytes.len() as u64)
    }

    #[test]
    fn honest_pages_pass_and_each_false_claim_is_named() {
        let mut two = page(100, 10);
        two.extend(page(2000, 20));
        assert_eq!(check(&two), Ok(()));
        let e = check(&page(i32::MAX, 10)).unwrap_err();
        assert!(
            e.contains("page 0 at byte 0: claims 2147483647 bytes decompressed from 10 stored"),
            "{e}"
        );
        let mut second = page(100, 10);
        let at = second.len();
        second.extend(page(100, 10));
        let n = second.len();
        // The second page claims more stored bytes than the chunk has.
        second.truncate(n - 5);
        let e = check(&second).unwrap_err();
        assert!(
            e.contains(&format!(
                "page 1 at byte {at}: claims 10 stored bytes where its column chunk has 5 left"
            )),
            "{e}"
        );
        let e = check(&[0x15, 0x02, 0x19, 0xf5, 0xff, 0xff, 0xff, 0x0f]).unwrap_err();
        assert!(e.contains("claims a list of"), "{e}");
        // A map claiming 2^63 entries of booleans, which take a byte each.
        let e = check(&[
            0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x11,
        ])
        .unwrap_err();
        assert!(e.contains("claims a map of"), "{e}");
        let e = check(&[0x15]).unwrap_err();
        assert!(e.contains("runs past the end"), "{e}");
        let deep = vec![0x1c; 40];
        assert!(check(&deep).unwrap_err().contains("nests deeper"));
    }
}
