//! `X-Veza-Node` on every answer: which node of several answered (API §22).

use std::sync::Arc;

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::Header;
use rocket::{Request, Response};

pub struct NodeHeader(pub Arc<str>);

#[rocket::async_trait]
impl Fairing for NodeHeader {
    fn info(&self) -> Info {
        Info {
            name: "X-Veza-Node",
            kind: Kind::Response,
        }
    }

    async fn on_response<'r>(&self, _: &'r Request<'_>, res: &mut Response<'r>) {
        res.set_header(Header::new("X-Veza-Node", self.0.to_string()));
    }
}
