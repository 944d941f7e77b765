//! Sending SMS: a development sender that keeps messages in the database, and a webhook
//! sender for a real gateway.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::app::now_secs;
use crate::store::Store;

/// Sends a text message.
#[async_trait]
pub trait SmsSender: Send + Sync + std::fmt::Debug {
    /// Sends `body` to the E.164 number `to`.
    async fn send(&self, to: &str, body: &str) -> Result<(), String>;
}

/// The number with all but its last two digits hidden, for logs.
#[must_use]
pub fn masked(number: &str) -> String {
    let keep = number.len().saturating_sub(2);
    number
        .char_indices()
        .map(|(i, c)| {
            if i < keep && c.is_ascii_digit() {
                '•'
            } else {
                c
            }
        })
        .collect()
}

/// Development: nothing leaves the server. The message goes to the `sms_outbox` table (where
/// tests and the demo read it); the log says that it did, without the code.
#[derive(Debug)]
pub struct DevelopmentSender {
    store: Arc<dyn Store>,
}

impl DevelopmentSender {
    /// A sender writing to the store's outbox.
    #[must_use]
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }
}

#[async_trait]
impl SmsSender for DevelopmentSender {
    async fn send(&self, to: &str, body: &str) -> Result<(), String> {
        self.store
            .push_dev_sms(to, body, now_secs())
            .await
            .map_err(|e| e.to_string())?;
        tracing::info!(to = %masked(to), "development SMS written to the sms_outbox table");
        Ok(())
    }
}

/// A gateway behind a webhook: `POST url` with `{"to": ..., "body": ...}` and the header
/// `X-Anshin-Signature: sha256=<hex HMAC-SHA256 of the body with the shared secret>`.
#[derive(Debug)]
pub struct WebhookSender {
    client: reqwest::Client,
    url: String,
    secret: ring::hmac::Key,
}

impl WebhookSender {
    /// A sender for a gateway URL and its shared secret.
    ///
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn new(url: &str, secret: &str) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            client,
            url: url.to_owned(),
            secret: ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes()),
        })
    }
}

/// Lowercase hex.
#[must_use]
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

#[async_trait]
impl SmsSender for WebhookSender {
    async fn send(&self, to: &str, body: &str) -> Result<(), String> {
        let payload = serde_json::to_vec(&serde_json::json!({"to": to, "body": body}))
            .map_err(|e| e.to_string())?;
        let signature = ring::hmac::sign(&self.secret, &payload);
        let response = self
            .client
            .post(&self.url)
            .header("content-type", "application/json")
            .header(
                "x-anshin-signature",
                format!("sha256={}", hex(signature.as_ref())),
            )
            .body(payload)
            .send()
            .await
            .map_err(|e| format!("SMS gateway unreachable: {e}"))?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(format!("SMS gateway answered {}", response.status()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_masked_in_logs() {
        assert_eq!(masked("+447700900123"), "+••••••••••23");
    }
}
