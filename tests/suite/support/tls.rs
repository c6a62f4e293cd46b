//! HTTPS in front of the loopback stand-in, with a certificate authority that exists only in its
//! own PEM file (made at test time with the `openssl` CLI), so that a client trusts the endpoint
//! only when given that file; and Debian's `tinyproxy` as a real HTTP proxy on 127.0.0.1.
//!
//! The front ends TLS on 127.0.0.1 and passes the plain bytes to the stand-in, so the stand-in
//! records every call as it does over plain HTTP. It counts the TLS sessions it completed.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The names the server certificate is valid for, besides 127.0.0.1.
pub const SERVER_NAMES: &[&str] = &["localhost", "ecr.stand-in.test"];

/// A test CA and a server certificate it signed, in a directory of their own.
pub struct Pki {
    pub dir: tempfile::TempDir,
}

fn openssl(dir: &Path, args: &[&str]) {
    let output = Command::new("openssl").args(args).current_dir(dir).output().expect("run openssl (Debian: openssl)");
    assert!(output.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&output.stderr));
}

impl Pki {
    /// Makes a CA (P-256) and a server certificate for 127.0.0.1 and [`SERVER_NAMES`].
    pub fn new() -> Pki {
        let dir = tempfile::tempdir().expect("temporary directory");
        let d = dir.path();
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
        let ca = [&["req", "-x509"][..], &ec, &["-keyout", "ca.key", "-out", "ca.pem", "-days", "2"]].concat();
        // A name of its own: two CAs of one name make rustls check the wrong one's signature
        // (BadSignature) instead of finding no issuer (UnknownIssuer).
        let name = d.file_name().unwrap().to_string_lossy();
        openssl(d, &[&ca[..], &["-subj", &format!("/CN=ecr-login test CA {name}")]].concat());
        let csr =
            [&["req"][..], &ec, &["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"]].concat();
        openssl(d, &csr);
        let names: Vec<String> = SERVER_NAMES.iter().map(|n| format!("DNS:{n}")).collect();
        let extensions = format!(
            "subjectAltName=IP:127.0.0.1,{}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
            names.join(",")
        );
        std::fs::write(d.join("server.ext"), extensions).unwrap();
        openssl(
            d,
            &[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "server.pem",
                "-days",
                "2",
                "-extfile",
                "server.ext",
            ],
        );
        Pki { dir }
    }

    /// The CA's certificate: the bundle a client needs.
    pub fn ca(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    fn server_config(&self) -> rustls::ServerConfig {
        let chain: Vec<CertificateDer<'static>> =
            CertificateDer::pem_file_iter(self.dir.path().join("server.pem")).unwrap().map(Result::unwrap).collect();
        let key = PrivateKeyDer::from_pem_file(self.dir.path().join("server.key")).unwrap();
        rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .unwrap()
    }
}

/// A running TLS front; it serves until the test process ends.
pub struct TlsFront {
    pub addr: SocketAddr,
    sessions: Arc<AtomicUsize>,
}

impl TlsFront {
    /// Serves TLS with `pki`'s server certificate on an ephemeral port of 127.0.0.1, passing each
    /// connection on to `backend` (the stand-in's `http://127.0.0.1:PORT`).
    pub fn start(pki: &Pki, backend: &str) -> TlsFront {
        let backend: SocketAddr = backend.trim_start_matches("http://").parse().expect("the stand-in's address");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(pki.server_config()));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let sessions = Arc::new(AtomicUsize::new(0));
        let counter = sessions.clone();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                while let Ok((stream, _)) = listener.accept().await {
                    let (acceptor, counter) = (acceptor.clone(), counter.clone());
                    tokio::spawn(async move {
                        // A client that refuses the certificate ends the handshake: nothing to pass on.
                        let Ok(mut tls) = acceptor.accept(stream).await else { return };
                        counter.fetch_add(1, Ordering::SeqCst);
                        let Ok(mut plain) = tokio::net::TcpStream::connect(backend).await else { return };
                        let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                    });
                }
            });
        });
        TlsFront { addr, sessions }
    }

    /// `https://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// How many TLS sessions completed their handshake so far.
    pub fn sessions(&self) -> usize {
        self.sessions.load(Ordering::SeqCst)
    }
}

/// A free port of 127.0.0.1, for a server that must be told its port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Debian's tinyproxy on 127.0.0.1, logging every connection; stopped when dropped.
pub struct Tinyproxy {
    pub port: u16,
    pub log: PathBuf,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Tinyproxy {
    /// Starts tinyproxy (`apt-get install tinyproxy-bin`) and waits until it accepts connections.
    pub fn start() -> Tinyproxy {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let log = dir.path().join("tinyproxy.log");
        // No ConnectPort line: CONNECT is allowed to any port (the front's is ephemeral).
        let config = format!(
            "Port {port}\nListen 127.0.0.1\nTimeout 30\nMaxClients 16\nAllow 127.0.0.1\nLogLevel Connect\n\
             LogFile \"{}\"\n",
            log.display()
        );
        let config_path = dir.path().join("tinyproxy.conf");
        std::fs::write(&config_path, config).unwrap();
        let child = Command::new("tinyproxy")
            .args(["-d", "-c"])
            .arg(&config_path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("run tinyproxy (Debian: apt-get install tinyproxy-bin)");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "tinyproxy did not start on port {port}");
            std::thread::sleep(Duration::from_millis(20));
        }
        Tinyproxy { port, log, child, _dir: dir }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The CONNECT requests tinyproxy logged so far, as `CONNECT host:port`.
    pub fn connects(&self) -> Vec<String> {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        log.lines()
            .filter(|line| line.contains("Request (file descriptor"))
            .filter_map(|line| line.split_once("): ").map(|(_, request)| request))
            .filter(|request| request.starts_with("CONNECT "))
            .map(|request| request.trim_end_matches(" HTTP/1.1").to_string())
            .collect()
    }
}

impl Drop for Tinyproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
