//! moto's server, a third party's model of the AWS APIs, started on a free loopback port. It needs
//! `moto_server`: `tests/run` installs it into a virtualenv and names it in `ECR_LOGIN_MOTO_SERVER`.

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long moto may take to start listening.
const MOTO_START: Duration = Duration::from_secs(60);

/// One moto at a time: a free port is found by binding and releasing it, so two tests starting
/// moto together could pick the same one, and one would talk to the other's server.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// A running moto server on a free loopback port; stopped when dropped.
pub struct Moto {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    _turn: MutexGuard<'static, ()>,
}

impl Moto {
    /// Starts `$ECR_LOGIN_MOTO_SERVER` and waits until it listens.
    pub fn start() -> Moto {
        let turn = ONE_AT_A_TIME.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let program = std::env::var("ECR_LOGIN_MOTO_SERVER")
            .expect("ECR_LOGIN_MOTO_SERVER must name moto_server: run the suite with tests/run");
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto_server");
        let moto = Moto { child, url: format!("http://127.0.0.1:{port}"), _turn: turn };
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(start.elapsed() < MOTO_START, "moto_server did not start listening");
            std::thread::sleep(Duration::from_millis(100));
        }
        moto
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
