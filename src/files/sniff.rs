//! What a file is, from its bytes (never from the client's name or type), and how
//! it may be served.

/// Raster image types a browser may show inline: they cannot run script.
const INLINE_SAFE: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp"];

/// The MIME type of a file whose first bytes are `head`.
pub fn mime_type(head: &[u8]) -> String {
    if let Some(kind) = infer::get(head) {
        return kind.mime_type().to_string();
    }
    match text_prefix(head) {
        Some(text) if looks_like_markup(text) => "text/html".into(),
        Some(_) => "text/plain".into(),
        None => "application/octet-stream".into(),
    }
}

/// The part of `head` that is UTF-8 text, if it all is (a character cut at the end
/// of `head` is forgiven); NUL bytes make it binary.
fn text_prefix(head: &[u8]) -> Option<&str> {
    let text = match std::str::from_utf8(head) {
        Ok(text) => text,
        Err(e) if e.error_len().is_none() => std::str::from_utf8(&head[..e.valid_up_to()]).ok()?,
        Err(_) => return None,
    };
    (!text.contains('\0')).then_some(text)
}

/// Text that a browser could take for a document: served as `text/html` it would
/// be, so it is recorded as such and never served inline.
fn looks_like_markup(text: &str) -> bool {
    let start: String = text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .chars()
        .take(64)
        .collect::<String>()
        .to_ascii_lowercase();
    [
        "<!doctype",
        "<html",
        "<svg",
        "<?xml",
        "<script",
        "<head",
        "<body",
        "<iframe",
    ]
    .iter()
    .any(|tag| start.starts_with(tag))
}

/// Whether a file of this type may be shown inline rather than downloaded.
pub fn is_inline_safe(mime_type: &str) -> bool {
    INLINE_SAFE.contains(&mime_type)
}

/// Whether Veza makes thumbnails of this type.
pub fn has_thumbnail(mime_type: &str) -> bool {
    INLINE_SAFE.contains(&mime_type)
}

/// The `Content-Type` a download is served with: its type, except that anything a
/// browser could run as a document goes out as opaque bytes.
pub fn served_type(mime_type: &str) -> &str {
    let active = mime_type.starts_with("text/html")
        || mime_type.contains("xml")
        || mime_type.contains("javascript")
        || mime_type.contains("ecmascript");
    if active {
        "application/octet-stream"
    } else {
        mime_type
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_the_bytes() {
        assert_eq!(mime_type(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), "image/png");
        assert_eq!(mime_type(b"%PDF-1.7\n"), "application/pdf");
        assert_eq!(mime_type("héllo wörld".as_bytes()), "text/plain");
        assert_eq!(mime_type(&[0, 1, 2, 3, 0xff]), "application/octet-stream");
    }

    #[test]
    fn markup_is_never_inline() {
        for doc in [
            "<!DOCTYPE html><p>x",
            "  <html><script>alert(1)</script>",
            "<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
            "\u{feff}<?xml version='1.0'?><svg/>",
        ] {
            let kind = mime_type(doc.as_bytes());
            assert!(!is_inline_safe(&kind), "{doc} sniffed as {kind}");
            assert_eq!(served_type(&kind), "application/octet-stream", "{doc}");
        }
    }

    #[test]
    fn a_character_cut_at_the_end_of_the_head_is_still_text() {
        let text = "é".repeat(10);
        assert_eq!(mime_type(&text.as_bytes()[..19]), "text/plain");
    }
}
