//! JSON written the way JavaScript's `JSON.stringify(JSON.parse(text))` would write
//! it back, so that a receiver which re-serialises the parsed body before checking
//! its signature (as the seed's Node.js handler does) gets the exact bytes that were
//! signed. Two things differ from ordinary compact JSON:
//! - object keys that are array indices ("0", "42") come first, in ascending
//!   order, as JavaScript objects keep them; the other keys keep their order;
//! - numbers are doubles, written as `Number.prototype.toString` writes them
//!   (`1e+21`, `1.5`, `0.000001`; integers beyond 2^53 rounded as JavaScript would).

use serde_json::Value;

/// `value` as JavaScript would write it back.
pub fn to_string(value: &Value) -> String {
    let mut out = String::new();
    write(value, &mut out);
    out
}

fn write(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&number(n)),
        Value::String(s) => string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut indices: Vec<(u32, &String, &Value)> = Vec::new();
            let mut others: Vec<(&String, &Value)> = Vec::new();
            for (key, value) in map {
                match array_index(key) {
                    Some(i) => indices.push((i, key, value)),
                    None => others.push((key, value)),
                }
            }
            indices.sort_by_key(|(i, _, _)| *i);
            out.push('{');
            let entries = indices.into_iter().map(|(_, k, v)| (k, v)).chain(others);
            for (i, (key, value)) in entries.enumerate() {
                if i > 0 {
                    out.push(',');
                }
                string(key, out);
                out.push(':');
                write(value, out);
            }
            out.push('}');
        }
    }
}

/// Whether JavaScript would move `key` to the front of its object.
pub fn is_array_index(key: &str) -> bool {
    array_index(key).is_some()
}

/// A key JavaScript treats as an array index: a canonical decimal below 2^32 - 1.
fn array_index(key: &str) -> Option<u32> {
    let canonical =
        key == "0" || (!key.starts_with('0') && key.bytes().all(|b| b.is_ascii_digit()));
    if !canonical || key.is_empty() {
        return None;
    }
    key.parse::<u32>().ok().filter(|i| *i < u32::MAX)
}

/// JSON string escaping is the same in serde_json and JavaScript: `"`, `\` and
/// control characters (short forms, else lowercase `\u00xx`); nothing else.
fn string(s: &str, out: &mut String) {
    match serde_json::to_string(s) {
        Ok(quoted) => out.push_str(&quoted),
        Err(_) => out.push_str("\"\""),
    }
}

fn number(n: &serde_json::Number) -> String {
    match n.as_f64() {
        Some(f) => js_number(f),
        None => "null".into(),
    }
}

/// `Number.prototype.toString()` of a double (ECMA-262, Number::toString).
pub fn js_number(f: f64) -> String {
    if f.is_nan() || f.is_infinite() {
        return "null".into(); // JSON.stringify writes non-finite numbers as null
    }
    if f == 0.0 {
        return "0".into(); // -0 included
    }
    let sign = if f < 0.0 { "-" } else { "" };
    // Rust's `{:e}` gives the shortest digits that round-trip, as JavaScript uses.
    let sci = format!("{:e}", f.abs());
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let k = digits.len() as i32;
    let n = exponent + 1;
    let body = if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        format!("{}.{}", &digits[..n as usize], &digits[n as usize..])
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let e = n - 1;
        let e = if e >= 0 {
            format!("+{e}")
        } else {
            e.to_string()
        };
        if k == 1 {
            format!("{digits}e{e}")
        } else {
            format!("{}.{}e{e}", &digits[..1], &digits[1..])
        }
    };
    format!("{sign}{body}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_as_javascript_writes_them() {
        for (value, js) in [
            (1.0, "1"),
            (-0.0, "0"),
            (1.5, "1.5"),
            (0.1, "0.1"),
            (123.456, "123.456"),
            (1e20, "100000000000000000000"),
            (1e21, "1e+21"),
            (1.5e300, "1.5e+300"),
            (0.000001, "0.000001"),
            (1e-7, "1e-7"),
            (1.25e-7, "1.25e-7"),
            (-42.0, "-42"),
            (9007199254740993.0, "9007199254740992"),
            (123456789012.0, "123456789012"),
        ] {
            assert_eq!(js_number(value), js, "{value}");
        }
    }

    #[test]
    fn index_keys_come_first_in_order() {
        let value: Value =
            serde_json::from_str(r#"{"b":1,"10":2,"a":[1.50,2e0],"2":{"z":"é\n","01":0}}"#)
                .unwrap();
        assert_eq!(
            to_string(&value),
            r#"{"2":{"01":0,"z":"é\n"},"10":2,"a":[1.5,2],"b":1}"#
        );
    }

    #[test]
    fn plain_values_are_compact_json() {
        let value = json!({"event": "x", "n": [1, -2, true, null], "s": "\u{1}\"\\/"});
        assert_eq!(
            to_string(&value),
            r#"{"event":"x","n":[1,-2,true,null],"s":"\u0001\"\\/"}"#
        );
    }
}
