//! `loadgen`: simulated users doing full passkey ceremonies over HTTP against running anshin
//! servers, and a report of what they saw.
//!
//! Each worker is one simulated browser at a time: it registers new users (`/v1/registration/
//! options` then `/verify`, open sign-up) and signs registered users in again
//! (`/v1/authentication/options` with the user name, then `/verify`), one registration for every
//! `--sign-ins-per-registration` sign-ins. The client side is the deterministic virtual
//! authenticator of `anshin-conformance`: it answers the options the server sent with the JSON a
//! browser's `toJSON()` produces, signing with the credential's key.
//!
//! ```text
//! loadgen --target http://127.0.0.1:8080,http://127.0.0.1:8081 --concurrency 16 --duration 30
//! ```
//!
//! Requests are spread round-robin over the targets, request by request, as a load balancer
//! without affinity would: a ceremony started on one instance is often finished on another,
//! which needs a shared ephemeral store (Redis) when there is more than one. The servers must
//! accept the `--origin` (`ANSHIN_ORIGINS`) and allow this many requests per minute from one
//! address (`[rate_limits] per_ip_per_minute` in `anshin.toml`).
//!
//! The report gives ceremonies per second (successful ones), latency percentiles per endpoint
//! (from sending a request to having read its whole response) and errors by endpoint and
//! problem code. With `--rate`, ceremonies start on a fixed schedule instead of as fast as the
//! workers can go, to measure latency below the maximum load; a worker that falls behind starts
//! its next ceremony late and the latency does not include that wait.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anshin_conformance::authenticator::{Algorithm, CredentialOptions, VirtualAuthenticator};
use clap::Parser;
use serde::Deserialize;
use serde_json::{Value, json};
use webauthn_core::json::{CreationOptionsJson, RequestOptionsJson};

/// Full passkey ceremonies over HTTP against anshin servers.
#[derive(Debug, Parser)]
#[command(name = "loadgen")]
struct Args {
    /// Base URLs of the servers, comma-separated; requests go round-robin over them.
    #[arg(long, value_delimiter = ',', default_value = "http://127.0.0.1:8080")]
    target: Vec<String>,
    /// The origin the simulated browsers report; the servers must allow it (`ANSHIN_ORIGINS`).
    #[arg(long, default_value = "http://localhost:8080")]
    origin: String,
    /// Simulated users in flight at once.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// How long to run, in seconds (ignored with `--count`).
    #[arg(long, default_value_t = 30.0)]
    duration: f64,
    /// Stop after this many ceremonies (registrations and sign-ins) instead of after a time.
    #[arg(long)]
    count: Option<u64>,
    /// Start ceremonies at this many per second instead of as fast as possible.
    #[arg(long)]
    rate: Option<f64>,
    /// Sign-ins for every registration.
    #[arg(long, default_value_t = 20)]
    sign_ins_per_registration: u32,
    /// Credential algorithm of the simulated authenticators: es256, eddsa or rs256.
    #[arg(long, default_value = "es256", value_parser = parse_algorithm)]
    algorithm: Algorithm,
    /// Seed of the simulated authenticators and of the choice of action.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Runtime threads of the load generator (default: the number of CPUs).
    #[arg(long)]
    threads: Option<usize>,
    /// No progress bar on stderr.
    #[arg(long)]
    quiet: bool,
}

fn parse_algorithm(s: &str) -> Result<Algorithm, String> {
    match s {
        "es256" => Ok(Algorithm::Es256),
        "eddsa" => Ok(Algorithm::EdDsa),
        "rs256" => Ok(Algorithm::Rs256),
        other => Err(format!(
            "unknown algorithm {other:?}: es256, eddsa or rs256"
        )),
    }
}

/// The four endpoints of the two ceremonies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Endpoint {
    RegistrationOptions,
    RegistrationVerify,
    AuthenticationOptions,
    AuthenticationVerify,
}

impl Endpoint {
    const ALL: [Self; 4] = [
        Self::RegistrationOptions,
        Self::RegistrationVerify,
        Self::AuthenticationOptions,
        Self::AuthenticationVerify,
    ];

    const fn path(self) -> &'static str {
        match self {
            Self::RegistrationOptions => "/v1/registration/options",
            Self::RegistrationVerify => "/v1/registration/verify",
            Self::AuthenticationOptions => "/v1/authentication/options",
            Self::AuthenticationVerify => "/v1/authentication/verify",
        }
    }

    const fn index(self) -> usize {
        match self {
            Self::RegistrationOptions => 0,
            Self::RegistrationVerify => 1,
            Self::AuthenticationOptions => 2,
            Self::AuthenticationVerify => 3,
        }
    }
}

/// What one worker observed.
#[derive(Debug, Default)]
struct Stats {
    /// Latency of every answered request, in microseconds, per [`Endpoint::index`].
    latencies: [Vec<u32>; 4],
    /// Per successful ceremony, the sum of its two requests' latencies (the client's own time
    /// between them left out), in microseconds: registrations, then sign-ins.
    ceremonies: [Vec<u32>; 2],
    registrations: u64,
    sign_ins: u64,
    /// Failed ceremonies by `endpoint: code`.
    errors: BTreeMap<String, u64>,
}

impl Stats {
    fn merge(&mut self, other: Self) {
        for (mine, theirs) in self.latencies.iter_mut().zip(other.latencies) {
            mine.extend(theirs);
        }
        for (mine, theirs) in self.ceremonies.iter_mut().zip(other.ceremonies) {
            mine.extend(theirs);
        }
        self.registrations += other.registrations;
        self.sign_ins += other.sign_ins;
        for (code, n) in other.errors {
            *self.errors.entry(code).or_default() += n;
        }
    }
}

/// Counters shared with the progress bar, and the stop signal.
#[derive(Debug, Default)]
struct Shared {
    /// Ceremonies started (the next ceremony's index).
    started: AtomicU64,
    done: AtomicU64,
    failed: AtomicU64,
    next_target: AtomicU64,
    stop: AtomicBool,
}

/// A failed request: the endpoint and the problem code (or what went wrong instead).
#[derive(Debug)]
struct Failure {
    endpoint: Endpoint,
    code: String,
}

#[derive(Debug, Deserialize)]
struct Problem {
    code: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Started {
    ceremony_id: String,
}

/// One simulated browser with the users it registered.
struct Worker {
    id: usize,
    client: reqwest::Client,
    targets: Arc<Vec<String>>,
    shared: Arc<Shared>,
    authenticator: VirtualAuthenticator,
    credential: CredentialOptions,
    users: Vec<String>,
    run: u64,
    stats: Stats,
    rng: u64,
}

impl Worker {
    /// SplitMix64 step, for the choice of action and of user.
    fn random(&mut self) -> u64 {
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn target(&self) -> &str {
        let i = self.shared.next_target.fetch_add(1, Ordering::Relaxed);
        let n = u64::try_from(self.targets.len()).unwrap_or(1).max(1);
        let i = usize::try_from(i % n).unwrap_or(0);
        self.targets.get(i).map_or("", String::as_str)
    }

    /// Sends one request; returns the body of a success and the request's latency.
    async fn post(&mut self, endpoint: Endpoint, body: &Value) -> Result<(Vec<u8>, u32), Failure> {
        let url = format!("{}{}", self.target(), endpoint.path());
        let fail = |code: String| Failure { endpoint, code };
        let started = now();
        let response = self
            .client
            .post(url)
            .json(body)
            .send()
            .await
            .map_err(|e| fail(transport_code(&e)))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| fail(transport_code(&e)))?;
        let micros = u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX);
        self.stats.latencies[endpoint.index()].push(micros);
        if status.is_success() {
            Ok((bytes.to_vec(), micros))
        } else {
            let code = serde_json::from_slice::<Problem>(&bytes)
                .ok()
                .and_then(|p| p.code)
                .unwrap_or_else(|| format!("http_{}", status.as_u16()));
            Err(fail(code))
        }
    }

    async fn register(&mut self) -> Result<(), Failure> {
        let name = format!("lg{}-{}-{}", self.run, self.id, self.users.len());
        let body = json!({"user": {"name": name, "display_name": name}});
        let (bytes, first) = self.post(Endpoint::RegistrationOptions, &body).await?;
        let fail = |code: &str| Failure {
            endpoint: Endpoint::RegistrationOptions,
            code: code.to_owned(),
        };
        let started: Started =
            serde_json::from_slice(&bytes).map_err(|_| fail("loadgen_bad_options"))?;
        let options: CreationOptionsJson =
            serde_json::from_slice(&bytes).map_err(|_| fail("loadgen_bad_options"))?;
        let response = self
            .authenticator
            .create(&options, &self.credential, &[])
            .map_err(|_| fail("loadgen_authenticator"))?;
        let body = json!({"ceremony_id": started.ceremony_id, "credential": response.json});
        let (_, second) = self.post(Endpoint::RegistrationVerify, &body).await?;
        self.stats.ceremonies[0].push(first.saturating_add(second));
        self.users.push(name);
        Ok(())
    }

    async fn sign_in(&mut self, user: usize) -> Result<(), Failure> {
        let name = self.users.get(user).cloned().unwrap_or_default();
        let (bytes, first) = self
            .post(Endpoint::AuthenticationOptions, &json!({"username": name}))
            .await?;
        let fail = |code: &str| Failure {
            endpoint: Endpoint::AuthenticationOptions,
            code: code.to_owned(),
        };
        let started: Started =
            serde_json::from_slice(&bytes).map_err(|_| fail("loadgen_bad_options"))?;
        let options: RequestOptionsJson =
            serde_json::from_slice(&bytes).map_err(|_| fail("loadgen_bad_options"))?;
        let response = self
            .authenticator
            .get(&options, &[])
            .map_err(|_| fail("loadgen_authenticator"))?;
        let body = json!({"ceremony_id": started.ceremony_id, "credential": response.json});
        let (_, second) = self.post(Endpoint::AuthenticationVerify, &body).await?;
        self.stats.ceremonies[1].push(first.saturating_add(second));
        Ok(())
    }

    async fn run(mut self, limits: Limits) -> Stats {
        let per = u64::from(limits.sign_ins_per_registration) + 1;
        loop {
            if self.shared.stop.load(Ordering::Relaxed) {
                break;
            }
            let index = self.shared.started.fetch_add(1, Ordering::Relaxed);
            if limits.count.is_some_and(|count| index >= count) {
                break;
            }
            if let Some(rate) = limits.rate {
                #[allow(
                    clippy::cast_precision_loss,
                    reason = "ceremony indexes stay far below 2^52"
                )]
                let at = limits.start + Duration::from_secs_f64(index as f64 / rate);
                tokio::time::sleep_until(at.into()).await;
                if self.shared.stop.load(Ordering::Relaxed) {
                    break;
                }
            }
            let register = self.users.is_empty() || self.random().is_multiple_of(per);
            let outcome = if register {
                self.register()
                    .await
                    .map(|()| self.stats.registrations += 1)
            } else {
                let n = u64::try_from(self.users.len()).unwrap_or(1);
                let user = usize::try_from(self.random() % n).unwrap_or(0);
                self.sign_in(user).await.map(|()| self.stats.sign_ins += 1)
            };
            match outcome {
                Ok(()) => {
                    self.shared.done.fetch_add(1, Ordering::Relaxed);
                }
                Err(failure) => {
                    self.shared.failed.fetch_add(1, Ordering::Relaxed);
                    *self
                        .stats
                        .errors
                        .entry(format!("{}: {}", failure.endpoint.path(), failure.code))
                        .or_default() += 1;
                }
            }
        }
        self.stats
    }
}

/// The monotonic clock: a load generator measures time (the workspace keeps the clock out of
/// the sans-IO core, which this is not).
#[allow(
    clippy::disallowed_methods,
    reason = "a load generator measures latency"
)]
fn now() -> Instant {
    Instant::now()
}

/// Seconds since the Unix epoch, to make this run's user names unique.
#[allow(clippy::disallowed_methods, reason = "user names unique across runs")]
fn unix_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A short code for a request that got no HTTP answer.
fn transport_code(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "transport_timeout".to_owned()
    } else if e.is_connect() {
        "transport_connect".to_owned()
    } else {
        "transport_other".to_owned()
    }
}

#[derive(Debug, Clone, Copy)]
struct Limits {
    count: Option<u64>,
    rate: Option<f64>,
    start: Instant,
    sign_ins_per_registration: u32,
}

/// The value at quantile `q` of sorted `values`, in milliseconds (nearest rank).
fn percentile_ms(sorted: &[u32], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a rank between 1 and the sample count, which stays far below 2^52"
    )]
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted
        .get(rank - 1)
        .map_or(f64::NAN, |&v| f64::from(v) / 1000.0)
}

fn progress(shared: &Shared, elapsed: f64, args: &Args) {
    let done = shared.done.load(Ordering::Relaxed);
    let failed = shared.failed.load(Ordering::Relaxed);
    #[allow(
        clippy::cast_precision_loss,
        reason = "counts stay far below 2^52; a progress display"
    )]
    let fraction = match args.count {
        Some(count) => (done + failed) as f64 / count.max(1) as f64,
        None => elapsed / args.duration,
    }
    .clamp(0.0, 1.0);
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a fraction in [0, 1] times 30"
    )]
    let filled = (fraction * 30.0).round() as usize;
    #[allow(clippy::cast_precision_loss, reason = "a progress display")]
    let per_second = done as f64 / elapsed.max(1e-9);
    let bar: String = (0..30)
        .map(|i| if i < filled { '#' } else { '-' })
        .collect();
    let mut stderr = std::io::stderr().lock();
    // A failed write to stderr leaves nothing better to do than to go on.
    let _ = write!(
        stderr,
        "\r[{bar}] {:5.1}% {elapsed:6.1} s  {done} ok ({per_second:.0}/s)  {failed} failed ",
        fraction * 100.0
    );
    let _ = stderr.flush();
}

fn report(args: &Args, stats: &mut Stats, elapsed: f64) -> String {
    let mut out = String::new();
    let ceremonies = stats.registrations + stats.sign_ins;
    #[allow(clippy::cast_precision_loss, reason = "counts stay far below 2^52")]
    let rate = |n: u64| n as f64 / elapsed;
    let failed: u64 = stats.errors.values().sum();
    let _ = writeln!(
        out,
        "loadgen: {} target(s) {}, concurrency {}, {:.1} s, {}, {} sign-ins per registration{}",
        args.target.len(),
        args.target.join(","),
        args.concurrency,
        elapsed,
        args.algorithm,
        args.sign_ins_per_registration,
        args.rate
            .map_or_else(String::new, |r| format!(", scheduled at {r} ceremonies/s")),
    );
    let _ = writeln!(
        out,
        "ceremonies: {ceremonies} ok, {:.1}/s (sign-ins {} = {:.1}/s, registrations {} = {:.1}/s); failed {failed}",
        rate(ceremonies),
        stats.sign_ins,
        rate(stats.sign_ins),
        stats.registrations,
        rate(stats.registrations),
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "| endpoint | requests | p50 ms | p95 ms | p99 ms | max ms |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|");
    for endpoint in Endpoint::ALL {
        let values = &mut stats.latencies[endpoint.index()];
        values.sort_unstable();
        let _ = writeln!(
            out,
            "| `{}` | {} | {:.2} | {:.2} | {:.2} | {:.2} |",
            endpoint.path(),
            values.len(),
            percentile_ms(values, 0.50),
            percentile_ms(values, 0.95),
            percentile_ms(values, 0.99),
            percentile_ms(values, 1.0),
        );
    }
    for (name, values) in ["registration (both requests)", "sign-in (both requests)"]
        .into_iter()
        .zip(stats.ceremonies.iter_mut())
    {
        values.sort_unstable();
        let _ = writeln!(
            out,
            "| {name} | {} | {:.2} | {:.2} | {:.2} | {:.2} |",
            values.len(),
            percentile_ms(values, 0.50),
            percentile_ms(values, 0.95),
            percentile_ms(values, 0.99),
            percentile_ms(values, 1.0),
        );
    }
    if !stats.errors.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "| failed at: code | count |");
        let _ = writeln!(out, "|---|---:|");
        for (code, n) in &stats.errors {
            let _ = writeln!(out, "| `{code}` | {n} |");
        }
    }
    out
}

async fn run(args: Args) -> Result<Stats, String> {
    if args.target.is_empty() || args.concurrency == 0 {
        return Err("at least one --target and a --concurrency of 1 or more".to_owned());
    }
    if args.rate.is_some_and(|r| !(r.is_finite() && r > 0.0)) {
        return Err("--rate must be a positive number".to_owned());
    }
    // The HTTP client's TLS (unused for http:// targets) takes ring, as the server does.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| format!("building the HTTP client: {e}"))?;
    let run_id = unix_secs();
    let shared = Arc::new(Shared::default());
    let targets = Arc::new(
        args.target
            .iter()
            .map(|t| t.trim_end_matches('/').to_owned())
            .collect::<Vec<_>>(),
    );
    let start = now();
    let limits = Limits {
        count: args.count,
        rate: args.rate,
        start,
        sign_ins_per_registration: args.sign_ins_per_registration,
    };
    let mut tasks = Vec::with_capacity(args.concurrency);
    for id in 0..args.concurrency {
        let seed = args.seed ^ (u64::try_from(id).unwrap_or(0) << 32);
        let worker = Worker {
            id,
            client: client.clone(),
            targets: Arc::clone(&targets),
            shared: Arc::clone(&shared),
            authenticator: VirtualAuthenticator::new(seed).with_origin(&args.origin),
            credential: CredentialOptions {
                algorithm: args.algorithm,
                ..CredentialOptions::default()
            },
            users: Vec::new(),
            run: run_id,
            stats: Stats::default(),
            rng: seed,
        };
        tasks.push(tokio::spawn(worker.run(limits)));
    }
    let deadline = args
        .count
        .is_none()
        .then(|| start + Duration::from_secs_f64(args.duration.max(0.0)));
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    loop {
        tick.tick().await;
        let elapsed = start.elapsed().as_secs_f64();
        if !args.quiet {
            progress(&shared, elapsed, &args);
        }
        if deadline.is_some_and(|d| now() >= d) {
            shared.stop.store(true, Ordering::Relaxed);
        }
        if tasks.iter().all(tokio::task::JoinHandle::is_finished) {
            break;
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    if !args.quiet {
        progress(&shared, elapsed, &args);
        eprintln!();
    }
    let mut stats = Stats::default();
    for task in tasks {
        stats.merge(task.await.map_err(|e| format!("a worker failed: {e}"))?);
    }
    let text = report(&args, &mut stats, elapsed);
    print!("{text}");
    Ok(stats)
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    runtime.enable_all();
    if let Some(threads) = args.threads {
        runtime.worker_threads(threads.max(1));
    }
    let runtime = match runtime.build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("loadgen: starting the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(stats) if stats.registrations + stats.sign_ins > 0 => ExitCode::SUCCESS,
        Ok(_) => {
            eprintln!("loadgen: no ceremony succeeded");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("loadgen: {e}");
            ExitCode::FAILURE
        }
    }
}
