//! The back end without a window: what the shell used to decide, tested here. Settings
//! survive a restart, a damaged settings file or an unwritable data dir is a problem the
//! window shows (never a crash), the sandbox mode signs in, and work on a plan of another
//! account or a plan that is not there is refused with the error the window shows.

use onramp_backend::{Backend, BuildKind};
use onramp_onboarding::{settings::Mode, ErrorCode};

fn backend(dir: &std::path::Path, identifier: &str) -> Backend {
    Backend::new(identifier.to_owned(), dir.to_owned()).unwrap()
}

#[tokio::test]
async fn the_sandbox_signs_in_and_the_mode_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let first = backend(dir.path(), "cloud.onramp.desktop.test");
    assert_eq!(first.build, BuildKind::Test);
    let status = first.use_sandbox().await.unwrap();
    assert_eq!(status.mode, Mode::Sandbox);
    let account = status.account.expect("signed in to the sandbox");
    assert_eq!(account.mode, Mode::Sandbox);
    assert!(first.problems().is_empty(), "{:?}", first.problems());
    first.shutdown().await;

    // A restart reads the mode back and signs in to the same sandbox account.
    let again = backend(dir.path(), "cloud.onramp.desktop.test");
    let status = again.account_status().await;
    assert_eq!(status.mode, Mode::Sandbox);
    let again_account = status
        .account
        .unwrap_or_else(|| panic!("not signed in after a restart: {:?}", status.problem));
    assert_eq!(again_account.account_id, account.account_id);
    again.shutdown().await;
}

#[tokio::test]
async fn a_damaged_settings_file_is_set_aside_and_said_and_the_defaults_used() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("settings.json"), "{not json").unwrap();
    let b = backend(dir.path(), "cloud.onramp.desktop.test");
    assert_eq!(b.settings().mode, Mode::Sandbox);
    let problems = b.problems();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].message.contains("settings could not be read"),
        "{problems:?}"
    );
    assert!(problems[0].hint.contains(".unreadable"), "{problems:?}");
    // The mode can be saved again at once.
    b.use_ibm_cloud().await.unwrap();
    assert_eq!(b.settings().mode, Mode::IbmCloud);
}

#[test]
fn an_unwritable_data_dir_is_a_problem_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, "").unwrap();
    let b = backend(&file.join("data"), "cloud.onramp.desktop");
    assert_eq!(b.build, BuildKind::Release);
    let problems = b.problems();
    assert!(
        problems
            .iter()
            .any(|p| p.message.contains("cannot write to its data folder")),
        "{problems:?}"
    );
}

#[tokio::test]
async fn work_on_a_plan_is_refused_when_signed_out_or_the_plan_is_not_there() {
    let dir = tempfile::tempdir().unwrap();
    let b = backend(dir.path(), "cloud.onramp.desktop.test");
    let signed_out = b
        .teardown_preview("3f2a9c1e-7b4d-4e2a-9f10-5c6d7e8f9a0b".into())
        .await
        .unwrap_err();
    assert_eq!(signed_out.code, ErrorCode::SignedOut);

    b.use_sandbox().await.unwrap();
    let missing = b
        .teardown_preview("3f2a9c1e-7b4d-4e2a-9f10-5c6d7e8f9a0b".into())
        .await
        .unwrap_err();
    assert_eq!(missing.code, ErrorCode::NotFound);
    let not_an_id = b
        .teardown_preview("../../etc/passwd".into())
        .await
        .unwrap_err();
    assert_eq!(not_an_id.code, ErrorCode::InvalidInput);
    assert!(b
        .cancel_plan("3f2a9c1e-7b4d-4e2a-9f10-5c6d7e8f9a0b".into())
        .is_err());
    assert!(b.list_plans().await.is_empty());
    b.shutdown().await;
}

#[tokio::test]
async fn another_plan_keeps_the_first_in_the_list_and_either_can_be_opened_again() {
    use onramp_onboarding::overview::PlanState;
    let dir = tempfile::tempdir().unwrap();
    let b = backend(dir.path(), "cloud.onramp.desktop.test");
    b.use_sandbox().await.unwrap();
    let mut first = b.new_plan().await.unwrap();
    first.name = "pg-first".into();
    b.save_draft(first.clone()).unwrap();
    let mut second = b.new_plan().await.unwrap();
    second.name = "pg-second".into();
    b.save_draft(second.clone()).unwrap();

    let list = b.plans_overview().await.unwrap();
    let seen: Vec<(&str, PlanState, bool)> = list
        .iter()
        .map(|l| (l.name.as_str(), l.state, l.current))
        .collect();
    assert_eq!(
        seen,
        [
            ("pg-second", PlanState::Draft, true),
            ("pg-first", PlanState::Draft, false)
        ]
    );
    assert!(list.iter().all(|l| l.monthly.is_some()), "{list:?}");

    assert_eq!(b.open_plan(first.id.clone()).await.unwrap(), first);
    assert_eq!(b.load_draft(), Some(first.clone()));
    let current: Vec<bool> = b
        .plans_overview()
        .await
        .unwrap()
        .iter()
        .map(|l| l.current)
        .collect();
    assert_eq!(current, [true, false]);

    b.discard_draft(second.id.clone()).unwrap();
    assert_eq!(b.plans_overview().await.unwrap().len(), 1);
    assert_eq!(
        b.open_plan("3f2a9c1e-7b4d-4e2a-9f10-000000000000".into())
            .await
            .unwrap_err()
            .code,
        ErrorCode::NotFound
    );
    b.shutdown().await;
}

#[tokio::test]
async fn every_job_change_reaches_the_hook_and_its_end_is_announced_once() {
    use std::sync::{Arc, Mutex};

    use onramp_onboarding::{
        engine::{Activity, Outcome},
        notice,
    };
    let dir = tempfile::tempdir().unwrap();
    // The embedded sandbox provisions in a second here, not thirty. Not through the
    // environment: the other tests of this binary read it from other threads.
    let b = backend(dir.path(), "cloud.onramp.desktop.test").with_sandbox_provision_seconds(1.0);
    /// Each change as (the title before, the title after).
    type Heard = Vec<(Option<String>, String)>;
    let heard: Arc<Mutex<Heard>> = Arc::default();
    let notices: Arc<Mutex<Vec<String>>> = Arc::default();
    let (h, n) = (heard.clone(), notices.clone());
    b.on_progress(Arc::new(move |before, after| {
        h.lock()
            .unwrap()
            .push((before.map(notice::title), notice::title(after)));
        if let Some(said) = notice::announcement(before, after) {
            n.lock().unwrap().push(said.title);
        }
    }));
    b.use_sandbox().await.unwrap();
    let mut plan = b.new_plan().await.unwrap();
    plan.name = "pg-heard".into();
    plan.connectivity = None;
    let onramp_backend::Progress::Live(mut live) = b.apply_plan(plan.clone()).await.unwrap() else {
        panic!("a new apply is live");
    };
    let end = tokio::time::Instant::now() + std::time::Duration::from_secs(120);
    while live.borrow().activity != Activity::Idle {
        assert!(tokio::time::Instant::now() < end, "apply did not end");
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), live.changed()).await;
    }
    assert_eq!(live.borrow().outcome, Some(Outcome::Succeeded));
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let heard = heard.lock().unwrap().clone();
    assert_eq!(
        heard.first().unwrap().0,
        None,
        "the first change has no before"
    );
    assert!(
        heard
            .iter()
            .any(|(_, t)| t.starts_with("Onramp — applying pg-heard")),
        "{heard:?}"
    );
    assert_eq!(heard.last().unwrap().1, "Onramp");
    assert_eq!(*notices.lock().unwrap(), ["pg-heard is ready"]);
    b.shutdown().await;
}
