#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]
// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    onramp_app::run()
}
