//! Private PostgreSQL and MariaDB instances for this test binary: initialized in a temporary
//! directory, listening on a free loopback port and a Unix socket, started once (on a thread
//! that lives as long as the binary, so PR_SET_PDEATHSIG fires only when the binary ends) and
//! stopped at exit. Tests talk to them through the servers' own command-line clients.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use connect_tests::wait_for;

use crate::support::free_port;

pub struct Postgres {
    pub port: u16,
    pub socket_dir: PathBuf,
    bin: PathBuf,
}

pub struct Mariadb {
    pub port: u16,
    pub socket: PathBuf,
}

/// Server processes and directories removed when the binary exits.
static CLEANUP: Mutex<Vec<(i32, i32, PathBuf)>> = Mutex::new(Vec::new());

extern "C" fn stop_servers() {
    let list = CLEANUP.lock().map(|l| l.clone()).unwrap_or_default();
    for (pid, signal, _) in &list {
        unsafe { libc::kill(*pid, *signal) };
    }
    for (pid, _, dir) in &list {
        for _ in 0..100 {
            if unsafe { libc::kill(*pid, 0) } != 0 {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// Stops `pid` with `signal` when the binary exits (SIGINT: PostgreSQL's fast shutdown).
fn register(pid: u32, signal: i32, dir: PathBuf) {
    let mut list = CLEANUP.lock().unwrap();
    if list.is_empty() {
        unsafe { libc::atexit(stop_servers) };
    }
    list.push((pid as i32, signal, dir));
}

fn is_root() -> bool {
    unsafe { libc::geteuid() == 0 }
}

/// uid and gid of the `postgres` user (initdb refuses root).
fn postgres_user() -> (u32, u32) {
    let name = std::ffi::CString::new("postgres").unwrap();
    let pw = unsafe { libc::getpwnam(name.as_ptr()) };
    assert!(
        !pw.is_null(),
        "no `postgres` user; install the Debian package postgresql"
    );
    unsafe { ((*pw).pw_uid, (*pw).pw_gid) }
}

/// Runs `cmd` to completion as `user` (when root), failing with its output.
fn run(mut cmd: Command, user: Option<(u32, u32)>, what: &str) {
    if let Some((uid, gid)) = user {
        cmd.uid(uid).gid(gid);
    }
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Spawns a server from a thread that never ends, with the parent-death signal set after the
/// user switch, so the server dies with this binary and not with the test that started it.
fn spawn_server(mut cmd: Command, user: Option<(u32, u32)>, log: &Path) -> u32 {
    let log = std::fs::File::create(log).unwrap();
    cmd.stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log);
    if let Some((uid, gid)) = user {
        cmd.uid(uid).gid(gid);
    }
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut child = cmd.spawn().expect("the server starts");
        tx.send(child.id()).unwrap();
        let _ = child.wait();
        // Keep the thread (the child's parent) alive until the binary exits.
        loop {
            std::thread::park();
        }
    });
    rx.recv().unwrap()
}

fn private_dir(name: &str) -> PathBuf {
    let dir = tempfile::Builder::new()
        .prefix(name)
        .tempdir_in("/tmp")
        .unwrap()
        .keep();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

/// The PostgreSQL binaries directory (`/usr/lib/postgresql/<newest>/bin`).
fn pg_bin() -> PathBuf {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, p)| p.join("initdb").exists())
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, p)| p)
        .expect("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): install the Debian package postgresql")
}

pub fn postgres() -> &'static Postgres {
    static PG: OnceLock<Postgres> = OnceLock::new();
    PG.get_or_init(|| {
        let bin = pg_bin();
        let dir = private_dir("connect-sql-pg-");
        let data = dir.join("data");
        let user = is_root().then(postgres_user);
        if let Some((uid, gid)) = user {
            std::os::unix::fs::chown(&dir, Some(uid), Some(gid)).unwrap();
        }
        let mut initdb = Command::new(bin.join("initdb"));
        initdb.args([
            "-D",
            data.to_str().unwrap(),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
            "-E",
            "UTF8",
        ]);
        run(initdb, user, "initdb");
        let port = free_port();
        let mut server = Command::new(bin.join("postgres"));
        server.args([
            "-D",
            data.to_str().unwrap(),
            "-p",
            &port.to_string(),
            "-k",
            dir.to_str().unwrap(),
        ]);
        for setting in [
            "listen_addresses=127.0.0.1",
            "wal_level=logical",
            "max_replication_slots=20",
            "max_wal_senders=20",
            "fsync=off",
            "full_page_writes=off",
            "max_connections=200",
        ] {
            server.args(["-c", setting]);
        }
        let pid = spawn_server(server, user, &dir.join("server.log"));
        register(pid, libc::SIGINT, dir.clone());
        let pg = Postgres {
            port,
            socket_dir: dir.clone(),
            bin,
        };
        wait_for(
            Duration::from_secs(60),
            "PostgreSQL to accept connections",
            || {
                let ok = Command::new(pg.bin.join("pg_isready"))
                    .args(["-h", dir.to_str().unwrap(), "-p", &port.to_string()])
                    .stdout(Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success());
                ok.then_some(())
            },
        );
        pg
    })
}

impl Postgres {
    /// A fresh database.
    pub fn create_db(&self, name: &str) {
        self.psql("postgres", &format!("CREATE DATABASE {name}"));
    }

    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// Runs SQL with psql; returns the unaligned, tuples-only output.
    pub fn psql(&self, db: &str, sql: &str) -> String {
        let out = Command::new(self.bin.join("psql"))
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h"])
            .arg(&self.socket_dir)
            .args([
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                "-d",
                db,
                "-c",
                sql,
            ])
            .stdin(Stdio::null())
            .output()
            .expect("psql runs");
        assert!(
            out.status.success(),
            "psql {sql:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    /// Waits until replication slot `slot` is usable: PostgreSQL lists a logical slot while it
    /// is still waiting for the transactions running at its creation to end, and sets its
    /// confirmed position only once it captures every later commit. Changes committed before
    /// that would not be captured.
    pub fn wait_for_slot(&self, db: &str, slot: &str) {
        let sql = format!(
            "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{slot}' AND confirmed_flush_lsn IS NOT NULL"
        );
        wait_for(
            Duration::from_secs(60),
            &format!("replication slot `{slot}` to be created and consistent"),
            || (self.psql(db, &sql) == "1").then_some(()),
        );
    }

    pub fn count(&self, db: &str, from: &str) -> u64 {
        self.psql(db, &format!("SELECT count(*) FROM {from}"))
            .parse()
            .unwrap()
    }
}

pub fn mariadb() -> &'static Mariadb {
    static MY: OnceLock<Mariadb> = OnceLock::new();
    MY.get_or_init(|| {
        let find = |name: &str| {
            ["/usr/bin", "/usr/sbin"]
                .iter()
                .map(|d| Path::new(d).join(name))
                .find(|p| p.exists())
                .unwrap_or_else(|| {
                    panic!("{name} is not installed: install the Debian package mariadb-server")
                })
        };
        let dir = private_dir("connect-sql-mariadb-");
        let data = dir.join("data");
        let mut install = Command::new(find("mariadb-install-db"));
        install.args([
            "--no-defaults",
            &format!("--datadir={}", data.display()),
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
        ]);
        if is_root() {
            install.arg("--user=root");
        }
        run(install, None, "mariadb-install-db");
        let port = free_port();
        let socket = dir.join("mysqld.sock");
        let mut server = Command::new(find("mariadbd"));
        server.args([
            "--no-defaults".to_string(),
            format!("--datadir={}", data.display()),
            format!("--port={port}"),
            format!("--socket={}", socket.display()),
            "--bind-address=127.0.0.1".into(),
            "--skip-name-resolve".into(),
            "--skip-log-bin".into(),
            "--innodb-flush-log-at-trx-commit=2".into(),
            format!("--pid-file={}", dir.join("mysqld.pid").display()),
        ]);
        if is_root() {
            server.arg("--user=root");
        }
        let pid = spawn_server(server, None, &dir.join("server.log"));
        register(pid, libc::SIGTERM, dir.clone());
        let my = Mariadb { port, socket };
        wait_for(
            Duration::from_secs(60),
            "MariaDB to accept connections",
            || my.try_sql("SELECT 1").ok().map(drop),
        );
        my
    })
}

impl Mariadb {
    pub fn url(&self, db: &str) -> String {
        format!("mysql://root@127.0.0.1:{}/{db}", self.port)
    }

    fn try_sql(&self, sql: &str) -> Result<String, String> {
        let out = Command::new("mariadb")
            .args(["--no-defaults", "-u", "root", "-N", "-B", "--socket"])
            .arg(&self.socket)
            .args(["-e", sql])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| {
                format!("the mariadb client (Debian package mariadb-client) does not run: {e}")
            })?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        Ok(String::from_utf8(out.stdout).unwrap().trim().to_string())
    }

    /// Runs SQL with the mariadb client; returns the tab-separated output without headers.
    pub fn sql(&self, sql: &str) -> String {
        self.try_sql(sql)
            .unwrap_or_else(|e| panic!("mariadb {sql:?} failed: {e}"))
    }

    pub fn count(&self, from: &str) -> u64 {
        self.sql(&format!("SELECT count(*) FROM {from}"))
            .parse()
            .unwrap()
    }
}
