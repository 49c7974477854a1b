//! The user's settings, in `<data>/settings.json` as `{"settings": {...}}` (the shape the
//! store plugin of earlier versions wrote, so their files still load). Every field has a
//! default, so an old or partial file still loads; a file that cannot be read at all is set
//! aside and the defaults are used. No secret is ever a field here.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use specta::Type;

use crate::AppError;

pub const SETTINGS_FILE: &str = "settings.json";

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

/// The file: the settings under one key, beside anything else an older version kept.
#[derive(Debug, Default, Serialize, Deserialize)]
struct File {
    #[serde(default)]
    settings: Option<Settings>,
    #[serde(flatten)]
    other: serde_json::Map<String, serde_json::Value>,
}

/// What loading found.
#[derive(Debug, PartialEq, Eq)]
pub enum Loaded {
    Settings(Settings),
    /// The file could not be read; it was moved to `kept` and the defaults are used.
    SetAside {
        kept: PathBuf,
        why: String,
    },
}

/// The saved settings (the defaults when there are none).
pub fn load(data_dir: &Path) -> Loaded {
    let path = data_dir.join(SETTINGS_FILE);
    let Ok(bytes) = std::fs::read(&path) else {
        return Loaded::Settings(Settings::default());
    };
    match serde_json::from_slice::<File>(&bytes) {
        Ok(file) => Loaded::Settings(file.settings.unwrap_or_default()),
        Err(error) => Loaded::SetAside {
            kept: crate::drafts::set_aside(&path),
            why: error.to_string(),
        },
    }
}

/// Saves `settings` atomically, keeping whatever else the file holds.
pub fn save(data_dir: &Path, settings: &Settings) -> Result<(), AppError> {
    let path = data_dir.join(SETTINGS_FILE);
    let mut file = std::fs::read(&path)
        .ok()
        .and_then(|b| serde_json::from_slice::<File>(&b).ok())
        .unwrap_or_default();
    file.settings = Some(settings.clone());
    let text = serde_json::to_vec_pretty(&file)
        .map_err(|e| AppError::internal(format!("settings: {e}")))?;
    crate::drafts::write_atomically(data_dir, &path, &text)
        .map_err(|e| AppError::internal(format!("saving the settings to {}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_in_the_old_stores_shape_and_a_damaged_file_is_set_aside() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(dir.path()), Loaded::Settings(Settings::default()));
        std::fs::write(
            dir.path().join(SETTINGS_FILE),
            r#"{"settings":{"mode":"IbmCloud"},"window":{"w":800}}"#,
        )
        .unwrap();
        assert_eq!(
            load(dir.path()),
            Loaded::Settings(Settings {
                mode: Mode::IbmCloud
            })
        );
        save(
            dir.path(),
            &Settings {
                mode: Mode::Sandbox,
            },
        )
        .unwrap();
        let text = std::fs::read_to_string(dir.path().join(SETTINGS_FILE)).unwrap();
        assert!(text.contains("\"window\""), "{text}");
        assert_eq!(load(dir.path()), Loaded::Settings(Settings::default()));

        std::fs::write(dir.path().join(SETTINGS_FILE), "{not json").unwrap();
        let Loaded::SetAside { kept, .. } = load(dir.path()) else {
            panic!("a damaged file loaded");
        };
        assert!(kept.exists());
        assert_eq!(load(dir.path()), Loaded::Settings(Settings::default()));
    }

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
