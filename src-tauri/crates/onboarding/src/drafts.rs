//! The draft the wizard edits, saved as it changes (`<data>/draft.json`) so it reopens with
//! the app. Each save writes a temporary file of its own and renames it over the draft, so
//! a reader (or a crash) never sees half a draft and two saves never share a file. A draft
//! that cannot be read is set aside, not lost, and the window says so.

use std::{
    path::{Path, PathBuf},
    sync::atomic::{AtomicU64, Ordering},
};

use crate::{plan::DraftPlan, AppError};

pub const DRAFT_FILE: &str = "draft.json";

static SAVES: AtomicU64 = AtomicU64::new(0);

fn draft_path(data_dir: &Path) -> PathBuf {
    data_dir.join(DRAFT_FILE)
}

/// A real plan is a few kilobytes; a draft beyond this is not one.
pub const DRAFT_MAX_BYTES: usize = 256 * 1024;

/// Saves `plan` atomically.
pub fn save(data_dir: &Path, plan: &DraftPlan) -> Result<(), AppError> {
    crate::journal::check_plan_id(&plan.id)?;
    let path = draft_path(data_dir);
    let text =
        serde_json::to_vec_pretty(plan).map_err(|e| AppError::internal(format!("draft: {e}")))?;
    if text.len() > DRAFT_MAX_BYTES {
        return Err(AppError::new(
            crate::ErrorCode::InvalidInput,
            format!(
                "This plan is {} KB; a plan is a few KB, so it is not saved. Shorten the long value.",
                text.len() / 1024
            ),
        ));
    }
    write_atomically(data_dir, &path, &text)
        .map_err(|e| AppError::internal(format!("saving the draft to {}: {e}", path.display())))
}

/// Writes `bytes` to a temporary file of this save's own in `dir`, syncs it, and renames it
/// over `path`: a reader never sees half a file, and two saves never share a temporary file.
pub fn write_atomically(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = dir.join(format!(
        "{name}.{}.{}.tmp",
        std::process::id(),
        SAVES.fetch_add(1, Ordering::Relaxed)
    ));
    let write = || -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        std::fs::write(&tmp, bytes)?;
        std::fs::File::open(&tmp)?.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    write().inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// What loading found.
#[derive(Debug)]
pub enum Loaded {
    None,
    Draft(Box<DraftPlan>),
    /// The file could not be read as a draft; it was moved to `kept` and a new plan starts.
    SetAside {
        kept: PathBuf,
        why: String,
    },
}

/// The saved draft, if there is one.
pub fn load(data_dir: &Path) -> Loaded {
    let path = draft_path(data_dir);
    let Ok(bytes) = std::fs::read(&path) else {
        return Loaded::None;
    };
    match serde_json::from_slice::<DraftPlan>(&bytes) {
        Ok(plan) => Loaded::Draft(Box::new(plan)),
        Err(error) => {
            let kept = set_aside(&path);
            Loaded::SetAside {
                kept,
                why: error.to_string(),
            }
        }
    }
}

/// Moves an unreadable file to `<name>.<unix seconds>.unreadable` beside it; returns where.
pub fn set_aside(path: &Path) -> PathBuf {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{seconds}.unreadable"));
    let kept = path.with_file_name(name);
    match std::fs::rename(path, &kept) {
        Ok(()) => kept,
        Err(_) => path.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Encryption;

    fn plan(n: i64) -> DraftPlan {
        DraftPlan {
            id: "3f2a9c1e-7b4d-4e2a-9f10-5c6d7e8f9a0b".into(),
            name: format!("pg-{n}"),
            location: "ca-mon".into(),
            resource_group_id: "g".into(),
            members: 2,
            host_flavor: "bx3d.4x20".into(),
            storage_gb: 10 + n,
            version: "18".into(),
            encryption: Encryption::ProviderManaged,
            connectivity: None,
        }
    }

    #[test]
    fn concurrent_saves_never_share_a_file_and_the_last_one_wins_whole() {
        let dir = tempfile::tempdir().unwrap();
        std::thread::scope(|s| {
            for n in 0..16 {
                let dir = dir.path();
                s.spawn(move || save(dir, &plan(n)).unwrap());
            }
        });
        match load(dir.path()) {
            Loaded::Draft(p) => assert!(p.name.starts_with("pg-")),
            other => panic!("{other:?}"),
        }
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn an_unreadable_draft_is_set_aside_not_lost() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(DRAFT_FILE), "{ not a draft").unwrap();
        let Loaded::SetAside { kept, why } = load(dir.path()) else {
            panic!("not set aside")
        };
        assert!(kept.to_string_lossy().ends_with(".unreadable"));
        assert_eq!(std::fs::read_to_string(&kept).unwrap(), "{ not a draft");
        assert!(!why.is_empty());
        assert!(matches!(load(dir.path()), Loaded::None));
    }
}
