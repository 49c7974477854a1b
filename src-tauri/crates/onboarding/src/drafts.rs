//! The draft the wizard edits, saved as it changes (`<data>/draft.json`) so it reopens with
//! the app. The other plans' drafts wait in `<data>/drafts/<id>.json`: starting another plan
//! or opening one puts the current draft there first, so no plan is lost by switching. Each save writes a temporary file of its own and renames it over the draft, so
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

/// Where the drafts of the plans not being edited wait.
pub const SHELF_DIR: &str = "drafts";

fn shelf(data_dir: &Path, plan_id: &str) -> Result<PathBuf, AppError> {
    crate::journal::check_plan_id(plan_id)?;
    Ok(data_dir.join(SHELF_DIR).join(format!("{plan_id}.json")))
}

/// Puts the current draft on the shelf (if there is one), so another can be edited.
pub fn shelve_current(data_dir: &Path) -> Result<(), AppError> {
    let Loaded::Draft(plan) = load(data_dir) else {
        return Ok(());
    };
    let text =
        serde_json::to_vec_pretty(&plan).map_err(|e| AppError::internal(format!("draft: {e}")))?;
    let path = shelf(data_dir, &plan.id)?;
    write_atomically(&data_dir.join(SHELF_DIR), &path, &text)
        .map_err(|e| AppError::internal(format!("keeping the draft in {}: {e}", path.display())))?;
    std::fs::remove_file(draft_path(data_dir))
        .map_err(|e| AppError::internal(format!("removing the current draft: {e}")))
}

/// A shelved draft, taken off the shelf to be the one edited (the caller saves it).
pub fn take(data_dir: &Path, plan_id: &str) -> Result<Option<DraftPlan>, AppError> {
    let path = shelf(data_dir, plan_id)?;
    let Ok(bytes) = std::fs::read(&path) else {
        return Ok(None);
    };
    let plan: DraftPlan = serde_json::from_slice(&bytes).map_err(|e| {
        AppError::internal(format!("the draft {} cannot be read: {e}", path.display()))
    })?;
    let _ = std::fs::remove_file(&path);
    Ok(Some(plan))
}

/// Throws a shelved draft away.
pub fn discard(data_dir: &Path, plan_id: &str) -> Result<(), AppError> {
    match std::fs::remove_file(shelf(data_dir, plan_id)?) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(AppError::internal(format!("discarding the draft: {e}")))
        }
        _ => Ok(()),
    }
}

/// The shelved drafts, newest first (unreadable ones are set aside and skipped).
pub fn shelved(data_dir: &Path) -> Vec<DraftPlan> {
    let Ok(entries) = std::fs::read_dir(data_dir.join(SHELF_DIR)) else {
        return Vec::new();
    };
    let mut found: Vec<(std::time::SystemTime, DraftPlan)> = entries
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".json"))
        .filter_map(|e| {
            let when = e.metadata().and_then(|m| m.modified()).ok()?;
            match serde_json::from_slice::<DraftPlan>(&std::fs::read(e.path()).ok()?) {
                Ok(plan) => Some((when, plan)),
                Err(_) => {
                    set_aside(&e.path());
                    None
                }
            }
        })
        .collect();
    found.sort_by_key(|f| std::cmp::Reverse(f.0));
    found.into_iter().map(|(_, plan)| plan).collect()
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
            observability: None,
            existing: None,
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
    fn switching_plans_shelves_the_current_draft_and_takes_the_other_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut first = plan(1);
        first.id = "11111111-1111-4111-8111-111111111111".into();
        save(dir.path(), &first).unwrap();
        shelve_current(dir.path()).unwrap();
        assert!(matches!(load(dir.path()), Loaded::None));
        let second = plan(2);
        save(dir.path(), &second).unwrap();
        assert_eq!(shelved(dir.path()), vec![first.clone()]);

        shelve_current(dir.path()).unwrap();
        let taken = take(dir.path(), &first.id).unwrap().unwrap();
        assert_eq!(taken, first);
        save(dir.path(), &taken).unwrap();
        assert_eq!(shelved(dir.path()), vec![second.clone()]);
        discard(dir.path(), &second.id).unwrap();
        assert!(shelved(dir.path()).is_empty());
        assert!(take(dir.path(), "../escape").is_err());
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
