//! The way to the database through the private path, as the journal knows it: what the
//! Connect step needs. No secret: the SSH login key is named by its keychain entry.

use serde::{Deserialize, Serialize};
use specta::Type;

use super::resources::detail;
use crate::{
    connectivity::SshKeyChoice,
    journal::{JournalState, StepId},
};

/// How to reach the database through the private path.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct PrivatePath {
    /// The jump VSI's floating IP (SSH on port 22).
    pub jump_address: Option<String>,
    pub ssh_user: String,
    /// The OpenSSH public line of the host key Onramp generated: the only one accepted.
    pub host_key: Option<String>,
    pub host_key_fingerprint: Option<String>,
    /// Where the generated login key's private half is (`None`: the user's own key).
    pub ssh_key_entry: Option<String>,
    /// The VPE's reserved IP, and the database's private host name it answers for.
    pub vpe_address: Option<String>,
    pub host_name: Option<String>,
}

/// The private path of a journal's plan, or `None` if the plan has none.
pub fn private_path_of(state: &JournalState) -> Option<PrivatePath> {
    let c = state.plan.connectivity.as_ref()?;
    let jump = state.step(StepId::JumpVsi);
    let fip = state.step(StepId::FloatingIp);
    let vpe = state.step(StepId::Vpe);
    let key = state.step(StepId::SshKey);
    Some(PrivatePath {
        jump_address: fip.detail.get(detail::ADDRESS).cloned(),
        // IBM's stock Linux images log in as root with the instance's SSH key.
        ssh_user: "root".to_owned(),
        host_key: jump.detail.get(detail::HOST_KEY).cloned(),
        host_key_fingerprint: jump.detail.get(detail::HOST_KEY_FINGERPRINT).cloned(),
        ssh_key_entry: match c.ssh_key {
            SshKeyChoice::New { .. } => key.keychain_entry.clone(),
            SshKeyChoice::Existing { .. } => None,
        },
        vpe_address: vpe.detail.get(detail::ADDRESS).cloned(),
        host_name: vpe.detail.get(detail::HOST_NAME).cloned(),
    })
}
