//! Configuration errors in an operator's words: the key as they wrote it and what
//! is expected.

use std::path::Path;

use figment::Figment;

/// A configuration that cannot be used; the message names the key.
#[derive(Debug)]
pub struct ConfigError {
    /// The key at fault, spelled as in `veza.toml`, when the rule is about one.
    key: Option<String>,
    message: String,
}

impl ConfigError {
    pub(super) fn new(message: String) -> ConfigError {
        ConfigError { key: None, message }
    }

    /// Names the key where the operator set it: `VEZA_…` or the file as given.
    pub(super) fn located(self, figment: &Figment, file: &Path) -> ConfigError {
        let Some(key) = &self.key else {
            return self;
        };
        let from_env = figment
            .find_metadata(key)
            .is_some_and(|m| m.name.contains("environment"));
        let from_file = figment
            .find_metadata(key)
            .is_some_and(|m| m.source.as_ref().is_some_and(|s| s.file_path().is_some()));
        let name = if from_env {
            format!("VEZA_{}", key.replace('.', "__").to_uppercase())
        } else if from_file {
            format!("`{key}` in {}", file.display())
        } else {
            format!("`{key}`")
        };
        ConfigError {
            key: None,
            message: format!("{name} {}", self.message),
        }
    }
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.key {
            Some(key) => write!(f, "invalid configuration: `{key}` {}", self.message),
            None => write!(f, "invalid configuration: {}", self.message),
        }
    }
}

impl std::error::Error for ConfigError {}

pub(super) fn fail(key: &str, why: &str) -> Result<(), ConfigError> {
    Err(ConfigError {
        key: Some(key.to_owned()),
        message: why.to_owned(),
    })
}

pub(super) fn within(key: &str, value: u64, min: u64, max: u64) -> Result<(), ConfigError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        fail(key, &format!("must be between {min} and {max}"))
    }
}

/// Figment's error in an operator's words: the key as they wrote it (`port` in
/// the file as given, or `VEZA_PORT`), the value found, and what is expected.
pub(super) fn describe_figment_error(e: figment::Error, file: &Path) -> String {
    use figment::error::Kind;
    let from_env = e
        .metadata
        .as_ref()
        .is_some_and(|m| m.name.contains("environment"));
    let mut path: Vec<String> = e.path.clone();
    if let Kind::UnknownField(field, _) = &e.kind {
        if path.last() != Some(field) {
            path.push(field.clone());
        }
    }
    let key = if from_env {
        format!("VEZA_{}", path.join("__").to_uppercase())
    } else {
        format!("`{}` in {}", path.join("."), file.display())
    };
    match &e.kind {
        Kind::InvalidType(found, expected) | Kind::InvalidValue(found, expected) => {
            format!("{key} is {found}; expected {}", plain_words(expected))
        }
        Kind::UnknownField(_, known) => {
            let known = known.join(", ");
            format!("{key} is not a setting Veza knows; the settings here are: {known}")
        }
        Kind::UnknownVariant(found, known) => {
            format!(
                "{key} is \"{found}\"; expected one of: {}",
                known.join(", ")
            )
        }
        Kind::MissingField(field) => {
            let section = if from_env {
                format!("VEZA_{}", e.path.join("__").to_uppercase())
            } else {
                format!("[{}] in {}", e.path.join("."), file.display())
            };
            format!("{section} needs `{field}`")
        }
        Kind::Message(message) if message.contains("IP address") => {
            format!("{key} is not an IP address; expected e.g. 127.0.0.1, 0.0.0.0 or ::")
        }
        _ => format!("{key}: {}", e.kind),
    }
}

/// Serde's name of an expected type, as a sentence would say it.
fn plain_words(expected: &str) -> String {
    match expected {
        "u16" => "a whole number from 0 to 65535".into(),
        "u32" | "u64" | "usize" => "a whole number, 0 or more".into(),
        "a boolean" | "bool" => "true or false".into(),
        "IP address" => "an IP address such as 127.0.0.1 or ::".into(),
        other if other.starts_with("struct ") => "a section (a table of settings)".into(),
        other => other.to_owned(),
    }
}
