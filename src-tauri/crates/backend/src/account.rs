//! The Account step: Sandbox or IBM Cloud, the API key, and who it belongs to. The key
//! arrives from the window once, on connect; it never goes back. Every change answers the
//! new status, which the shell also announces to the window.

use serde::Serialize;
use specta::Type;

use onramp_onboarding::{
    account::{self, Account, Session},
    settings::{Mode, Settings},
    AppError,
};
use onramp_secrets::Sensitive;

use crate::{Backend, BuildKind};

/// What the Account step shows: the chosen mode, the signed-in account if any, and a
/// problem to explain when signing in with a stored key failed.
#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct AccountStatus {
    pub mode: Mode,
    pub account: Option<Account>,
    pub problem: Option<AppError>,
    pub endpoints_override: Option<String>,
    pub build: BuildKind,
}

impl Backend {
    async fn sign_in(&self, mode: Mode) -> Result<Option<Session>, AppError> {
        match mode {
            Mode::Sandbox => self.sandbox_session().await.map(Some),
            Mode::IbmCloud => {
                account::restore(&self.http, &self.keychain, &self.ibm_cloud_endpoints()?).await
            }
        }
    }

    /// Keeps the outcome of signing in as the session, and says what it is.
    async fn settle(
        &self,
        mode: Mode,
        signed_in: Result<Option<Session>, AppError>,
    ) -> AccountStatus {
        let (account, problem) = match signed_in {
            Ok(session) => {
                let account = session.as_ref().map(|s| s.account.clone());
                *self.session.lock().await = session;
                (account, None)
            }
            Err(error) => {
                *self.session.lock().await = None;
                (None, Some(error))
            }
        };
        AccountStatus {
            mode,
            account,
            problem,
            endpoints_override: self.endpoints_override_note(),
            build: self.build,
        }
    }

    async fn switch_to(&self, mode: Mode) -> Result<AccountStatus, AppError> {
        self.save_settings(&Settings { mode })?;
        Ok(self.settle(mode, self.sign_in(mode).await).await)
    }

    /// The saved mode, signed in again (the sandbox started if it is the mode).
    pub async fn account_status(&self) -> AccountStatus {
        let mode = self.settings().mode;
        self.settle(mode, self.sign_in(mode).await).await
    }

    /// At start-up, beside the window: starts the sandbox when it is the saved mode and
    /// signs in to it, so the page's first question finds both done. It does not set the
    /// app's session (the page's own question does), so a switch of mode meanwhile cannot
    /// be overwritten; a failure here is the page's to report when it asks.
    pub async fn warm_up(&self) {
        if self.settings().mode == Mode::Sandbox {
            let started = self.sandbox_session().await.is_ok();
            tracing::debug!(started, "sandbox started beside the window");
        }
    }

    pub async fn use_sandbox(&self) -> Result<AccountStatus, AppError> {
        self.switch_to(Mode::Sandbox).await
    }

    /// IBM Cloud mode with the stored key, if there is one.
    pub async fn use_ibm_cloud(&self) -> Result<AccountStatus, AppError> {
        self.switch_to(Mode::IbmCloud).await
    }

    /// Checks `api_key` with IAM, keeps it in the keychain only once IAM accepted it, and
    /// switches to IBM Cloud mode. A refused key changes nothing.
    pub async fn connect_ibm_cloud(&self, api_key: String) -> Result<AccountStatus, AppError> {
        let api_key = Sensitive::new(api_key);
        let endpoints = self.ibm_cloud_endpoints()?;
        let session =
            account::connect_with_key(&self.http, &self.keychain, &endpoints, api_key.expose())
                .await?;
        self.save_settings(&Settings {
            mode: Mode::IbmCloud,
        })?;
        Ok(self.settle(Mode::IbmCloud, Ok(Some(session))).await)
    }

    /// Removes the stored key; the mode stays, signed out if it was IBM Cloud.
    pub async fn forget_api_key(&self) -> Result<AccountStatus, AppError> {
        account::forget(&self.keychain).await?;
        Ok(self.account_status().await)
    }
}
