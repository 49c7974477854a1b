//! Declares the app's own commands to Tauri's permission system, so the window can call
//! only the commands its capability file allows, and points tauri-build at the capability
//! files under src-tauri/. The commands are read from the registry in `lib.rs`, the one
//! list of them.

#[path = "src/command_names.rs"]
mod command_names;

fn main() {
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    println!("cargo:rerun-if-changed=src-tauri/app/src/lib.rs");
    let lib_rs =
        std::fs::read_to_string("src-tauri/app/src/lib.rs").expect("src-tauri/app/src/lib.rs");
    let names = command_names::command_names(&lib_rs);
    assert!(
        !names.is_empty(),
        "no commands found in the registry in lib.rs"
    );
    let names: &'static [&'static str] = Vec::leak(
        names
            .into_iter()
            .map(|n| &*String::leak(n))
            .collect::<Vec<&'static str>>(),
    );
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .capabilities_path_pattern("./src-tauri/capabilities/**/*")
            .app_manifest(tauri_build::AppManifest::new().commands(names)),
    )
    .expect("tauri-build");
}
