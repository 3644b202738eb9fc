//! Encodes a small image (a thumbnail, an avatar) as the smallest of the
//! formats that suit it: WebP (lossless) and PNG always, and JPEG for opaque
//! images when allowed (a photograph is many times smaller as JPEG).

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::codecs::webp::WebPEncoder;
use image::{DynamicImage, ImageError, ImageFormat};

/// JPEG quality: small, and clean enough at thumbnail size.
const JPEG_QUALITY: u8 = 80;

pub struct Encoded {
    pub bytes: Vec<u8>,
    pub format: ImageFormat,
}

impl Encoded {
    pub fn content_type(&self) -> &'static str {
        content_type(self.format)
    }
}

pub fn content_type(format: ImageFormat) -> &'static str {
    match format {
        ImageFormat::Jpeg => "image/jpeg",
        ImageFormat::WebP => "image/webp",
        ImageFormat::Gif => "image/gif",
        _ => "image/png",
    }
}

/// The format of encoded image bytes, from their signature.
pub fn format_of(head: &[u8]) -> Option<ImageFormat> {
    match head {
        [0x89, b'P', b'N', b'G', ..] => Some(ImageFormat::Png),
        [0xFF, 0xD8, 0xFF, ..] => Some(ImageFormat::Jpeg),
        [b'G', b'I', b'F', b'8', ..] => Some(ImageFormat::Gif),
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => Some(ImageFormat::WebP),
        _ => None,
    }
}

/// The smallest encoding of `image` among WebP, PNG and (if `allow_jpeg` and
/// the image is opaque) JPEG.
pub fn smallest(image: &DynamicImage, allow_jpeg: bool) -> Result<Encoded, ImageError> {
    let alpha = uses_alpha(image);
    let pixels = if alpha {
        DynamicImage::ImageRgba8(image.to_rgba8())
    } else {
        DynamicImage::ImageRgb8(image.to_rgb8())
    };
    let mut best = Encoded {
        bytes: webp(&pixels)?,
        format: ImageFormat::WebP,
    };
    let png = png(&pixels)?;
    if png.len() < best.bytes.len() {
        best = Encoded {
            bytes: png,
            format: ImageFormat::Png,
        };
    }
    if allow_jpeg && !alpha {
        let jpeg = jpeg(&pixels)?;
        if jpeg.len() < best.bytes.len() {
            best = Encoded {
                bytes: jpeg,
                format: ImageFormat::Jpeg,
            };
        }
    }
    Ok(best)
}

fn uses_alpha(image: &DynamicImage) -> bool {
    image.color().has_alpha() && image.to_rgba8().pixels().any(|p| p.0[3] != 255)
}

fn webp(image: &DynamicImage) -> Result<Vec<u8>, ImageError> {
    let mut out = Cursor::new(Vec::new());
    image.write_with_encoder(WebPEncoder::new_lossless(&mut out))?;
    Ok(out.into_inner())
}

fn png(image: &DynamicImage) -> Result<Vec<u8>, ImageError> {
    let mut out = Cursor::new(Vec::new());
    let encoder =
        PngEncoder::new_with_quality(&mut out, CompressionType::Best, FilterType::Adaptive);
    image.write_with_encoder(encoder)?;
    Ok(out.into_inner())
}

fn jpeg(image: &DynamicImage) -> Result<Vec<u8>, ImageError> {
    let mut out = Cursor::new(Vec::new());
    image.write_with_encoder(JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY))?;
    Ok(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_art_is_small_and_photographs_become_jpeg() {
        let flat = DynamicImage::ImageRgb8(image::RgbImage::from_fn(320, 240, |x, _| {
            if x < 160 {
                image::Rgb([200, 30, 30])
            } else {
                image::Rgb([255, 255, 255])
            }
        }));
        let encoded = smallest(&flat, true).unwrap();
        assert!(encoded.bytes.len() < 2_000, "{} bytes", encoded.bytes.len());
        assert_eq!(format_of(&encoded.bytes), Some(encoded.format));

        // Noise stands in for a photograph's detail.
        let mut seed = 12345u32;
        let noisy = DynamicImage::ImageRgb8(image::RgbImage::from_fn(320, 240, |x, y| {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let n = (seed >> 16) as u8 / 4;
            image::Rgb([(x as u8).wrapping_add(n), (y as u8).wrapping_add(n), n])
        }));
        let encoded = smallest(&noisy, true).unwrap();
        assert_eq!(encoded.format, ImageFormat::Jpeg);
        let without_jpeg = smallest(&noisy, false).unwrap();
        assert!(encoded.bytes.len() < without_jpeg.bytes.len());
    }

    #[test]
    fn transparency_is_never_lost_to_jpeg() {
        let clear = DynamicImage::ImageRgba8(image::RgbaImage::from_fn(64, 64, |x, y| {
            image::Rgba([x as u8 * 4, y as u8 * 4, 7, (x * 4) as u8])
        }));
        let encoded = smallest(&clear, true).unwrap();
        assert_ne!(encoded.format, ImageFormat::Jpeg);
    }
}
