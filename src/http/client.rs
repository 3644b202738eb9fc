//! `ClientInfo`: who is calling, as far as the network tells (for sessions and audit).

use rocket::request::{FromRequest, Outcome, Request};

pub struct ClientInfo {
    /// The rate-limit key of the caller's address (`ip:…`).
    pub ip_key: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

const USER_AGENT_MAX: usize = 256;

impl ClientInfo {
    /// The caller as the account operations see a sign-in's origin.
    pub fn origin(&self) -> crate::domain::accounts::Origin {
        crate::domain::accounts::Origin {
            ip: self.ip.clone(),
            user_agent: self.user_agent.clone(),
            address_key: self.ip_key.clone(),
        }
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for ClientInfo {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let user_agent = req
            .headers()
            .get_one("User-Agent")
            .map(|ua| ua.chars().take(USER_AGENT_MAX).collect());
        Outcome::Success(ClientInfo {
            ip_key: crate::limiter::address_key(req.client_ip()),
            ip: req.client_ip().map(|ip| ip.to_string()),
            user_agent,
        })
    }
}
