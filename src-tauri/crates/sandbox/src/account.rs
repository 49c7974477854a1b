//! The sandbox's one account: its id, its API key, the user it belongs to and the secret
//! that signs its tokens, plus the other users (members) of that account, each with an API
//! key of their own. Created on first start and kept in `state.json` in the state dir, so a
//! restarted sandbox has the same account and members and accepts the same keys.
//!
//! No API key is written down: `state.json` keeps each key's SHA-256, as IAM keeps no key it
//! could show again. The owner's key is given at start (`--api-key`, or the app's keychain)
//! or made then and known to the caller only; state from before keys were hashed has its
//! plaintext hashed away when loaded.

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
    /// The owner's API key for this run: given at start, or made at this start. Never
    /// written; `api_key_sha256` is.
    #[serde(skip)]
    pub api_key: String,
    #[serde(default)]
    api_key_sha256: String,
    /// A plaintext key in state written before keys were hashed: read once, then hashed.
    #[serde(default, rename = "api_key", skip_serializing)]
    legacy_api_key: Option<String>,
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

/// How a key is kept: its SHA-256, hex.
fn key_hash(api_key: &str) -> String {
    use sha2::{Digest, Sha256};
    hex(&Sha256::digest(api_key.as_bytes()))
}

/// A new key in the shape of IBM Cloud's: 44 characters of base64url.
fn new_api_key() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<33>())
}

/// Another user of the sandbox's one account: same account id, an identity and API key of
/// their own, so what they create records them as its creator.
#[derive(Clone, PartialEq, Eq)]
pub struct Member {
    /// The member's API key when just made ([`Members::add`]); empty for members read back
    /// from the state dir, which keeps only its hash.
    pub api_key: String,
    pub iam_id: String,
    pub name: String,
    pub email: String,
}

/// A member as `state.json` keeps it.
#[derive(Clone, Serialize, Deserialize)]
struct StoredMember {
    #[serde(default)]
    api_key_sha256: String,
    #[serde(default, rename = "api_key", skip_serializing)]
    legacy_api_key: Option<String>,
    iam_id: String,
    name: String,
    email: String,
}

impl StoredMember {
    fn of(member: &Member) -> Self {
        StoredMember {
            api_key_sha256: key_hash(&member.api_key),
            legacy_api_key: None,
            iam_id: member.iam_id.clone(),
            name: member.name.clone(),
            email: member.email.clone(),
        }
    }

    /// Hashes away a plaintext key from older state.
    fn migrate(&mut self) {
        if let Some(key) = self.legacy_api_key.take() {
            self.api_key_sha256 = key_hash(&key);
        }
    }

    fn member(&self) -> Member {
        Member {
            api_key: String::new(),
            iam_id: self.iam_id.clone(),
            name: self.name.clone(),
            email: self.email.clone(),
        }
    }
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
    members: Vec<StoredMember>,
}

/// The account's members, changed at run time and saved with the account.
pub(crate) struct Members {
    path: PathBuf,
    account: SandboxAccount,
    members: Mutex<Vec<StoredMember>>,
}

impl Members {
    pub(crate) fn all(&self) -> Vec<Member> {
        self.members
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(StoredMember::member)
            .collect()
    }

    /// The member whose API key is `api_key`.
    pub(crate) fn with_key(&self, api_key: &str) -> Option<Member> {
        let hash = key_hash(api_key);
        self.members
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .find(|m| constant_time_eq(m.api_key_sha256.as_bytes(), hash.as_bytes()))
            .map(StoredMember::member)
    }

    /// Makes a new member (named `name`, or `Member N`) and saves it before answering.
    pub(crate) fn add(&self, name: Option<&str>) -> std::io::Result<Member> {
        let mut members = self.members.lock().unwrap_or_else(|e| e.into_inner());
        let ident = hex(&random_bytes::<5>()).to_uppercase();
        let number = members.len() + 1;
        let member = Member {
            api_key: new_api_key(),
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
        members.push(StoredMember::of(&member));
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
    /// Whether `api_key` is the owner's.
    pub(crate) fn is_owner_key(&self, api_key: &str) -> bool {
        constant_time_eq(key_hash(api_key).as_bytes(), self.api_key_sha256.as_bytes())
    }

    fn generate() -> Self {
        let ident = hex(&random_bytes::<5>()).to_uppercase();
        SandboxAccount {
            account_id: hex(&random_bytes::<16>()),
            api_key: String::new(),
            api_key_sha256: String::new(),
            legacy_api_key: None,
            iam_id: format!("IBMid-{ident}"),
            user_name: "Sandbox User".into(),
            email: "newcomer@sandbox.onramp.invalid".into(),
            signing_secret: hex(&random_bytes::<32>()),
        }
    }

    /// Loads the account and its members from `state_dir/state.json`, creating the account
    /// on first start. The owner's key for this run is `api_key` if given (it replaces the
    /// stored one), else a plaintext key from older state, else a new one (replacing any
    /// stored one, which cannot be read back); the answer says whether it was made now.
    pub(crate) fn load_or_create(
        state_dir: &Path,
        api_key: Option<&str>,
    ) -> std::io::Result<(Self, Members, bool)> {
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
        let legacy = file.account.legacy_api_key.take();
        let made = api_key.is_none() && legacy.is_none();
        file.account.api_key = match (api_key, legacy) {
            (Some(key), _) => key.to_owned(),
            (None, Some(key)) => key,
            (None, None) => new_api_key(),
        };
        file.account.api_key_sha256 = key_hash(&file.account.api_key);
        file.members.iter_mut().for_each(StoredMember::migrate);
        write_atomically(
            &path,
            &serde_json::to_vec_pretty(&file).map_err(std::io::Error::other)?,
        )?;
        let members = Members {
            path,
            account: file.account.clone(),
            members: Mutex::new(file.members),
        };
        Ok((file.account, members, made))
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
    fn a_state_file_from_before_members_and_hashing_loads_keeps_its_key_and_hashes_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        std::fs::write(
            &path,
            r#"{"account_id":"a1","api_key":"old-key-0123456789abcdefghijklmnopqrstuvwxy","iam_id":"IBMid-1","user_name":"U","email":"u@x","signing_secret":"00"}"#,
        )
        .unwrap();
        let (account, members, made) = SandboxAccount::load_or_create(dir.path(), None).unwrap();
        assert!(!made);
        assert_eq!(
            account.api_key,
            "old-key-0123456789abcdefghijklmnopqrstuvwxy"
        );
        assert!(account.is_owner_key("old-key-0123456789abcdefghijklmnopqrstuvwxy"));
        assert!(members.all().is_empty());
        let written = std::fs::read_to_string(&path).unwrap();
        assert!(!written.contains("old-key-0123"), "{written}");

        let added = members.add(None).unwrap();
        assert_eq!(added.name, "Member 1");
        assert_eq!(added.api_key.len(), 44);
        assert!(members.with_key(&added.api_key).is_some());
        assert!(members.with_key(&account.api_key).is_none());
        assert!(!std::fs::read_to_string(&path)
            .unwrap()
            .contains(&added.api_key));

        // Restarted without a key: the old one still works only if given again; a member's does.
        let (again, members, made) = SandboxAccount::load_or_create(dir.path(), None).unwrap();
        assert!(made);
        assert_eq!(again.iam_id, account.iam_id);
        assert!(again.is_owner_key(&again.api_key));
        assert!(!again.is_owner_key(&account.api_key));
        assert_eq!(
            members.with_key(&added.api_key).unwrap().iam_id,
            added.iam_id
        );
        let (given, _, made) =
            SandboxAccount::load_or_create(dir.path(), Some(&account.api_key)).unwrap();
        assert!(!made);
        assert!(given.is_owner_key(&account.api_key));
    }

    #[test]
    fn a_legacy_member_key_is_hashed_on_load_and_still_accepted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        std::fs::write(
            &path,
            r#"{"account_id":"a1","api_key_sha256":"","iam_id":"IBMid-1","user_name":"U","email":"u@x","signing_secret":"00","members":[{"api_key":"member-key-0123456789abcdefghijklmnopqrstu","iam_id":"IBMid-2","name":"Ada","email":"a@x"}]}"#,
        )
        .unwrap();
        let (_, members, _) = SandboxAccount::load_or_create(dir.path(), Some("k")).unwrap();
        assert_eq!(
            members
                .with_key("member-key-0123456789abcdefghijklmnopqrstu")
                .unwrap()
                .name,
            "Ada"
        );
        assert!(!std::fs::read_to_string(&path)
            .unwrap()
            .contains("member-key-0123"));
    }
}
