//! The tracker's wire format, as rabit writes it: 32-bit integers in the host's byte order and
//! strings as such an integer length followed by the bytes. Every length read from the network is
//! bounded before anything is allocated for it.

use std::io::{self, Read, Write};

/// Sent first by a worker and echoed by the tracker (`kMagic` in rabit, `MAGIC_NUM` in tracker.py).
pub const MAGIC: i32 = 0xff99;

pub fn read_i32(r: &mut impl Read) -> io::Result<i32> {
    let mut b = [0u8; 4];
    r.read_exact(&mut b)?;
    Ok(i32::from_ne_bytes(b))
}

pub fn write_i32(w: &mut impl Write, v: i32) -> io::Result<()> {
    w.write_all(&v.to_ne_bytes())
}

/// A string of at most `max` bytes; longer (or negative) lengths are refused unread.
pub fn read_str(r: &mut impl Read, max: usize) -> io::Result<String> {
    let len = read_i32(r)?;
    let len = usize::try_from(len)
        .ok()
        .filter(|&l| l <= max)
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("string of {len} bytes (at most {max} accepted)"),
            )
        })?;
    let mut b = vec![0u8; len];
    r.read_exact(&mut b)?;
    String::from_utf8(b)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "string is not UTF-8"))
}

pub fn write_str(w: &mut impl Write, s: &str) -> io::Result<()> {
    let len = i32::try_from(s.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "string too long"))?;
    write_i32(w, len)?;
    w.write_all(s.as_bytes())
}

/// A rank or count the tracker sends; every value the tracker handles fits (world size ≤ `MAX_WORKERS`).
pub fn write_usize(w: &mut impl Write, v: usize) -> io::Result<()> {
    let v = i32::try_from(v)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "value too large"))?;
    write_i32(w, v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_round_trip_and_oversized_lengths_are_refused_unread() {
        let mut buf = Vec::new();
        write_str(&mut buf, "start").unwrap();
        assert_eq!(buf.len(), 4 + 5);
        assert_eq!(read_str(&mut buf.as_slice(), 16).unwrap(), "start");
        let e = read_str(&mut buf.as_slice(), 4).unwrap_err();
        assert!(e.to_string().contains("at most 4"), "{e}");
        let mut huge = Vec::new();
        write_i32(&mut huge, i32::MAX).unwrap();
        assert!(read_str(&mut huge.as_slice(), 1 << 16).is_err());
        let mut negative = Vec::new();
        write_i32(&mut negative, -5).unwrap();
        assert!(read_str(&mut negative.as_slice(), 16).is_err());
    }
}
