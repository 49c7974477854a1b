//! Copying a password: it goes from the keychain to the clipboard without passing through
//! the window, and a minute later Onramp clears the clipboard if it still holds that
//! password (anything copied since is left alone). The platform's clipboard is the shell's
//! to adapt, behind [`Clipboard`].

use std::{sync::Arc, time::Duration};

use serde::Deserialize;
use specta::Type;

use onramp_secrets::{Keychain, Sensitive};

use crate::{
    journal::{JournalState, StepId},
    users, AppError, ErrorCode,
};

/// How long a copied password stays on the clipboard.
pub const CLEAR_AFTER: Duration = Duration::from_secs(60);

/// [`CLEAR_AFTER`], or less if `ONRAMP_CLIPBOARD_CLEAR_SECONDS` says so (tests do); the
/// setting can only shorten it.
pub fn clear_after() -> Duration {
    clear_after_given(
        std::env::var("ONRAMP_CLIPBOARD_CLEAR_SECONDS")
            .ok()
            .as_deref(),
    )
}

fn clear_after_given(setting: Option<&str>) -> Duration {
    setting
        .and_then(|s| s.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
        .map_or(CLEAR_AFTER, |d| d.min(CLEAR_AFTER))
}

/// Which of a plan's passwords to copy.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Type)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum PasswordOf {
    /// The plan's own Manager credential's.
    Manager,
    /// A service credential's, by its GUID.
    Credential { guid: String },
    /// A SQL user's Onramp made or changed.
    SqlUser { role: String },
}

/// The password `which` names, from the keychain.
pub async fn password_of(
    state: &JournalState,
    keychain: &Keychain,
    which: &PasswordOf,
) -> Result<Sensitive<String>, AppError> {
    match which {
        PasswordOf::Manager => {
            let id = state.step(StepId::ManagerKey).id.ok_or_else(|| {
                AppError::new(
                    ErrorCode::Conflict,
                    "The plan's Manager credential does not exist yet.",
                )
                .hint("Apply the plan in the Provision step first.")
            })?;
            users::credential_password(keychain, &id).await
        }
        PasswordOf::Credential { guid } => users::credential_password(keychain, guid).await,
        PasswordOf::SqlUser { role } => users::sql_user_password(state, keychain, role).await,
    }
}

/// The clipboard, as the platform offers it. Calls may block (the shell runs them on the
/// UI thread); they are made from blocking tasks.
pub trait Clipboard: Send + Sync + 'static {
    /// Puts `text` on the clipboard.
    fn set(&self, text: &str) -> Result<(), String>;
    /// What the clipboard holds as text now, if anything.
    fn text(&self) -> Option<String>;
    /// Empties the clipboard.
    fn clear(&self);
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AppError> {
    tokio::task::spawn_blocking(work).await.map_err(|e| {
        AppError::new(
            ErrorCode::Internal,
            format!("the clipboard task failed: {e}"),
        )
    })
}

/// Puts `password` on the clipboard and returns; after `after`, clears the clipboard if it
/// still holds `password`. The password stays in this process's memory (zeroed when
/// dropped) until then, and nowhere else.
pub async fn copy_then_clear<C: Clipboard>(
    clipboard: Arc<C>,
    password: Sensitive<String>,
    after: Duration,
) -> Result<(), AppError> {
    let password = Arc::new(password);
    let (clip, text) = (clipboard.clone(), password.clone());
    blocking(move || clip.set(text.expose()))
        .await?
        .map_err(|why| {
            AppError::new(
                ErrorCode::Internal,
                format!("The clipboard refused the password ({why})."),
            )
            .hint("Use Reveal and copy it yourself.")
        })?;
    tokio::spawn(async move {
        tokio::time::sleep(after).await;
        let _ = blocking(move || {
            if clipboard.text().as_deref() == Some(password.expose().as_str()) {
                clipboard.clear();
                tracing::info!("cleared a copied password from the clipboard");
            }
        })
        .await;
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    #[derive(Default)]
    struct Fake(Mutex<Option<String>>);

    impl Clipboard for Fake {
        fn set(&self, text: &str) -> Result<(), String> {
            *self.0.lock().unwrap() = Some(text.to_owned());
            Ok(())
        }
        fn text(&self) -> Option<String> {
            self.0.lock().unwrap().clone()
        }
        fn clear(&self) {
            *self.0.lock().unwrap() = None;
        }
    }

    const SOON: Duration = Duration::from_millis(50);

    async fn settle() {
        tokio::time::sleep(SOON * 4).await;
    }

    #[tokio::test]
    async fn a_copied_password_is_cleared_after_the_delay() {
        let clip = Arc::new(Fake::default());
        copy_then_clear(clip.clone(), Sensitive::new("s3cret".into()), SOON)
            .await
            .unwrap();
        assert_eq!(clip.text().as_deref(), Some("s3cret"));
        settle().await;
        assert_eq!(clip.text(), None);
    }

    #[tokio::test]
    async fn what_the_user_copied_since_is_left_alone() {
        let clip = Arc::new(Fake::default());
        copy_then_clear(clip.clone(), Sensitive::new("s3cret".into()), SOON)
            .await
            .unwrap();
        clip.set("my own notes").unwrap();
        settle().await;
        assert_eq!(clip.text().as_deref(), Some("my own notes"));
    }

    #[tokio::test]
    async fn a_newer_copy_keeps_its_own_minute() {
        let clip = Arc::new(Fake::default());
        copy_then_clear(clip.clone(), Sensitive::new("first".into()), SOON)
            .await
            .unwrap();
        copy_then_clear(clip.clone(), Sensitive::new("second".into()), SOON * 20)
            .await
            .unwrap();
        settle().await;
        assert_eq!(clip.text().as_deref(), Some("second"));
    }

    #[test]
    fn the_setting_only_shortens_the_delay() {
        assert_eq!(clear_after_given(None), CLEAR_AFTER);
        assert_eq!(clear_after_given(Some("3")), Duration::from_secs(3));
        assert_eq!(clear_after_given(Some("3600")), CLEAR_AFTER);
        assert_eq!(clear_after_given(Some("soon")), CLEAR_AFTER);
    }
}
