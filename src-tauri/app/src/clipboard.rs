//! The platform's clipboard for copied passwords: GTK's on Linux, always called on the UI
//! thread (GTK is not thread-safe). When and what to clear is the onboarding crate's rule.

use std::{sync::mpsc, time::Duration};

use tauri::AppHandle;

use onramp_onboarding::clipboard::Clipboard;

pub struct Platform(AppHandle);

impl Platform {
    pub fn new(app: AppHandle) -> Self {
        Self(app)
    }

    /// Runs `work` on the UI thread and waits (a few seconds at most) for its answer.
    fn on_ui<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, String> {
        let (tx, rx) = mpsc::channel();
        self.0
            .run_on_main_thread(move || {
                let _ = tx.send(work());
            })
            .map_err(|e| e.to_string())?;
        rx.recv_timeout(Duration::from_secs(5))
            .map_err(|_| "the window did not answer".to_owned())
    }
}

#[cfg(target_os = "linux")]
fn clipboard() -> gtk::Clipboard {
    gtk::Clipboard::get(&gtk::gdk::SELECTION_CLIPBOARD)
}

#[cfg(target_os = "linux")]
impl Clipboard for Platform {
    fn set(&self, text: &str) -> Result<(), String> {
        let text = onramp_secrets::Sensitive::new(text.to_owned());
        self.on_ui(move || clipboard().set_text(text.expose()))
    }

    fn text(&self) -> Option<String> {
        self.on_ui(|| clipboard().wait_for_text().map(|t| t.to_string()))
            .ok()
            .flatten()
    }

    fn clear(&self) {
        // Empty text first, so a clipboard manager that took the password over loses it too.
        let _ = self.on_ui(|| {
            let board = clipboard();
            board.set_text("");
            board.clear();
        });
    }
}

#[cfg(not(target_os = "linux"))]
impl Clipboard for Platform {
    fn set(&self, _text: &str) -> Result<(), String> {
        Err("this build copies passwords only on Linux".to_owned())
    }
    fn text(&self) -> Option<String> {
        None
    }
    fn clear(&self) {}
}
