//! The layers of docs/ARCHITECTURE.md, checked against the code: the `crate::`
//! paths of every file under `src/` (test modules aside) form no circle, and no
//! layer imports one that its row of the table forbids.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every source file by module path (`["store", "messages"]`), with its text
/// without comments and `#[cfg(test)]` modules.
fn modules() -> BTreeMap<Vec<String>, (PathBuf, String)> {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = BTreeMap::new();
    walk(&src, &src, &mut out);
    out
}

fn walk(src: &Path, dir: &Path, out: &mut BTreeMap<Vec<String>, (PathBuf, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(src, &path, out);
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let rel = path.strip_prefix(src).unwrap().with_extension("");
        let mut key: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        if key.last().is_some_and(|l| l == "mod") {
            key.pop();
        }
        if key == ["lib"] || key == ["main"] {
            key.clear();
        }
        let text = std::fs::read_to_string(&path).unwrap();
        out.insert(key, (path, without_tests(&without_comments(&text))));
    }
}

fn without_comments(text: &str) -> String {
    text.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `text` without its `#[cfg(test)] mod … { … }` blocks.
fn without_tests(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        let Some(open) = after.find('{') else { break };
        let is_module = after[..open].contains("mod ");
        if !is_module {
            out.push_str("#[cfg(test)]");
            rest = &after["#[cfg(test)]".len()..];
            continue;
        }
        let mut depth = 0;
        let mut end = after.len();
        for (i, c) in after[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// The module a crate path names: the longest prefix that is a file.
fn resolve(
    modules: &BTreeMap<Vec<String>, (PathBuf, String)>,
    parts: &[String],
) -> Option<Vec<String>> {
    (1..=parts.len())
        .rev()
        .map(|k| parts[..k].to_vec())
        .find(|prefix| modules.contains_key(prefix))
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The modules `text` names through `crate::` paths (groups expanded one level).
fn imports(
    modules: &BTreeMap<Vec<String>, (PathBuf, String)>,
    text: &str,
) -> BTreeSet<Vec<String>> {
    let mut found = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("crate::") {
        let after = &rest[at + 7..];
        let mut parts = Vec::new();
        let mut tail = after;
        loop {
            let word: String = tail.chars().take_while(|c| is_word(*c)).collect();
            if word.is_empty() {
                break;
            }
            tail = &tail[word.len()..];
            parts.push(word);
            match tail.strip_prefix("::") {
                Some(more) => tail = more,
                None => break,
            }
        }
        if let Some(group) = tail.strip_prefix('{') {
            let inner = group.split('}').next().unwrap_or("");
            for item in inner.split(',') {
                let item = item.trim().split(" as ").next().unwrap_or("");
                let mut full = parts.clone();
                full.extend(
                    item.split("::")
                        .filter(|s| !s.is_empty() && *s != "self")
                        .map(str::to_owned),
                );
                if let Some(m) = resolve(modules, &full) {
                    found.insert(m);
                }
            }
        }
        if let Some(m) = resolve(modules, &parts) {
            found.insert(m);
        }
        rest = after;
    }
    found
}

fn graph() -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let modules = modules();
    modules
        .iter()
        .map(|(key, (_, text))| {
            let mut targets = imports(&modules, text);
            targets.remove(key);
            (key.clone(), targets)
        })
        .collect()
}

fn name(key: &[String]) -> String {
    if key.is_empty() {
        "lib".into()
    } else {
        key.join("::")
    }
}

#[test]
fn no_file_imports_itself_around_a_circle() {
    let graph = graph();
    // A file is on a circle when it can reach itself.
    let mut circles = Vec::new();
    for start in graph.keys() {
        let mut seen = BTreeSet::new();
        let mut todo: Vec<&Vec<String>> = graph[start].iter().collect();
        while let Some(next) = todo.pop() {
            if next == start {
                circles.push(name(start));
                break;
            }
            if seen.insert(next) {
                todo.extend(graph.get(next).into_iter().flatten());
            }
        }
    }
    assert!(circles.is_empty(), "files on an import circle: {circles:?}");
    assert!(graph.len() > 100, "only {} files were read", graph.len());
}

/// `(layer, what it must not import)`: module path prefixes, from the table of
/// docs/ARCHITECTURE.md.
const FORBIDDEN: &[(&str, &[&str])] = &[
    (
        "store",
        &[
            "api", "http", "domain", "auth", "app", "journal", "event", "error", "fairings",
            "realtime", "tasks", "webhooks", "gate",
        ],
    ),
    (
        "db",
        &[
            "api", "http", "domain", "auth", "app", "journal", "event", "error", "store", "policy",
            "fairings", "realtime", "tasks", "webhooks", "gate",
        ],
    ),
    (
        "error",
        &[
            "api", "http", "domain", "app", "journal", "fairings", "gate", "realtime", "store",
        ],
    ),
    (
        "validate",
        &["api", "http", "domain", "app", "auth", "store", "journal"],
    ),
    ("tokens", &["*"]),
    ("html", &["*"]),
    ("sql", &["*"]),
    ("policy", &["api", "http", "domain", "app", "db", "journal"]),
    (
        "event",
        &[
            "api", "http", "domain", "app", "journal", "webhooks", "realtime", "auth", "tasks",
        ],
    ),
    (
        "journal",
        &[
            "api", "http", "domain", "app", "auth", "fairings", "gate", "realtime", "tasks",
        ],
    ),
    (
        "domain",
        &[
            "api",
            "http",
            "fairings",
            "gate",
            "serve",
            "app",
            "auth::jwt",
            "auth::session_cache",
            "auth::guard",
            "realtime",
            "tasks::mod",
        ],
    ),
    (
        "files",
        &["api", "http", "domain", "store", "app", "auth", "journal"],
    ),
    (
        "webhooks",
        &["api", "http", "domain", "app", "auth", "journal"],
    ),
    ("gate", &["api", "domain", "store", "db", "app", "journal"]),
    ("ops", &["api", "http", "domain", "app", "journal"]),
    ("metrics", &["api", "http", "domain", "store", "db", "app"]),
    ("auth::user", &["api", "http", "domain", "app"]),
    ("realtime", &["api", "http"]),
];

#[test]
fn no_layer_imports_what_the_architecture_forbids() {
    let mut broken = Vec::new();
    for (module, targets) in graph() {
        let path = name(&module);
        for (layer, forbidden) in FORBIDDEN {
            let in_layer = path == *layer || path.starts_with(&format!("{layer}::"));
            if !in_layer {
                continue;
            }
            for target in &targets {
                let target = name(target);
                if forbidden
                    .iter()
                    .any(|f| *f == "*" || target == *f || target.starts_with(&format!("{f}::")))
                {
                    broken.push(format!("{path} imports {target}"));
                }
            }
        }
        // Handlers never import each other.
        if module.len() == 2 && module[0] == "api" {
            for target in &targets {
                if target.len() == 2 && target[0] == "api" {
                    broken.push(format!("{path} imports {}", name(target)));
                }
            }
        }
    }
    assert!(
        broken.is_empty(),
        "forbidden imports:\n{}",
        broken.join("\n")
    );
}

/// Only the journal writes: no file but the database layer, the journal and the
/// assembly in lib.rs names the writer.
#[test]
fn only_the_journal_holds_the_writer() {
    let modules = modules();
    let mut holders = Vec::new();
    for (key, (_, text)) in &modules {
        let path = name(key);
        let allowed =
            path == "lib" || path == "db" || path.starts_with("db::") || path == "journal";
        // `Writer` as a word of its own (not `BufWriter`).
        let names_writer = text
            .match_indices("Writer")
            .any(|(at, _)| !text[..at].ends_with(is_word) && !text[at + 6..].starts_with(is_word))
            || text.contains("write_then");
        if !allowed && names_writer {
            holders.push(path);
        }
    }
    assert!(holders.is_empty(), "the writer is named by {holders:?}");
}
