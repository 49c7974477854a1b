//! Users: the database's service credentials (Manager, Writer) with their passwords in the
//! keychain, its roles as `pg_roles` reports them, login roles made from a recipe, password
//! changes, and copying a password. SQL runs as the plan's Manager credential through its
//! tunnel. What Onramp keeps in the keychain is journalled, so teardown removes it.

use std::sync::Arc;

use onramp_onboarding::{
    clipboard::{self, Clipboard, PasswordOf},
    journal::Journal,
    users::{self, CredentialInfo, CredentialRole, Recipe, RoleRow, SqlChange},
    AppError,
};
use onramp_secrets::Sensitive;

use crate::Backend;

impl Backend {
    /// Opens the plan's journal for a change; refused while apply or teardown runs on it
    /// (one writer at a time) or once teardown started.
    pub(crate) async fn journal_for_change(&self, plan_id: &str) -> Result<Journal, AppError> {
        users::refuse_while_busy(self.jobs.busy(plan_id))?;
        let journal = self.open_journal(plan_id).await?;
        users::refuse_after_teardown(journal.state())?;
        Ok(journal)
    }

    pub async fn list_credentials(&self, plan_id: String) -> Result<Vec<CredentialInfo>, AppError> {
        let session = self.signed_in().await?;
        let journal = self.read_journal(&plan_id).await?;
        users::list_credentials(&session.cloud(&self.http), &journal, &self.keychain).await
    }

    pub async fn create_credential(
        &self,
        plan_id: String,
        name: String,
        role: CredentialRole,
    ) -> Result<CredentialInfo, AppError> {
        let cloud = self.signed_in().await?.cloud(&self.http);
        let mut journal = self.journal_for_change(&plan_id).await?;
        users::create_credential(&cloud, &mut journal, &self.keychain, &name, role).await
    }

    pub async fn delete_credential(&self, plan_id: String, guid: String) -> Result<(), AppError> {
        let cloud = self.signed_in().await?.cloud(&self.http);
        let mut journal = self.journal_for_change(&plan_id).await?;
        users::delete_credential(&cloud, &mut journal, &self.keychain, &guid).await
    }

    /// A stored credential's password, for Reveal (the user asked to see it).
    pub async fn credential_password(
        &self,
        plan_id: String,
        guid: String,
    ) -> Result<String, AppError> {
        self.read_journal(&plan_id).await?;
        Ok(users::credential_password(&self.keychain, &guid)
            .await?
            .expose()
            .clone())
    }

    pub async fn list_roles(
        &self,
        plan_id: String,
        key_file: Option<String>,
        predefined: bool,
    ) -> Result<Vec<RoleRow>, AppError> {
        let session = self.manager_session(&plan_id, key_file.as_deref()).await?;
        users::list_roles(session.client(), predefined).await
    }

    /// Creates a login role from a recipe as the Manager; a typed password is checked, none
    /// means one is generated.
    pub async fn create_sql_user(
        &self,
        plan_id: String,
        key_file: Option<String>,
        role: String,
        recipe: Recipe,
        password: Option<String>,
    ) -> Result<SqlChange, AppError> {
        let password = users::typed_or_generated(password.map(Sensitive::new), &role)?;
        let mut journal = self.journal_for_change(&plan_id).await?;
        let session = self.manager_session(&plan_id, key_file.as_deref()).await?;
        users::create_sql_user(
            &mut journal,
            &self.keychain,
            session.client(),
            &role,
            &recipe,
            &password,
        )
        .await
    }

    /// Changes a role's password (the keychain entry that holds it changes with it).
    pub async fn change_password(
        &self,
        plan_id: String,
        key_file: Option<String>,
        role: String,
        password: Option<String>,
    ) -> Result<SqlChange, AppError> {
        let password = users::typed_or_generated(password.map(Sensitive::new), &role)?;
        let mut journal = self.journal_for_change(&plan_id).await?;
        let cloud = self.signed_in().await?.cloud(&self.http);
        let session = self.manager_session(&plan_id, key_file.as_deref()).await?;
        users::change_user_password(
            &mut journal,
            &self.keychain,
            &cloud,
            session.client(),
            &role,
            &password,
        )
        .await
    }

    /// A SQL user's password, for Reveal (the user asked to see it).
    pub async fn sql_user_password(
        &self,
        plan_id: String,
        role: String,
    ) -> Result<String, AppError> {
        let journal = self.read_journal(&plan_id).await?;
        Ok(users::sql_user_password(&journal, &self.keychain, &role)
            .await?
            .expose()
            .clone())
    }

    /// Copies one of the plan's passwords to `board`, and off it again a minute later.
    pub async fn copy_password(
        &self,
        plan_id: String,
        which: PasswordOf,
        board: Arc<impl Clipboard>,
    ) -> Result<(), AppError> {
        let journal = self.read_journal(&plan_id).await?;
        let password = clipboard::password_of(&journal, &self.keychain, &which).await?;
        clipboard::copy_then_clear(board, password, clipboard::clear_after()).await
    }
}
