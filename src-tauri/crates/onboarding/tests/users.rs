//! The Users step's SQL against the sandbox's real PostgreSQL, run as the Manager
//! credential's user: each recipe makes a role whose `pg_roles` row and memberships are what
//! it promises, and whose login can do what it promises and no more (checked by logging in
//! as it, not by trusting the SQL); the Manager and Writer credentials' roles match the
//! Gen 2 tables; a password change takes effect and the old password fails; a role whose
//! password could not be stored is rolled back.

mod support;

use std::collections::BTreeMap;

use onramp_cloud::{rc::CreateResourceKey, Idempotency, Network};
use onramp_connect::postgres::{PgError, PgSession, PgTarget};
use onramp_onboarding::{
    credential::StoredCredential,
    engine::{self, Outcome},
    journal::StepId,
    users::{self, field, Recipe, RoleKind, RoleRow},
    vault::entry::credential as credential_entry,
    AppError, ErrorCode,
};
use onramp_secrets::Sensitive;

use support::Env;

struct Db {
    addr: std::net::SocketAddr,
    host: String,
    database: String,
    ca: Option<String>,
}

impl Db {
    async fn login(&self, user: &str, password: &str) -> Result<PgSession, PgError> {
        self.login_to(&self.database.clone(), user, password).await
    }

    async fn login_to(
        &self,
        database: &str,
        user: &str,
        password: &str,
    ) -> Result<PgSession, PgError> {
        PgSession::connect(
            self.addr,
            &PgTarget {
                host_name: self.host.clone(),
                database: database.to_owned(),
                user: user.to_owned(),
                password: Sensitive::new(password.to_owned()),
                ca_pem: self.ca.clone(),
            },
        )
        .await
    }
}

fn row<'a>(roles: &'a [RoleRow], name: &str) -> &'a RoleRow {
    roles
        .iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("no role {name}"))
}

async fn fails_with(session: &PgSession, sql: &str, code: &str) {
    let error = session.client().batch_execute(sql).await.unwrap_err();
    assert_eq!(error.code().map(|c| c.code()), Some(code), "{sql}: {error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recipes_credentials_and_passwords_do_what_they_promise() {
    let env = Env::start("users", "", 1.0).await;
    let plan = env.plan("pg-users").await;
    let done = env.apply(&plan, false).await;
    assert_eq!(done.outcome, Some(Outcome::Succeeded), "{done:#?}");
    let state = env.journal(&plan.id);
    let key = state.step(StepId::ManagerKey).id.unwrap();
    let manager =
        StoredCredential::parse(&env.keychain.read(&credential_entry(&key)).unwrap().unwrap())
            .unwrap();
    let network = Network::from_endpoints_file(env.sandbox.endpoints_path()).unwrap();
    let db = Db {
        addr: network
            .resolve(
                &onramp_cloud::HttpClient::new().unwrap(),
                &manager.host,
                manager.port.unwrap_or(5432),
            )
            .await
            .unwrap(),
        host: manager.host.clone(),
        database: manager.database.clone(),
        ca: manager.ca_pem.clone(),
    };
    let session = db
        .login(&manager.username, manager.password.expose())
        .await
        .unwrap();
    let c = session.client();

    // The Manager's and a Writer credential's users, as the Gen 2 tables show them.
    let rc = env.cloud.resource_controller().unwrap();
    let instance = state.step(StepId::Instance).id.unwrap();
    let writer = rc
        .create_resource_key(
            &CreateResourceKey {
                name: "writer".into(),
                source: instance,
                role: Some("Writer".into()),
                parameters: None,
            },
            Idempotency::Unsafe,
        )
        .await
        .unwrap();
    let writer_user = writer
        .credentials
        .as_ref()
        .unwrap()
        .username
        .clone()
        .unwrap();
    let roles = users::list_roles(c, false).await.unwrap();
    assert!(roles.iter().all(|r| r.kind != RoleKind::Predefined));
    let m = row(&roles, &manager.username);
    assert_eq!(m.kind, RoleKind::Credential);
    assert_eq!(
        (
            m.superuser,
            m.inherit,
            m.create_role,
            m.create_db,
            m.can_login
        ),
        (false, true, true, true, true)
    );
    assert_eq!(m.member_of, ["ibm_admin", "ibm_writer"]);
    let w = row(&roles, &writer_user);
    assert_eq!(
        (w.superuser, w.create_role, w.create_db, w.can_login),
        (false, false, false, true)
    );
    assert_eq!(w.member_of, ["ibm_writer"]);
    let admin = row(&roles, "ibm_admin");
    assert_eq!(admin.kind, RoleKind::Service);
    assert!(!admin.can_login);
    for granted in [
        "pg_read_all_data",
        "pg_write_all_data",
        "pg_monitor",
        "pg_signal_backend",
    ] {
        assert!(
            admin.member_of.iter().any(|g| g == granted),
            "{:?}",
            admin.member_of
        );
    }
    assert_eq!(
        row(&roles, "ibm_writer").member_of,
        ["pg_read_all_data", "pg_write_all_data"]
    );
    assert!(users::list_roles(c, true)
        .await
        .unwrap()
        .iter()
        .any(|r| r.name == "pg_monitor" && r.kind == RoleKind::Predefined));

    // A user without CREATEROLE (the Writer credential's) is refused with the privilege
    // named, before anything is stored, and nothing is left behind.
    let writer_session = db
        .login(
            &writer_user,
            writer
                .credentials
                .as_ref()
                .unwrap()
                .password
                .as_ref()
                .unwrap()
                .expose(),
        )
        .await
        .unwrap();
    let mut stored_anyway = false;
    let refused = users::create_user(
        writer_session.client(),
        "eve",
        &Recipe::Monitoring,
        "Xx1-long-enough-pw",
        || {
            stored_anyway = true;
            async { Ok(()) }
        },
        || async {},
    )
    .await
    .unwrap_err();
    assert!(refused.message.contains("42501"), "{}", refused.message);
    assert!(refused
        .hint
        .as_deref()
        .unwrap_or_default()
        .contains("privilege"));
    assert!(
        !stored_anyway,
        "nothing is stored for a role that was refused"
    );
    assert!(!users::list_roles(c, false)
        .await
        .unwrap()
        .iter()
        .any(|r| r.name == "eve"));
    drop(writer_session);

    // Data for the recipes to read and write, in a database of the Manager's own (since
    // PostgreSQL 15 nobody but the owner may create in the default database's public
    // schema, and the Manager is not its owner).
    c.batch_execute("CREATE DATABASE shared").await.unwrap();
    let shared = db
        .login_to("shared", &manager.username, manager.password.expose())
        .await
        .unwrap();
    shared
        .client()
        .batch_execute("CREATE TABLE notes (id int PRIMARY KEY, body text); INSERT INTO notes VALUES (1, 'hello')")
        .await
        .unwrap();

    // Each recipe, with the password going to a store (the keychain in the app).
    let mut stored: BTreeMap<String, String> = BTreeMap::new();
    let recipes = [
        ("monitor", Recipe::Monitoring, vec!["pg_monitor"]),
        ("oncall", Recipe::CancelQueries, vec!["pg_signal_backend"]),
        ("reader", Recipe::ReadOnly, vec!["pg_read_all_data"]),
        (
            "Writer Two",
            Recipe::ReadWrite,
            vec!["pg_read_all_data", "pg_write_all_data"],
        ),
        (
            "app",
            Recipe::DatabaseOwner {
                database: "app db".into(),
            },
            vec![],
        ),
    ];
    for (name, recipe, _) in &recipes {
        let password = users::generate_password();
        let shown = users::create_user(
            c,
            name,
            recipe,
            &password,
            || {
                stored.insert((*name).to_owned(), password.clone());
                async { Ok(()) }
            },
            || async {},
        )
        .await
        .unwrap();
        assert!(shown.iter().all(|s| !s.contains(&password)), "{shown:?}");
        assert!(shown[0].contains("'********'"));
    }
    let roles = users::list_roles(c, false).await.unwrap();
    for (name, _, groups) in &recipes {
        let r = row(&roles, name);
        assert_eq!(r.kind, RoleKind::User);
        assert_eq!(
            (
                r.superuser,
                r.inherit,
                r.create_role,
                r.create_db,
                r.can_login
            ),
            (false, true, false, false, true),
            "{name}"
        );
        assert_eq!(&r.member_of, groups, "{name}");
    }

    // What each login can do, checked by logging in as it.
    let reader = db
        .login_to("shared", "reader", &stored["reader"])
        .await
        .unwrap();
    let read = reader
        .client()
        .query_one("SELECT body FROM notes", &[])
        .await
        .unwrap();
    assert_eq!(read.get::<_, String>(0), "hello");
    fails_with(&reader, "INSERT INTO notes VALUES (2, 'no')", "42501").await;
    let writer2 = db
        .login_to("shared", "Writer Two", &stored["Writer Two"])
        .await
        .unwrap();
    writer2
        .client()
        .batch_execute("INSERT INTO notes VALUES (2, 'yes')")
        .await
        .unwrap();
    fails_with(&writer2, "CREATE TABLE mine (x int)", "42501").await;
    let monitor = db
        .login_to("shared", "monitor", &stored["monitor"])
        .await
        .unwrap();
    fails_with(&monitor, "SELECT * FROM notes", "42501").await;
    let settings = monitor
        .client()
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE query IS NOT NULL AND usename = 'reader'",
            &[],
        )
        .await
        .unwrap();
    assert!(
        settings.get::<_, i64>(0) >= 1,
        "pg_monitor sees other users' sessions"
    );
    let oncall = db
        .login_to("shared", "oncall", &stored["oncall"])
        .await
        .unwrap();
    let reader_pid: i32 = reader
        .client()
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0);
    let cancelled: bool = oncall
        .client()
        .query_one("SELECT pg_terminate_backend($1)", &[&reader_pid])
        .await
        .unwrap()
        .get(0);
    assert!(cancelled, "pg_signal_backend ends another user's session");
    fails_with(&oncall, "SELECT * FROM notes", "42501").await;
    let owner = db.login_to("app db", "app", &stored["app"]).await.unwrap();
    owner
        .client()
        .batch_execute("CREATE TABLE items (x int); INSERT INTO items VALUES (1)")
        .await
        .unwrap();
    fails_with(
        &db.login_to("shared", "app", &stored["app"]).await.unwrap(),
        "SELECT * FROM notes",
        "42501",
    )
    .await;

    // Bad input: each refused at its field, nothing made.
    for (name, expect) in [
        ("pg_x", "reserved"),
        ("ibm_x", "reserved"),
        ("reader", "already exists"),
        ("", "Give the user"),
    ] {
        let e = users::create_user(
            c,
            name,
            &Recipe::Monitoring,
            "Xx1-long-enough-pw",
            || async { Ok(()) },
            || async {},
        )
        .await
        .unwrap_err();
        assert_eq!(e.field.as_deref(), Some(field::ROLE_NAME), "{name}");
        assert!(e.message.contains(expect), "{name}: {}", e.message);
    }
    let e = users::create_user(
        c,
        "dup",
        &Recipe::DatabaseOwner {
            database: "app db".into(),
        },
        "Xx1-long-enough-pw",
        || async { Ok(()) },
        || async {},
    )
    .await
    .unwrap_err();
    assert_eq!(e.field.as_deref(), Some(field::DATABASE));
    // The password could not be stored: the role is rolled back.
    let e = users::create_user(
        c,
        "halfmade",
        &Recipe::ReadOnly,
        "Xx1-long-enough-pw",
        || async {
            Err(AppError::new(
                ErrorCode::KeychainUnavailable,
                "the keychain is locked",
            ))
        },
        || async {},
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::KeychainUnavailable);
    let names: Vec<String> = users::list_roles(c, false)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert!(
        !names.iter().any(|n| n == "halfmade" || n == "dup"),
        "{names:?}"
    );

    // A password change: the new one works, the old one fails, and the store is updated
    // only after PostgreSQL accepted it.
    let new = users::generate_password();
    let mut updated = None;
    let shown = users::change_password(
        c,
        "monitor",
        &new,
        || {
            updated = Some(new.clone());
            async { Ok(()) }
        },
        || async {},
    )
    .await
    .unwrap();
    assert_eq!(shown, "ALTER ROLE \"monitor\" WITH PASSWORD '********'");
    assert_eq!(updated.as_deref(), Some(new.as_str()));
    db.login("monitor", &new).await.unwrap();
    match db.login("monitor", &stored["monitor"]).await.unwrap_err() {
        PgError::Login { code, .. } => assert_eq!(code, "28P01"),
        other => panic!("{other}"),
    }
    let mut touched = false;
    let e = users::change_password(
        c,
        "nobody",
        &new,
        || {
            touched = true;
            async { Ok(()) }
        },
        || async {},
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
    assert!(!touched, "the store is not touched when PostgreSQL refuses");

    // The keychain refuses the new password: the change is rolled back, the old one works.
    let newer = users::generate_password();
    let e = users::change_password(
        c,
        "monitor",
        &newer,
        || async {
            Err(AppError::new(
                ErrorCode::KeychainUnavailable,
                "the keychain is locked",
            ))
        },
        || async {},
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::KeychainUnavailable);
    db.login("monitor", &new)
        .await
        .expect("the old password still works");
    assert!(db.login("monitor", &newer).await.is_err());

    // A statement that fails on purpose while carrying a password: PostgreSQL logs every
    // statement here (log_statement = all), failed ones with their text, and still no
    // password Onramp sent is in its log.
    let taken = users::generate_password();
    let e = users::create_user(
        c,
        "monitor",
        &Recipe::Monitoring,
        &taken,
        || async { Ok(()) },
        || async {},
    )
    .await
    .unwrap_err();
    assert_eq!(e.field.as_deref(), Some(field::ROLE_NAME));
    let refused = c
        .batch_execute(&users::password_sql("no such role", Some(&taken)))
        .await;
    assert!(refused.is_err());
    let log = support::all_logs(&env);
    assert!(log.contains("ALTER ROLE"), "statements are logged");
    for secret in stored.values().chain([&new, &newer, &taken]) {
        assert!(
            !log.contains(secret.as_str()),
            "a password is in PostgreSQL's log"
        );
    }
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_keep_their_passwords_in_the_keychain_and_teardown_removes_every_entry() {
    use onramp_onboarding::journal::{ExtraKind, Journal, Record};
    use users::CredentialRole;

    let env = Env::start("credentials", "", 1.0).await;
    let plan = env.plan("pg-creds").await;
    assert_eq!(
        env.apply(&plan, false).await.outcome,
        Some(Outcome::Succeeded)
    );
    let mut journal = Journal::open(&env.journals(), &plan.id).unwrap();

    // The plan's own Manager credential is listed first, with its password stored.
    let listed = users::list_credentials(&env.cloud, journal.state(), &env.keychain)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].plans_own && listed[0].stored);
    assert_eq!(listed[0].role.as_deref(), Some("Manager"));

    // A Writer credential: its password goes to the keychain, announced and recorded.
    let writer = users::create_credential(
        &env.cloud,
        &mut journal,
        &env.keychain,
        "app-writer",
        CredentialRole::Writer,
    )
    .await
    .unwrap();
    assert_eq!(writer.role.as_deref(), Some("Writer"));
    let stored = env
        .keychain
        .read(&credential_entry(&writer.guid))
        .unwrap()
        .expect("stored");
    let parsed = StoredCredential::parse(&stored).unwrap();
    assert_eq!(Some(parsed.username.clone()), writer.user);
    let e = users::create_credential(
        &env.cloud,
        &mut journal,
        &env.keychain,
        "app-writer",
        CredentialRole::Writer,
    )
    .await
    .unwrap_err();
    assert_eq!(e.field.as_deref(), Some(field::CREDENTIAL_NAME));
    assert!(e
        .message
        .contains("already has a credential named app-writer"));
    let listed = users::list_credentials(&env.cloud, journal.state(), &env.keychain)
        .await
        .unwrap();
    assert_eq!(
        listed.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        ["onramp-manager", "app-writer"]
    );

    // The plan's own credential cannot be deleted here; the Writer can, with its entry.
    let own = listed[0].guid.clone();
    let refused = users::delete_credential(&env.cloud, &mut journal, &env.keychain, &own)
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::Conflict);
    users::delete_credential(&env.cloud, &mut journal, &env.keychain, &writer.guid)
        .await
        .unwrap();
    assert!(env
        .keychain
        .read(&credential_entry(&writer.guid))
        .unwrap()
        .is_none());
    let rc = env.cloud.resource_controller().unwrap();
    match rc.get_resource_key(&writer.guid).await {
        Err(e) => assert!(e.is_not_found() || e.status == Some(410), "{e:?}"),
        Ok(k) => assert_eq!(k.state, Some(onramp_cloud::rc::ResourceKeyState::Removed)),
    }

    // Another credential and a SQL user's password are left for teardown to remove.
    let manager2 = users::create_credential(
        &env.cloud,
        &mut journal,
        &env.keychain,
        "second manager",
        CredentialRole::Manager,
    )
    .await
    .unwrap();
    let instance = journal.state().step(StepId::Instance).id.unwrap();
    let entry = users::sql_user_entry(&instance, "mary");
    journal
        .write(Record::ExtraIntent {
            kind: ExtraKind::SqlUser,
            name: "mary".into(),
        })
        .unwrap();
    env.keychain
        .save(&entry, &Sensitive::new("pw".into()))
        .unwrap();
    journal
        .write(Record::ExtraCreated {
            kind: ExtraKind::SqlUser,
            name: "mary".into(),
            id: "mary".into(),
            keychain_entry: Some(entry.clone()),
        })
        .unwrap();
    let reopened = env.journal(&plan.id);
    assert_eq!(
        reopened.live_extras(ExtraKind::Credential).count(),
        1,
        "{:?}",
        reopened.extras
    );
    assert_eq!(reopened.live_extras(ExtraKind::SqlUser).count(), 1);
    drop(journal);

    // The teardown preview names them first, as teardown removes them first.
    let preview = engine::teardown_preview(&reopened);
    let keys: Vec<&str> = preview.iter().map(|i| i.key.as_str()).collect();
    assert_eq!(
        &keys[..2],
        ["credential:second manager", "sql-user:mary"],
        "{keys:?}"
    );
    assert!(preview[..2].iter().all(|i| i.step.is_none() && i.deletes));
    assert!(preview[1].consequence.contains("keychain"));
    assert_eq!(keys[2..], ["manager-key", "instance"]);

    let gone = env.teardown(&plan.id).await;
    assert_eq!(gone.outcome, Some(Outcome::TornDown), "{gone:#?}");
    assert!(env
        .keychain
        .read(&credential_entry(&manager2.guid))
        .unwrap()
        .is_none());
    assert!(env.keychain.read(&entry).unwrap().is_none());
    assert!(env
        .keychain
        .read(&credential_entry(&own))
        .unwrap()
        .is_none());
    let closed = env.journal(&plan.id);
    assert!(closed.closed);
    assert_eq!(closed.live_extras(ExtraKind::Credential).count(), 0);
    assert_eq!(closed.live_extras(ExtraKind::SqlUser).count(), 0);
    env.stop().await;
}
