//! The OpenSSH and `psql` commands a user can copy, the public files they name, and where a
//! generated key is saved for OpenSSH. Every value in them is quoted; none is a secret.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use specta::Type;

use onramp_secrets::Sensitive;

use super::{Target, KEY_FILE_FIELD};
use crate::{AppError, ErrorCode};

/// The files the copyable commands refer to (public data only: a known_hosts line and the
/// credential's CA certificate) under `<data>/connect/<plan id>/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectFiles {
    pub known_hosts: PathBuf,
    pub ca: Option<PathBuf>,
}

impl ConnectFiles {
    /// Writes the known_hosts line (under the floating IP's name) and the CA, if any.
    pub fn write(data_dir: &Path, target: &Target) -> Result<ConnectFiles, AppError> {
        let dir = data_dir.join("connect").join(&target.plan_id);
        let io = |e: std::io::Error| AppError::internal(format!("writing {}: {e}", dir.display()));
        std::fs::create_dir_all(&dir).map_err(io)?;
        let known_hosts = dir.join("known_hosts");
        let host_key = target
            .host_key
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ");
        std::fs::write(
            &known_hosts,
            format!("{} {host_key}\n", target.jump_address),
        )
        .map_err(io)?;
        let ca = match &target.credential.ca_pem {
            Some(pem) => {
                let file = dir.join("ca.pem");
                std::fs::write(&file, pem).map_err(io)?;
                Some(file)
            }
            None => None,
        };
        Ok(ConnectFiles { known_hosts, ca })
    }
}

/// One way to connect: the tunnel command (OpenSSH; `None` when Onramp's tunnel is open)
/// and the `psql` command and connection string through it. No password: `psql` asks for
/// it, and the Connect step copies it from the keychain on request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ConnectCommands {
    pub local_port: u16,
    pub ssh: Option<String>,
    pub psql: String,
    pub connection_string: String,
}

/// What the commands are built from.
#[derive(Clone)]
pub struct CommandInputs<'a> {
    pub target: &'a Target,
    pub files: &'a ConnectFiles,
    /// The socket to dial for SSH: the floating IP's port 22, or in the sandbox the
    /// loopback socket its address map names.
    pub jump_socket: std::net::SocketAddr,
    pub local_port: u16,
    /// The private key file for `ssh -i` (with Onramp's own tunnel: none).
    pub key_file: Option<&'a Path>,
}

/// Builds the commands. With `key_file`, the OpenSSH tunnel to `local_port`; without it,
/// only the `psql` side (Onramp's tunnel listens on `local_port`).
pub fn commands(inputs: &CommandInputs<'_>) -> ConnectCommands {
    let t = inputs.target;
    let port = inputs.local_port;
    let ssh = inputs.key_file.map(|key| {
        let mut parts: Vec<String> = vec![
            "ssh".into(),
            "-i".into(),
            shell_quote(&key.to_string_lossy()),
            "-N".into(),
            "-L".into(),
            shell_quote(&format!("127.0.0.1:{port}:{}:5432", t.vpe_address)),
            "-o".into(),
            "IdentitiesOnly=yes".into(),
            "-o".into(),
            "ExitOnForwardFailure=yes".into(),
            "-o".into(),
            "StrictHostKeyChecking=yes".into(),
            "-o".into(),
            shell_quote(&format!(
                "UserKnownHostsFile={}",
                inputs.files.known_hosts.to_string_lossy()
            )),
            "-o".into(),
            shell_quote(&format!("HostKeyAlias={}", t.jump_address)),
        ];
        let dial = inputs.jump_socket;
        if dial.port() != 22 {
            parts.push("-p".into());
            parts.push(dial.port().to_string());
        }
        let host = if dial.ip().is_loopback() {
            dial.ip().to_string()
        } else {
            t.jump_address.clone()
        };
        parts.push(shell_quote(&format!("{}@{host}", t.path.ssh_user)));
        parts.join(" ")
    });
    let root_cert = inputs
        .files
        .ca
        .as_ref()
        .map_or_else(|| "system".to_owned(), |p| p.to_string_lossy().into_owned());
    let conninfo = [
        ("host", t.host_name.as_str()),
        ("hostaddr", "127.0.0.1"),
        ("port", &port.to_string()),
        ("dbname", t.credential.database.as_str()),
        ("user", t.credential.username.as_str()),
        ("sslmode", "verify-full"),
        ("sslrootcert", root_cert.as_str()),
    ]
    .iter()
    .map(|(k, v)| format!("{k}={}", conninfo_quote(v)))
    .collect::<Vec<_>>()
    .join(" ");
    let psql = format!("psql {}", shell_quote(&conninfo));
    // The host name was checked when the target was loaded, so it makes a URL.
    let connection_string = url::Url::parse(&format!("postgresql://{}:{port}/", t.host_name))
        .map(|mut uri| {
            let _ = uri.set_username(&t.credential.username);
            uri.set_path(&format!("/{}", t.credential.database));
            uri.query_pairs_mut()
                .append_pair("hostaddr", "127.0.0.1")
                .append_pair("sslmode", "verify-full")
                .append_pair("sslrootcert", &root_cert);
            uri.to_string()
        })
        .unwrap_or_default();
    ConnectCommands {
        local_port: port,
        ssh,
        psql,
        connection_string,
    }
}

/// A word for `sh`: as is when it has only safe characters, else single-quoted.
pub fn shell_quote(word: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "@%+=:,./-_".contains(c);
    if !word.is_empty() && word.chars().all(safe) {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// A libpq keyword value: single-quoted (with `\` and `'` escaped) unless it is made only
/// of characters that need none (so whitespace, quotes, control characters and anything
/// unusual are always quoted).
fn conninfo_quote(value: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "@%+:,./-_".contains(c);
    if !value.is_empty() && value.chars().all(plain) {
        value.to_owned()
    } else {
        format!("'{}'", value.replace('\\', r"\\").replace('\'', r"\'"))
    }
}

/// Where a generated key is suggested to be saved: `~/.ssh/onramp-<plan id prefix>`.
pub fn default_key_file(home: &Path, plan_id: &str) -> PathBuf {
    let short: String = plan_id
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(8)
        .collect();
    home.join(".ssh").join(format!("onramp-{short}"))
}

/// Writes the plan's generated private key to `file` (mode 0600, parent 0700), for OpenSSH.
/// Refuses to replace a different file; saving the same key again is fine.
pub fn save_private_key(file: &Path, key: &Sensitive<String>) -> Result<(), AppError> {
    let at = |message: String| AppError::new(ErrorCode::InvalidInput, message).at(KEY_FILE_FIELD);
    crate::input::check_path(KEY_FILE_FIELD, &file.to_string_lossy())?;
    if !file.is_absolute() {
        return Err(at(format!(
            "Give a full path (such as ~/.ssh/onramp), not \"{}\".",
            file.display()
        )));
    }
    if let Ok(existing) = std::fs::read_to_string(file) {
        if existing == *key.expose() {
            return Ok(());
        }
        return Err(at(format!(
            "{} already exists and holds another key; choose another file name.",
            file.display()
        )));
    }
    if file.is_dir() {
        return Err(at(format!(
            "{} is a folder; add a file name.",
            file.display()
        )));
    }
    let parent = file.parent().unwrap_or(Path::new("/"));
    let write = || -> std::io::Result<()> {
        use std::io::Write;
        #[cfg(unix)]
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
        if !parent.exists() {
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            builder.mode(0o700);
            builder.create(parent)?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        options.mode(0o600);
        let mut out = options.open(file)?;
        out.write_all(key.expose().as_bytes())?;
        out.sync_all()
    };
    write().map_err(|e| at(format!("Onramp could not write {}: {e}", file.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_quoted_for_the_shell_only_when_needed() {
        assert_eq!(
            shell_quote("/home/a/.ssh/onramp-1"),
            "/home/a/.ssh/onramp-1"
        );
        assert_eq!(shell_quote("/home/a b/k"), "'/home/a b/k'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(conninfo_quote("a b"), "'a b'");
        assert_eq!(conninfo_quote(r"o'k\"), r"'o\'k\\'");
        assert_eq!(conninfo_quote("plain"), "plain");
        for odd in ["a\tb", "a\nb", "a=b", "x\u{0}y", "\u{202e}x"] {
            assert!(conninfo_quote(odd).starts_with('\''), "{odd:?}");
        }
    }

    #[test]
    fn the_default_key_file_is_under_dot_ssh() {
        let file = default_key_file(Path::new("/home/ann"), "1b2c-3d4e-5f6a-7b8c");
        assert_eq!(file, Path::new("/home/ann/.ssh/onramp-1b2c3d4e"));
    }

    #[test]
    fn a_saved_key_is_private_and_never_overwrites_another() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("keys").join("onramp");
        let key = Sensitive::new("-----BEGIN OPENSSH PRIVATE KEY-----\nx\n".to_owned());
        save_private_key(&file, &key).unwrap();
        save_private_key(&file, &key).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
            let mode = std::fs::metadata(file.parent().unwrap())
                .unwrap()
                .permissions()
                .mode()
                & 0o777;
            assert_eq!(mode, 0o700);
        }
        let other = Sensitive::new("another".to_owned());
        let refused = save_private_key(&file, &other).unwrap_err();
        assert_eq!(refused.field.as_deref(), Some(KEY_FILE_FIELD));
        assert!(
            refused.message.contains("already exists"),
            "{}",
            refused.message
        );
        let relative = save_private_key(Path::new("onramp"), &key).unwrap_err();
        assert!(relative.message.contains("full path"));
        // The user's own key must be a private key, not its .pub.
        let public = dir.path().join("id.pub");
        std::fs::write(&public, "ssh-ed25519 AAAA x").unwrap();
        assert!(super::super::target::read_private_key(&public)
            .unwrap_err()
            .message
            .contains("public half"));
    }
}
