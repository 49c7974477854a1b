//! Writes the TypeScript bindings for the app's commands and events to
//! ui/src/backend/bindings.ts. A test fails when the committed file is stale.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

fn main() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/src/backend/bindings.ts");
    let bindings = onramp_app::bindings_typescript().unwrap_or_else(|error| {
        eprintln!("cannot generate the bindings: {error}");
        std::process::exit(1);
    });
    if let Err(error) = std::fs::write(&path, bindings) {
        eprintln!("cannot write {}: {error}", path.display());
        std::process::exit(1);
    }
    println!("wrote {}", path.display());
}
