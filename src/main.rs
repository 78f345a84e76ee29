//! The `lockstep` command: serve the application, apply migrations, and
//! administer accounts.

#[cfg(feature = "ssr")]
fn main() -> std::process::ExitCode {
    cli::main()
}

#[cfg(not(feature = "ssr"))]
fn main() {
    // The browser build has no binary; cargo-leptos builds this with `ssr`.
}

#[cfg(feature = "ssr")]
mod check;
#[cfg(feature = "ssr")]
mod hammer;
#[cfg(feature = "ssr")]
mod soak;

#[cfg(feature = "ssr")]
mod cli {
    use std::future::IntoFuture;
    use std::io::BufRead;
    use std::net::SocketAddr;
    use std::process::ExitCode;

    use anyhow::{bail, Context};
    use clap::{Args, Parser, Subcommand};
    use leptos::config::{Env, LeptosOptions};
    use sqlx::PgPool;

    use lockstep::startup;
    use server::accounts::{self, NewAccount, Role};
    use server::db;

    #[derive(Parser)]
    #[command(name = "lockstep", version, about = "Lockstep: nothing is created twice, no edit is silently lost.")]
    struct Cli {
        #[command(flatten)]
        database: DatabaseArgs,

        /// Business time zone (IANA name, e.g. Europe/Berlin): the year of
        /// document numbers like REQ-2026-0001 is the year there.
        #[arg(long, env = "LOCKSTEP_TIME_ZONE", default_value = "UTC", global = true)]
        time_zone: String,

        /// Log filter, e.g. `info` or `lockstep=debug,tower_http=debug`.
        #[arg(long, env = "LOCKSTEP_LOG", default_value = "info", global = true)]
        log: String,

        #[command(subcommand)]
        command: Option<Command>,
    }

    #[derive(Args)]
    struct DatabaseArgs {
        /// PostgreSQL URL, e.g. postgres://user:password@127.0.0.1:5432/lockstep
        #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
        database_url: Option<String>,

        /// Most connections Lockstep opens to the database.
        #[arg(long, env = "LOCKSTEP_POOL_SIZE", default_value_t = 16, global = true,
              value_parser = clap::value_parser!(u32).range(1..=1000))]
        pool_size: u32,
    }

    #[derive(Subcommand)]
    enum Command {
        /// Serve Lockstep over HTTP (the default).
        Serve(ServeArgs),
        /// Apply pending database migrations and exit.
        Migrate,
        /// Account administration.
        #[command(subcommand)]
        Admin(AdminCommand),
        /// Seed demo data (accounts at demo.example, clients at every stage
        /// of the workflow, cards, training) into an empty database. Running
        /// it again adds nothing.
        Demo,
        /// Check the database (`--database-url`) for broken promises: gaps,
        /// duplicates and wrong years in document numbers, counters that
        /// disagree with them, assessments missing sections, two active
        /// assignments for one pair, idempotency keys naming missing
        /// records, versions their audit rows do not record. Exits 1 naming
        /// each violation.
        Check {
            /// Print JSON instead of a table.
            #[arg(long)]
            json: bool,
        },
        /// Attack a running Lockstep with simultaneous clients, then check
        /// the database it uses (`--database-url`) for broken promises.
        /// Exits 1 on any violation or any 5xx.
        Hammer {
            /// The running Lockstep, e.g. http://127.0.0.1:3000
            #[arg(long, default_value = "http://127.0.0.1:3000")]
            target: String,
            /// Simultaneous clients per scenario.
            #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(2..=2000))]
            clients: u32,
            /// Print JSON instead of a table.
            #[arg(long)]
            json: bool,
        },
        /// Keep clients writing to one or more running instances for a
        /// while (the fault tests break things meanwhile), then check that
        /// every acknowledged write is there and every invariant holds.
        /// Exits 1 on any 500 or any failed check.
        Soak {
            /// A running Lockstep; repeat for several instances.
            #[arg(long = "target", required = true)]
            targets: Vec<String>,
            /// Clients writing at the same time.
            #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=1000))]
            clients: u32,
            /// How long to keep writing, in seconds.
            #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=3600))]
            seconds: u64,
            /// Fail when no write was acknowledged for longer than this, in
            /// seconds (a server that never recovers from a fault).
            #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
            recovery_seconds: u64,
            /// A file the test breaking things appends `begin <unix seconds>`
            /// and `end <unix seconds>` lines to, one pair per fault.
            #[arg(long)]
            faults_file: Option<std::path::PathBuf>,
        },
    }

    #[derive(Args)]
    struct ServeArgs {
        /// Address to listen on.
        #[arg(long, env = "LOCKSTEP_LISTEN", default_value = "127.0.0.1:3000")]
        listen: SocketAddr,

        /// Folder with the built site (pkg/ with the WASM bundle and CSS).
        #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
        site_root: String,

        /// Mark session cookies Secure; set when users reach Lockstep over https.
        #[arg(long, env = "LOCKSTEP_SECURE_COOKIES", default_value_t = false)]
        secure_cookies: bool,

        /// A reverse proxy (its IP address) whose X-Forwarded-For and
        /// X-Forwarded-Proto are believed; repeat, or comma-separate in the
        /// environment variable.
        #[arg(long = "trusted-proxy", env = "LOCKSTEP_TRUSTED_PROXIES", value_delimiter = ',')]
        trusted_proxies: Vec<std::net::IpAddr>,

        /// Where Prometheus scrapes `GET /metrics`: an operators' address,
        /// never the public one (loopback by default); `off` serves none.
        #[arg(long, env = "LOCKSTEP_METRICS_LISTEN", default_value = "127.0.0.1:9464", value_parser = parse_metrics_listen)]
        metrics_listen: MetricsListen,

        /// Sign-ups one address may attempt in 15 minutes before it has to
        /// wait (doubling waits after that).
        #[arg(long, env = "LOCKSTEP_SIGN_UPS_PER_ADDRESS", default_value_t = server::throttle::DEFAULT_SIGN_UPS_PER_ADDRESS,
              value_parser = clap::value_parser!(i32).range(1..=100_000))]
        sign_ups_per_address: i32,

        /// The address people reach Lockstep at, e.g. https://cards.example.com:
        /// what QR codes and handed-out links point to. Default: the address
        /// the browser used.
        #[arg(long, env = "LOCKSTEP_PUBLIC_URL", value_parser = parse_public_url)]
        public_url: Option<String>,

        /// Most numbered creates of one kind that share a commit (see
        /// `numbers::batches`); 1 commits every create on its own; 0 turns
        /// batching off (each create a transaction of its own request).
        #[arg(long, env = "LOCKSTEP_NUMBER_BATCH", default_value_t = server::numbers::MAX_BATCH,
              value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(0..=server::numbers::MAX_BATCH as u64))]
        number_batch: usize,
    }

    fn parse_public_url(value: &str) -> Result<String, String> {
        let url =
            url::Url::parse(value).map_err(|error| format!("{error}; expected e.g. https://cards.example.com"))?;
        let plain = url.path() == "/"
            && url.query().is_none()
            && url.fragment().is_none()
            && url.username().is_empty()
            && url.password().is_none();
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() || !plain {
            return Err(
                "expected an http(s) address alone (no path, query or user), e.g. https://cards.example.com".to_owned()
            );
        }
        Ok(url.as_str().trim_end_matches('/').to_owned())
    }

    #[derive(Clone, Copy)]
    enum MetricsListen {
        Off,
        On(SocketAddr),
    }

    fn parse_metrics_listen(value: &str) -> Result<MetricsListen, String> {
        if value.eq_ignore_ascii_case("off") {
            return Ok(MetricsListen::Off);
        }
        value
            .parse()
            .map(MetricsListen::On)
            .map_err(|error| format!("{error}; expected an address like 127.0.0.1:9464, or off"))
    }

    #[derive(Subcommand)]
    enum AdminCommand {
        /// Create an account with any role; reads the password from stdin.
        CreateUser {
            #[arg(long)]
            email: String,
            /// Display name; defaults to the part of the email before `@`.
            #[arg(long)]
            name: Option<String>,
            #[arg(long, default_value = "member")]
            role: Role,
            /// Read the password from the first line of standard input.
            #[arg(long, required = true)]
            password_stdin: bool,
            /// For counselors: the id an external system knows them by.
            #[arg(long)]
            external_id: Option<String>,
        },
        /// Create an API key for an external system; prints the key once.
        CreateApiKey {
            /// Who will use it, e.g. "Training portal".
            #[arg(long)]
            name: String,
            /// What the key may do: `workflow` (clients and the numbered
            /// workflow) and/or `assignments` (training assignments); repeat
            /// or comma-separate.
            #[arg(long = "scope", value_delimiter = ',', required = true)]
            scopes: Vec<server::api_keys::Scope>,
            /// Stop accepting the key after this many days.
            #[arg(long, value_parser = clap::value_parser!(u32).range(1..=3650))]
            expires_in_days: Option<u32>,
        },
        /// List accounts (email, role, whether they may sign in, last seen),
        /// enabled ones first; `--search` matches name or email.
        ListUsers {
            #[arg(long, default_value = "")]
            search: String,
        },
        /// Change an account's role; its next request already has the new one.
        SetRole {
            #[arg(long)]
            email: String,
            #[arg(long)]
            role: Role,
        },
        /// Disable an account: it is signed out everywhere at once and cannot
        /// sign in until enabled again.
        DisableUser {
            #[arg(long)]
            email: String,
        },
        /// Let a disabled account sign in again.
        EnableUser {
            #[arg(long)]
            email: String,
        },
        /// List API keys (never the keys themselves).
        ListApiKeys,
        /// Revoke an API key by its id or its prefix.
        RevokeApiKey {
            /// The id or the prefix (`lsk_<prefix>_…`) of the key.
            key: String,
        },
    }

    pub fn main() -> ExitCode {
        let cli = Cli::parse();
        init_tracing(&cli.log);
        let runtime = match tokio::runtime::Runtime::new() {
            Ok(runtime) => runtime,
            Err(error) => {
                eprintln!("error: cannot start the async runtime: {error}");
                return ExitCode::FAILURE;
            }
        };
        match runtime.block_on(run(cli)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("error: {error:#}");
                ExitCode::FAILURE
            }
        }
    }

    fn init_tracing(filter: &str) {
        let filter = tracing_subscriber::EnvFilter::try_new(filter)
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
        // Logs go to stderr: stdout is for what a command prints (an API
        // key, a report), so `key=$(lockstep admin create-api-key …)` works.
        tracing_subscriber::fmt().with_env_filter(filter).with_target(false).with_writer(std::io::stderr).init();
    }

    async fn run(cli: Cli) -> anyhow::Result<()> {
        let command = cli.command.unwrap_or(Command::Serve(ServeArgs::parse_from_env()));
        let pool = connect(&cli.database).await?;
        let time_zone = server::numbers::BusinessTimeZone::new(cli.time_zone.clone());
        server::numbers::check_time_zone(&pool, &time_zone)
            .await
            .with_context(|| format!("unknown time zone {:?}; use an IANA name like Europe/Berlin", cli.time_zone))?;
        match command {
            Command::Serve(args) => {
                migrate(&pool).await?;
                serve(pool, args, time_zone).await
            }
            Command::Check { json } => {
                if crate::check::run(&pool, &time_zone, json).await? {
                    Ok(())
                } else {
                    bail!("the database breaks its invariants (see above)")
                }
            }
            Command::Migrate => {
                migrate(&pool).await?;
                println!("migrations applied");
                Ok(())
            }
            Command::Admin(command) => {
                migrate(&pool).await?;
                admin(&pool, command).await
            }
            Command::Demo => {
                migrate(&pool).await?;
                let seeded = server::demo::seed(&pool, &time_zone).await.map_err(|error| anyhow::anyhow!("{error}"))?;
                if seeded.is_empty() {
                    println!("the demo data is there already; nothing added");
                } else {
                    let server::demo::Seeded { accounts, clients, documents, cards, scenarios, assignments } = seeded;
                    println!(
                        "demo data added: {accounts} accounts, {clients} clients, {documents} numbered documents, \
                         {cards} cards, {scenarios} scenarios, {assignments} assignments"
                    );
                }
                println!("sign in with any of these (password {:?}):", server::demo::PASSWORD);
                // The password is published: the demo is for trying Lockstep out.
                eprintln!("warning: these accounts have a published password; never seed a Lockstep others can reach");
                for (email, name, role, _) in server::demo::ACCOUNTS {
                    println!("  {email:<26} {:<10} {name}", role.as_str());
                }
                Ok(())
            }
            Command::Hammer { target, clients, json } => {
                let options = crate::hammer::Options { target, clients: clients as usize, json, time_zone };
                if crate::hammer::run(pool, options).await? {
                    Ok(())
                } else {
                    bail!("the hammer found violations or server errors (see above)")
                }
            }
            Command::Soak { targets, clients, seconds, recovery_seconds, faults_file } => {
                let duration = std::time::Duration::from_secs(seconds);
                let options = crate::soak::Options {
                    targets,
                    clients: clients as usize,
                    duration,
                    time_zone,
                    recovery_bound: std::time::Duration::from_secs(recovery_seconds),
                    faults_file,
                };
                if crate::soak::run(pool, options).await? {
                    Ok(())
                } else {
                    bail!("the soak found lost writes, violations or server errors (see above)")
                }
            }
        }
    }

    async fn person_by_email(pool: &PgPool, email: &str) -> anyhow::Result<server::people::Person> {
        let mut conn = pool.acquire().await?;
        let missing = || anyhow::anyhow!("no account has the email {email:?}");
        let user =
            accounts::find_by_email(&mut conn, email).await.map_err(|e| anyhow::anyhow!("{e}"))?.ok_or_else(missing)?;
        server::people::find(&mut conn, user.id).await.map_err(|e| anyhow::anyhow!("{e}"))?.ok_or_else(missing)
    }

    async fn set_enabled(pool: &PgPool, email: &str, enabled: bool) -> anyhow::Result<()> {
        let person = person_by_email(pool, email).await?;
        let access = server::people::Access { role: person.role, enabled };
        let changed =
            server::people::set_access_as_operator(pool, email, access).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        if enabled {
            println!("{} may sign in again", changed.email);
        } else {
            println!("{} is disabled and signed out everywhere", changed.email);
        }
        Ok(())
    }

    async fn admin(pool: &PgPool, command: AdminCommand) -> anyhow::Result<()> {
        let domain_error = |error: server::Error| anyhow::anyhow!("{error}");
        match command {
            AdminCommand::CreateUser { email, name, role, password_stdin: _, external_id } => {
                let mut password = String::new();
                std::io::stdin().lock().read_line(&mut password).context("cannot read the password from stdin")?;
                let password = password.trim_end_matches(['\r', '\n']);
                let name = name.unwrap_or_else(|| email.split('@').next().unwrap_or("").to_owned());
                let account = NewAccount::parse(&email, &name, password).map_err(domain_error)?;
                let account = account.hash().await.map_err(domain_error)?;
                let mut tx = pool.begin().await?;
                let user = accounts::create(&mut tx, &account, role).await.map_err(domain_error)?;
                if let Some(external_id) = &external_id {
                    server::counselors::set_external_id(&mut tx, user.id, external_id).await.map_err(domain_error)?;
                }
                tx.commit().await?;
                println!("created {} {} ({})", user.role.as_str(), user.email, user.id);
                Ok(())
            }
            AdminCommand::CreateApiKey { name, scopes, expires_in_days } => {
                let expires_at =
                    expires_in_days.map(|days| chrono::Utc::now() + chrono::Duration::days(i64::from(days)));
                let mut conn = pool.acquire().await?;
                let issued = server::api_keys::create(&mut conn, &name, &scopes, expires_at, None)
                    .await
                    .map_err(domain_error)?;
                eprintln!(
                    "created API key {:?} (id {}, scopes {}); it is shown only now:",
                    issued.key.name,
                    issued.key.id,
                    scope_list(&issued.key.scopes)
                );
                println!("{}", issued.secret);
                Ok(())
            }
            AdminCommand::ListUsers { search } => {
                let mut conn = pool.acquire().await?;
                for person in server::people::list(&mut conn, &search).await.map_err(domain_error)? {
                    let access = if person.is_disabled() { "disabled" } else { "enabled" };
                    let seen = person
                        .last_seen
                        .map(|at| format!("last seen {}", at.format("%Y-%m-%d %H:%M")))
                        .unwrap_or_else(|| "not signed in".to_owned());
                    println!(
                        "{:<32} {:<10} {access:<9} {seen:<28} {}",
                        person.email,
                        person.role.as_str(),
                        person.display_name
                    );
                }
                Ok(())
            }
            AdminCommand::SetRole { email, role } => {
                let person = person_by_email(pool, &email).await?;
                let access = server::people::Access { role, enabled: !person.is_disabled() };
                let changed =
                    server::people::set_access_as_operator(pool, &email, access).await.map_err(domain_error)?;
                println!("{} is now {}", changed.email, changed.role.as_str());
                Ok(())
            }
            AdminCommand::DisableUser { email } => set_enabled(pool, &email, false).await,
            AdminCommand::EnableUser { email } => set_enabled(pool, &email, true).await,
            AdminCommand::ListApiKeys => {
                let mut conn = pool.acquire().await?;
                for key in server::api_keys::list(&mut conn).await.map_err(domain_error)? {
                    let mut state = match (key.revoked_at, key.last_used_at) {
                        (Some(at), _) => format!("revoked {}", at.format("%Y-%m-%d %H:%M")),
                        (None, Some(at)) => format!("last used {}", at.format("%Y-%m-%d %H:%M")),
                        (None, None) => "never used".to_owned(),
                    };
                    if let Some(at) = key.expires_at {
                        let verb = if key.is_expired() { "expired" } else { "expires" };
                        state.push_str(&format!(", {verb} {}", at.format("%Y-%m-%d %H:%M")));
                    }
                    println!(
                        "{}  lsk_{}_…  {}  [{}]  ({state})",
                        key.id,
                        key.prefix,
                        key.name,
                        scope_list(&key.scopes)
                    );
                }
                Ok(())
            }
            AdminCommand::RevokeApiKey { key } => {
                let mut conn = pool.acquire().await?;
                let found = server::api_keys::list(&mut conn)
                    .await
                    .map_err(domain_error)?
                    .into_iter()
                    .find(|k| k.id.to_string() == key || k.prefix == key.trim_start_matches("lsk_"))
                    .with_context(|| format!("no API key has the id or prefix {key:?}"))?;
                let revoked = server::api_keys::revoke(&mut conn, found.id).await.map_err(domain_error)?;
                println!("revoked API key {:?} (lsk_{}_…)", revoked.name, revoked.prefix);
                Ok(())
            }
        }
    }

    fn scope_list(scopes: &[server::api_keys::Scope]) -> String {
        scopes.iter().map(|scope| scope.as_str()).collect::<Vec<_>>().join(",")
    }

    impl ServeArgs {
        /// `lockstep` with no subcommand serves, with settings from the environment.
        fn parse_from_env() -> Self {
            #[derive(Parser)]
            struct Only {
                #[command(flatten)]
                serve: ServeArgs,
            }
            Only::parse_from(["lockstep"]).serve
        }
    }

    async fn connect(args: &DatabaseArgs) -> anyhow::Result<PgPool> {
        let Some(url) = args.database_url.as_deref() else {
            bail!("no database configured: set DATABASE_URL or pass --database-url (the README's run command starts a local PostgreSQL for you)");
        };
        db::connect(url, args.pool_size)
            .await
            .with_context(|| format!("cannot connect to the database at {}", db::redact_url(url)))
    }

    async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
        db::migrate(pool).await.context("cannot apply database migrations")
    }

    async fn serve(pool: PgPool, args: ServeArgs, time_zone: server::numbers::BusinessTimeZone) -> anyhow::Result<()> {
        // A release site names its files after their contents and lists the
        // names in hash.txt beside pkg/ (scripts/env.sh, build_site). Leptos
        // looks for that list beside the executable unless given an absolute
        // path, so it travels with the site, wherever the binary is.
        let hash_file = std::path::absolute(std::path::Path::new(&args.site_root).join("hash.txt"))
            .with_context(|| format!("cannot resolve the site folder {}", args.site_root))?;
        let leptos_options = LeptosOptions::builder()
            .output_name("lockstep")
            .site_root(args.site_root.as_str())
            .site_pkg_dir("pkg")
            .site_addr(args.listen)
            .env(Env::PROD)
            .hash_files(hash_file.exists())
            .hash_file(std::sync::Arc::from(hash_file.to_string_lossy().as_ref()))
            .build();
        let notices = server::notices::Hub::new();
        let settings = startup::Settings {
            secure_cookies: args.secure_cookies,
            time_zone,
            notices: notices.clone(),
            trusted_proxies: args.trusted_proxies.clone(),
            sign_ups_per_address: args.sign_ups_per_address,
            body_timeout: server::web::http::BODY_TIMEOUT,
            public_url: args.public_url.clone(),
            number_batch: args.number_batch,
        };
        let app = startup::app(pool.clone(), leptos_options, settings).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        tracing::info!("Lockstep is listening on http://{}", args.listen);
        // First run: the only way in is a link only this terminal sees.
        match server::setup::issue_token(&pool).await {
            Ok(Some(token)) => {
                let origin = args.public_url.clone().unwrap_or_else(|| format!("http://{}", args.listen));
                println!(
                    "\n  No administrator yet. Create one in the browser (this link works for 24 hours):\n    \
                     {origin}/setup?token={token}\n"
                )
            }
            Ok(None) => {}
            Err(error) => {
                tracing::warn!(%error, "could not issue a setup link; create an admin with `lockstep admin create-user`")
            }
        }
        if let MetricsListen::On(address) = args.metrics_listen {
            let metrics = tokio::net::TcpListener::bind(address).await.with_context(|| {
                format!("cannot listen for metrics on {address} (--metrics-listen; `off` to serve none)")
            })?;
            tracing::info!("Prometheus metrics at http://{address}/metrics");
            let router = server::metrics::router(pool.clone());
            tokio::spawn(async move {
                if let Err(error) = axum::serve(metrics, router).await {
                    tracing::error!(%error, "the metrics listener stopped");
                }
            });
        }

        let (stopping, mut stop_requested) = tokio::sync::watch::channel(false);
        let server = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(async move {
                shutdown_signal().await;
                // Live streams never end by themselves; browsers reconnect
                // to another instance.
                notices.close();
                let _ = stopping.send(true);
            })
            .into_future();
        // In-flight requests get a bounded time to finish.
        let grace = async move {
            let _ = stop_requested.wait_for(|stopping| *stopping).await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        };
        tokio::select! {
            result = server => result.context("server error")?,
            () = grace => tracing::warn!("requests still running after {SHUTDOWN_GRACE:?}; stopping anyway"),
        }
        pool.close().await;
        tracing::info!("stopped");
        Ok(())
    }

    const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

    /// Resolves on Ctrl-C or SIGTERM; in-flight requests then finish.
    async fn shutdown_signal() {
        let ctrl_c = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        let terminate = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut signal) => {
                    signal.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            () = ctrl_c => {},
            () = terminate => {},
        }
        tracing::info!("shutting down");
    }
}
