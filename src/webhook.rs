//! Webhook delivery: a JSON POST retried with backoff, logged when it finally fails. Used for
//! approval notifications and audit checkpoints; never on a call's path.

use std::time::Duration;

use serde_json::Value;

/// Attempts per delivery, and the wait before the first retry (doubling after each).
const ATTEMPTS: u32 = 4;
const FIRST_BACKOFF: Duration = Duration::from_millis(500);

/// Posts `body` to `url`, retrying with backoff; true when it was accepted (2xx).
pub async fn post(http: &reqwest::Client, url: &str, body: &Value) -> bool {
    let mut backoff = FIRST_BACKOFF;
    for attempt in 1..=ATTEMPTS {
        let sent = http
            .post(url)
            .timeout(Duration::from_secs(5))
            .json(body)
            .send()
            .await;
        match sent {
            Ok(r) if r.status().is_success() => return true,
            Ok(r) => tracing::warn!(%url, attempt, status = %r.status(), "webhook refused"),
            Err(e) => tracing::warn!(%url, attempt, error = %e, "webhook unreachable"),
        }
        if attempt < ATTEMPTS {
            tokio::time::sleep(backoff).await;
            backoff = backoff.saturating_mul(2);
        }
    }
    tracing::error!(%url, "webhook gave up after {ATTEMPTS} attempts");
    false
}

/// Posts `body` to every URL in the background.
pub fn deliver(http: &reqwest::Client, urls: &[String], body: Value) {
    for url in urls {
        let (http, url, body) = (http.clone(), url.clone(), body.clone());
        tokio::spawn(async move {
            post(&http, &url, &body).await;
        });
    }
}
