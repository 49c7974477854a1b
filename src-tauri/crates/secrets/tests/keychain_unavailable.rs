//! With no reachable Secret Service, every keychain operation reports `Unavailable`.
//! Runs in a child process whose D-Bus address points nowhere, so it cannot touch a real
//! keyring whatever the machine has.

use std::process::Command;

use onramp_secrets::{Keychain, KeychainError, Sensitive};

const CHILD: &str = "ONRAMP_KEYCHAIN_CHILD";

#[test]
fn no_secret_service_is_reported_as_unavailable() {
    if std::env::var_os(CHILD).is_some() {
        let keychain = Keychain::new("cloud.onramp.desktop.test.unavailable");
        let saved = keychain.save("probe", &Sensitive::from("value"));
        assert!(
            matches!(saved, Err(KeychainError::Unavailable(_))),
            "save gave {saved:?}"
        );
        let read = keychain.read("probe");
        assert!(
            matches!(read, Err(KeychainError::Unavailable(_))),
            "read gave {read:?}"
        );
        let deleted = keychain.delete("probe");
        assert!(
            matches!(deleted, Err(KeychainError::Unavailable(_))),
            "delete gave {deleted:?}"
        );
        return;
    }
    let exe = std::env::current_exe().expect("test binary path");
    let status = Command::new(exe)
        .args([
            "--exact",
            "no_secret_service_is_reported_as_unavailable",
            "--nocapture",
        ])
        .env(CHILD, "1")
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/onramp-test-bus",
        )
        .status()
        .expect("run child test");
    assert!(status.success(), "child test failed");
}
