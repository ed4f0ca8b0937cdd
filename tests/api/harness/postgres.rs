//! A throwaway PostgreSQL for the test run: `TEST_DATABASE_URL` if set, otherwise a cluster
//! started once per test binary from the local `initdb`/`pg_ctl`, stopped when the binary
//! exits. Each test gets its own database in it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};

/// The server every PostgreSQL test uses: its admin URL (without a database name).
pub struct PgServer {
    /// e.g. `postgres://postgres@127.0.0.1:54321`
    base_url: String,
    admin_db: String,
    /// The self-signed certificate our own cluster serves TLS with (none for an external one).
    pub ca_file: Option<PathBuf>,
}

static SERVER: OnceLock<Result<PgServer, String>> = OnceLock::new();

/// The shared server, started on first use; `Err` says why there is none.
pub fn server() -> Result<&'static PgServer, String> {
    SERVER.get_or_init(start).as_ref().map_err(Clone::clone)
}

impl PgServer {
    /// Creates an empty database and returns its URL.
    pub async fn create_database(&self) -> Result<(String, String), String> {
        let name = format!("t_{}", uuid::Uuid::now_v7().simple());
        self.admin(&format!("CREATE DATABASE \"{name}\"")).await?;
        Ok((format!("{}/{name}", self.base_url), name))
    }

    /// Runs SQL as the administrator, on the admin database.
    pub async fn admin(&self, sql: &str) -> Result<(), String> {
        let url = format!("{}/{}", self.base_url, self.admin_db);
        let mut conn = AsyncPgConnection::establish(&url)
            .await
            .map_err(|e| e.to_string())?;
        conn.batch_execute(sql).await.map_err(|e| e.to_string())
    }
}

fn start() -> Result<PgServer, String> {
    if let Ok(url) = std::env::var("TEST_DATABASE_URL") {
        // postgres://user:pass@host:port/db -> base and admin database
        let (base, db) = url
            .rsplit_once('/')
            .ok_or("TEST_DATABASE_URL has no database name")?;
        return Ok(PgServer {
            base_url: base.to_owned(),
            admin_db: db.to_owned(),
            ca_file: None,
        });
    }
    let bin = find_bin_dir().ok_or("no initdb/pg_ctl on PATH or in /usr/lib/postgresql")?;
    let as_user = unprivileged_user()?;
    let dir = tempfile::Builder::new()
        .prefix("layer2-test-pg-")
        .tempdir()
        .map_err(|e| e.to_string())?
        .keep();
    let data = dir.join("data");
    if let Some(user) = &as_user {
        run(Command::new("chown")
            .arg("-R")
            .arg(format!("{user}:"))
            .arg(&dir))?;
    }
    run(pg_command(&as_user, &bin.join("initdb"))
        .args([
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
            "-D",
        ])
        .arg(&data))?;
    let port = free_port()?;
    // TLS with a certificate for 127.0.0.1 from a throwaway CA, so that tests exercise the
    // verified TLS path the server uses in production.
    let (ca_cert, ca_key) = (dir.join("ca.crt"), dir.join("ca.key"));
    let (cert, key, csr, ext) = (
        dir.join("server.crt"),
        dir.join("server.key"),
        dir.join("server.csr"),
        dir.join("server.ext"),
    );
    std::fs::write(
        &ext,
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .map_err(|e| e.to_string())?;
    run(Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=layer2 test CA",
            "-keyout",
        ])
        .arg(&ca_key)
        .arg("-out")
        .arg(&ca_cert))?;
    run(Command::new("openssl")
        .args([
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&csr))?;
    run(Command::new("openssl")
        .args(["x509", "-req", "-days", "2", "-CAcreateserial", "-in"])
        .arg(&csr)
        .arg("-CA")
        .arg(&ca_cert)
        .arg("-CAkey")
        .arg(&ca_key)
        .arg("-extfile")
        .arg(&ext)
        .arg("-out")
        .arg(&cert))?;
    if let Some(user) = &as_user {
        run(Command::new("chown")
            .arg(format!("{user}:"))
            .arg(&cert)
            .arg(&key))?;
    }
    run(Command::new("chmod").arg("600").arg(&key))?;
    let options = format!(
        "-p {port} -k {dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
         -c full_page_writes=off -c max_connections=400 -c shared_buffers=64MB \
         -c ssl=on -c ssl_cert_file={cert} -c ssl_key_file={key}",
        dir = dir.display(),
        cert = cert.display(),
        key = key.display(),
    );
    run(pg_command(&as_user, &bin.join("pg_ctl"))
        .arg("-D")
        .arg(&data)
        .arg("-l")
        .arg(dir.join("server.log"))
        .args(["-o", &options, "-w", "-t", "60", "start"]))?;
    spawn_reaper(&as_user, &bin, &dir, &data);
    Ok(PgServer {
        base_url: format!("postgres://postgres@127.0.0.1:{port}"),
        admin_db: "postgres".to_owned(),
        ca_file: Some(ca_cert),
    })
}

/// PostgreSQL refuses to run as root: as root, run it as `postgres` (or `nobody`).
fn unprivileged_user() -> Result<Option<String>, String> {
    let uid = Command::new("id")
        .arg("-u")
        .output()
        .map_err(|e| e.to_string())?;
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return Ok(None);
    }
    for user in ["postgres", "nobody"] {
        let exists = Command::new("id")
            .arg(user)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if exists.is_ok_and(|s| s.success()) {
            return Ok(Some(user.to_owned()));
        }
    }
    Err("running as root and no unprivileged user (postgres, nobody) to run PostgreSQL".into())
}

fn pg_command(as_user: &Option<String>, program: &Path) -> Command {
    match as_user {
        Some(user) => {
            let mut command = Command::new("runuser");
            command.args(["-u", user, "--"]).arg(program);
            command
        }
        None => Command::new(program),
    }
}

fn find_bin_dir() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file())
    });
    on_path.or_else(|| {
        let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .filter(|bin| bin.join("initdb").is_file())
            .collect();
        versions.sort();
        versions.pop()
    })
}

fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

fn run(command: &mut Command) -> Result<(), String> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{command:?}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{command:?} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// A detached shell that stops the cluster and removes its files once this process exits.
fn spawn_reaper(as_user: &Option<String>, bin: &Path, dir: &Path, data: &Path) {
    let pg_ctl = bin.join("pg_ctl");
    let stop = match as_user {
        Some(user) => format!(
            "runuser -u {user} -- {} -D {} -m immediate stop",
            pg_ctl.display(),
            data.display()
        ),
        None => format!(
            "{} -D {} -m immediate stop",
            pg_ctl.display(),
            data.display()
        ),
    };
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {stop} >/dev/null 2>&1; rm -rf {dir}",
        pid = std::process::id(),
        dir = dir.display()
    );
    let spawned = Command::new("setsid")
        .args(["sh", "-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    if let Err(error) = spawned {
        eprintln!(
            "warning: cannot start the PostgreSQL reaper ({error}); stop {} by hand",
            data.display()
        );
    }
}
