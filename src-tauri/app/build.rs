//! Declares the app's own commands to Tauri's permission system, so the window can call
//! only the commands its capability file allows, and points tauri-build at the capability
//! files under src-tauri/.

fn main() {
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .capabilities_path_pattern("./src-tauri/capabilities/**/*")
            .app_manifest(tauri_build::AppManifest::new().commands(ONRAMP_COMMANDS)),
    )
    .expect("tauri-build");
}

/// Every command in src-tauri/app/src/commands; a command missing here cannot be allowed.
const ONRAMP_COMMANDS: &[&str] = &[
    "startup_problems",
    "account_status",
    "use_sandbox",
    "use_ibm_cloud",
    "connect_ibm_cloud",
    "forget_api_key",
    "plan_offerings",
    "new_plan",
    "validate_plan",
    "save_draft",
    "load_draft",
    "encryption_options",
    "review_plan",
    "apply_plan",
    "list_plans",
    "damaged_journals",
    "watch_plan",
    "resume_plan",
    "cancel_plan",
    "teardown_preview",
    "teardown_plan",
    "connectivity_options",
    "connection_info",
    "save_ssh_key",
    "open_tunnel",
    "close_tunnel",
    "run_doctor",
    "run_query",
    "cancel_query",
    "list_credentials",
    "create_credential",
    "delete_credential",
    "credential_password",
    "list_roles",
    "preview_user_sql",
    "preview_password_sql",
    "create_sql_user",
    "change_password",
    "sql_user_password",
    "copy_password",
];
