//! `Cache-Control: no-store` on API answers (they hold private data and tokens).
//! The other security headers come from Rocket's `Shield`, configured in `lib.rs`.

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::Header;
use rocket::{Request, Response};

pub struct NoStore;

#[rocket::async_trait]
impl Fairing for NoStore {
    fn info(&self) -> Info {
        Info {
            name: "no-store on API answers",
            kind: Kind::Response,
        }
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        let path = req.uri().path();
        let private = ["/api/", "/auth/", "/__veza/"]
            .iter()
            .any(|p| path.starts_with(p));
        // Downloads set their own (private, revalidated with their ETag).
        let chosen = res.headers().contains("Cache-Control");
        if (private || path == "/health") && !chosen {
            res.set_header(Header::new("Cache-Control", "no-store"));
        }
    }
}
