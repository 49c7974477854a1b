//! A service credential as Onramp keeps it in the keychain (`credential:<key guid>`): the
//! PostgreSQL user, its password, and how to reach the database, as one JSON text. Written
//! when a credential is made (apply, the Users step), read by Connect and Users, and
//! rewritten when its password changes. The journal keeps only the entry's name.

use serde::{Deserialize, Serialize};

use onramp_cloud::rc::ResourceKey;
use onramp_secrets::Sensitive;

use crate::AppError;

/// What the keychain entry holds. `Debug` shows no password; there is no `Serialize`: the
/// only way out is [`StoredCredential::to_secret`], into the keychain.
#[derive(Clone)]
pub struct StoredCredential {
    pub key_guid: Option<String>,
    pub name: Option<String>,
    pub username: String,
    pub password: Sensitive<String>,
    pub host: String,
    pub port: Option<u16>,
    pub database: String,
    /// The CA certificate (PEM) the credential carries, if any.
    pub ca_pem: Option<String>,
    /// The same, as the credential gave it (base64), kept so the entry round-trips.
    certificate_base64: Option<String>,
}

impl std::fmt::Debug for StoredCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredCredential")
            .field("key_guid", &self.key_guid)
            .field("username", &self.username)
            .field("host", &self.host)
            .field("database", &self.database)
            .finish_non_exhaustive()
    }
}

/// The entry's JSON, field names as entries already in users' keychains have them.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    key_guid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    username: Option<String>,
    password: Option<String>,
    host: Option<String>,
    port: Option<u16>,
    database: Option<String>,
    certificate_base64: Option<String>,
}

impl Drop for Entry {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        if let Some(p) = self.password.as_mut() {
            p.zeroize();
        }
    }
}

impl StoredCredential {
    /// What to keep of a key Resource Controller returned, or `None` when it came without
    /// a readable password (`REDACTED`: the caller may not read it) or without a user.
    pub fn from_key(key: &ResourceKey) -> Option<StoredCredential> {
        let credentials = key.credentials.as_ref()?;
        let postgres = credentials
            .connection
            .as_ref()
            .and_then(|c| c.postgres.as_ref());
        let authentication = postgres.and_then(|p| p.authentication.as_ref());
        let password = credentials
            .password
            .as_ref()
            .or_else(|| authentication?.password.as_ref())
            .filter(|p| !p.expose().is_empty() && p.expose() != "REDACTED")?
            .clone();
        let username = credentials
            .username
            .clone()
            .or_else(|| authentication?.username.clone())?;
        let host = postgres.and_then(|p| p.hosts.first());
        let certificate_base64 =
            postgres.and_then(|p| p.certificate.as_ref()?.certificate_base64.clone());
        Some(StoredCredential {
            key_guid: Some(key.guid.clone()),
            name: Some(key.name.clone()),
            username,
            password,
            host: host.map(|h| h.hostname.clone()).unwrap_or_default(),
            port: host.and_then(|h| h.port),
            database: postgres
                .and_then(|p| p.database.clone())
                .unwrap_or_else(|| "postgres".into()),
            ca_pem: certificate_base64
                .as_deref()
                .and_then(decode_base64)
                .and_then(|b| String::from_utf8(b).ok()),
            certificate_base64,
        })
    }

    /// Reads a keychain entry.
    pub fn parse(secret: &Sensitive<String>) -> Result<StoredCredential, AppError> {
        let mut entry: Entry = serde_json::from_str(secret.expose()).map_err(|_| {
            AppError::internal("the credential in the keychain is not in Onramp's format")
        })?;
        let missing = |what: &str| {
            AppError::internal(format!("the credential in the keychain has no {what}"))
        };
        let ca_pem = match entry.certificate_base64.as_deref() {
            Some(b64) => Some(
                decode_base64(b64)
                    .and_then(|bytes| String::from_utf8(bytes).ok())
                    .ok_or_else(|| missing("readable CA certificate"))?,
            ),
            None => None,
        };
        Ok(StoredCredential {
            key_guid: entry.key_guid.take(),
            name: entry.name.take(),
            username: entry.username.take().ok_or_else(|| missing("user name"))?,
            password: Sensitive::new(entry.password.take().ok_or_else(|| missing("password"))?),
            host: entry.host.take().ok_or_else(|| missing("host name"))?,
            port: entry.port,
            database: entry.database.take().unwrap_or_else(|| "postgres".into()),
            ca_pem,
            certificate_base64: entry.certificate_base64.take(),
        })
    }

    /// The same credential with another password (after `ALTER ROLE … PASSWORD`).
    pub fn with_password(&self, password: Sensitive<String>) -> StoredCredential {
        StoredCredential {
            password,
            ..self.clone()
        }
    }

    /// The keychain entry's text.
    pub fn to_secret(&self) -> Sensitive<String> {
        let entry = Entry {
            key_guid: self.key_guid.clone(),
            name: self.name.clone(),
            username: Some(self.username.clone()),
            password: Some(self.password.expose().clone()),
            host: Some(self.host.clone()),
            port: self.port,
            database: Some(self.database.clone()),
            certificate_base64: self.certificate_base64.clone(),
        };
        Sensitive::new(serde_json::to_string(&entry).unwrap_or_default())
    }
}

/// Standard base64 (with or without padding and line breaks), as certificates come.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for byte in text
        .bytes()
        .filter(|b| !b.is_ascii_whitespace() && *b != b'=')
    {
        let value = ALPHABET.iter().position(|c| *c == byte)? as u32;
        buffer = (buffer << 6) | value;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(password: &str) -> ResourceKey {
        serde_json::from_value(serde_json::json!({
            "id": "crn:key", "guid": "k-1", "crn": "crn:key", "name": "onramp-manager",
            "credentials": {
                "username": "ibm_cloud_1",
                "password": password,
                "connection": {"postgres": {
                    "database": "postgres",
                    "hosts": [{"hostname": "h.private.x", "port": 5432}],
                    "certificate": {"certificate_base64": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg=="}
                }}
            }
        }))
        .unwrap()
    }

    #[test]
    fn an_entry_parses_with_its_ca_and_never_shows_its_password() {
        let entry = Sensitive::new(
            serde_json::json!({
                "username": "ibm_cloud_1", "password": "pw", "host": "h.private.x",
                "port": 5432, "database": "postgres",
                "certificateBase64": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==",
            })
            .to_string(),
        );
        let parsed = StoredCredential::parse(&entry).unwrap();
        assert_eq!(
            parsed.ca_pem.as_deref(),
            Some("-----BEGIN CERTIFICATE-----\n")
        );
        assert_eq!(parsed.database, "postgres");
        assert!(!format!("{parsed:?}").contains("pw"));
    }

    #[test]
    fn a_key_becomes_an_entry_that_reads_back_and_takes_a_new_password() {
        let stored = StoredCredential::from_key(&key("s3cret-pass")).unwrap();
        let again = StoredCredential::parse(&stored.to_secret()).unwrap();
        assert_eq!(again.username, "ibm_cloud_1");
        assert_eq!(again.password.expose(), "s3cret-pass");
        assert_eq!(again.host, "h.private.x");
        assert_eq!(again.key_guid.as_deref(), Some("k-1"));
        assert!(again.ca_pem.is_some());
        let changed = StoredCredential::parse(
            &again
                .with_password(Sensitive::new("n3w".into()))
                .to_secret(),
        )
        .unwrap();
        assert_eq!(changed.password.expose(), "n3w");
        assert_eq!(changed.ca_pem, again.ca_pem, "the rest is kept");
    }

    #[test]
    fn a_redacted_key_is_not_kept() {
        assert!(StoredCredential::from_key(&key("REDACTED")).is_none());
        assert!(StoredCredential::from_key(&key("")).is_none());
    }
}
