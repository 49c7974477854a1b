//! The Users step. Gen 2 has no admin user: users come from service credentials (Manager,
//! Writer), whose passwords Onramp keeps in the keychain, or from SQL run as the plan's
//! Manager credential (CREATEROLE, CREATEDB, member of `ibm_admin` and `ibm_writer`).
//! What Onramp keeps in the keychain is journalled, so teardown removes it.

mod credentials;
mod roles;
mod sql_users;

pub use crate::vault::entry::{instance_guid, sql_user as sql_user_entry};
pub use credentials::*;
pub use roles::*;
pub use sql_users::*;

/// The fields of the Users step.
pub mod field {
    pub const ROLE_NAME: &str = "users.roleName";
    pub const PASSWORD: &str = "users.password";
    pub const DATABASE: &str = "users.database";
    pub const CREDENTIAL_NAME: &str = "users.credentialName";
}
