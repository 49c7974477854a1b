//! The way to an applied plan's database: the private path as the journal knows it, the
//! Manager credential and the SSH login key from the keychain (or the user's own key
//! file). Secrets are handed only to the tunnel and the PostgreSQL session.

use std::path::Path;

use onramp_secrets::{Keychain, Sensitive};

use crate::{
    engine::{private_path_of, PrivatePath},
    journal::{JournalState, Phase, StepId},
    AppError, ErrorCode,
};

pub use crate::credential::StoredCredential;

/// Everything needed to reach the database of an applied plan, secrets included. Built by
/// [`Target::load`]; never serialized.
pub struct Target {
    pub plan_id: String,
    pub path: PrivatePath,
    pub jump_address: String,
    pub vpe_address: String,
    pub host_name: String,
    pub credential: StoredCredential,
    /// The SSH login key (from the keychain, or the file the user chose for their own key).
    pub private_key: Sensitive<String>,
    pub host_key: String,
}

/// Why the way in is not there yet, as the user should read it.
fn not_ready(message: impl Into<String>, hint: impl Into<String>) -> AppError {
    AppError::new(ErrorCode::Conflict, message).hint(hint)
}

impl Target {
    /// Reads the private path from the journal and the secrets from the keychain (or, for
    /// a key the user brought, from `key_file`). With `need_key` false the SSH key is not
    /// read (`private_key` is empty): enough to show the commands.
    pub async fn load(
        state: &JournalState,
        keychain: &Keychain,
        key_file: Option<&Path>,
        need_key: bool,
    ) -> Result<Target, AppError> {
        let path = private_path_of(state).ok_or_else(|| {
            not_ready(
                "This plan has no private path, so Onramp has no way to the database.",
                "Plan one in the Connectivity step (a VPC, a jump server and a VPE) and apply it, or connect from a machine already inside the VPC.",
            )
        })?;
        let pending = |step: StepId, what: &str| -> Result<(), AppError> {
            let record = state.step(step);
            if record.phase == Phase::Ready {
                Ok(())
            } else {
                Err(not_ready(
                    format!("The {what} is not ready yet."),
                    "Wait until the Provision step shows every row ready (or resume the plan there).",
                ))
            }
        };
        pending(StepId::Instance, "database")?;
        pending(StepId::ManagerKey, "Manager credential")?;
        pending(StepId::JumpVsi, "jump server")?;
        pending(StepId::FloatingIp, "jump server's floating IP")?;
        pending(StepId::Vpe, "private endpoint (VPE)")?;
        let internal =
            |what: &str| AppError::internal(format!("the journal has no {what} for this plan"));
        let jump_address = path
            .jump_address
            .clone()
            .ok_or_else(|| internal("floating IP address"))?;
        let vpe_address = path
            .vpe_address
            .clone()
            .ok_or_else(|| internal("VPE address"))?;
        let host_key = path.host_key.clone().ok_or_else(|| internal("host key"))?;

        let entry = state
            .step(StepId::ManagerKey)
            .keychain_entry
            .ok_or_else(|| internal("credential entry"))?;
        let credential = crate::vault::read(keychain, &entry)
            .await?
            .ok_or_else(|| {
                AppError::new(
                    ErrorCode::NotFound,
                    "The Manager credential's password is not in the keychain any more.",
                )
                .hint("Retry the plan's failed steps in the Provision step to make a new credential, or restore the keychain entry.")
            })?;
        let credential = StoredCredential::parse(&credential)?;
        let host_name = path
            .host_name
            .clone()
            .unwrap_or_else(|| credential.host.clone());
        // These come from the cloud and end up in commands, files and TLS checks: only an
        // address is an address and only a host name a host name.
        let jump_address = cloud_address(&jump_address, "floating IP")?;
        let vpe_address = cloud_address(&vpe_address, "endpoint gateway's address")?;
        let host_name = cloud_host_name(&host_name)?;

        let private_key = match (&path.ssh_key_entry, key_file) {
            _ if !need_key => Sensitive::new(String::new()),
            (Some(entry), _) => crate::vault::read(keychain, entry)
                .await?
                .ok_or_else(|| {
                    AppError::new(
                        ErrorCode::NotFound,
                        "The SSH key Onramp generated for this plan is not in the keychain any more.",
                    )
                    .hint("Without it nobody can log in to the jump server: tear the plan down and apply it again, or add your own key to a new jump server.")
                })?,
            (None, Some(file)) => read_private_key(file)?,
            (None, None) => {
                return Err(AppError::new(
                    ErrorCode::InvalidInput,
                    "This plan uses your own SSH key: choose its private key file.",
                )
                .at(KEY_FILE_FIELD))
            }
        };
        Ok(Target {
            plan_id: state.plan.id.clone(),
            path,
            jump_address,
            vpe_address,
            host_name,
            credential,
            private_key,
            host_key,
        })
    }
}

/// The Connect step's field for a user's own private key file.
pub const KEY_FILE_FIELD: &str = "connect.keyFile";
/// An OpenSSH private key is a few kilobytes; anything much larger is not one.
pub const KEY_FILE_MAX_BYTES: u64 = 64 * 1024;

/// An IP address the cloud reported, as text that can go into a command or a file.
fn cloud_address(text: &str, what: &str) -> Result<String, AppError> {
    text.trim()
        .parse::<std::net::IpAddr>()
        .map(|ip| ip.to_string())
        .map_err(|_| {
            AppError::new(
                ErrorCode::CloudRejected,
                format!(
                    "The cloud reported the {what} as '{}', which is not an IP address.",
                    text.escape_debug()
                ),
            )
            .hint("Look at the resource in the IBM Cloud console; Onramp will not use it as it is.")
        })
}

/// A host name the cloud reported: DNS labels of letters, digits and hyphens.
fn cloud_host_name(text: &str) -> Result<String, AppError> {
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    let name = text.trim().trim_end_matches('.');
    if !name.is_empty() && name.len() <= 253 && name.split('.').all(label_ok) {
        return Ok(name.to_ascii_lowercase());
    }
    Err(AppError::new(
        ErrorCode::CloudRejected,
        format!(
            "The cloud reported the database's host name as '{}', which is not a host name.",
            text.escape_debug()
        ),
    )
    .hint("Look at the database in the IBM Cloud console; Onramp will not connect to it as it is."))
}

/// The user's own private key file: a regular file under [`KEY_FILE_MAX_BYTES`] holding an
/// OpenSSH or PEM private key (not a FIFO, a device, or `/dev/zero`).
pub(crate) fn read_private_key(file: &Path) -> Result<Sensitive<String>, AppError> {
    let at = |message: String| AppError::new(ErrorCode::InvalidInput, message).at(KEY_FILE_FIELD);
    crate::input::check_path(KEY_FILE_FIELD, &file.to_string_lossy())?;
    let meta = std::fs::metadata(file)
        .map_err(|e| at(format!("Onramp cannot read {}: {e}", file.display())))?;
    if !meta.is_file() {
        return Err(at(format!(
            "{} is not a regular file; choose the private key file itself.",
            file.display()
        )));
    }
    if meta.len() > KEY_FILE_MAX_BYTES {
        return Err(at(format!(
            "{} is {} bytes; a private key is a few kilobytes, so this is not one.",
            file.display(),
            meta.len()
        )));
    }
    use std::io::Read;
    let mut text = String::new();
    std::fs::File::open(file)
        .and_then(|f| f.take(KEY_FILE_MAX_BYTES).read_to_string(&mut text))
        .map_err(|e| at(format!("Onramp cannot read {}: {e}", file.display())))?;
    if !text.contains("PRIVATE KEY-----") {
        return Err(AppError::new(
            ErrorCode::InvalidInput,
            format!(
                "{} is not a private key (it has no \"-----BEGIN … PRIVATE KEY-----\" line); a .pub file is the public half.",
                file.display()
            ),
        )
        .at(KEY_FILE_FIELD));
    }
    Ok(Sensitive::new(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_addresses_and_host_names_are_taken_from_the_cloud() {
        assert_eq!(cloud_address(" 203.0.113.9 ", "x").unwrap(), "203.0.113.9");
        for bad in [
            "203.0.113.9; rm -rf ~",
            "1.2.3.4\n5.6.7.8 ssh-rsa AAAA",
            "",
            "host",
        ] {
            assert!(cloud_address(bad, "floating IP").is_err(), "{bad:?}");
        }
        assert_eq!(
            cloud_host_name("Guid.private.ca-mon.postgresql.example.").unwrap(),
            "guid.private.ca-mon.postgresql.example"
        );
        for bad in [
            "a b.example",
            "x'$(id)'.example",
            "-a.example",
            "a..b",
            "\u{202e}evil.example",
        ] {
            assert!(cloud_host_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_key_file_must_be_a_small_regular_file() {
        let dir = tempfile::tempdir().unwrap();
        let err = read_private_key(dir.path()).unwrap_err();
        assert!(
            err.message.contains("not a regular file"),
            "{}",
            err.message
        );
        let big = dir.path().join("big");
        std::fs::write(&big, vec![b'a'; (KEY_FILE_MAX_BYTES + 1) as usize]).unwrap();
        assert!(read_private_key(&big)
            .unwrap_err()
            .message
            .contains("bytes"));
        #[cfg(unix)]
        {
            let zero = read_private_key(Path::new("/dev/zero")).unwrap_err();
            assert_eq!(zero.field.as_deref(), Some(KEY_FILE_FIELD));
        }
    }
}
