//! TLS on the main listener (`server.enable_tls`, API §7): the certificate chain and key
//! from PEM files, and a poem acceptor that wraps each accepted connection in a rustls
//! server session. The handshake runs in the connection's own task on its first read or
//! write, so a slow or silent client never holds up the accept loop.

use std::future::Future;
use std::io;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use poem::http::uri::Scheme;
use poem::listener::Acceptor;
use poem::web::{LocalAddr, RemoteAddr};
use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_rustls::server::TlsStream;

/// The server's TLS settings from `cert_file` (PEM chain, leaf first) and `key_file` (PEM
/// private key: PKCS#8, PKCS#1 or SEC1). Each problem is one line naming the key and file.
pub fn server_config(cert_file: &str, key_file: &str) -> anyhow::Result<Arc<ServerConfig>> {
    let certs = read_certs(Path::new(cert_file))?;
    let key = read_key(Path::new(key_file))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| anyhow::anyhow!("TLS: {e}"))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| {
            anyhow::anyhow!(
                "server.cert_file / server.key_file: the key does not fit the certificate ({e})"
            )
        })?;
    // HTTP/1.1 only: WebSocket upgrades (the /livekit proxy) need it.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn read_certs(path: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let pem = read(path, "server.cert_file")?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow::anyhow!("server.cert_file: {}: {e}", path.display()))?;
    if certs.is_empty() {
        anyhow::bail!(
            "server.cert_file: {}: no PEM certificate in it",
            path.display()
        );
    }
    Ok(certs)
}

fn read_key(path: &Path) -> anyhow::Result<PrivateKeyDer<'static>> {
    let pem = read(path, "server.key_file")?;
    PrivateKeyDer::from_pem_slice(&pem).map_err(|e| {
        anyhow::anyhow!(
            "server.key_file: {}: no PEM private key in it ({e})",
            path.display()
        )
    })
}

fn read(path: &Path, key: &str) -> anyhow::Result<Vec<u8>> {
    if path.as_os_str().is_empty() {
        anyhow::bail!("server.enable_tls needs {key}");
    }
    std::fs::read(path).map_err(|e| anyhow::anyhow!("{key}: cannot read {}: {e}", path.display()))
}

/// Accepts connections from `inner` and serves TLS on them.
pub struct TlsAcceptor<A> {
    inner: A,
    tls: tokio_rustls::TlsAcceptor,
}

impl<A> TlsAcceptor<A> {
    pub fn new(inner: A, config: Arc<ServerConfig>) -> Self {
        TlsAcceptor {
            inner,
            tls: tokio_rustls::TlsAcceptor::from(config),
        }
    }
}

impl<A: Acceptor> Acceptor for TlsAcceptor<A> {
    type Io = LazyTls<A::Io>;

    fn local_addr(&self) -> Vec<LocalAddr> {
        self.inner.local_addr()
    }

    async fn accept(&mut self) -> io::Result<(Self::Io, LocalAddr, RemoteAddr, Scheme)> {
        let (io, local, remote, _) = self.inner.accept().await?;
        let stream = LazyTls::Handshake(Box::new(self.tls.accept(io)));
        Ok((stream, local, remote, Scheme::HTTPS))
    }
}

/// A connection whose TLS handshake completes on first use.
pub enum LazyTls<IO> {
    Handshake(Box<tokio_rustls::Accept<IO>>),
    Ready(Box<TlsStream<IO>>),
    /// The handshake failed; the connection is unusable.
    Failed,
}

impl<IO: AsyncRead + AsyncWrite + Unpin> LazyTls<IO> {
    /// The session, once the handshake is done.
    fn session(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<&mut TlsStream<IO>>> {
        if let LazyTls::Handshake(accept) = self {
            match ready!(Pin::new(&mut **accept).poll(cx)) {
                Ok(stream) => *self = LazyTls::Ready(Box::new(stream)),
                Err(e) => {
                    *self = LazyTls::Failed;
                    return Poll::Ready(Err(e));
                }
            }
        }
        match self {
            LazyTls::Ready(stream) => Poll::Ready(Ok(stream)),
            _ => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "TLS handshake failed",
            ))),
        }
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncRead for LazyTls<IO> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let stream = ready!(self.get_mut().session(cx))?;
        Pin::new(stream).poll_read(cx, buf)
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncWrite for LazyTls<IO> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let stream = ready!(self.get_mut().session(cx))?;
        Pin::new(stream).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let stream = ready!(self.get_mut().session(cx))?;
        Pin::new(stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let stream = ready!(self.get_mut().session(cx))?;
        Pin::new(stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/testdata/tls");

    fn file(name: &str) -> String {
        format!("{DIR}/{name}")
    }

    fn refused(cert: &str, key: &str) -> String {
        server_config(cert, key).expect_err("refused").to_string()
    }

    #[test]
    fn the_test_certificate_loads_for_http_1_1() {
        let config = server_config(&file("cert.pem"), &file("key.pem")).expect("loads");
        assert_eq!(config.alpn_protocols, vec![b"http/1.1".to_vec()]);
    }

    #[test]
    fn each_problem_is_one_line_naming_the_key_and_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "").expect("write");
        let empty = empty.display().to_string();
        let missing = dir.path().join("missing.pem").display().to_string();

        assert_eq!(
            refused("", &file("key.pem")),
            "server.enable_tls needs server.cert_file"
        );
        let e = refused(&missing, &file("key.pem"));
        assert!(
            e.starts_with(&format!("server.cert_file: cannot read {missing}: ")),
            "{e}"
        );
        assert_eq!(
            refused(&empty, &file("key.pem")),
            format!("server.cert_file: {empty}: no PEM certificate in it")
        );
        // A certificate is not a key.
        let e = refused(&file("cert.pem"), &file("cert.pem"));
        assert!(
            e.starts_with(&format!(
                "server.key_file: {}: no PEM private key in it",
                file("cert.pem")
            )),
            "{e}"
        );
        // The CA's certificate with the leaf's key.
        let e = refused(&file("ca.pem"), &file("key.pem"));
        assert!(
            e.starts_with(
                "server.cert_file / server.key_file: the key does not fit the certificate"
            ),
            "{e}"
        );
        assert!(!e.contains('\n'), "{e}");
    }
}
