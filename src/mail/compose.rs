//! The mails Veza sends, each as plain text and HTML. Names people chose (a
//! username, a room's name) are escaped in the HTML; links carry their token in
//! the fragment (`#token=`), which browsers never send to a server, so it stays
//! out of access logs and `Referer` headers.

use crate::html::escape;
use crate::store::mail::Mail;

/// A link to a page of the web client, with a secret in its fragment.
pub fn link(base: &str, page: &str, token: &str) -> String {
    format!("{base}/{page}#token={token}")
}

/// The invitation page of a code.
pub fn invite_link(base: &str, code: &str) -> String {
    format!("{base}/invite/{code}")
}

pub fn verification(to: &str, username: &str, link: &str) -> Mail {
    let text = format!(
        "Hello {username},\n\n\
         Please confirm that this is your e-mail address on Veza by opening this link:\n\n\
         {link}\n\n\
         The link works once, for 24 hours. If you did not ask for it, ignore this mail.\n"
    );
    let html = page(&format!(
        "<p>Hello {},</p>\
         <p>Please confirm that this is your e-mail address on Veza.</p>\
         <p><a href=\"{}\">Confirm my address</a></p>\
         <p>The link works once, for 24 hours. If you did not ask for it, ignore this mail.</p>",
        escape(username),
        escape(link)
    ));
    Mail {
        to: to.to_owned(),
        subject: "Confirm your e-mail address".into(),
        text,
        html,
    }
}

pub fn password_reset(to: &str, username: &str, link: &str) -> Mail {
    let text = format!(
        "Hello {username},\n\n\
         Someone asked to reset the password of your Veza account. To choose a new\n\
         password, open this link:\n\n\
         {link}\n\n\
         The link works once, for 30 minutes, and signs you out everywhere. If you\n\
         did not ask for it, ignore this mail: your password stays as it is.\n"
    );
    let html = page(&format!(
        "<p>Hello {},</p>\
         <p>Someone asked to reset the password of your Veza account.</p>\
         <p><a href=\"{}\">Choose a new password</a></p>\
         <p>The link works once, for 30 minutes, and signs you out everywhere. If you did \
         not ask for it, ignore this mail: your password stays as it is.</p>",
        escape(username),
        escape(link)
    ));
    Mail {
        to: to.to_owned(),
        subject: "Reset your password".into(),
        text,
        html,
    }
}

pub fn invitation(to: &str, inviter: &str, rooms: &[String], link: &str, expires_at: &str) -> Mail {
    let expires = expires_at.get(..10).unwrap_or(expires_at);
    let where_to = if rooms.is_empty() {
        String::new()
    } else {
        format!(" and to {}", rooms.join(", "))
    };
    let text = format!(
        "Hello,\n\n\
         {inviter} invited you to their team's chat on Veza{where_to}.\n\
         To make your account, open this link:\n\n\
         {link}\n\n\
         The invitation is good until {expires}.\n"
    );
    let rooms_html = if rooms.is_empty() {
        String::new()
    } else {
        let names: Vec<String> = rooms
            .iter()
            .map(|r| format!("<b>{}</b>", escape(r)))
            .collect();
        format!(" and to {}", names.join(", "))
    };
    let html = page(&format!(
        "<p>Hello,</p>\
         <p>{} invited you to their team's chat on Veza{rooms_html}.</p>\
         <p><a href=\"{}\">Make my account</a></p>\
         <p>The invitation is good until {}.</p>",
        escape(inviter),
        escape(link),
        escape(expires)
    ));
    Mail {
        to: to.to_owned(),
        subject: format!("{inviter} invited you to Veza"),
        text,
        html,
    }
}

fn page(body: &str) -> String {
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head>\
         <body style=\"font-family: sans-serif; line-height: 1.5\">{body}</body></html>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_people_chose_are_escaped_in_html_and_kept_in_text() {
        let mail = invitation(
            "a@example.com",
            "ann",
            &["<script>alert(1)</script>".into()],
            "https://chat.example.com/invite/abc",
            "2030-01-02T03:04:05Z",
        );
        assert!(mail.html.contains("&lt;script&gt;"));
        assert!(!mail.html.contains("<script>"));
        assert!(mail.text.contains("<script>alert(1)</script>"));
        assert!(mail.text.contains("until 2030-01-02"));
    }

    #[test]
    fn links_keep_the_token_in_the_fragment() {
        assert_eq!(
            link("https://c.example", "reset-password", "t0k"),
            "https://c.example/reset-password#token=t0k"
        );
    }
}
