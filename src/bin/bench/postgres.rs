//! `--postgres`: a throwaway PostgreSQL cluster (initdb into a temp directory, pg_ctl start
//! on a free loopback port, no TLS), stopped and removed when dropped.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};

/// A running cluster and the URL of its empty `bench` database.
pub struct Cluster {
    pg_ctl: PathBuf,
    dir: PathBuf,
    as_user: Option<String>,
    pub url: String,
}

impl Cluster {
    pub async fn start() -> anyhow::Result<Self> {
        let bin = bin_dir().context("no initdb/pg_ctl on PATH or in /usr/lib/postgresql")?;
        let as_user = unprivileged_user()?;
        let dir =
            std::env::temp_dir().join(format!("layer2-bench-pg-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir)?;
        let mut cluster = Self {
            pg_ctl: bin.join("pg_ctl"),
            dir,
            as_user,
            url: String::new(),
        };
        if let Some(user) = &cluster.as_user {
            run(Command::new("chown")
                .arg(format!("{user}:"))
                .arg(&cluster.dir))?;
        }
        let data = cluster.dir.join("data");
        run(cluster
            .command(&bin.join("initdb"))
            .args(["-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C"])
            .args(["--no-sync", "-D"])
            .arg(&data))?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c max_connections=200 \
             -c shared_buffers=128MB",
            cluster.dir.display()
        );
        run(cluster
            .command(&cluster.pg_ctl)
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(cluster.dir.join("server.log"))
            .args(["-o", &options, "-w", "-t", "60", "start"]))?;
        let base = format!("postgres://postgres@127.0.0.1:{port}");
        let mut admin = AsyncPgConnection::establish(&format!("{base}/postgres")).await?;
        admin.batch_execute("CREATE DATABASE bench").await?;
        cluster.url = format!("{base}/bench?sslmode=disable");
        Ok(cluster)
    }

    fn command(&self, program: &Path) -> Command {
        match &self.as_user {
            Some(user) => {
                let mut command = Command::new("runuser");
                command.args(["-u", user, "--"]).arg(program);
                command
            }
            None => Command::new(program),
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        let stopped =
            run(self
                .command(&self.pg_ctl)
                .arg("-D")
                .arg(&data)
                .args(["-m", "immediate", "stop"]));
        if let Err(error) = stopped {
            eprintln!("warning: stopping the throwaway PostgreSQL: {error}");
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// PostgreSQL refuses to run as root: as root, run it as `postgres` (or `nobody`).
fn unprivileged_user() -> anyhow::Result<Option<String>> {
    let uid = Command::new("id").arg("-u").output()?;
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
    bail!("running as root and no unprivileged user (postgres, nobody) to run PostgreSQL")
}

fn bin_dir() -> Option<PathBuf> {
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

fn run(command: &mut Command) -> anyhow::Result<()> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("{command:?}"))?;
    if !output.status.success() {
        bail!(
            "{command:?} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}
