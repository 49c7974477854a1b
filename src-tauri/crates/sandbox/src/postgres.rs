//! The real PostgreSQL behind each sandbox database: a cluster made with the machine's
//! `initdb`, served by `pg_ctl` on a loopback port with TLS from the sandbox CA, and the
//! role layout of the real Gen 2 service (`ibm_admin`, `ibm_writer`, and one login role per
//! service credential). PostgreSQL refuses to run as root, so when the sandbox runs as root
//! the cluster belongs to, and runs as, the `postgres` system user.

use std::{
    net::{Ipv4Addr, SocketAddr, TcpListener},
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use tokio::process::Command;
use tokio_postgres::NoTls;

use crate::{ca::Ca, derived::Derived, store::PostgresRecord};

/// What a server's admin password is derived for (with its host name).
const ADMIN_PURPOSE: &str = "postgres-admin";

/// The sandbox's own superuser. The service's users never get it, as on the real service.
pub(crate) const ADMIN_ROLE: &str = "onramp_sandbox_admin";

/// What the Gen 2 docs list for each group role. Roles that the machine's PostgreSQL does
/// not have (`pg_create_subscription` arrived in 16) are skipped and logged.
pub(crate) const IBM_ADMIN_MEMBER_OF: [&str; 9] = [
    "pg_read_all_data",
    "pg_write_all_data",
    "pg_monitor",
    "pg_read_all_settings",
    "pg_read_all_stats",
    "pg_stat_scan_tables",
    "pg_signal_backend",
    "pg_checkpoint",
    "pg_create_subscription",
];
pub(crate) const IBM_WRITER_MEMBER_OF: [&str; 2] = ["pg_read_all_data", "pg_write_all_data"];

#[derive(Debug, thiserror::Error)]
pub enum PostgresError {
    #[error("PostgreSQL server programs (initdb, pg_ctl) were not found; install the postgresql package or set ONRAMP_PG_BIN to their directory")]
    NotInstalled,
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{program} failed: {output}")]
    Command { program: String, output: String },
    #[error("SQL on the sandbox PostgreSQL failed: {0}")]
    Sql(#[from] tokio_postgres::Error),
}

pub(crate) struct Postgres {
    bin_dir: PathBuf,
    /// uid and gid to run as when the sandbox runs as root.
    run_as: Option<(u32, u32)>,
    /// Where each server's admin password comes from (it is not written down).
    derived: Derived,
}

fn free_port() -> std::io::Result<u16> {
    let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))?;
    Ok(listener.local_addr()?.port())
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

fn postgres_user() -> Option<(u32, u32)> {
    let name = std::ffi::CString::new("postgres").ok()?;
    // SAFETY: getpwnam reads a static buffer; we copy the two ids out before returning.
    let entry = unsafe { libc::getpwnam(name.as_ptr()) };
    if entry.is_null() {
        return None;
    }
    // SAFETY: entry is non-null and points at a valid passwd struct.
    unsafe { Some(((*entry).pw_uid, (*entry).pw_gid)) }
}

fn find_bin_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("ONRAMP_PG_BIN") {
        return Some(PathBuf::from(dir));
    }
    // Debian and Ubuntu keep the server programs in /usr/lib/postgresql/<major>/bin; take the
    // newest.
    let mut majors: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let major = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((major, bin))
        })
        .collect();
    majors.sort();
    if let Some((_, bin)) = majors.pop() {
        return Some(bin);
    }
    // Elsewhere: initdb on PATH.
    std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .find(|dir| dir.join("initdb").exists() && dir.join("pg_ctl").exists())
    })
}

impl Postgres {
    pub(crate) fn locate(derived: Derived) -> Result<Postgres, PostgresError> {
        let bin_dir = find_bin_dir().ok_or(PostgresError::NotInstalled)?;
        let run_as = if is_root() {
            Some(postgres_user().ok_or_else(|| {
                PostgresError::Io(std::io::Error::other(
                    "the sandbox runs as root, and PostgreSQL refuses to; a 'postgres' system user is needed (the postgresql package creates it)",
                ))
            })?)
        } else {
            None
        };
        Ok(Postgres {
            bin_dir,
            run_as,
            derived,
        })
    }

    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(self.bin_dir.join(program));
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .env("LC_ALL", "C.UTF-8")
            .kill_on_drop(false);
        if let Some((uid, gid)) = self.run_as {
            command.uid(uid).gid(gid).current_dir("/");
        }
        command
    }

    async fn run(&self, program: &str, args: &[&str]) -> Result<String, PostgresError> {
        let output = self.command(program).args(args).output().await?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        if output.status.success() {
            Ok(text)
        } else {
            Err(PostgresError::Command {
                program: program.to_owned(),
                output: text.trim().to_owned(),
            })
        }
    }

    /// Gives a file or directory to the user the server runs as.
    fn give(&self, path: &Path) -> std::io::Result<()> {
        if let Some((uid, gid)) = self.run_as {
            std::os::unix::fs::chown(path, Some(uid), Some(gid))?;
        }
        Ok(())
    }

    /// As root the server's user must be able to reach the data dir: make each parent
    /// directory traversable (not listable) by others.
    fn open_path_to(&self, dir: &Path) -> std::io::Result<()> {
        use std::os::unix::fs::PermissionsExt;
        if self.run_as.is_none() {
            return Ok(());
        }
        for ancestor in dir.ancestors().skip(1) {
            if ancestor.as_os_str().is_empty() {
                continue;
            }
            let meta = std::fs::metadata(ancestor)?;
            let mode = meta.permissions().mode();
            if mode & 0o001 == 0 {
                std::fs::set_permissions(ancestor, std::fs::Permissions::from_mode(mode | 0o001))?;
            }
        }
        Ok(())
    }

    fn write_owned(&self, path: &Path, contents: &[u8], mode: u32) -> std::io::Result<()> {
        use std::os::unix::fs::PermissionsExt;
        std::fs::write(path, contents)?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
        self.give(path)
    }

    /// Makes a new cluster in `dir` for `hostname`, starts it and sets up the service's
    /// group roles.
    pub(crate) async fn create(
        &self,
        dir: &Path,
        hostname: &str,
        ca: &Ca,
    ) -> Result<PostgresRecord, PostgresError> {
        if dir.exists() {
            // A half-made cluster from a crash: start over.
            let _ = self.stop(dir).await;
            std::fs::remove_dir_all(dir)?;
        }
        std::fs::create_dir_all(dir)?;
        self.give(dir)?;
        self.open_path_to(dir)?;
        let data = dir.join("data");
        let admin_password = self.derived.password(ADMIN_PURPOSE, hostname);
        let pwfile = dir.join("admin.pw");
        self.write_owned(&pwfile, admin_password.as_bytes(), 0o600)?;
        let data_arg = data.to_string_lossy().into_owned();
        let pw_arg = format!("--pwfile={}", pwfile.display());
        self.run(
            "initdb",
            &[
                "-D",
                &data_arg,
                "-U",
                ADMIN_ROLE,
                &pw_arg,
                "--auth=scram-sha-256",
                "--encoding=UTF8",
                "--no-sync",
                "--no-instructions",
            ],
        )
        .await?;
        std::fs::remove_file(&pwfile)?;

        let (cert, key) = ca.issue_server(hostname)?;
        self.write_owned(&data.join("server.crt"), cert.as_bytes(), 0o644)?;
        self.write_owned(&data.join("server.key"), key.as_bytes(), 0o600)?;
        // TLS for everyone but the sandbox's own admin connection, as the real service
        // accepts only TLS.
        let hba = format!(
            "# Written by onramp-sandbox.\n\
             host    all  {ADMIN_ROLE}  127.0.0.1/32  scram-sha-256\n\
             hostssl all  all           127.0.0.1/32  scram-sha-256\n\
             hostssl all  all           ::1/128       scram-sha-256\n"
        );
        self.write_owned(&data.join("pg_hba.conf"), hba.as_bytes(), 0o600)?;
        let conf = data.join("postgresql.conf");
        let mut text = std::fs::read_to_string(&conf)?;
        text.push_str("\n# onramp-sandbox\ninclude 'onramp.conf'\n");
        self.write_owned(&conf, text.as_bytes(), 0o600)?;

        let mut record = PostgresRecord {
            port: 0,
            hostname: hostname.to_owned(),
            admin_password: String::new(),
        };
        self.start(dir, &mut record).await?;
        self.bootstrap(&record).await?;
        Ok(record)
    }

    fn write_settings(&self, data: &Path, port: u16) -> std::io::Result<()> {
        let settings = format!(
            "# Written by onramp-sandbox at each start.\n\
             listen_addresses = '127.0.0.1'\n\
             port = {port}\n\
             unix_socket_directories = ''\n\
             ssl = on\n\
             ssl_cert_file = 'server.crt'\n\
             ssl_key_file = 'server.key'\n\
             max_connections = 115\n\
             shared_buffers = 16MB\n\
             password_encryption = 'scram-sha-256'\n\
             log_connections = on\n\
             log_statement = 'all'\n"
        );
        self.write_owned(&data.join("onramp.conf"), settings.as_bytes(), 0o600)
    }

    /// Starts the cluster, on its recorded port if that is free, otherwise on a new one
    /// (which `record.port` then holds).
    pub(crate) async fn start(
        &self,
        dir: &Path,
        record: &mut PostgresRecord,
    ) -> Result<(), PostgresError> {
        let data = dir.join("data");
        let data_arg = data.to_string_lossy().into_owned();
        // A server left running by a sandbox that was killed: stop it first.
        if self
            .run("pg_ctl", &["status", "-D", &data_arg])
            .await
            .is_ok()
        {
            let _ = self
                .run(
                    "pg_ctl",
                    &["stop", "-D", &data_arg, "-m", "immediate", "-w"],
                )
                .await;
        }
        let port_free = record.port != 0
            && TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, record.port))).is_ok();
        if !port_free {
            record.port = free_port()?;
        }
        self.write_settings(&data, record.port)?;
        let log = dir.join("postgres.log");
        if !log.exists() {
            self.write_owned(&log, b"", 0o600)?;
        }
        let log_arg = log.to_string_lossy().into_owned();
        self.run(
            "pg_ctl",
            &["start", "-D", &data_arg, "-l", &log_arg, "-w", "-t", "60"],
        )
        .await?;
        tracing::info!(port = record.port, dir = %dir.display(), "sandbox PostgreSQL started");
        Ok(())
    }

    pub(crate) async fn stop(&self, dir: &Path) -> Result<(), PostgresError> {
        let data_arg = dir.join("data").to_string_lossy().into_owned();
        if self
            .run("pg_ctl", &["status", "-D", &data_arg])
            .await
            .is_err()
        {
            return Ok(());
        }
        self.run(
            "pg_ctl",
            &["stop", "-D", &data_arg, "-m", "fast", "-w", "-t", "30"],
        )
        .await?;
        Ok(())
    }

    /// Stops the server and deletes its files.
    pub(crate) async fn destroy(&self, dir: &Path) -> Result<(), PostgresError> {
        self.stop(dir).await?;
        if dir.exists() {
            std::fs::remove_dir_all(dir)?;
        }
        Ok(())
    }

    /// The sandbox's admin password for a server: kept in older state, derived since.
    fn admin_password(&self, record: &PostgresRecord) -> String {
        if record.admin_password.is_empty() {
            self.derived.password(ADMIN_PURPOSE, &record.hostname)
        } else {
            record.admin_password.clone()
        }
    }

    async fn admin(
        &self,
        record: &PostgresRecord,
        database: &str,
    ) -> Result<tokio_postgres::Client, PostgresError> {
        let mut config = tokio_postgres::Config::new();
        config
            .host("127.0.0.1")
            .port(record.port)
            .user(ADMIN_ROLE)
            .password(self.admin_password(record).as_bytes())
            .dbname(database)
            .connect_timeout(Duration::from_secs(10));
        let (client, connection) = config.connect(NoTls).await?;
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "sandbox admin connection ended");
            }
        });
        Ok(client)
    }

    async fn bootstrap(&self, record: &PostgresRecord) -> Result<(), PostgresError> {
        let client = self.admin(record, "postgres").await?;
        let existing: Vec<String> = client
            .query(
                "SELECT rolname FROM pg_roles WHERE rolname LIKE 'pg\\_%'",
                &[],
            )
            .await?
            .iter()
            .map(|row| row.get(0))
            .collect();
        let grant = |role: &str, member_of: &[&str]| {
            let present: Vec<&str> = member_of
                .iter()
                .copied()
                .filter(|r| existing.iter().any(|e| e == r))
                .collect();
            for missing in member_of.iter().filter(|r| !present.contains(r)) {
                tracing::warn!(
                    role,
                    missing,
                    "this PostgreSQL has no such predefined role; the real service grants it"
                );
            }
            format!(
                "CREATE ROLE {role} NOLOGIN; GRANT {} TO {role};",
                present.join(", ")
            )
        };
        let sql = format!(
            "{} {}",
            grant("ibm_admin", &IBM_ADMIN_MEMBER_OF),
            grant("ibm_writer", &IBM_WRITER_MEMBER_OF)
        );
        client.batch_execute(&sql).await?;
        Ok(())
    }

    /// Makes the login role a service credential stands for: a Manager gets CREATEROLE,
    /// CREATEDB and both group roles; a Writer only `ibm_writer`.
    pub(crate) async fn create_login(
        &self,
        record: &PostgresRecord,
        username: &str,
        password: &str,
        role: &str,
    ) -> Result<(), PostgresError> {
        let client = self.admin(record, "postgres").await?;
        let options = if role == "Manager" {
            "LOGIN CREATEROLE CREATEDB IN ROLE ibm_admin, ibm_writer"
        } else {
            "LOGIN IN ROLE ibm_writer"
        };
        // Names are ibmcloud_<hex>. The password goes as a SCRAM-SHA-256 verifier, which
        // PostgreSQL stores as given: its log (log_statement = all) never holds it.
        let verifier = postgres_protocol::password::scram_sha_256(password.as_bytes());
        client
            .batch_execute(&format!(
                "CREATE ROLE {username} {options} PASSWORD '{verifier}'"
            ))
            .await?;
        Ok(())
    }

    /// Drops a credential's role, giving what it owned to `ibm_admin` in every database.
    pub(crate) async fn drop_login(
        &self,
        record: &PostgresRecord,
        username: &str,
    ) -> Result<(), PostgresError> {
        let client = self.admin(record, "postgres").await?;
        let databases: Vec<String> = client
            .query(
                "SELECT datname FROM pg_database WHERE datallowconn AND datname <> 'template1'",
                &[],
            )
            .await?
            .iter()
            .map(|row| row.get(0))
            .collect();
        let exists = !client
            .query("SELECT 1 FROM pg_roles WHERE rolname = $1", &[&username])
            .await?
            .is_empty();
        if !exists {
            return Ok(());
        }
        for database in databases {
            let db = self.admin(record, &database).await?;
            db.batch_execute(&format!(
                "REASSIGN OWNED BY {username} TO ibm_admin; DROP OWNED BY {username};"
            ))
            .await?;
        }
        client
            .batch_execute(&format!("DROP ROLE {username}"))
            .await?;
        Ok(())
    }
}
