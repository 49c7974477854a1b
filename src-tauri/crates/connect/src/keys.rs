//! SSH keys made on the desktop: the user's login key, and the jump VSI's host key, which
//! Onramp generates and installs through cloud-init so that its fingerprint is known before
//! the first connection (DESIGN §5: no trust-on-first-use).

use onramp_secrets::Sensitive;
use rand::RngCore as _;
use russh::keys::ssh_key::{
    private::{Ed25519Keypair, KeypairData},
    HashAlg, LineEnding, PrivateKey, PublicKey,
};
use zeroize::Zeroizing;

/// Why a key could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot encode the generated key: {0}")]
    Encode(String),
    #[error("not an OpenSSH public key line: {0}")]
    InvalidPublicKey(String),
}

/// An SSH key pair: the private half as OpenSSH private key text (for the keychain, never
/// for a log), the public half as an OpenSSH public key line.
#[derive(Debug, Clone)]
pub struct KeyPair {
    pub private_openssh: Sensitive<String>,
    pub public_line: String,
    /// `SHA256:...`, as `ssh-keygen -lf` prints it.
    pub fingerprint: String,
}

fn generate_ed25519(comment: &str) -> Result<KeyPair, KeyError> {
    let mut seed = Zeroizing::new([0u8; 32]);
    rand::rngs::OsRng.fill_bytes(&mut *seed);
    let keypair = Ed25519Keypair::from_seed(&seed);
    let key = PrivateKey::new(KeypairData::Ed25519(keypair), comment)
        .map_err(|e| KeyError::Encode(e.to_string()))?;
    let private = key
        .to_openssh(LineEnding::LF)
        .map_err(|e| KeyError::Encode(e.to_string()))?;
    let public_line = key
        .public_key()
        .to_openssh()
        .map_err(|e| KeyError::Encode(e.to_string()))?;
    Ok(KeyPair {
        private_openssh: Sensitive::new(private.to_string()),
        public_line,
        fingerprint: key.public_key().fingerprint(HashAlg::Sha256).to_string(),
    })
}

/// A fresh ed25519 login key for the jump VSI. The public line goes to the VPC keys API; the
/// private text goes to the keychain.
pub fn generate_user_key(comment: &str) -> Result<KeyPair, KeyError> {
    generate_ed25519(comment)
}

/// A fresh ed25519 host key for the jump VSI. Give [`JumpHostKey::user_data`] to the
/// instance create and pin [`KeyPair::public_line`] in the tunnel's configuration.
pub fn generate_host_key() -> Result<JumpHostKey, KeyError> {
    Ok(JumpHostKey {
        pair: generate_ed25519("onramp-jump-host")?,
    })
}

/// The jump VSI's host key pair, generated on the desktop.
#[derive(Debug, Clone)]
pub struct JumpHostKey {
    pub pair: KeyPair,
}

impl JumpHostKey {
    /// The public line to pin (`TunnelConfig::host_key`).
    pub fn public_line(&self) -> &str {
        &self.pair.public_line
    }

    /// cloud-init `user_data` that installs this key as the VSI's only SSH host key.
    ///
    /// It uses cloud-init's own `ssh_keys` (the `ssh` module writes
    /// `/etc/ssh/ssh_host_ed25519_key` (0600) and `.pub` and generates no other host key),
    /// because a `write_files` entry would be deleted again by that module's
    /// `ssh_deletekeys`, which runs after it. The module runs before `ssh.service` starts on
    /// first boot; the `runcmd` restart covers images where sshd was already up.
    ///
    /// The text holds the private key, so it is [`Sensitive`]: it goes into the create
    /// request and nowhere else (a real VSI keeps it in its metadata).
    pub fn user_data(&self) -> Sensitive<String> {
        let mut out = String::from(
            "#cloud-config\n\
             # Onramp: the SSH host key of this jump server was generated on the desktop, so its\n\
             # fingerprint is known before the first connection (no trust-on-first-use).\n\
             ssh_deletekeys: true\n\
             ssh_genkeytypes: []\n\
             ssh_keys:\n  ed25519_private: |\n",
        );
        for line in self.pair.private_openssh.expose().lines() {
            out.push_str("    ");
            out.push_str(line);
            out.push('\n');
        }
        out.push_str("  ed25519_public: ");
        out.push_str(&self.pair.public_line);
        out.push('\n');
        out.push_str(
            "runcmd:\n  - [sh, -c, \"systemctl try-restart ssh.service || systemctl try-restart sshd.service || true\"]\n",
        );
        Sensitive::new(out)
    }
}

/// Parses an OpenSSH public key line (`ssh-ed25519 AAAA... comment`).
pub fn parse_public_line(line: &str) -> Result<PublicKey, KeyError> {
    PublicKey::from_openssh(line.trim()).map_err(|e| KeyError::InvalidPublicKey(e.to_string()))
}

/// The `SHA256:...` fingerprint of a public key.
pub fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_keys_are_fresh_ed25519_pairs_that_parse() {
        let a = generate_user_key("me@onramp").unwrap();
        let b = generate_user_key("me@onramp").unwrap();
        assert_ne!(a.public_line, b.public_line);
        assert!(
            a.public_line.starts_with("ssh-ed25519 "),
            "{}",
            a.public_line
        );
        let private = russh::keys::decode_secret_key(a.private_openssh.expose(), None).unwrap();
        assert_eq!(
            private.public_key().key_data(),
            parse_public_line(&a.public_line).unwrap().key_data()
        );
        assert_eq!(fingerprint(private.public_key()), a.fingerprint);
        assert!(!format!("{a:?}").contains("PRIVATE KEY"));
    }

    #[test]
    fn user_data_installs_exactly_the_pinned_host_key() {
        let key = generate_host_key().unwrap();
        let text = key.user_data();
        let text = text.expose();
        assert!(text.starts_with("#cloud-config\n"));
        assert!(text.contains(&format!("  ed25519_public: {}\n", key.public_line())));
        // The private key block, indented under `ed25519_private: |`, is the key itself.
        let block: String = text
            .lines()
            .skip_while(|l| !l.starts_with("  ed25519_private: |"))
            .skip(1)
            .take_while(|l| l.starts_with("    "))
            .map(|l| format!("{}\n", &l[4..]))
            .collect();
        let private = russh::keys::decode_secret_key(&block, None).unwrap();
        // The sandbox's VSI reads the same key out of it.
        let sandbox = onramp_jumphost::host_key_from_cloud_init(text).expect("found");
        assert_eq!(sandbox.as_str(), key.pair.private_openssh.expose().as_str());
        assert_eq!(
            private.public_key().key_data(),
            parse_public_line(key.public_line()).unwrap().key_data()
        );
    }
}
