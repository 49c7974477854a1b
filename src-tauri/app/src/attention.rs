//! Long waits tell you when they end: the window's title carries a job's progress, and
//! when the job ends (or needs the user) while the window is in the background, a desktop
//! notification says so, once. The words are the onboarding crate's (`notice`).

use std::sync::Arc;

use tauri::{AppHandle, Manager};
use tauri_plugin_notification::NotificationExt;

use onramp_backend::ProgressHook;
use onramp_onboarding::notice;

pub fn hook(app: AppHandle) -> ProgressHook {
    Arc::new(move |before, after| {
        let Some(window) = app.get_webview_window("main") else {
            return;
        };
        let _ = window.set_title(&notice::title(after));
        let Some(said) = notice::announcement(before, after) else {
            return;
        };
        if window.is_focused().unwrap_or(false) {
            return;
        }
        tracing::info!(title = %said.title, "notifying: the window is in the background");
        if let Err(error) = app
            .notification()
            .builder()
            .title(&said.title)
            .body(&said.body)
            .show()
        {
            tracing::warn!(%error, "the desktop notification could not be shown");
        }
    })
}
