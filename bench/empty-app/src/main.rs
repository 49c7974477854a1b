//! An empty Tauri 2 app: one window, one command. `./onramp.sh bench` compares Onramp with it.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

/// The one command the page waits for before it shows its text.
#[tauri::command]
fn hello() -> String {
    "Ready".to_owned()
}

fn main() {
    tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![hello])
        .run(tauri::generate_context!())
        .unwrap_or_else(|e| {
            eprintln!("onramp-empty-app: {e}");
            std::process::exit(1)
        });
}
