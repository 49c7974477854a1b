//! The names of the app's commands, read from the one hand-written list: the
//! `collect_commands![…]` registry in `lib.rs`. The build script gives them to Tauri's
//! permission system, and a test checks the capability file against them, so a command is
//! listed once.

/// Every `path::to::command` in the registry, by its last segment, in order.
pub fn command_names(lib_rs: &str) -> Vec<String> {
    let Some(start) = lib_rs.find("collect_commands![") else {
        return Vec::new();
    };
    let rest = &lib_rs[start + "collect_commands![".len()..];
    let list = &rest[..rest.find(']').unwrap_or(rest.len())];
    list.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty() && !entry.starts_with("//"))
        .filter_map(|entry| entry.rsplit("::").next())
        .map(str::to_owned)
        .collect()
}
