//! The SSH login key registered in the VPC for the jump server: an ed25519 pair Onramp
//! generates (its private half in the keychain, `ssh-key:<plan id>`, saved before the
//! public half is registered, so a crash never leaves a registered key nobody can use), or
//! the user's own. A namesake is this plan's only if it holds the public key this plan
//! generated and appeared after the plan asked for it.

use std::time::Duration;

use onramp_cloud::{
    vpc::{CreateKey, IdRef, Key, KeyType},
    CloudError, Idempotency,
};

use super::{
    super::{
        resource::{Found, Proof, Resource, Work},
        run::{one, Run},
        Timing,
    },
    detail, EXISTING,
};
use crate::export::curl::{body, call, vpc_query};
use crate::export::{
    cli::{quote, CliPart},
    terraform::{id_of, reference, Tf, TfResource},
    Exporting,
};
use crate::{
    connectivity::{field, SshKeyChoice},
    journal::{StepId, StepRecord},
    plan::{DraftPlan, Offerings},
    review::{setting, PlannedResource},
    vault, AppError,
};

pub(crate) struct SshKeyKind;
pub(crate) static SSH_KEY: SshKeyKind = SshKeyKind;

/// The first two fields of an OpenSSH public key line (type and key), without the comment.
fn key_body(line: &str) -> String {
    line.split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

fn found(key: Key) -> Found {
    Found {
        detail: key
            .fingerprint
            .clone()
            .map(|f| one(detail::FINGERPRINT, f))
            .unwrap_or_default(),
        id: key.id,
        name: key.name,
        crn: Some(key.crn),
        created_at: key.created_at,
        ..Found::default()
    }
}

/// The region's keys that carry `name`; one holding another public key than `ours` (the
/// line this plan generated, if it did) is someone else's whatever its age.
pub(crate) fn namesakes(name: &str, ours: Option<&str>, listed: Vec<Key>) -> Vec<Found> {
    listed
        .into_iter()
        .filter(|k| k.name == name)
        .map(|k| {
            let same = match (ours, k.public_key.as_deref()) {
                (Some(ours), Some(theirs)) => key_body(ours) == key_body(theirs),
                _ => false,
            };
            let mut f = found(k);
            if !same {
                f.mismatch =
                    Some("it holds another public key than the one this plan generated".into());
            }
            f
        })
        .collect()
}

/// The create body: an ed25519 public key under the plan's name for it.
fn create_body(plan: &DraftPlan, name: String, public_line: String) -> CreateKey {
    CreateKey {
        name: Some(name),
        public_key: public_line,
        kind: Some(KeyType::Ed25519),
        resource_group: Some(IdRef::new(&plan.resource_group_id)),
    }
}

fn choice(plan: &DraftPlan) -> Option<&SshKeyChoice> {
    plan.connectivity.as_ref().map(|c| &c.ssh_key)
}

impl SshKeyKind {
    /// The public line of the login key: the one kept from an earlier run if the keychain
    /// still has its private half, else a new pair, saved and journalled first.
    async fn login_key(&self, run: &Run, name: &str) -> Result<String, super::super::Stop> {
        let step = StepId::SshKey;
        let entry = vault::entry::ssh_key(&run.plan().id);
        let stored = vault::read(&run.ctx.keychain, &entry).await?;
        let noted = run
            .state()
            .step(step)
            .detail
            .get(detail::PUBLIC_KEY)
            .cloned();
        if let (Some(_), Some(line)) = (stored, noted) {
            return Ok(line);
        }
        let pair = onramp_connect::keys::generate_user_key(&format!("onramp-{name}"))
            .map_err(|e| AppError::internal(e.to_string()))?;
        vault::save(&run.ctx.keychain, &entry, pair.private_openssh.clone()).await?;
        let mut note = one(detail::PUBLIC_KEY, pair.public_line.clone());
        note.insert(detail::FINGERPRINT.to_owned(), pair.fingerprint.clone());
        run.note(step, note)?;
        Ok(pair.public_line)
    }
}

/// Where the Terraform export declares the key it registers.
pub(crate) const TF: (&str, &str) = ("ibm_is_ssh_key", "login");
const LOCAL: &str = "ssh_key_id";

/// The key's id in the Terraform export.
pub(crate) fn tf_id(x: &Exporting) -> hcl::Expression {
    id_of(SSH_KEY.chosen(x.plan), &format!("{}.{}", TF.0, TF.1), LOCAL)
}

impl Resource for SshKeyKind {
    fn step(&self) -> StepId {
        StepId::SshKey
    }
    fn label(&self) -> &'static str {
        "SSH key"
    }
    fn noun(&self) -> &'static str {
        "SSH key"
    }
    fn estimate(&self, _: &Timing) -> Duration {
        Duration::from_secs(2)
    }
    fn name(&self, plan: &DraftPlan) -> String {
        plan.connectivity
            .as_ref()
            .map(|c| c.ssh_key_name().to_owned())
            .unwrap_or_default()
    }
    fn field(&self) -> &'static str {
        field::SSH_KEY
    }
    fn chosen(&self, plan: &DraftPlan) -> bool {
        matches!(choice(plan), Some(SshKeyChoice::Existing { .. }))
    }
    fn planned(&self, plan: &DraftPlan, _: &Offerings) -> PlannedResource {
        let settings = match choice(plan) {
            Some(SshKeyChoice::Existing { id, .. }) => {
                vec![setting("Choice", EXISTING), setting("ID", id.clone())]
            }
            _ => vec![
                setting("Type", "ed25519, generated on this computer"),
                setting("Private key", "Kept in your OS keychain, never on disk"),
            ],
        };
        PlannedResource {
            label: "SSH key".to_owned(),
            name: self.name(plan),
            settings,
        }
    }
    fn console(&self, _state: &crate::journal::JournalState, _id: &str) -> Option<String> {
        super::console_list("vpc-ext/compute/sshKeys")
    }
    fn teardown_wording(&self, _: bool) -> String {
        "Deletes the SSH key from the VPC and its private half from your keychain.".to_owned()
    }
    fn proof(&self) -> Proof {
        Proof {
            time: true,
            creator: false,
            tag: false,
        }
    }

    fn terraform(&self, x: &Exporting) -> Vec<Tf> {
        match choice(x.plan) {
            Some(SshKeyChoice::Existing { id, name }) => vec![Tf::Chosen {
                local: LOCAL,
                value: id.clone(),
                note: format!("Your SSH key {name}: used by the plan, never managed here."),
            }],
            Some(SshKeyChoice::New { name }) => {
                let entry = vault::entry::ssh_key(&x.plan.id);
                let (public_key, note) = match x.detail(StepId::SshKey, detail::PUBLIC_KEY) {
                    Some(line) => (
                        hcl::Expression::from(line),
                        format!(
                            "The login key Onramp generated. Its private half is only in your OS keychain (entry {entry}); the Connect step saves it to a file when you need one."
                        ),
                    ),
                    None => (
                        reference("file(pathexpand(\"~/.ssh/id_ed25519.pub\"))"),
                        "The public half of your own ed25519 key (ssh-keygen -t ed25519); Onramp would generate one and keep it in your keychain.".to_owned(),
                    ),
                };
                TfResource::new(TF.0, TF.1)
                    .attr("name", name.clone())
                    .attr("public_key", public_key)
                    .attr("type", "ed25519")
                    .attr("resource_group", x.plan.resource_group_id.clone())
                    .import(x.made(StepId::SshKey))
                    .note(note)
                    .done()
            }
            None => Vec::new(),
        }
    }

    fn cli(&self, x: &Exporting) -> CliPart {
        let part = CliPart::new("SSH key");
        match choice(x.plan) {
            Some(SshKeyChoice::Existing { id, name }) => {
                part.chosen(&format!("SSH key {name}"), "SSH_KEY_ID", id)
            }
            Some(SshKeyChoice::New { name }) => {
                let key = match x.detail(StepId::SshKey, detail::PUBLIC_KEY) {
                    Some(line) => quote(&line),
                    None => "@\"$HOME/.ssh/id_ed25519.pub\"".to_owned(),
                };
                part.say(&format!(
                    "The public half of the login key. Onramp generates the pair and keeps the private half only in your OS keychain (entry {}); here, use your own key (ssh-keygen -t ed25519).",
                    vault::entry::ssh_key(&x.plan.id)
                ))
                .line(format!(
                    "SSH_KEY_ID=\"$(ibmcloud is key-create {} {key} --key-type ed25519 --resource-group-id {} --output JSON | jq -r .id)\"",
                    quote(name),
                    quote(&x.plan.resource_group_id)
                ))
            }
            None => part,
        }
    }

    fn curl(&self, x: &Exporting) -> CliPart {
        let part = CliPart::new("SSH key");
        match choice(x.plan) {
            Some(SshKeyChoice::Existing { id, name }) => {
                part.chosen(&format!("SSH key {name}"), "SSH_KEY_ID", id)
            }
            Some(SshKeyChoice::New { name }) => {
                let part = match x.detail(StepId::SshKey, detail::PUBLIC_KEY) {
                    Some(line) => part
                        .say(&format!(
                            "The public half of the key Onramp generated; its private half is only in your OS keychain (entry {}).",
                            vault::entry::ssh_key(&x.plan.id)
                        ))
                        .line(format!("PUBLIC_KEY={}", quote(&line))),
                    None => part
                        .say("Onramp generates the pair and keeps the private half in your OS keychain; here, your own ed25519 key's public half.")
                        .line("PUBLIC_KEY=\"$(cat \"${SSH_PUBLIC_KEY_FILE:-$HOME/.ssh/id_ed25519.pub}\")\""),
                };
                part.line(format!(
                    "SSH_KEY_ID=\"$({} | jq -r .id)\"",
                    call(
                        "POST",
                        &format!("$VPC_URL/keys?{}", vpc_query()),
                        Some(body(&create_body(
                            x.plan,
                            name.clone(),
                            "$PUBLIC_KEY".to_owned()
                        )))
                    )
                ))
            }
            None => part,
        }
    }

    fn look<'a>(&'a self, run: &'a Run) -> Work<'a, Vec<Found>> {
        Box::pin(async move {
            let vpc = run.vpc_client()?;
            let name = self.name(&run.plan());
            let ours = run
                .state()
                .step(StepId::SshKey)
                .detail
                .get(detail::PUBLIC_KEY)
                .cloned();
            let entry = vault::entry::ssh_key(&run.plan().id);
            let mut found = namesakes(&name, ours.as_deref(), run.call(vpc.list_keys()).await?);
            for f in found.iter_mut().filter(|f| f.mismatch.is_none()) {
                // Its private half is the one this plan saved before registering it.
                f.keychain_entry = Some(entry.clone());
            }
            Ok(found)
        })
    }

    fn create<'a>(&'a self, run: &'a Run) -> Work<'a, Result<Found, CloudError>> {
        Box::pin(async move {
            let plan = run.plan();
            let name = self.name(&plan);
            let public_line = self.login_key(run, &name).await?;
            let vpc = run.vpc_client()?;
            let body = create_body(&plan, name, public_line);
            Ok(vpc.create_key(&body, Idempotency::Unsafe).await.map(|k| {
                let mut f = found(k);
                f.keychain_entry = Some(vault::entry::ssh_key(&plan.id));
                f
            }))
        })
    }

    fn adopt_chosen<'a>(&'a self, run: &'a Run) -> Work<'a, Found> {
        Box::pin(async move {
            let Some(SshKeyChoice::Existing { id, .. }) = choice(&run.plan()).cloned() else {
                return Err(AppError::internal("the plan chose no SSH key").into());
            };
            let vpc = run.vpc_client()?;
            Ok(found(run.call(vpc.get_key(&id)).await?))
        })
    }

    fn delete<'a>(&'a self, run: &'a Run, id: &'a str, _: &'a StepRecord) -> Work<'a, ()> {
        Box::pin(async move {
            let vpc = run.vpc_client()?;
            run.delete_once(vpc.delete_key(id)).await
        })
    }

    fn forget<'a>(&'a self, run: &'a Run) -> Work<'a, ()> {
        Box::pin(async move {
            vault::delete(&run.ctx.keychain, &vault::entry::ssh_key(&run.plan().id)).await?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{
        ownership::{judge, Verdict},
        resources::testing::{asked, at, plan},
    };

    fn listed(name: &str, public: &str, created_at: String) -> Key {
        serde_json::from_value(serde_json::json!({
            "id": format!("key-{name}"), "crn": "crn:key", "name": name, "public_key": public,
            "fingerprint": "SHA256:abc", "created_at": created_at
        }))
        .unwrap()
    }

    #[test]
    fn only_the_key_this_plan_generated_can_be_ours() {
        let name = SSH_KEY.name(&plan());
        assert_eq!(name, "onramp-key-3f2a");
        let ours = "ssh-ed25519 AAAAmine onramp-key";
        let same = &namesakes(
            &name,
            Some(ours),
            vec![listed(&name, "ssh-ed25519 AAAAmine other-comment", at(1))],
        )[0];
        assert_eq!(judge(same, SSH_KEY.proof(), &asked(), ""), Verdict::Ours);
        let other = &namesakes(
            &name,
            Some(ours),
            vec![listed(&name, "ssh-ed25519 AAAAtheirs", at(1))],
        )[0];
        assert!(
            matches!(judge(other, SSH_KEY.proof(), &asked(), ""), Verdict::NotOurs(why) if why.contains("public key"))
        );
        let before = &namesakes(&name, None, vec![listed(&name, ours, at(1))])[0];
        assert!(
            matches!(
                judge(before, SSH_KEY.proof(), &asked(), ""),
                Verdict::NotOurs(_)
            ),
            "no key generated yet"
        );
    }
}
