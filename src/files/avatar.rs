//! Avatars: an uploaded image decoded under limits (its header is read first, so
//! a decompression bomb costs a header read), cut to a centred square, scaled to
//! at most 256 px and encoded afresh as PNG or WebP, whichever is smaller. The
//! uploaded bytes are never kept or served: only what Veza encoded.

use std::io;
use std::path::Path;

use image::imageops::FilterType;
use image::{ImageError, ImageFormat, ImageReader, Limits};

use crate::files::encode::{self, Encoded};

/// Longest side of an avatar, in pixels.
pub const SIDE: u32 = 256;
/// Longest side of an image accepted as an avatar.
const MAX_SIDE: u32 = 16_384;

/// Why an upload cannot be an avatar (a 400 for the client).
#[derive(Debug)]
pub struct Refused(pub String);

/// Makes an avatar of the image at `path`. Blocking.
pub fn make(path: &Path, max_pixels: u64) -> io::Result<Result<Encoded, Refused>> {
    let refuse = |why: &str| Ok(Err(Refused(why.to_owned())));
    let reader = |p: &Path| -> io::Result<ImageReader<io::BufReader<std::fs::File>>> {
        let mut reader = ImageReader::open(p)?.with_guessed_format()?;
        let mut limits = Limits::default();
        limits.max_image_width = Some(MAX_SIDE);
        limits.max_image_height = Some(MAX_SIDE);
        limits.max_alloc = Some(max_pixels.saturating_mul(8).saturating_add(64 << 20));
        reader.limits(limits);
        Ok(reader)
    };
    let first = reader(path)?;
    if !matches!(
        first.format(),
        Some(ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::Gif | ImageFormat::WebP)
    ) {
        return refuse("must be a PNG, JPEG, GIF or WebP image");
    }
    let (width, height) = match first.into_dimensions() {
        Ok(size) => size,
        Err(e) => return refused(e),
    };
    if u64::from(width) * u64::from(height) > max_pixels {
        return refuse(&format!(
            "{width} × {height} pixels is over the limit of {max_pixels}"
        ));
    }
    let image = match reader(path)?.decode() {
        Ok(image) => image,
        Err(e) => return refused(e),
    };
    let side = width.min(height);
    let square = image.crop_imm((width - side) / 2, (height - side) / 2, side, side);
    let small = if side > SIDE {
        square.resize_exact(SIDE, SIDE, FilterType::Lanczos3)
    } else {
        square
    };
    match encode::smallest(&small, false) {
        Ok(encoded) => Ok(Ok(encoded)),
        Err(e) => Err(io::Error::other(e)),
    }
}

fn refused(e: ImageError) -> io::Result<Result<Encoded, Refused>> {
    match e {
        ImageError::IoError(e) if e.kind() != io::ErrorKind::UnexpectedEof => Err(e),
        ImageError::Limits(_) => Ok(Err(Refused("the image is too large".into()))),
        other => Ok(Err(Refused(format!("cannot be read as an image: {other}")))),
    }
}
