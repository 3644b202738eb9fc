//! Thumbnails: an image scaled to fit 320 × 320, in the smallest of WebP, PNG
//! and JPEG (see `encode`), never larger than the image itself. Decoding runs under
//! explicit limits: the header's dimensions are read first and an image over the
//! pixel limit is refused without decoding (a 100,000 × 100,000 "bomb" costs a
//! header read); the decoder itself is also capped in dimensions and allocation.

use std::io::{self, Write};
use std::path::Path;

use image::{ImageError, ImageReader, Limits};

/// Longest side of a thumbnail, in pixels.
pub const SIDE: u32 = 320;
/// Longest side of an image Veza decodes, whatever its pixel count.
const MAX_SIDE: u32 = 30_000;

/// What came of making a thumbnail.
#[derive(Debug, PartialEq, Eq)]
pub enum Made {
    /// Written; the source image's dimensions.
    Thumbnail { width: u32, height: u32 },
    /// The image cannot be made a thumbnail (too large, corrupt, unsupported):
    /// trying again would not help.
    Refused(String),
}

/// Makes the thumbnail of the image at `source` into `dest` (a new file). Blocking.
/// An `Err` is a fault worth retrying (the disk), not a property of the image.
pub fn make(source: &Path, dest: &Path, max_pixels: u64) -> io::Result<Made> {
    let (width, height) = match reader(source, max_pixels)?.into_dimensions() {
        Ok(size) => size,
        Err(e) => return refused(e),
    };
    if u64::from(width) * u64::from(height) > max_pixels || width.max(height) > MAX_SIDE {
        return Ok(Made::Refused(format!(
            "{width} × {height} pixels is over the limit of {max_pixels}"
        )));
    }
    let image = match reader(source, max_pixels)?.decode() {
        Ok(image) => image,
        Err(e) => return refused(e),
    };
    let small = if width.max(height) > SIDE {
        image.thumbnail(SIDE, SIDE)
    } else {
        image
    };
    let encoded = crate::files::encode::smallest(&small, true).map_err(io::Error::other)?;
    // Never larger than the file it stands for: a small, well-compressed image
    // is its own thumbnail (every format decoded here is one browsers show).
    let bytes = if encoded.bytes.len() as u64 >= std::fs::metadata(source)?.len() {
        std::fs::read(source)?
    } else {
        encoded.bytes
    };
    let written = crate::files::create_private(dest).and_then(|mut file| {
        file.write_all(&bytes)?;
        file.sync_all()
    });
    if let Err(e) = written {
        let _ = std::fs::remove_file(dest);
        return Err(e);
    }
    Ok(Made::Thumbnail { width, height })
}

fn reader(source: &Path, max_pixels: u64) -> io::Result<ImageReader<io::BufReader<std::fs::File>>> {
    let mut reader = ImageReader::open(source)?.with_guessed_format()?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    // Room for the decoded pixels (at most 8 bytes each) and the decoder's own buffers.
    limits.max_alloc = Some(max_pixels.saturating_mul(8).saturating_add(64 << 20));
    reader.limits(limits);
    Ok(reader)
}

fn refused(e: ImageError) -> io::Result<Made> {
    match e {
        ImageError::IoError(e) if e.kind() != io::ErrorKind::UnexpectedEof => Err(e),
        ImageError::Limits(_) => Ok(Made::Refused(
            "the image is over the size limit for thumbnails".into(),
        )),
        other => Ok(Made::Refused(other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::ImageFormat;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let image = image::RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
        });
        let mut bytes = io::Cursor::new(Vec::new());
        image.write_to(&mut bytes, ImageFormat::Png).unwrap();
        bytes.into_inner()
    }

    /// CRC-32 as PNG chunks use it.
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &byte in bytes {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
            }
        }
        !crc
    }

    #[test]
    fn large_images_shrink_to_fit_and_keep_their_shape() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("big");
        std::fs::write(&source, png(800, 400)).unwrap();
        let dest = dir.path().join("thumb");
        let made = make(&source, &dest, 25_000_000).unwrap();
        assert_eq!(
            made,
            Made::Thumbnail {
                width: 800,
                height: 400
            }
        );
        let thumb = ImageReader::open(&dest)
            .unwrap()
            .with_guessed_format()
            .unwrap()
            .decode()
            .unwrap();
        assert_eq!((thumb.width(), thumb.height()), (320, 160));
    }

    #[test]
    fn a_header_claiming_huge_dimensions_is_refused_without_decoding() {
        let dir = tempfile::tempdir().unwrap();
        // Over the longest side allowed, and under it but over the pixel count.
        for side in [100_000u32, 20_000] {
            let mut bomb = png(1, 1);
            // IHDR's width and height are bytes 16..24; its CRC covers bytes 12..29.
            bomb[16..20].copy_from_slice(&side.to_be_bytes());
            bomb[20..24].copy_from_slice(&side.to_be_bytes());
            let crc = crc32(&bomb[12..29]);
            bomb[29..33].copy_from_slice(&crc.to_be_bytes());
            let source = dir.path().join("bomb");
            std::fs::write(&source, bomb).unwrap();
            let dest = dir.path().join("thumb");
            match make(&source, &dest, 25_000_000).unwrap() {
                Made::Refused(why) => assert!(why.contains("limit"), "{side}: {why}"),
                other => panic!("{side}: {other:?}"),
            }
            assert!(!dest.exists());
        }
    }

    #[test]
    fn garbage_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("junk");
        std::fs::write(&source, b"\x89PNG\r\n\x1a\nnot really").unwrap();
        let dest = dir.path().join("thumb");
        assert!(matches!(
            make(&source, &dest, 25_000_000).unwrap(),
            Made::Refused(_)
        ));
    }
}
