//! Progress to the window: a plan's progress and a tunnel's status, sent on the Channel a
//! command was given until the work ends or the window goes.

use tauri::ipc::Channel;
use tokio::sync::watch;

use onramp_backend::Progress;
use onramp_connect::{CloseReason, TunnelStatus};
use onramp_onboarding::engine::PlanProgress;

/// Sends the plan's progress now and, while its job runs, every change; returns it now.
pub fn plan(progress: Progress, channel: Channel<PlanProgress>) -> PlanProgress {
    let mut live = match progress {
        Progress::Now(now) => {
            let _ = channel.send(now.clone());
            return now;
        }
        Progress::Live(live) => live,
    };
    let now = live.borrow_and_update().clone();
    let _ = channel.send(now.clone());
    tauri::async_runtime::spawn(async move {
        while live.changed().await.is_ok() {
            let next = live.borrow_and_update().clone();
            if channel.send(next).is_err() {
                return;
            }
        }
    });
    now
}

/// Sends the tunnel's status as it changes, until it is closed.
pub fn tunnel(status: Option<watch::Receiver<TunnelStatus>>, channel: Channel<TunnelStatus>) {
    let Some(mut status) = status else { return };
    tauri::async_runtime::spawn(async move {
        loop {
            let now = status.borrow_and_update().clone();
            let closed = matches!(now, TunnelStatus::Closed { .. });
            if channel.send(now).is_err() || closed {
                return;
            }
            if status.changed().await.is_err() {
                let _ = channel.send(TunnelStatus::Closed {
                    reason: CloseReason::ByUser,
                });
                return;
            }
        }
    });
}
