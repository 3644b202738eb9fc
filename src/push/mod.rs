//! Web Push (API §16): the server's VAPID key, subscriptions, payload encryption
//! and the HTTP request that hands a notification to a browser's push service.
//! Who is notified is `policy::should_push`; the queue and its worker are
//! `tasks::push`.
//!
//! Standards only, no third party of Veza's own: RFC 8030 (delivery), RFC 8291
//! (`aes128gcm` encryption to the subscription's key) and RFC 8292 (VAPID: a
//! short ES256 token naming the server to the push service).

pub mod encrypt;
pub mod keys;
pub mod payload;
pub mod send;
pub mod subscription;
