//! Writes the TypeScript bindings for the app's commands and events to
//! ui/src/backend/bindings.ts. A test fails when the committed file is stale.

fn main() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/src/backend/bindings.ts");
    if let Err(error) = std::fs::write(&path, onramp_app::bindings_typescript()) {
        eprintln!("cannot write {}: {error}", path.display());
        std::process::exit(1);
    }
    println!("wrote {}", path.display());
}
