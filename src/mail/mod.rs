//! E-mail (API §17): the mails Veza writes (`compose`) and the SMTP client that
//! sends them from the queue (`smtp`, used by the mail worker).

pub mod compose;
pub mod smtp;
