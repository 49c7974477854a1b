//! The Users step's SQL: the roles as `pg_roles` reports them, login roles made from a
//! recipe, and password changes, all run as the Manager credential's user.
//!
//! Every identifier and literal is quoted here ([`quote_ident`], [`quote_literal`]): user
//! input never reaches SQL as bare text. Passwords are shown masked in the statements the
//! window previews.

use std::future::Future;

use serde::{Deserialize, Serialize};
use specta::Type;

use onramp_secrets::Sensitive;

use super::field;
use crate::{AppError, ErrorCode};

/// PostgreSQL's NAMEDATALEN − 1: longer names are silently truncated, so refuse them.
pub const ROLE_NAME_MAX_BYTES: usize = 63;
/// Generated passwords: 32 characters from a 62-letter alphabet (≈190 bits).
pub const GENERATED_PASSWORD_LEN: usize = 32;
/// Typed passwords must be at least this long.
pub const PASSWORD_MIN: usize = 15;
/// And at most this long (PostgreSQL's own limit is far above any real password).
pub const PASSWORD_MAX_BYTES: usize = 1024;

/// An identifier, always double-quoted (with `"` doubled), so case, spaces and keywords
/// are kept exactly. NUL cannot be quoted and is refused by the rules before this.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A string literal with `'` doubled. With `standard_conforming_strings` on (the default
/// since 9.1 and what Gen 2 runs) a backslash is an ordinary character.
pub fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// What a new login role is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(tag = "kind", rename_all_fields = "camelCase")]
pub enum Recipe {
    /// `pg_monitor`: read the statistics and monitoring views.
    Monitoring,
    /// `pg_signal_backend`: cancel other (non-superuser) sessions' queries.
    CancelQueries,
    /// `pg_read_all_data`: read every table, view and sequence.
    ReadOnly,
    /// `pg_read_all_data` and `pg_write_all_data`.
    ReadWrite,
    /// Owns a new database of its own.
    DatabaseOwner { database: String },
}

impl Recipe {
    /// One sentence a newcomer reads before choosing.
    pub fn explain(&self) -> &'static str {
        match self {
            Recipe::Monitoring => "Can read PostgreSQL's statistics and monitoring views (pg_monitor), for dashboards and alerting; cannot read your tables.",
            Recipe::CancelQueries => "Can cancel queries and end sessions of other non-superuser users (pg_signal_backend), for an on-call operator.",
            Recipe::ReadOnly => "Can read every table, view and sequence in every database (pg_read_all_data), and change nothing.",
            Recipe::ReadWrite => "Can read and write every table in every database (pg_read_all_data and pg_write_all_data), but not change the schema.",
            Recipe::DatabaseOwner { .. } => "Owns a new database of its own: can create schemas and tables there; nothing elsewhere.",
        }
    }
}

/// The statements a recipe runs, in order. `password` is `None` for the preview, which
/// shows it masked. Statements after the first transaction (CREATE DATABASE, which cannot
/// run inside one) are in the second list.
pub fn recipe_sql(
    role: &str,
    recipe: &Recipe,
    password: Option<&str>,
) -> (Vec<String>, Vec<String>) {
    let who = quote_ident(role);
    let secret = password.map_or_else(|| "'********'".to_owned(), verifier);
    let mut first = vec![format!("CREATE ROLE {who} WITH LOGIN PASSWORD {secret}")];
    let mut then = Vec::new();
    match recipe {
        Recipe::Monitoring => first.push(format!("GRANT pg_monitor TO {who}")),
        Recipe::CancelQueries => first.push(format!("GRANT pg_signal_backend TO {who}")),
        Recipe::ReadOnly => first.push(format!("GRANT pg_read_all_data TO {who}")),
        Recipe::ReadWrite => {
            first.push(format!(
                "GRANT pg_read_all_data, pg_write_all_data TO {who}"
            ));
        }
        Recipe::DatabaseOwner { database } => {
            // Creating a database owned by another role needs membership in it (before
            // PostgreSQL 16 a CREATEROLE user does not get that by creating the role).
            first.push(format!("GRANT {who} TO CURRENT_USER"));
            then.push(format!(
                "CREATE DATABASE {} OWNER {who}",
                quote_ident(database)
            ));
        }
    }
    (first, then)
}

/// Every statement a recipe runs, in order, password masked: what the user reads first.
pub fn recipe_preview(role: &str, recipe: &Recipe) -> Vec<String> {
    let (mut first, then) = recipe_sql(role, recipe, None);
    first.extend(then);
    first
}

/// `ALTER ROLE … WITH PASSWORD …`; `None` shows the password masked.
pub fn password_sql(role: &str, password: Option<&str>) -> String {
    let secret = password.map_or_else(|| "'********'".to_owned(), verifier);
    format!("ALTER ROLE {} WITH PASSWORD {secret}", quote_ident(role))
}

/// The password as a SCRAM-SHA-256 verifier literal (salted, 4096 iterations): PostgreSQL
/// stores a verifier as given, so the plaintext never reaches the server, its log (even a
/// failed statement's), or `pg_stat_activity`.
fn verifier(password: &str) -> String {
    quote_literal(&postgres_protocol::password::scram_sha_256(
        password.as_bytes(),
    ))
}

/// What is wrong with a new role's name, if anything (`taken`: the names `pg_roles` has).
pub fn check_role_name(name: &str, taken: &[String]) -> Option<AppError> {
    let at = |message: String| {
        Some(AppError::new(ErrorCode::InvalidInput, message).at(field::ROLE_NAME))
    };
    if name.trim().is_empty() {
        return at("Give the user a name.".into());
    }
    if name != name.trim() {
        return at("Remove the spaces at the start or end of the name.".into());
    }
    if let Some(odd) = crate::input::odd_character(name) {
        return at(format!("A name cannot contain {odd}."));
    }
    let bytes = name.len();
    if bytes > ROLE_NAME_MAX_BYTES {
        return at(format!(
            "The name is {bytes} bytes long; PostgreSQL keeps only the first {ROLE_NAME_MAX_BYTES}."
        ));
    }
    let lower = name.to_lowercase();
    if lower.starts_with("pg_") {
        return at("Names starting with pg_ are reserved for PostgreSQL's own roles.".into());
    }
    if lower.starts_with("ibm") {
        return at("Names starting with ibm are reserved for the service's own roles (ibm_admin, ibm_writer, ibmcloud_… credentials).".into());
    }
    if [
        "public",
        "none",
        "current_user",
        "session_user",
        "current_role",
    ]
    .contains(&lower.as_str())
    {
        return at(format!(
            "{name} is a reserved word for roles in PostgreSQL."
        ));
    }
    if taken.iter().any(|t| t == name) {
        return at(format!("A role named {name} already exists."));
    }
    None
}

/// What is wrong with a typed password, if anything.
pub fn check_password(password: &str, role: &str) -> Option<AppError> {
    let at =
        |message: String| Some(AppError::new(ErrorCode::InvalidInput, message).at(field::PASSWORD));
    let length = password.chars().count();
    if password.len() > PASSWORD_MAX_BYTES {
        return at(format!(
            "Use at most {PASSWORD_MAX_BYTES} bytes; this one has {}.",
            password.len()
        ));
    }
    if length < PASSWORD_MIN {
        return at(format!(
            "Use at least {PASSWORD_MIN} characters ({length} now), or let Onramp generate one."
        ));
    }
    if password.contains('\0') {
        return at("A password cannot contain the NUL character.".into());
    }
    let classes = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    if classes < 3 {
        return at("Mix at least three of: lowercase, uppercase, digits, symbols.".into());
    }
    if !role.is_empty() && password.to_lowercase().contains(&role.to_lowercase()) {
        return at("The password must not contain the user's name.".into());
    }
    None
}

/// A random password of [`GENERATED_PASSWORD_LEN`] letters and digits from the OS's random
/// source (no symbols, so it survives shells and connection strings unquoted; look-alike
/// characters such as 0/O and 1/l are left out).
pub fn generate_password() -> String {
    generate_password_for("")
}

/// [`generate_password`] for the user `role`: it passes every rule a typed one must, so it
/// never contains the user's name either (32 random letters can spell a short one).
pub fn generate_password_for(role: &str) -> String {
    use rand::{rngs::OsRng, Rng};
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    loop {
        let candidate: String = (0..GENERATED_PASSWORD_LEN)
            .map(|_| ALPHABET[OsRng.gen_range(0..ALPHABET.len())] as char)
            .collect();
        // Three classes, as the rules ask of typed ones.
        if check_password(&candidate, role).is_none() {
            return candidate;
        }
    }
}

/// The password for a new user or a change: the one typed, if it passes
/// [`check_password`], or a generated one when none was typed.
pub fn typed_or_generated(
    typed: Option<Sensitive<String>>,
    role: &str,
) -> Result<Sensitive<String>, AppError> {
    match typed.filter(|p| !p.expose().is_empty()) {
        Some(typed) => match check_password(typed.expose(), role) {
            Some(problem) => Err(problem),
            None => Ok(typed),
        },
        None => Ok(Sensitive::new(generate_password_for(role))),
    }
}

/// Who a role is, for the table: the service's own, a service credential's user, a role
/// made in SQL, or PostgreSQL's predefined `pg_*` roles (listed only when asked).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
pub enum RoleKind {
    Service,
    Credential,
    User,
    Predefined,
}

/// One row of `pg_roles`, as the tutorial's tables show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct RoleRow {
    pub name: String,
    pub superuser: bool,
    pub inherit: bool,
    pub create_role: bool,
    pub create_db: bool,
    pub can_login: bool,
    /// The roles it is a member of, sorted.
    pub member_of: Vec<String>,
    pub kind: RoleKind,
}

/// The kind of a role: a superuser is always the service's (Gen 2 gives nobody else
/// SUPERUSER, and the Manager cannot make one); `ibm*` roles are the service's
/// (credentials' users are `ibmcloud_<32 hex>`); `pg_*` are PostgreSQL's.
pub fn kind_of(name: &str, superuser: bool) -> RoleKind {
    if superuser {
        return RoleKind::Service;
    }
    if let Some(rest) = name.strip_prefix("ibmcloud_") {
        if rest.len() == 32 && rest.chars().all(|c| c.is_ascii_hexdigit()) {
            return RoleKind::Credential;
        }
    }
    if name.starts_with("pg_") {
        RoleKind::Predefined
    } else if name.starts_with("ibm") || name == "postgres" {
        RoleKind::Service
    } else {
        RoleKind::User
    }
}

const ROLES_SQL: &str = "SELECT r.rolname::text, r.rolsuper, r.rolinherit, r.rolcreaterole, r.rolcreatedb, r.rolcanlogin, \
     ARRAY(SELECT b.rolname::text FROM pg_auth_members m JOIN pg_roles b ON b.oid = m.roleid WHERE m.member = r.oid ORDER BY 1) \
     FROM pg_roles r ORDER BY 1";

fn sql_error(e: tokio_postgres::Error, at: Option<&str>) -> AppError {
    let message = match e.as_db_error() {
        Some(db) => format!(
            "PostgreSQL: {} (SQLSTATE {})",
            db.message(),
            db.code().code()
        ),
        None => format!("PostgreSQL: {e}"),
    };
    let hint = match e.code().map(|c| c.code()) {
        Some("42501") => Some("The Manager credential's user lacks this privilege (Gen 2 gives it CREATEROLE and CREATEDB, not superuser)."),
        Some("42710") => Some("Choose another name."),
        Some("42P04") => Some("Choose another database name."),
        _ => None,
    };
    let error = AppError::new(ErrorCode::CloudRejected, message);
    let error = match at {
        Some(f) => error.at(f),
        None => error,
    };
    match hint {
        Some(h) => error.hint(h),
        None => error,
    }
}

/// Every role, without PostgreSQL's predefined ones unless `predefined`.
pub async fn list_roles(
    client: &tokio_postgres::Client,
    predefined: bool,
) -> Result<Vec<RoleRow>, AppError> {
    let rows = client
        .query(ROLES_SQL, &[])
        .await
        .map_err(|e| sql_error(e, None))?;
    Ok(rows
        .iter()
        .map(|r| {
            let name: String = r.get(0);
            RoleRow {
                kind: kind_of(&name, r.get(1)),
                name,
                superuser: r.get(1),
                inherit: r.get(2),
                create_role: r.get(3),
                create_db: r.get(4),
                can_login: r.get(5),
                member_of: r.get(6),
            }
        })
        .filter(|row| predefined || row.kind != RoleKind::Predefined)
        .collect())
}

/// Creates a login role from a recipe in one transaction; `store` keeps the password
/// (in the keychain) before the commit, so a role never exists without its stored
/// password: if storing fails the transaction is rolled back, and if a later step fails
/// the role is dropped again and `forget` removes the stored password. Returns the
/// statements run, password masked.
pub async fn create_user<S, SFut, F, FFut>(
    client: &tokio_postgres::Client,
    role: &str,
    recipe: &Recipe,
    password: &str,
    store: S,
    forget: F,
) -> Result<Vec<String>, AppError>
where
    S: FnOnce() -> SFut,
    SFut: Future<Output = Result<(), AppError>>,
    F: FnOnce() -> FFut,
    FFut: Future<Output = ()>,
{
    let taken: Vec<String> = list_roles(client, true)
        .await?
        .into_iter()
        .map(|r| r.name)
        .collect();
    if let Some(problem) = check_role_name(role, &taken) {
        return Err(problem);
    }
    if let Recipe::DatabaseOwner { database } = recipe {
        check_database_name(client, database).await?;
    }
    let (first, then) = recipe_sql(role, recipe, Some(password));
    client
        .batch_execute("BEGIN")
        .await
        .map_err(|e| sql_error(e, None))?;
    for statement in &first {
        if let Err(e) = client.batch_execute(statement).await {
            let _ = client.batch_execute("ROLLBACK").await;
            return Err(sql_error(e, Some(field::ROLE_NAME)));
        }
    }
    if let Err(e) = store().await {
        let _ = client.batch_execute("ROLLBACK").await;
        return Err(e);
    }
    if let Err(e) = client.batch_execute("COMMIT").await {
        forget().await;
        return Err(sql_error(e, None));
    }
    for statement in &then {
        if let Err(e) = client.batch_execute(statement).await {
            // Leave nothing half-made: the role goes again, and its stored password.
            let _ = client
                .batch_execute(&format!("DROP ROLE IF EXISTS {}", quote_ident(role)))
                .await;
            forget().await;
            return Err(sql_error(e, Some(field::DATABASE)));
        }
    }
    let (mut shown, more) = recipe_sql(role, recipe, None);
    shown.extend(more);
    Ok(shown)
}

/// What is wrong with a new database's name, given whether one by that name exists.
pub fn database_name_problem(database: &str, exists: bool) -> Option<AppError> {
    let at = |m: String| AppError::new(ErrorCode::InvalidInput, m).at(field::DATABASE);
    if database.trim().is_empty() {
        return Some(at("Name the new database.".into()));
    }
    if database.len() > ROLE_NAME_MAX_BYTES || database.contains('\0') {
        return Some(at(format!(
            "A database name is at most {ROLE_NAME_MAX_BYTES} bytes, without NUL."
        )));
    }
    exists.then(|| at(format!("A database named {database} already exists.")))
}

async fn check_database_name(
    client: &tokio_postgres::Client,
    database: &str,
) -> Result<(), AppError> {
    if let Some(problem) = database_name_problem(database, false) {
        return Err(problem);
    }
    let exists = client
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&database])
        .await
        .map_err(|e| sql_error(e, None))?
        .is_some();
    database_name_problem(database, exists).map_or(Ok(()), Err)
}

/// `ALTER ROLE … WITH PASSWORD` in one transaction with the keychain: `store` saves the
/// new password after PostgreSQL accepted it and before the commit, so a save that fails
/// rolls the change back (the old password still works); a commit that fails runs `restore`
/// to put the old one back in the keychain. Returns the statement, masked.
pub async fn change_password<S, SFut, R, RFut>(
    client: &tokio_postgres::Client,
    role: &str,
    password: &str,
    store: S,
    restore: R,
) -> Result<String, AppError>
where
    S: FnOnce() -> SFut,
    SFut: Future<Output = Result<(), AppError>>,
    R: FnOnce() -> RFut,
    RFut: Future<Output = ()>,
{
    let exists = client
        .query_opt("SELECT 1 FROM pg_roles WHERE rolname = $1", &[&role])
        .await
        .map_err(|e| sql_error(e, None))?
        .is_some();
    if !exists {
        return Err(AppError::new(
            ErrorCode::NotFound,
            format!("There is no role named {role}."),
        )
        .at(field::ROLE_NAME));
    }
    client
        .batch_execute("BEGIN")
        .await
        .map_err(|e| sql_error(e, None))?;
    if let Err(e) = client
        .batch_execute(&password_sql(role, Some(password)))
        .await
    {
        let _ = client.batch_execute("ROLLBACK").await;
        return Err(sql_error(e, Some(field::PASSWORD)));
    }
    if let Err(e) = store().await {
        let _ = client.batch_execute("ROLLBACK").await;
        return Err(e);
    }
    if let Err(e) = client.batch_execute("COMMIT").await {
        restore().await;
        return Err(sql_error(e, None));
    }
    Ok(password_sql(role, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typed_password_is_checked_and_none_means_a_generated_one() {
        let kept =
            typed_or_generated(Some(Sensitive::new("Str0ng-enough-pw".into())), "mary").unwrap();
        assert_eq!(kept.expose(), "Str0ng-enough-pw");
        let weak = typed_or_generated(Some(Sensitive::new("short".into())), "mary").unwrap_err();
        assert_eq!(weak.field.as_deref(), Some(field::PASSWORD));
        for none in [None, Some(Sensitive::new(String::new()))] {
            let made = typed_or_generated(none, "mary").unwrap();
            assert_eq!(made.expose().len(), GENERATED_PASSWORD_LEN);
        }
    }

    #[test]
    fn identifiers_and_literals_are_always_quoted() {
        assert_eq!(quote_ident("mary"), "\"mary\"");
        assert_eq!(quote_ident("Mary Ann"), "\"Mary Ann\"");
        assert_eq!(
            quote_ident("x\"; DROP ROLE y; --"),
            "\"x\"\"; DROP ROLE y; --\""
        );
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(quote_literal(r"a\b"), r"'a\b'");
    }

    #[test]
    fn recipes_grant_what_they_promise_and_previews_mask_the_password() {
        let (first, then) = recipe_sql("mary", &Recipe::Monitoring, None);
        assert_eq!(
            first,
            [
                "CREATE ROLE \"mary\" WITH LOGIN PASSWORD '********'",
                "GRANT pg_monitor TO \"mary\""
            ]
        );
        assert!(then.is_empty());
        let (first, then) = recipe_sql(
            "app",
            &Recipe::DatabaseOwner {
                database: "app db".into(),
            },
            Some("pw'1"),
        );
        // The plaintext never appears: a salted SCRAM-SHA-256 verifier goes instead.
        assert!(
            first[0].starts_with("CREATE ROLE \"app\" WITH LOGIN PASSWORD 'SCRAM-SHA-256$4096:"),
            "{}",
            first[0]
        );
        assert!(!first[0].contains("pw'1") && !first[0].contains("pw''1"));
        let changed = password_sql("joe", Some("s3cret-Pass-word"));
        assert!(changed.contains("SCRAM-SHA-256$") && !changed.contains("s3cret"));
        assert_ne!(
            changed,
            password_sql("joe", Some("s3cret-Pass-word")),
            "salted"
        );
        assert_eq!(then, ["CREATE DATABASE \"app db\" OWNER \"app\""]);
        assert_eq!(
            password_sql("joe", None),
            "ALTER ROLE \"joe\" WITH PASSWORD '********'"
        );
    }

    #[test]
    fn reserved_long_and_taken_names_are_refused_at_the_field() {
        let taken = vec!["mary".to_owned()];
        for (name, expect) in [
            ("", "Give the user"),
            (" joe", "spaces"),
            ("pg_joe", "pg_"),
            ("ibm_joe", "ibm"),
            ("IBMcloud_x", "ibm"),
            ("public", "reserved word"),
            ("mary", "already exists"),
        ] {
            let e = check_role_name(name, &taken).unwrap_or_else(|| panic!("{name:?} accepted"));
            assert_eq!(e.field.as_deref(), Some(field::ROLE_NAME));
            assert!(e.message.contains(expect), "{name:?}: {}", e.message);
        }
        assert!(check_role_name(&"é".repeat(32), &taken)
            .unwrap()
            .message
            .contains("64 bytes"));
        assert!(
            check_role_name("Mary", &taken).is_none(),
            "case matters once quoted"
        );
        assert!(check_role_name(&"a".repeat(63), &taken).is_none());
    }

    #[test]
    fn roles_are_sorted_into_kinds_by_name() {
        assert_eq!(kind_of("ibm_admin", false), RoleKind::Service);
        assert_eq!(
            kind_of("ibmcloud_d0388c96d13841b1b45f1039c73ea6c7", false),
            RoleKind::Credential
        );
        assert_eq!(kind_of("ibmcloud_short", false), RoleKind::Service);
        assert_eq!(kind_of("pg_monitor", false), RoleKind::Predefined);
        assert_eq!(kind_of("mary", false), RoleKind::User);
        assert_eq!(kind_of("admin", true), RoleKind::Service);
    }

    #[test]
    fn weak_passwords_are_refused_and_generated_ones_pass() {
        for (pw, expect) in [
            ("short1A!", "at least 15"),
            ("alllowercaseletters", "three of"),
            ("Joe-is-the-best-2026", "user's name"),
        ] {
            let e = check_password(pw, "joe").unwrap_or_else(|| panic!("{pw:?} accepted"));
            assert_eq!(e.field.as_deref(), Some(field::PASSWORD));
            assert!(e.message.contains(expect), "{pw}: {}", e.message);
        }
        for _ in 0..50 {
            let pw = generate_password_for("joe");
            assert_eq!(pw.len(), GENERATED_PASSWORD_LEN);
            assert!(check_password(&pw, "joe").is_none(), "{pw}");
        }
        // However the random letters fall, a name they could spell is never in the password.
        for _ in 0..2000 {
            assert!(!generate_password_for("ab").to_lowercase().contains("ab"));
        }
    }
}
