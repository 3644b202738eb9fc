//! The OpenAPI document (API.md §13) describes exactly the routes Rocket mounts,
//! its references resolve, and `/docs` renders it from Veza's own files.

mod common;

use std::collections::BTreeSet;

use common::*;
use serde_json::Value;

/// `(method, path)` of every mounted route, in the document's spelling
/// (`<id>` → `{id}`, no query); Veza's internal `/__veza/` routes and the web
/// client's page and files (`/`, `/assets/…`: not API) left out.
fn mounted(app: &TestApp) -> BTreeSet<(String, String)> {
    app.client
        .rocket()
        .routes()
        .filter(|r| !r.uri.path().starts_with("/__veza/"))
        .filter(|r| {
            !["/", "/sw.js"].contains(&r.uri.path()) && !r.uri.path().starts_with("/assets/")
        })
        .map(|r| {
            let path = r
                .uri
                .path()
                .split('/')
                .map(
                    |segment| match segment.strip_prefix('<').and_then(|s| s.strip_suffix('>')) {
                        Some(name) => format!("{{{name}}}"),
                        None => segment.to_owned(),
                    },
                )
                .collect::<Vec<_>>()
                .join("/");
            (r.method.as_str().to_ascii_lowercase(), path)
        })
        .collect()
}

fn described(doc: &Value) -> BTreeSet<(String, String)> {
    doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |method| (method.clone(), path.clone()))
        })
        .collect()
}

#[rocket::async_test]
async fn the_document_describes_exactly_the_mounted_routes() {
    let app = TestApp::new().await;
    let res = app.get("/api/v1/openapi.json", None).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-type"), Some("application/json"));
    let doc = res.body;
    assert_eq!(doc["openapi"], "3.1.0");
    let mounted = mounted(&app);
    let described = described(&doc);
    let undescribed: Vec<_> = mounted.difference(&described).collect();
    assert!(
        undescribed.is_empty(),
        "routes without a description: {undescribed:?}"
    );
    let unmounted: Vec<_> = described.difference(&mounted).collect();
    assert!(
        unmounted.is_empty(),
        "described but not mounted: {unmounted:?}"
    );
}

/// Every `$ref` in `value`.
fn refs<'a>(value: &'a Value, found: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get("$ref") {
                found.push(target);
            }
            map.values().for_each(|v| refs(v, found));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
        _ => {}
    }
}

#[rocket::async_test]
async fn every_operation_has_an_error_answer_and_every_reference_resolves() {
    let doc = veza::openapi::document();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            assert!(
                responses.contains_key("default"),
                "{method} {path} has no error answer"
            );
            let parameters = op["parameters"].as_array().unwrap();
            for name in path
                .split('/')
                .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            {
                assert!(
                    parameters
                        .iter()
                        .any(|p| p["name"] == name && p["in"] == "path"),
                    "{method} {path} does not describe {{{name}}}"
                );
            }
        }
    }
    let mut found = Vec::new();
    refs(&doc, &mut found);
    assert!(!found.is_empty());
    for target in found {
        let name = target
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("unexpected reference {target}"));
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "{target} does not resolve"
        );
    }
}

#[rocket::async_test]
async fn docs_are_served_by_veza_under_a_strict_policy() {
    let app = TestApp::new().await;
    for (path, content_type) in [
        ("/docs", "text/html"),
        ("/docs/viewer.js", "text/javascript"),
        ("/docs/viewer.css", "text/css"),
    ] {
        let res = app.get(path, None).await;
        assert_eq!(res.status, 200, "{path}");
        assert!(
            res.header("content-type")
                .unwrap()
                .starts_with(content_type),
            "{path}: {:?}",
            res.header("content-type")
        );
        let csp = res.header("content-security-policy").unwrap();
        assert!(csp.contains("script-src 'self'") && csp.contains("default-src 'none'"));
        assert!(
            !res.raw.contains("http://") && !res.raw.contains("https://"),
            "{path} loads something from elsewhere"
        );
    }
    let page = app.get("/docs", None).await;
    assert!(!page.raw.contains("<script>"), "no inline script");
    assert!(page.raw.contains("src=\"/docs/viewer.js\""));
}
