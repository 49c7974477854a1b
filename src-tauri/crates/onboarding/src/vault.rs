//! What Onramp keeps in the OS keychain, named in one place, and the one way async code
//! reaches it: every call runs on a blocking thread, because the Secret Service client
//! blocks on D-Bus and would stall the async workers (and with them the window's commands).

use onramp_secrets::{Keychain, KeychainError, Sensitive};

use crate::AppError;

/// The names of the keychain entries, under the app identifier's service.
pub mod entry {
    /// The IBM Cloud API key the user signed in with.
    pub const API_KEY: &str = "ibmcloud-api-key";

    /// A service credential's password and connection data, as one JSON text
    /// ([`crate::credential::StoredCredential`]): `credential:<key guid>`.
    pub fn credential(key_guid: &str) -> String {
        format!("credential:{key_guid}")
    }

    /// The private half of the SSH login key Onramp generated for a plan:
    /// `ssh-key:<plan id>`.
    pub fn ssh_key(plan_id: &str) -> String {
        format!("ssh-key:{plan_id}")
    }

    /// A SQL user's password: `sql-user:<instance guid>:<role>`, from the instance's GUID
    /// or CRN (whose GUID is its last non-empty field).
    pub fn sql_user(instance: &str, role: &str) -> String {
        format!("sql-user:{}:{role}", instance_guid(instance))
    }

    /// An instance's GUID, from its GUID or CRN (whose GUID is its last non-empty field).
    pub fn instance_guid(instance: &str) -> &str {
        instance
            .split(':')
            .rev()
            .find(|part| !part.is_empty())
            .unwrap_or(instance)
    }
}

/// Runs `operation` on a blocking thread and maps a keychain failure to the UI's error.
pub async fn on_keychain<T, F>(keychain: &Keychain, operation: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&Keychain) -> Result<T, KeychainError> + Send + 'static,
{
    let keychain = keychain.clone();
    tokio::task::spawn_blocking(move || operation(&keychain))
        .await
        .map_err(|e| AppError::internal(format!("keychain task failed: {e}")))?
        .map_err(AppError::from_keychain)
}

/// Stores `secret` under `name`.
pub async fn save(
    keychain: &Keychain,
    name: &str,
    secret: Sensitive<String>,
) -> Result<(), AppError> {
    let name = name.to_owned();
    on_keychain(keychain, move |k| k.save(&name, &secret)).await
}

/// The secret under `name`, if there is one.
pub async fn read(keychain: &Keychain, name: &str) -> Result<Option<Sensitive<String>>, AppError> {
    let name = name.to_owned();
    on_keychain(keychain, move |k| k.read(&name)).await
}

/// Deletes the entry; returns whether there was one.
pub async fn delete(keychain: &Keychain, name: &str) -> Result<bool, AppError> {
    let name = name.to_owned();
    on_keychain(keychain, move |k| k.delete(&name)).await
}

#[cfg(test)]
mod tests {
    use super::entry;

    #[test]
    fn entry_names_are_stable() {
        // Entries already in users' keychains keep these names.
        assert_eq!(entry::credential("k-1"), "credential:k-1");
        assert_eq!(entry::ssh_key("p-1"), "ssh-key:p-1");
        assert_eq!(
            entry::sql_user(
                "crn:v1:bluemix:public:databases-for-postgresql:ca-mon:a/1:guid-9::",
                "mary"
            ),
            "sql-user:guid-9:mary"
        );
        assert_eq!(entry::sql_user("guid-9", "mary"), "sql-user:guid-9:mary");
        assert_eq!(entry::API_KEY, "ibmcloud-api-key");
    }
}
