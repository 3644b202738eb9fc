//! The HTTP client of the identity provider: blocking (run it on the blocking pool),
//! with timeouts, no redirects, no proxy from the environment and answers read to
//! a bounded size. The provider is the operator's choice (often on a private
//! network), so its addresses are not filtered as webhook targets are.

use std::time::Duration;

use serde::de::DeserializeOwned;

/// The longest a connection to the provider may take to open.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest one exchange with the provider may take, answer included.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Discovery documents, key sets and token answers are a few KiB; more is refused.
const MAX_ANSWER_BYTES: u64 = 1 << 20;

/// What went wrong talking to the provider.
#[derive(Debug)]
pub enum Failure {
    /// The provider could not be reached, or answered something unreadable.
    Unavailable(String),
    /// The provider answered with an OAuth error (`{"error": …}`), usually a 400.
    Refused {
        error: String,
        description: Option<String>,
    },
}

pub struct Client {
    agent: ureq::Agent,
}

impl Client {
    pub fn new() -> Client {
        let config = ureq::Agent::config_builder()
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .timeout_global(Some(TIMEOUT))
            .max_redirects(0)
            .http_status_as_error(false)
            .proxy(None)
            .user_agent(concat!("Veza/", env!("CARGO_PKG_VERSION")))
            .build();
        Client {
            agent: ureq::Agent::new_with_config(config),
        }
    }

    /// GETs `url` and reads its JSON answer. Blocking.
    pub fn get_json<T: DeserializeOwned>(&self, url: &str) -> Result<T, Failure> {
        let response = self
            .agent
            .get(url)
            .header("Accept", "application/json")
            .call()
            .map_err(|e| unreachable(url, e))?;
        read_json(url, response)
    }

    /// POSTs a form to `url`, with an optional `Authorization` header, and reads
    /// its JSON answer. Blocking.
    pub fn post_form<T: DeserializeOwned>(
        &self,
        url: &str,
        authorization: Option<&str>,
        form: &[(&str, &str)],
    ) -> Result<T, Failure> {
        let mut request = self.agent.post(url).header("Accept", "application/json");
        if let Some(value) = authorization {
            request = request.header("Authorization", value);
        }
        let response = request
            .send_form(form.iter().copied())
            .map_err(|e| unreachable(url, e))?;
        read_json(url, response)
    }
}

impl Default for Client {
    fn default() -> Self {
        Client::new()
    }
}

fn unreachable(url: &str, e: ureq::Error) -> Failure {
    Failure::Unavailable(format!("{url}: {e}"))
}

/// The answer's JSON when it is a success; its OAuth error when it says so.
fn read_json<T: DeserializeOwned>(
    url: &str,
    mut response: ureq::http::Response<ureq::Body>,
) -> Result<T, Failure> {
    let status = response.status().as_u16();
    let text = response
        .body_mut()
        .with_config()
        .limit(MAX_ANSWER_BYTES)
        .read_to_string()
        .map_err(|e| Failure::Unavailable(format!("{url}: reading the answer: {e}")))?;
    if (200..300).contains(&status) {
        return serde_json::from_str(&text)
            .map_err(|e| Failure::Unavailable(format!("{url}: unreadable answer: {e}")));
    }
    #[derive(serde::Deserialize)]
    struct OAuthError {
        error: String,
        error_description: Option<String>,
    }
    match serde_json::from_str::<OAuthError>(&text) {
        Ok(oauth) if (400..500).contains(&status) => Err(Failure::Refused {
            error: oauth.error,
            description: oauth.error_description,
        }),
        _ => Err(Failure::Unavailable(format!("{url}: answered {status}"))),
    }
}
