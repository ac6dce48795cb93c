//! Webhook delivery: a JSON POST retried with backoff, logged when it finally fails. Used for
//! approval notifications and audit checkpoints; never on a call's path.

use std::{
    sync::{Arc, OnceLock},
    time::Duration,
};

use serde_json::Value;

/// The client webhooks are posted with, set up at the first delivery: a server with no
/// webhooks never loads the system's CA certificates (a fifth of the instructions a short stdio
/// session ran, by callgrind, and their pages stayed resident). Clones share one client.
#[derive(Clone, Debug, Default)]
pub struct Client(Arc<OnceLock<Result<reqwest::Client, String>>>);

impl Client {
    /// The client, set up now if this is its first use; why there is none if it could not be.
    pub fn get(&self) -> Result<&reqwest::Client, &str> {
        self.0
            .get_or_init(|| {
                reqwest::Client::builder()
                    .build()
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(String::as_str)
    }
}

/// Attempts per delivery, and the wait before the first retry (doubling after each).
const ATTEMPTS: u32 = 4;
const FIRST_BACKOFF: Duration = Duration::from_millis(500);

/// Posts `body` to `url`, retrying with backoff; true when it was accepted (2xx).
pub async fn post(http: &reqwest::Client, url: &str, body: &Value) -> bool {
    post_with(http, url, body, FIRST_BACKOFF).await
}

/// Whether an answer says trying again cannot help: a 4xx other than 408 (timeout) and 429
/// (too many requests) means the request itself is wrong, or the hook is gone.
fn permanent(status: reqwest::StatusCode) -> bool {
    status.is_client_error()
        && status != reqwest::StatusCode::REQUEST_TIMEOUT
        && status != reqwest::StatusCode::TOO_MANY_REQUESTS
}

/// `backoff` scaled by a random factor in [0.5, 1.5), so many deliveries failing together
/// do not retry in lockstep.
fn jittered(backoff: Duration) -> Duration {
    let mut byte = [0u8; 1];
    let spread = if getrandom::fill(&mut byte).is_ok() {
        f64::from(byte[0]) / 256.0
    } else {
        0.5
    };
    backoff.mul_f64(0.5 + spread)
}

async fn post_with(http: &reqwest::Client, url: &str, body: &Value, first: Duration) -> bool {
    let mut backoff = first;
    for attempt in 1..=ATTEMPTS {
        let sent = http
            .post(url)
            .timeout(Duration::from_secs(5))
            .json(body)
            .send()
            .await;
        match sent {
            Ok(r) if r.status().is_success() => return true,
            Ok(r) if permanent(r.status()) => {
                tracing::error!(%url, attempt, status = %r.status(), "webhook refused the delivery; not retried");
                return false;
            }
            Ok(r) => tracing::warn!(%url, attempt, status = %r.status(), "webhook refused"),
            Err(e) => tracing::warn!(%url, attempt, error = %e, "webhook unreachable"),
        }
        if attempt < ATTEMPTS {
            tokio::time::sleep(jittered(backoff)).await;
            backoff = backoff.saturating_mul(2);
        }
    }
    tracing::error!(%url, "webhook gave up after {ATTEMPTS} attempts");
    false
}

/// Posts `body` to every URL in the background.
pub fn deliver(http: &Client, urls: &[String], body: Value) {
    if urls.is_empty() {
        return;
    }
    let http = match http.get() {
        Ok(http) => http,
        Err(e) => {
            tracing::error!("webhooks not sent: cannot set up an HTTP client: {e}");
            return;
        }
    };
    for url in urls {
        let (http, url, body) = (http.clone(), url.clone(), body.clone());
        tokio::spawn(async move {
            post(&http, &url, &body).await;
        });
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{
        Arc,
        atomic::{AtomicU32, Ordering},
    };

    use super::*;

    async fn hook(status: u16) -> (String, Arc<AtomicU32>) {
        let hits = Arc::new(AtomicU32::new(0));
        let counted = hits.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move || {
                counted.fetch_add(1, Ordering::SeqCst);
                async move { axum::http::StatusCode::from_u16(status).unwrap() }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (url, hits)
    }

    /// Regression (review finding): permanent refusals were retried like outages.
    #[tokio::test]
    async fn permanent_refusals_are_not_retried_and_outages_are() {
        let http = reqwest::Client::new();
        let body = serde_json::json!({"text": "x"});
        let fast = Duration::from_millis(5);
        for (status, attempts, accepted) in [
            (400, 1, false),
            (404, 1, false),
            (503, 4, false),
            (429, 4, false),
            (200, 1, true),
        ] {
            let (url, hits) = hook(status).await;
            assert_eq!(
                post_with(&http, &url, &body, fast).await,
                accepted,
                "{status}"
            );
            assert_eq!(hits.load(Ordering::SeqCst), attempts, "{status}");
        }
    }

    #[test]
    fn backoff_is_jittered_within_half_to_one_and_a_half() {
        let base = Duration::from_millis(1000);
        let waits: Vec<Duration> = (0..50).map(|_| jittered(base)).collect();
        assert!(waits.iter().all(|w| *w >= base / 2 && *w < base * 3 / 2));
        assert!(waits.iter().any(|w| *w != waits[0]), "not all the same");
    }
}
