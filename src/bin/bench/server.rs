//! The real `layer2` binary as a child process: started on the bench's database with the
//! production limits raised, its port read from the banner, ready once `/readyz` answers;
//! and the memory figures of a process, from `/proc`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

const BANNER: &str = "Layer2 onboarding API is listening on ";
/// Generous enough that throttling never shapes the measurements.
const UNLIMITED: &str = "4000000000";

pub struct Server {
    child: Child,
    pub base: String,
}

/// The `layer2` binary beside this one (built with the same profile).
pub fn binary() -> anyhow::Result<PathBuf> {
    let path = std::env::current_exe()?.with_file_name("layer2");
    if !path.is_file() {
        bail!(
            "no server binary at {}: build both with `cargo build --release --bins` \
             (or `cargo build --bins` for a debug run) first",
            path.display()
        );
    }
    Ok(path)
}

impl Server {
    pub async fn start(url: &str, workdir: &Path, pool_size: usize) -> anyhow::Result<Self> {
        let binary = binary()?;
        let mut command = Command::new(&binary);
        command
            .current_dir(workdir)
            .env("DATABASE_URL", url)
            .env("LAYER2_LOG", "warn")
            .args(["--bind", "127.0.0.1:0", "--no-sandbox"])
            .args(["--pool-size", &pool_size.to_string()])
            .args(["--request-timeout-ms", "60000"])
            .args(["--production-concurrent-requests", "100000"])
            .args(["--production-requests-per-sec", UNLIMITED])
            .args(["--production-request-burst", UNLIMITED])
            .args(["--production-cost-per-sec", UNLIMITED])
            .args(["--production-cost-burst", UNLIMITED])
            .arg("--report-statements");
        let log = std::fs::File::create(workdir.join("server.log"))?;
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let stdout = child.stdout.take().context("the server's stdout")?;
        let (lines_tx, lines_rx) = std::sync::mpsc::channel();
        // Drains stdout for the server's whole life, so that it never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = lines_tx.send(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(120);
        let base = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = lines_rx.recv_timeout(left).with_context(|| {
                format!(
                    "no banner from the server (see {})",
                    workdir.join("server.log").display()
                )
            })?;
            if let Some(base) = line.strip_prefix(BANNER) {
                break base.trim().to_owned();
            }
        };
        let server = Self { child, base };
        server.wait_ready(deadline).await?;
        Ok(server)
    }

    async fn wait_ready(&self, deadline: Instant) -> anyhow::Result<()> {
        let http = reqwest::Client::new();
        loop {
            let ready = http.get(format!("{}/readyz", self.base)).send().await;
            if ready.is_ok_and(|r| r.status().is_success()) {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("the server at {} never became ready", self.base);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGTERM, then waits (at most 30 s) for it to exit.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()?;
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.child.try_wait()?.is_none() {
            if Instant::now() > deadline {
                bail!("the server did not exit within 30 s of SIGTERM");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A field of `/proc/<pid>/status` in kB (`VmHWM`, `VmRSS`); this process when `None`.
pub fn status_kb(pid: Option<u32>, field: &str) -> Option<u64> {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/status"),
        None => "/proc/self/status".to_owned(),
    };
    let status = std::fs::read_to_string(path).ok()?;
    let line = status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))?;
    line.split_whitespace().next()?.parse().ok()
}

/// The largest `VmRSS` of a process seen so far, sampled every 100 ms until dropped.
pub struct RssSampler {
    pid: Option<u32>,
    peak: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl RssSampler {
    pub fn start(pid: u32) -> Self {
        let peak = Arc::new(AtomicU64::new(0));
        let seen = peak.clone();
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            loop {
                tick.tick().await;
                if let Some(kb) = status_kb(Some(pid), "VmRSS") {
                    seen.fetch_max(kb, Ordering::Relaxed);
                }
            }
        });
        Self {
            pid: Some(pid),
            peak,
            task,
        }
    }

    /// The peak since the last call (or the start), and a new peak from now on.
    pub fn take_peak_kb(&self) -> u64 {
        let now = status_kb(self.pid, "VmRSS").unwrap_or(0);
        self.peak.swap(now, Ordering::Relaxed).max(now)
    }
}

impl Drop for RssSampler {
    fn drop(&mut self) {
        self.task.abort();
    }
}
