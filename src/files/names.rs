//! The names a file is shown and downloaded under. The client's name is metadata
//! only (the bytes are stored under a generated name); it is cleaned so that it
//! cannot smuggle a path, a control character or a direction override into a
//! header, a download dialog or a page.

use unicode_normalization::UnicodeNormalization;

/// Longest name kept, in bytes (what most file systems accept).
const NAME_MAX_BYTES: usize = 255;
/// The name of a file whose client gave none (or nothing usable).
const UNNAMED: &str = "file";

/// The names of an upload: `(filename, original_filename)`. The original is the
/// client's name with control, bidirectional and zero-width characters removed; the
/// filename is its last path component, also without leading dots or characters
/// that file systems refuse.
pub fn from_client(raw: Option<&str>) -> (String, String) {
    let original: String = raw
        .unwrap_or_default()
        .nfc()
        .filter(|c| !c.is_control() && !crate::validate::is_deceptive(*c))
        .collect();
    let original = truncate(original.trim());
    let base = original.rsplit(['/', '\\']).next().unwrap_or_default();
    let filename: String = base
        .trim_start_matches(['.', ' '])
        .trim_end_matches(['.', ' '])
        .chars()
        .map(|c| if "<>:\"|?*".contains(c) { '_' } else { c })
        .collect();
    let filename = if filename.is_empty() {
        UNNAMED.to_string()
    } else {
        filename
    };
    let original = if original.is_empty() {
        filename.clone()
    } else {
        original
    };
    (filename, original)
}

fn truncate(name: &str) -> String {
    let mut end = name.len().min(NAME_MAX_BYTES);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    name[..end].to_string()
}

/// A `Content-Disposition` value (RFC 6266): an ASCII fallback name for old
/// clients and the exact name percent-encoded in UTF-8 (RFC 5987).
pub fn content_disposition(inline: bool, filename: &str) -> String {
    let fallback: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' && c != '%' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for byte in filename.bytes() {
        if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    let kind = if inline { "inline" } else { "attachment" };
    format!("{kind}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_reduced_to_their_last_component() {
        assert_eq!(from_client(Some("../../etc/passwd")).0, "passwd");
        assert_eq!(from_client(Some("C:\\Users\\me\\cv.pdf")).0, "cv.pdf");
        assert_eq!(from_client(Some("../..")).0, "file");
        assert_eq!(from_client(Some("/")).0, "file");
        assert_eq!(from_client(None), ("file".into(), "file".into()));
    }

    #[test]
    fn hidden_control_and_deceptive_characters_go() {
        assert_eq!(from_client(Some("a.php\0.png")).0, "a.php.png");
        assert_eq!(from_client(Some("a.php%00.png")).0, "a.php%00.png");
        assert_eq!(from_client(Some(".htaccess")).0, "htaccess");
        assert_eq!(
            from_client(Some("invoice\u{202E}fdp.exe")).0,
            "invoicefdp.exe"
        );
        assert_eq!(from_client(Some("a\r\nSet-Cookie: x")).0, "aSet-Cookie_ x");
        assert_eq!(from_client(Some("what?.txt")).0, "what_.txt");
    }

    #[test]
    fn long_names_are_cut_on_a_character_boundary() {
        let (name, original) = from_client(Some(&"é".repeat(300)));
        assert_eq!(name.len(), 254);
        assert_eq!(original, name);
    }

    #[test]
    fn dispositions_carry_a_safe_fallback_and_the_exact_name() {
        assert_eq!(
            content_disposition(false, "résumé \"final\".pdf"),
            "attachment; filename=\"r_sum_ _final_.pdf\"; \
             filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22.pdf"
        );
        assert!(content_disposition(true, "a.png").starts_with("inline; "));
    }
}
