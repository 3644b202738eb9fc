//! The builder of one operation of the document, and the helpers the lists share.

use serde_json::{json, Map, Value};

use crate::openapi::schemas::reference;

/// One operation.
pub struct Op {
    pub method: &'static str,
    pub path: String,
    summary: &'static str,
    tag: &'static str,
    public: bool,
    query: Vec<(&'static str, Value)>,
    body: Option<Value>,
    status: u16,
    /// The success answer: `Some(schema)` of `data` in the envelope, `None` for no body.
    answer: Answer,
    /// Other answers than the success and the error envelope (206, 304…).
    also: Vec<(u16, Value)>,
}

enum Answer {
    Data(Value),
    Empty,
    /// Another content type (bytes, text, a redirect, a WebSocket upgrade).
    Raw(&'static str),
}

pub(super) fn op(
    method: &'static str,
    path: impl Into<String>,
    tag: &'static str,
    summary: &'static str,
) -> Op {
    Op {
        method,
        path: path.into(),
        summary,
        tag,
        public: false,
        query: Vec::new(),
        body: None,
        status: 200,
        answer: Answer::Data(json!({"type": "object"})),
        also: Vec::new(),
    }
}

impl Op {
    /// Needs no token.
    pub(super) fn public(mut self) -> Op {
        self.public = true;
        self
    }
    pub(super) fn query(mut self, name: &'static str, schema: Value) -> Op {
        self.query.push((name, schema));
        self
    }
    /// `limit`, `offset` and `page`.
    pub(super) fn paged(self) -> Op {
        self.query("limit", json!({"type": "integer", "minimum": 1}))
            .query("offset", json!({"type": "integer", "minimum": 0}))
            .query("page", json!({"type": "integer", "minimum": 1}))
    }
    pub(super) fn body(mut self, schema: Value) -> Op {
        self.body = Some(schema);
        self
    }
    pub(super) fn answers(mut self, status: u16, data: Value) -> Op {
        self.status = status;
        self.answer = Answer::Data(data);
        self
    }
    pub(super) fn no_content(mut self) -> Op {
        self.status = 204;
        self.answer = Answer::Empty;
        self
    }
    /// The same answer under another status too (201 new, 200 already there).
    pub(super) fn or_status(self, status: u16) -> Op {
        let response = match &self.answer {
            Answer::Data(data) => enveloped(data.clone()),
            _ => json!({"description": "success"}),
        };
        self.also(status, response)
    }
    /// Another answer, described by `response` (an OpenAPI response object).
    pub(super) fn also(mut self, status: u16, response: Value) -> Op {
        self.also.push((status, response));
        self
    }
    pub(super) fn raw(mut self, status: u16, content_type: &'static str) -> Op {
        self.status = status;
        self.answer = Answer::Raw(content_type);
        self
    }

    /// The operation object of the document.
    pub fn to_json(&self) -> Value {
        let mut parameters: Vec<Value> = path_parameters(&self.path);
        parameters.extend(self.query.iter().map(|(name, schema)| {
            json!({"name": name, "in": "query", "required": false, "schema": schema})
        }));
        let success = match &self.answer {
            Answer::Data(data) => enveloped(data.clone()),
            Answer::Empty => json!({"description": "done, no content"}),
            Answer::Raw(content_type) => json!({
                "description": "success",
                "content": {*content_type: {"schema": {}}},
            }),
        };
        let mut responses = Map::new();
        responses.insert(self.status.to_string(), success);
        for (status, response) in &self.also {
            responses.insert(status.to_string(), response.clone());
        }
        responses.insert(
            "default".into(),
            json!({
                "description": "the error envelope",
                "content": {"application/json": {"schema": reference("Error")}},
            }),
        );
        let mut operation = json!({
            "summary": self.summary,
            "tags": [self.tag],
            "operationId": format!("{} {}", self.method, self.path),
            "parameters": parameters,
            "responses": responses,
        });
        if self.public {
            operation["security"] = json!([]);
        }
        if let Some(body) = &self.body {
            operation["requestBody"] = match body.get("multipart") {
                Some(form) => json!({
                    "required": true,
                    "content": {"multipart/form-data": {"schema": form}},
                }),
                None => json!({
                    "required": true,
                    "content": {"application/json": {"schema": body}},
                }),
            };
        }
        operation
    }
}

/// A success answer: `data` in the envelope.
fn enveloped(data: Value) -> Value {
    json!({
        "description": "success",
        "content": {"application/json": {"schema": {
            "type": "object",
            "properties": {"success": {"const": true}, "data": data},
            "required": ["success", "data"],
        }}},
    })
}

/// The path's `{name}` parameters: `{emoji}` is text, every other one an id.
fn path_parameters(path: &str) -> Vec<Value> {
    path.split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| {
            // The examples name things a fresh server's first user makes first,
            // so example-based tests reach past "not found".
            let (schema, example) = if name == "emoji" {
                (json!({"type": "string", "minLength": 1}), json!("👍"))
            } else if name == "code" || name == "secret" {
                (
                    json!({"type": "string", "minLength": 1, "maxLength": 512}),
                    json!("0123456789abcdef0123456789abcdef01234567"),
                )
            } else {
                (json!({"type": "integer"}), json!(1))
            };
            json!({"name": name, "in": "path", "required": true, "schema": schema, "example": example})
        })
        .collect()
}

pub(super) fn text(max: u32) -> Value {
    json!({"type": "string", "maxLength": max})
}
pub(super) fn nullable_text(max: u32) -> Value {
    json!({"type": ["string", "null"], "maxLength": max})
}
