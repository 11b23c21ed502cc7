//! The media server's health check: an HTTP GET that must answer 2xx in time (LiveKit
//! answers `GET /` with `OK`).

use std::time::Duration;

/// Probes one URL.
#[derive(Debug, Clone)]
pub struct HealthCheck {
    url: String,
    http: reqwest::Client,
}

impl HealthCheck {
    /// A probe of `url` that gives up after `timeout`. Errors: the HTTP client cannot be built.
    pub fn new(url: &str, timeout: Duration) -> anyhow::Result<Self> {
        crate::install_tls_provider();
        let http = reqwest::Client::builder()
            .connect_timeout(timeout)
            .timeout(timeout)
            .no_proxy()
            .build()?;
        Ok(HealthCheck {
            url: url.to_owned(),
            http,
        })
    }

    /// The probed URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// `Ok` when the server answered 2xx; else why not.
    pub async fn check(&self) -> Result<(), String> {
        match self.http.get(&self.url).send().await {
            Ok(resp) if resp.status().is_success() => Ok(()),
            Ok(resp) => Err(format!("health check answered {}", resp.status())),
            Err(e) => Err(format!("health check failed: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    async fn answer(status: &'static str) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                let mut buf = [0u8; 1024];
                let _ = s.read(&mut buf).await;
                let reply = format!("HTTP/1.1 {status}\r\ncontent-length: 2\r\n\r\nOK");
                let _ = s.write_all(reply.as_bytes()).await;
            }
        });
        format!("http://{addr}/")
    }

    #[tokio::test]
    async fn two_hundred_is_healthy_anything_else_is_not() {
        let ok = HealthCheck::new(&answer("200 OK").await, Duration::from_secs(2)).expect("client");
        assert_eq!(ok.check().await, Ok(()));
        let bad = HealthCheck::new(
            &answer("503 Service Unavailable").await,
            Duration::from_secs(2),
        )
        .expect("client");
        assert!(bad.check().await.is_err_and(|e| e.contains("503")));
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            let addr = l.local_addr().expect("addr");
            drop(l);
            format!("http://{addr}/")
        };
        let down = HealthCheck::new(&closed, Duration::from_secs(2)).expect("client");
        assert!(down.check().await.is_err());
    }
}
