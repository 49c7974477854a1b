//! The sandbox's one account: its id, its API key, the user it belongs to and the secret
//! that signs its tokens. Created on first start and kept in `state.json` in the state dir,
//! so a restarted sandbox has the same account and accepts the same key.

use std::{fs, io::Write, path::Path};

use base64::Engine;
use rand::RngCore;
use serde::{Deserialize, Serialize};

#[derive(Clone, Serialize, Deserialize)]
pub struct SandboxAccount {
    pub account_id: String,
    pub api_key: String,
    pub iam_id: String,
    pub user_name: String,
    pub email: String,
    /// Hex HMAC key for the tokens this sandbox issues.
    pub signing_secret: String,
}

impl std::fmt::Debug for SandboxAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxAccount")
            .field("account_id", &self.account_id)
            .field("iam_id", &self.iam_id)
            .finish_non_exhaustive()
    }
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl SandboxAccount {
    fn generate() -> Self {
        let ident = hex(&random_bytes::<5>()).to_uppercase();
        SandboxAccount {
            account_id: hex(&random_bytes::<16>()),
            // Real IBM Cloud API keys are 44 characters of base64url; so are these.
            api_key: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<33>()),
            iam_id: format!("IBMid-{ident}"),
            user_name: "Sandbox User".into(),
            email: "newcomer@sandbox.onramp.invalid".into(),
            signing_secret: hex(&random_bytes::<32>()),
        }
    }

    /// Loads the account from `state_dir/state.json`, creating it on first start. A key
    /// given on the command line replaces the stored one (and is stored).
    pub(crate) fn load_or_create(state_dir: &Path, api_key: Option<&str>) -> std::io::Result<Self> {
        let path = state_dir.join("state.json");
        let mut account = match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                std::io::Error::other(format!(
                    "{} is not a sandbox state file: {e}",
                    path.display()
                ))
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => SandboxAccount::generate(),
            Err(e) => return Err(e),
        };
        if let Some(key) = api_key {
            account.api_key = key.to_owned();
        }
        write_atomically(
            &path,
            &serde_json::to_vec_pretty(&account).map_err(std::io::Error::other)?,
        )?;
        Ok(account)
    }
}

/// Writes `bytes` to a temporary file beside `path`, syncs it, then renames it over `path`,
/// so a reader never sees half a file.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    {
        let mut file = fs::File::create(&tmp)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(fs::Permissions::from_mode(0o600))?;
        }
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    fs::rename(&tmp, path)
}
