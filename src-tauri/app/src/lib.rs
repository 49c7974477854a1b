//! Onramp's app shell: Tauri setup, the command registry (the one list of commands), and
//! the adapters a window needs (channels, events, the clipboard, logging). Each command is
//! one call into `onramp-backend`; the work happens in the plain crates, which build and
//! test without a webview.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod attention;
mod channels;
mod clipboard;
#[cfg(test)]
mod command_names;
mod commands;
mod events;
mod logging;

use tauri::Manager;
use tauri_specta::{collect_commands, collect_events, Builder};

pub use onramp_backend::Backend;

/// The typed IPC surface: every command and event the window may use. The TypeScript
/// bindings in `ui/src/backend/bindings.ts` are generated from this.
pub fn ipc() -> Builder<tauri::Wry> {
    Builder::<tauri::Wry>::new()
        .commands(collect_commands![
            commands::status::startup_problems,
            commands::account::account_status,
            commands::account::use_sandbox,
            commands::account::use_ibm_cloud,
            commands::account::connect_ibm_cloud,
            commands::account::forget_api_key,
            commands::plan::plan_offerings,
            commands::plan::new_plan,
            commands::plan::validate_plan,
            commands::plan::save_draft,
            commands::plan::load_draft,
            commands::plan::encryption_options,
            commands::plan::review_plan,
            commands::plan::plans_overview,
            commands::plan::open_plan,
            commands::plan::discard_draft,
            commands::provision::apply_plan,
            commands::provision::list_plans,
            commands::provision::damaged_journals,
            commands::provision::watch_plan,
            commands::provision::resume_plan,
            commands::provision::cancel_plan,
            commands::provision::teardown_preview,
            commands::provision::teardown_plan,
            commands::provision::plan_summary,
            commands::plan::connectivity_options,
            commands::plan::observability_options,
            commands::plan::account_changes,
            commands::connect::connection_info,
            commands::connect::save_ssh_key,
            commands::connect::open_tunnel,
            commands::connect::close_tunnel,
            commands::connect::run_doctor,
            commands::connect::run_query,
            commands::connect::cancel_query,
            commands::users::list_credentials,
            commands::users::create_credential,
            commands::users::delete_credential,
            commands::users::credential_password,
            commands::users::list_roles,
            commands::users::preview_user_sql,
            commands::users::preview_password_sql,
            commands::users::create_sql_user,
            commands::users::change_password,
            commands::users::sql_user_password,
            commands::clipboard::copy_password,
            commands::export::export_plan,
            commands::export::save_export,
            commands::scale::scale_preview,
            commands::scale::scale_database,
            commands::existing::existing_databases,
            commands::existing::choose_existing_database,
        ])
        .events(collect_events![events::AccountChanged])
}

/// The bindings as committed: generated, with a header saying so.
pub fn bindings_typescript() -> Result<String, String> {
    let language = specta_typescript::Typescript::default()
        .header("// Generated from the Rust commands by `cargo run --example export-bindings`. Do not edit.\n// @ts-nocheck: generated code carries helpers this app does not use.\n")
        .bigint(specta_typescript::BigIntExportBehavior::Number);
    ipc().export_str(language).map_err(|e| e.to_string())
}

/// A second launch of Onramp: bring the one window forward instead.
fn show_main_window(app: &tauri::AppHandle) {
    tracing::info!("Onramp was launched again; showing the open window");
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

pub fn run() {
    let ipc = ipc();
    let result = tauri::Builder::default()
        // First, so a second launch hands over to this one before it starts anything.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            show_main_window(app)
        }))
        .plugin(tauri_plugin_notification::init())
        .invoke_handler(ipc.invoke_handler())
        .setup(move |app| {
            let log_dir = app.path().app_log_dir()?;
            let data_dir = app.path().app_data_dir()?;
            let logged = logging::init(&log_dir);
            let identifier = app.config().identifier.clone();
            tracing::info!(%identifier, version = env!("CARGO_PKG_VERSION"), log_dir = %log_dir.display(), "Onramp starting");
            let state = Backend::new(identifier, data_dir)?;
            // Nothing here stops the window from opening: it says what is wrong instead.
            if let Err(why) = logged {
                state.log_unwritable(&log_dir, &why);
            }
            state.on_progress(attention::hook(app.handle().clone()));
            app.manage(state);
            ipc.mount_events(app);
            // Beside the window, not before its first answer: the sandbox starts while the
            // page loads.
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move { handle.state::<Backend>().warm_up().await });
            Ok(())
        })
        .build(tauri::generate_context!());
    let app = match result {
        Ok(app) => app,
        Err(error) => {
            tracing::error!(%error, "Onramp stopped with an error");
            eprintln!("Onramp could not start: {error}");
            std::process::exit(1);
        }
    };
    app.run(|handle, event| {
        if let tauri::RunEvent::Exit = event {
            // The sandbox's database and SSH servers must not outlive the app.
            if let Some(state) = handle.try_state::<Backend>() {
                tauri::async_runtime::block_on(state.shutdown());
            }
        }
    });
}

#[cfg(test)]
mod tests {
    /// The shell only adapts: each command's body is at most five lines (parse, one call
    /// into `onramp-backend`, map). Anything longer is a rule that belongs in a crate.
    #[test]
    fn every_command_is_at_most_five_lines() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src-tauri/app/src/commands");
        let mut long = Vec::new();
        let mut seen = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            let lines: Vec<&str> = text.lines().collect();
            for (at, _) in lines
                .iter()
                .enumerate()
                .filter(|(_, l)| l.trim() == "#[tauri::command]")
            {
                let open = (at..lines.len())
                    .find(|&i| lines[i].trim_end().ends_with('{'))
                    .unwrap();
                let close = (open..lines.len()).find(|&i| lines[i] == "}").unwrap();
                seen += 1;
                if close - open - 1 > 5 {
                    long.push(format!("{}:{}", path.display(), lines[open]));
                }
            }
        }
        assert!(seen >= 40, "found {seen} commands");
        assert!(long.is_empty(), "commands longer than five lines: {long:?}");
    }

    #[test]
    fn the_capability_file_allows_exactly_the_registered_commands() {
        let names = super::command_names::command_names(include_str!("lib.rs"));
        assert!(names.len() >= 40, "{names:?}");
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("src-tauri/capabilities/main.json");
        let capability: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let mut allowed: Vec<String> = capability["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p.as_str()?.strip_prefix("allow-"))
            .map(|p| p.replace('-', "_"))
            .collect();
        let mut registered = names.clone();
        allowed.sort();
        registered.sort();
        assert_eq!(
            allowed, registered,
            "capabilities/main.json must allow each command of the registry in lib.rs, and only those"
        );
    }

    #[test]
    fn committed_bindings_are_fresh() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/src/backend/bindings.ts");
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            Ok(committed) == super::bindings_typescript(),
            "{} is stale: run `cargo run --example export-bindings` and commit the result",
            path.display()
        );
    }
}
