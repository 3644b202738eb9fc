//! The documentation holds together: every relative link between the README and
//! `docs/` resolves (file and heading), every `docs/…` path the code names exists,
//! and `veza.toml`, the one reference of the settings, names every key Veza reads
//! and no key it does not.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The README and every Markdown file under `docs/`.
fn documents() -> Vec<PathBuf> {
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.push(root().join("README.md"));
    docs.sort();
    docs
}

/// The targets of the Markdown links `[text](target)` of `text`, outside code.
fn links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_fence = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        let mut rest = line;
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let Some(end) = after.find(')') else { break };
            out.push(after[..end].to_owned());
            rest = &after[end..];
        }
    }
    out
}

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces to `-`.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

fn anchors(text: &str) -> BTreeSet<String> {
    let mut in_fence = false;
    let mut out = BTreeSet::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
        } else if !in_fence && line.starts_with('#') {
            out.insert(slug(line.trim_start_matches('#')));
        }
    }
    out
}

#[test]
fn every_relative_link_resolves_to_a_file_and_heading() {
    let mut broken = Vec::new();
    let mut checked = 0;
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).unwrap();
        for target in links(&text) {
            if target.starts_with("http://")
                || target.starts_with("https://")
                || target.starts_with("mailto:")
            {
                continue;
            }
            checked += 1;
            let (file, anchor) = target.split_once('#').unwrap_or((&target, ""));
            let path = if file.is_empty() {
                doc.clone()
            } else {
                doc.parent().unwrap().join(file)
            };
            if !path.exists() {
                broken.push(format!("{}: {target} (no such file)", doc.display()));
                continue;
            }
            if !anchor.is_empty() && path.extension().is_some_and(|e| e == "md") {
                let headings = anchors(&std::fs::read_to_string(&path).unwrap());
                if !headings.contains(anchor) {
                    broken.push(format!("{}: {target} (no such heading)", doc.display()));
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
    assert!(
        checked > 15,
        "only {checked} links were found: is the parser right?"
    );
}

/// Every file under `dir` with one of `extensions`, recursively.
fn sources(dir: &Path, extensions: &[&str], out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, extensions, out);
        } else if path
            .extension()
            .is_some_and(|e| extensions.iter().any(|x| e == *x))
        {
            out.push(path);
        }
    }
}

#[test]
fn every_docs_path_named_in_the_code_exists() {
    let mut files = vec![root().join("Cargo.toml"), root().join("veza.toml")];
    sources(&root().join("src"), &["rs"], &mut files);
    sources(&root().join("static/app"), &["js", "html"], &mut files);
    let mut named = BTreeSet::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let mut rest = text.as_str();
        while let Some(at) = rest.find("docs/") {
            let before = &rest[..at];
            let path: String = rest[at..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || matches!(c, '/' | '.' | '_' | '-'))
                .collect();
            rest = &rest[at + 5..];
            // `static/docs/…` is the API viewer, named by its own path.
            if before.ends_with("static/") || !path.ends_with(".md") {
                continue;
            }
            named.insert((path, file.clone()));
        }
    }
    assert!(
        !named.is_empty(),
        "the code names no docs/ file: is the scan right?"
    );
    for (path, file) in named {
        assert!(
            root().join(&path).exists(),
            "{} names {path}, which does not exist",
            file.display()
        );
    }
}

/// `section.key` for every key of the documented `veza.toml`, commented or not.
fn documented_keys() -> BTreeSet<String> {
    let text = std::fs::read_to_string(root().join("veza.toml")).unwrap();
    let mut section = String::new();
    let mut keys = BTreeSet::new();
    for line in text.lines() {
        let line = line.trim_start_matches('#').trim();
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = format!("{name}.");
            continue;
        }
        let Some((key, _)) = line.split_once(" = ") else {
            continue;
        };
        if !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            keys.insert(format!("{section}{key}"));
        }
    }
    keys
}

fn flatten(prefix: &str, value: &serde_json::Value, out: &mut BTreeSet<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, inner) in map {
                flatten(&format!("{prefix}{key}."), inner, out);
            }
        }
        _ => {
            out.insert(prefix.trim_end_matches('.').to_owned());
        }
    }
}

#[test]
fn veza_toml_names_every_setting_and_nothing_else() {
    let mut config = serde_json::to_value(veza::Config::default()).unwrap();
    // The identity provider has no default: its keys, from a filled-in section.
    let oidc: veza::config::OidcConfig = serde_json::from_value(serde_json::json!({
        "issuer": "https://sso.example.com",
        "client_id": "veza",
        "client_secret": "s",
        "redirect_url": "https://chat.example.com/auth/oauth/callback",
    }))
    .unwrap();
    config["oidc"] = serde_json::to_value(oidc).unwrap();
    // Nor has e-mail: its keys, from a section with only the required ones.
    let smtp: veza::config::SmtpConfig = serde_json::from_value(serde_json::json!({
        "host": "smtp.example.com",
        "from": "Veza <veza@example.com>",
    }))
    .unwrap();
    config["smtp"] = serde_json::to_value(smtp).unwrap();
    let mut read = BTreeSet::new();
    flatten("", &config, &mut read);
    let documented = documented_keys();
    let missing: Vec<_> = read.difference(&documented).collect();
    let stale: Vec<_> = documented.difference(&read).collect();
    assert!(
        missing.is_empty(),
        "veza.toml does not document {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "veza.toml documents unknown keys {stale:?}"
    );
}
