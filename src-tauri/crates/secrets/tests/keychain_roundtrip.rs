//! Save, read back and delete a secret in the real OS keychain (Secret Service on Linux).
//! The README's test command runs this inside a D-Bus session with an unlocked
//! gnome-keyring and sets ONRAMP_REQUIRE_KEYRING=1, so there it must pass; a developer's
//! plain `cargo test` without a keyring reports the skip instead of failing.

use onramp_secrets::{Keychain, KeychainError, Sensitive};

#[test]
fn save_read_delete_round_trip() {
    let keychain = Keychain::new(format!(
        "cloud.onramp.desktop.test.roundtrip.{}",
        std::process::id()
    ));
    let secret = Sensitive::from("s3cret-Value_1234567890");
    match keychain.save("api-key", &secret) {
        Err(KeychainError::Unavailable(why))
            if std::env::var_os("ONRAMP_REQUIRE_KEYRING").is_none() =>
        {
            eprintln!("SKIPPED: no keychain here ({why}); the README's test command provides one");
            return;
        }
        other => other.expect("save"),
    }
    let read = keychain
        .read("api-key")
        .expect("read")
        .expect("entry exists");
    assert_eq!(read.expose(), secret.expose());

    let replacement = Sensitive::from("another-value");
    keychain.save("api-key", &replacement).expect("overwrite");
    assert_eq!(
        keychain.read("api-key").unwrap().unwrap().expose(),
        "another-value"
    );

    assert!(keychain.delete("api-key").expect("delete"));
    assert!(keychain
        .read("api-key")
        .expect("read after delete")
        .is_none());
    assert!(
        !keychain.delete("api-key").expect("second delete"),
        "nothing left to delete"
    );
}
