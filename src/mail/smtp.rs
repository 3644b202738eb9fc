//! Sends one mail over SMTP with lettre, blocking (the mail worker calls it on
//! the blocking pool). A connection per mail: mails are rare, and a pooled
//! connection would only hold a slot at the server.

use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{Message, SmtpTransport, Transport};

use crate::config::{SmtpConfig, SmtpTls};
use crate::store::mail::Mail;

/// What came of one try.
#[derive(Debug)]
pub enum Outcome {
    Sent,
    /// Worth another try later: the server was unreachable, timed out, or
    /// answered with a transient (4xx) refusal.
    Retry(String),
    /// Trying again would not help: a permanent (5xx) refusal, or an address
    /// that is not one.
    GiveUp(String),
}

pub struct Mailer {
    transport: SmtpTransport,
    from: Mailbox,
}

impl Mailer {
    pub fn new(config: &SmtpConfig) -> Result<Mailer, String> {
        let builder = match config.tls {
            SmtpTls::None => SmtpTransport::builder_dangerous(&config.host),
            SmtpTls::Starttls => SmtpTransport::starttls_relay(&config.host)
                .map_err(|e| format!("smtp.host: {e}"))?,
            SmtpTls::Tls => {
                SmtpTransport::relay(&config.host).map_err(|e| format!("smtp.host: {e}"))?
            }
        };
        let mut builder = builder
            .port(config.port)
            .timeout(Some(Duration::from_secs(config.timeout_secs)));
        if let (Some(user), Some(password)) = (&config.username, &config.password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        let from = config.from.parse().map_err(|e| format!("smtp.from: {e}"))?;
        Ok(Mailer {
            transport: builder.build(),
            from,
        })
    }

    pub fn send(&self, mail: &Mail) -> Outcome {
        let to: Mailbox = match mail.to.parse() {
            Ok(to) => to,
            Err(e) => return Outcome::GiveUp(format!("not an address: {e}")),
        };
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.as_str())
            .multipart(MultiPart::alternative_plain_html(
                mail.text.clone(),
                mail.html.clone(),
            ));
        let message = match message {
            Ok(message) => message,
            Err(e) => return Outcome::GiveUp(format!("cannot build the mail: {e}")),
        };
        match self.transport.send(&message) {
            Ok(_) => Outcome::Sent,
            Err(e) if e.is_permanent() => Outcome::GiveUp(e.to_string()),
            Err(e) => Outcome::Retry(e.to_string()),
        }
    }
}
