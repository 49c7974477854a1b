//! The sandbox's one account: its id, its API key, the user it belongs to and the secret
//! that signs its tokens, plus the other users (members) of that account, each with an API
//! key of their own. Created on first start and kept in `state.json` in the state dir, so a
//! restarted sandbox has the same account and members and accepts the same keys.

use std::{
    fs,
    io::Write,
    path::{Path, PathBuf},
    sync::Mutex,
};

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

/// Another user of the sandbox's one account: same account id, an identity and API key of
/// their own, so what they create records them as its creator.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub api_key: String,
    pub iam_id: String,
    pub name: String,
    pub email: String,
}

impl std::fmt::Debug for Member {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Member")
            .field("iam_id", &self.iam_id)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Who made a request: the account's owner or one of its members, from the token's claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Caller {
    pub iam_id: String,
}

/// `state.json`: the account's fields at the top level (as before members existed, so older
/// files load) and the members beside them.
#[derive(Serialize, Deserialize)]
struct StateFile {
    #[serde(flatten)]
    account: SandboxAccount,
    #[serde(default)]
    members: Vec<Member>,
}

/// The account's members, changed at run time and saved with the account.
pub(crate) struct Members {
    path: PathBuf,
    account: SandboxAccount,
    members: Mutex<Vec<Member>>,
}

impl Members {
    pub(crate) fn all(&self) -> Vec<Member> {
        self.members
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The member whose API key is `api_key`.
    pub(crate) fn with_key(&self, api_key: &str) -> Option<Member> {
        self.all()
            .into_iter()
            .find(|m| constant_time_eq(m.api_key.as_bytes(), api_key.as_bytes()))
    }

    /// Makes a new member (named `name`, or `Member N`) and saves it before answering.
    pub(crate) fn add(&self, name: Option<&str>) -> std::io::Result<Member> {
        let mut members = self.members.lock().unwrap_or_else(|e| e.into_inner());
        let ident = hex(&random_bytes::<5>()).to_uppercase();
        let number = members.len() + 1;
        let member = Member {
            api_key: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<33>()),
            iam_id: format!("IBMid-{ident}"),
            name: name
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_owned)
                .unwrap_or_else(|| format!("Member {number}")),
            email: format!(
                "member{number}-{}@sandbox.onramp.invalid",
                ident.to_lowercase()
            ),
        };
        members.push(member.clone());
        let file = StateFile {
            account: self.account.clone(),
            members: members.clone(),
        };
        write_atomically(
            &self.path,
            &serde_json::to_vec_pretty(&file).map_err(std::io::Error::other)?,
        )?;
        Ok(member)
    }
}

/// Compares secrets in time that does not depend on where they differ.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
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

    /// Loads the account and its members from `state_dir/state.json`, creating the account
    /// on first start. A key given on the command line replaces the stored one (and is
    /// stored).
    pub(crate) fn load_or_create(
        state_dir: &Path,
        api_key: Option<&str>,
    ) -> std::io::Result<(Self, Members)> {
        let path = state_dir.join("state.json");
        let mut file = match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice::<StateFile>(&bytes).map_err(|e| {
                std::io::Error::other(format!(
                    "{} is not a sandbox state file: {e}",
                    path.display()
                ))
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => StateFile {
                account: SandboxAccount::generate(),
                members: Vec::new(),
            },
            Err(e) => return Err(e),
        };
        if let Some(key) = api_key {
            file.account.api_key = key.to_owned();
        }
        write_atomically(
            &path,
            &serde_json::to_vec_pretty(&file).map_err(std::io::Error::other)?,
        )?;
        let members = Members {
            path,
            account: file.account.clone(),
            members: Mutex::new(file.members),
        };
        Ok((file.account, members))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_file_from_before_members_loads_and_keeps_its_account() {
        let dir = tempfile::tempdir().unwrap();
        let old = SandboxAccount::generate();
        std::fs::write(
            dir.path().join("state.json"),
            serde_json::to_vec(&old).unwrap(),
        )
        .unwrap();
        let (account, members) = SandboxAccount::load_or_create(dir.path(), None).unwrap();
        assert_eq!(account.api_key, old.api_key);
        assert!(members.all().is_empty());

        let added = members.add(None).unwrap();
        assert_eq!(added.name, "Member 1");
        assert!(members.with_key(&added.api_key).is_some());
        assert!(members.with_key(&old.api_key).is_none());
        let (again, members) = SandboxAccount::load_or_create(dir.path(), None).unwrap();
        assert_eq!(again.iam_id, old.iam_id);
        assert_eq!(members.all(), vec![added]);
    }
}
