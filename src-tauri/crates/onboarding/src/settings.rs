//! The user's settings as stored by the app (tauri-plugin-store). Every field has a
//! default, so an old or partial file still loads; no secret is ever a field here.

use serde::{Deserialize, Serialize};
use specta::Type;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, Type)]
pub enum Mode {
    /// The local sandbox: no account, nothing billed.
    #[default]
    Sandbox,
    /// The user's IBM Cloud account, through an API key kept in the OS keychain.
    IbmCloud,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Settings {
    pub mode: Mode,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_or_partial_files_load_with_defaults() {
        assert_eq!(
            serde_json::from_str::<Settings>("{}").unwrap(),
            Settings::default()
        );
        assert_eq!(
            serde_json::from_str::<Settings>(r#"{"mode":"IbmCloud","later":1}"#)
                .unwrap()
                .mode,
            Mode::IbmCloud
        );
        assert_eq!(Settings::default().mode, Mode::Sandbox);
    }
}
