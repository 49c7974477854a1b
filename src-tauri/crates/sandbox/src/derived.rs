//! Passwords the sandbox makes again instead of writing down. A service credential's
//! password and each database server's admin password come from the account's signing
//! secret and what they belong to, so neither `resources.json` nor anything else in the state
//! dir holds a password (the real service keeps credentials server-side; this one keeps one
//! secret).

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Letters, digits and a few characters that need URL-encoding, like the real service's
/// passwords, so clients are tested on encoding.
pub(crate) const PASSWORD_CHARS: &[u8] =
    b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789-_()%,";

#[derive(Clone)]
pub(crate) struct Derived {
    secret: Vec<u8>,
}

impl Derived {
    pub(crate) fn new(signing_secret: &str) -> Self {
        Derived {
            secret: signing_secret.as_bytes().to_vec(),
        }
    }

    /// The 32-character password for `purpose` (such as `resource-key`) of `id`.
    pub(crate) fn password(&self, purpose: &str, id: &str) -> String {
        let mut out = String::with_capacity(32);
        let mut counter = 0u32;
        while out.len() < 32 {
            #[allow(clippy::expect_used, reason = "HMAC takes a key of any length")]
            let mut mac = Hmac::<Sha256>::new_from_slice(&self.secret).expect("HMAC takes any key");
            mac.update(format!("{purpose}\0{id}\0{counter}").as_bytes());
            // Bytes past the largest multiple of the alphabet's size are skipped, so every
            // character is equally likely.
            let limit = 256 - 256 % PASSWORD_CHARS.len();
            out.extend(
                mac.finalize()
                    .into_bytes()
                    .iter()
                    .filter(|b| usize::from(**b) < limit)
                    .map(|b| char::from(PASSWORD_CHARS[usize::from(*b) % PASSWORD_CHARS.len()])),
            );
            counter += 1;
        }
        out.truncate(32);
        out
    }
}

impl std::fmt::Debug for Derived {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Derived(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_purpose_and_id_give_the_same_password_and_others_differ() {
        let d = Derived::new("00aa");
        let a = d.password("resource-key", "k1");
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|b| PASSWORD_CHARS.contains(&b)));
        assert_eq!(a, Derived::new("00aa").password("resource-key", "k1"));
        assert_ne!(a, d.password("resource-key", "k2"));
        assert_ne!(a, d.password("postgres-admin", "k1"));
        assert_ne!(a, Derived::new("00ab").password("resource-key", "k1"));
    }
}
