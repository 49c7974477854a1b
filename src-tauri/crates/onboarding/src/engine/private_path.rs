//! The private path's steps (VPC, subnet, SSH key, security-group rules, jump VSI, floating
//! IP, VPE) and their teardown. Each looks for the resource by the name Onramp gives it
//! before creating it, but adopts a namesake only when an earlier run of this plan announced
//! that create (otherwise the name belongs to someone else and the step says so); the
//! resources the user chose as existing are adopted and kept.

use std::{collections::BTreeMap, future::Future, time::Instant};

use serde::{Deserialize, Serialize};
use specta::Type;

use onramp_cloud::{
    vpc::{
        CreateEndpointGateway, CreateFloatingIp, CreateInstance, CreateKey,
        CreateSecurityGroupRule, CreateSubnet, CreateVpc, EndpointGatewayIpPrototype,
        EndpointGatewayTargetPrototype, IdRef, InstanceStatus, KeyType, LifecycleState, NameRef,
        NetworkInterfacePrototype, ResourceStatus, RuleDirection, RuleEnd, RuleProtocol, VpcClient,
    },
    CloudError, Idempotency,
};
use onramp_secrets::Sensitive;

use super::{temporary, Run, StepResult, Stop};
use crate::{
    connectivity::{field, ssh_key_entry, Connectivity, SshKeyChoice, SubnetChoice, VpcChoice},
    journal::{JournalState, Phase, Record, StepId, StepRecord},
    AppError, ErrorCode,
};

/// Keys of the journal's `detail` maps.
pub mod detail {
    pub const SECURITY_GROUP: &str = "securityGroupId";
    pub const ZONE: &str = "zone";
    pub const CIDR: &str = "cidr";
    pub const PUBLIC_KEY: &str = "publicKey";
    pub const FINGERPRINT: &str = "fingerprint";
    pub const HOST_KEY: &str = "hostKey";
    pub const HOST_KEY_FINGERPRINT: &str = "hostKeyFingerprint";
    pub const NETWORK_INTERFACE: &str = "networkInterfaceId";
    pub const ADDRESS: &str = "address";
    pub const HOST_NAME: &str = "hostName";
    pub const TARGET: &str = "targetCrn";
}

/// How to reach the database through the private path, as the journal knows it: what the
/// Connect step needs. No secret: the SSH login key is named by its keychain entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
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

fn field_of(step: StepId) -> Option<&'static str> {
    Some(match step {
        StepId::Vpc => field::VPC,
        StepId::Subnet => field::SUBNET,
        StepId::SshKey => field::SSH_KEY,
        StepId::SshRule => field::SSH_CIDR,
        StepId::JumpVsi => field::JUMP_NAME,
        StepId::Vpe => field::VPE_NAME,
        StepId::CbrZone | StepId::CbrRule => field::RESTRICT,
        _ => return None,
    })
}

/// A VPC API refusal at the plan field it concerns (a bad name, a taken name…).
fn refused(step: StepId, error: CloudError) -> Stop {
    let network = temporary(&error);
    let app = AppError::from_cloud(error);
    Stop::Failed(match field_of(step) {
        Some(f) if !network => app.at(f),
        _ => app,
    })
}

/// The first two fields of an OpenSSH public key line (type and key), without the comment.
fn key_body(line: &str) -> String {
    line.split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

fn one(key: &str, value: impl Into<String>) -> BTreeMap<String, String> {
    BTreeMap::from([(key.to_owned(), value.into())])
}

/// What a poll learnt about a resource.
enum Verdict {
    Ready,
    Waiting,
    Failed(String),
}

impl Run {
    pub(super) fn connectivity(&self) -> Result<Connectivity, Stop> {
        self.plan()
            .connectivity
            .ok_or_else(|| Stop::Failed(AppError::internal("the plan has no private path")))
    }

    pub(super) fn vpc_client(&self) -> Result<VpcClient, Stop> {
        let location = self.plan().location;
        Ok(self
            .ctx
            .cloud
            .vpc(&location)
            .map_err(AppError::from_cloud)?)
    }

    /// The id a step this one depends on recorded.
    pub(super) fn id_of(&self, step: StepId) -> Result<String, Stop> {
        self.state().step(step).id.ok_or_else(|| {
            Stop::Failed(AppError::internal(format!(
                "the {}'s id is not in the journal",
                step.as_str()
            )))
        })
    }

    pub(super) fn created(
        &self,
        step: StepId,
        id: &str,
        name: &str,
        adopted: bool,
        detail: BTreeMap<String, String>,
    ) -> Result<(), Stop> {
        Ok(self.record(Record::Created {
            step,
            id: id.to_owned(),
            name: name.to_owned(),
            adopted,
            keychain_entry: None,
            detail,
        })?)
    }

    pub(super) async fn private_path_step(&self, step: StepId) -> StepResult {
        match step {
            StepId::Vpc => self.vpc().await,
            StepId::Subnet => self.subnet().await,
            StepId::SshKey => self.ssh_key().await,
            StepId::SshRule | StepId::PostgresRule => self.rule(step).await,
            StepId::JumpVsi => self.jump_vsi().await,
            StepId::FloatingIp => self.floating_ip().await,
            StepId::Vpe => self.vpe().await,
            other => Err(Stop::Failed(AppError::internal(format!(
                "{} is not a step of the private path",
                other.as_str()
            )))),
        }
    }

    /// Looks for the resource by name; creates it if absent. A namesake is adopted only if
    /// this plan announced its create before (an earlier run, or an unclear answer in this
    /// one); otherwise it is someone else's and the step fails at its field. `note` is
    /// journalled before each create call.
    pub(super) async fn find_or_create<T, L, LFut, C, CFut>(
        &self,
        step: StepId,
        what: &str,
        mut look: L,
        mut create: C,
        note: Option<BTreeMap<String, String>>,
    ) -> Result<(T, bool), Stop>
    where
        L: FnMut() -> LFut,
        LFut: Future<Output = Result<Option<T>, CloudError>>,
        C: FnMut() -> CFut,
        CFut: Future<Output = Result<T, CloudError>>,
    {
        let mut ours = self.state().step(step).phase == Phase::Creating;
        self.record(Record::CreateIntent { step })?;
        let pauses = self.ctx.timing.retry_pauses.clone();
        for attempt in 0..=pauses.len() {
            self.say(step, format!("Looking for the {what}"));
            if let Some(found) = self
                .persist(step, &format!("Looking for the {what}"), &mut look)
                .await?
            {
                if ours {
                    return Ok((found, true));
                }
                return Err(Stop::Failed(
                    AppError::new(
                        ErrorCode::Conflict,
                        format!(
                            "A {what} with this name already exists in the {}, and this plan did not create it.",
                            if super::optional(step) { "account" } else { "region" }
                        ),
                    )
                    .at(field_of(step).unwrap_or(field::VPC))
                    .hint("Choose another name, or choose that resource as an existing one."),
                ));
            }
            if let Some(note) = &note {
                self.record(Record::Noted {
                    step,
                    detail: note.clone(),
                })?;
            }
            self.say(step, format!("Creating the {what}"));
            match create().await {
                Ok(made) => return Ok((made, false)),
                // The create may have happened: look again before another create.
                Err(e) if temporary(&e) && attempt < pauses.len() => {
                    ours = true;
                    self.say(
                        step,
                        format!("The create did not get a clear answer ({e}); checking whether it happened"),
                    );
                    self.pause(pauses[attempt]).await?;
                }
                Err(e) => return Err(refused(step, e)),
            }
        }
        Err(Stop::Failed(AppError::new(
            ErrorCode::Network,
            format!(
                "The VPC API did not answer the {what}'s create clearly after several attempts."
            ),
        )))
    }

    /// Polls `get` until `judge` says ready (or failed), journalling each new state.
    async fn wait_until<T, G, GFut>(
        &self,
        step: StepId,
        what: &str,
        mut get: G,
        judge: impl Fn(&T) -> (String, Verdict),
    ) -> Result<T, Stop>
    where
        G: FnMut() -> GFut,
        GFut: Future<Output = Result<T, CloudError>>,
    {
        let started = Instant::now();
        let mut last: Option<String> = None;
        loop {
            match get().await {
                Ok(resource) => {
                    let (state, verdict) = judge(&resource);
                    if last.as_deref() != Some(state.as_str()) {
                        self.record(Record::Observed {
                            step,
                            state: state.clone(),
                            message: None,
                        })?;
                        last = Some(state.clone());
                    }
                    match verdict {
                        Verdict::Ready => return Ok(resource),
                        Verdict::Failed(why) => {
                            return Err(Stop::Failed(
                                AppError::new(
                                    ErrorCode::CloudRejected,
                                    format!("The {what} is {state}: {why}"),
                                )
                                .hint("Tear the plan down and apply it again, or look at it in the IBM Cloud console."),
                            ))
                        }
                        Verdict::Waiting => self.say(step, format!("The {what} is {state}")),
                    }
                }
                Err(e) if e.is_not_found() => {
                    return Err(Stop::Failed(AppError::new(
                        ErrorCode::NotFound,
                        format!(
                            "The {what} was deleted outside Onramp while it was being created."
                        ),
                    )))
                }
                Err(e) => self.say(
                    step,
                    format!("Could not check the {what} ({e}); trying again"),
                ),
            }
            self.pause(self.ctx.timing.poll_interval(started.elapsed(), None))
                .await?;
        }
    }

    /// A chosen existing resource: check it is there, record it as adopted (teardown keeps
    /// it), and it is ready.
    async fn adopt_existing<T, G, GFut>(
        &self,
        step: StepId,
        what: &str,
        get: G,
        describe: impl Fn(&T) -> (String, String, BTreeMap<String, String>),
    ) -> StepResult
    where
        G: FnMut() -> GFut,
        GFut: Future<Output = Result<T, CloudError>>,
    {
        self.record(Record::CreateIntent { step })?;
        let found = self
            .persist(step, &format!("Reading the {what}"), get)
            .await
            .map_err(|stop| match stop {
                Stop::Failed(e) if e.code == ErrorCode::NotFound => Stop::Failed(
                    AppError::new(
                        ErrorCode::NotFound,
                        format!("The chosen {what} is not in the region (any more)."),
                    )
                    .at(field_of(step).unwrap_or(field::VPC))
                    .hint("Choose another one in the Connectivity step."),
                ),
                other => other,
            })?;
        let (id, name, detail) = describe(&found);
        self.created(step, &id, &name, true, detail)?;
        Ok(self.record(Record::Ready { step })?)
    }

    async fn vpc(&self) -> StepResult {
        let step = StepId::Vpc;
        let c = self.connectivity()?;
        let vpc = self.vpc_client()?;
        let record = self.state().step(step);
        let sg_of = |v: &onramp_cloud::vpc::Vpc| {
            v.default_security_group
                .as_ref()
                .map(|g| one(detail::SECURITY_GROUP, g.id.clone()))
                .unwrap_or_default()
        };
        let id = match (&c.vpc, record.phase, record.id) {
            (_, Phase::Created, Some(id)) => id,
            (VpcChoice::Existing { id, .. }, _, _) => {
                return self
                    .adopt_existing(
                        step,
                        "VPC",
                        || vpc.get_vpc(id),
                        |v| (v.id.clone(), v.name.clone(), sg_of(v)),
                    )
                    .await
            }
            (VpcChoice::New { name }, _, _) => {
                let group = self.plan().resource_group_id;
                let body = CreateVpc {
                    name: Some(name.clone()),
                    resource_group: Some(IdRef::new(&group)),
                    ..CreateVpc::default()
                };
                let (made, adopted) = self
                    .find_or_create(
                        step,
                        "VPC",
                        || async {
                            Ok(vpc
                                .list_vpcs(None)
                                .await?
                                .into_iter()
                                .find(|v| &v.name == name))
                        },
                        || vpc.create_vpc(&body, Idempotency::Unsafe),
                        None,
                    )
                    .await?;
                self.created(step, &made.id, &made.name, adopted, sg_of(&made))?;
                made.id
            }
        };
        let ready = self
            .wait_until(
                step,
                "VPC",
                || vpc.get_vpc(&id),
                |v| status_verdict(v.status.as_ref()),
            )
            .await?;
        if !self
            .state()
            .step(step)
            .detail
            .contains_key(detail::SECURITY_GROUP)
        {
            let sg = self
                .persist(step, "Reading the default security group", || {
                    vpc.default_security_group(&ready.id)
                })
                .await?;
            self.record(Record::Noted {
                step,
                detail: one(detail::SECURITY_GROUP, sg.id),
            })?;
        }
        Ok(self.record(Record::Ready { step })?)
    }

    async fn subnet(&self) -> StepResult {
        let step = StepId::Subnet;
        let c = self.connectivity()?;
        let vpc = self.vpc_client()?;
        let vpc_id = self.id_of(StepId::Vpc)?;
        let record = self.state().step(step);
        let facts = |s: &onramp_cloud::vpc::Subnet| {
            let mut d = BTreeMap::new();
            if let Some(z) = &s.zone {
                d.insert(detail::ZONE.to_owned(), z.name.clone());
            }
            if let Some(cidr) = &s.ipv4_cidr_block {
                d.insert(detail::CIDR.to_owned(), cidr.clone());
            }
            d
        };
        let id = match (&c.subnet, record.phase, record.id) {
            (_, Phase::Created, Some(id)) => id,
            (SubnetChoice::Existing { id, .. }, _, _) => {
                return self
                    .adopt_existing(
                        step,
                        "subnet",
                        || vpc.get_subnet(id),
                        |s| (s.id.clone(), s.name.clone(), facts(s)),
                    )
                    .await
            }
            (
                SubnetChoice::New {
                    name,
                    zone,
                    address_count,
                },
                _,
                _,
            ) => {
                let body = CreateSubnet {
                    name: Some(name.clone()),
                    vpc: IdRef::new(&vpc_id),
                    zone: Some(NameRef::new(zone)),
                    total_ipv4_address_count: u32::try_from(*address_count).ok(),
                    ipv4_cidr_block: None,
                    ip_version: None,
                    resource_group: Some(IdRef::new(self.plan().resource_group_id)),
                    network_acl: None,
                    public_gateway: None,
                    routing_table: None,
                };
                let (made, adopted) = self
                    .find_or_create(
                        step,
                        "subnet",
                        || async {
                            Ok(vpc
                                .list_subnets(Some(&vpc_id), None)
                                .await?
                                .into_iter()
                                .find(|s| &s.name == name))
                        },
                        || vpc.create_subnet(&body, Idempotency::Unsafe),
                        None,
                    )
                    .await?;
                self.created(step, &made.id, &made.name, adopted, facts(&made))?;
                made.id
            }
        };
        let ready = self
            .wait_until(
                step,
                "subnet",
                || vpc.get_subnet(&id),
                |s| status_verdict(s.status.as_ref()),
            )
            .await?;
        self.record(Record::Noted {
            step,
            detail: facts(&ready),
        })?;
        Ok(self.record(Record::Ready { step })?)
    }

    async fn ssh_key(&self) -> StepResult {
        let step = StepId::SshKey;
        let c = self.connectivity()?;
        let vpc = self.vpc_client()?;
        let record = self.state().step(step);
        let name = match &c.ssh_key {
            SshKeyChoice::Existing { id, .. } => {
                return self
                    .adopt_existing(
                        step,
                        "SSH key",
                        || vpc.get_key(id),
                        |k| {
                            (
                                k.id.clone(),
                                k.name.clone(),
                                k.fingerprint
                                    .clone()
                                    .map(|f| one(detail::FINGERPRINT, f))
                                    .unwrap_or_default(),
                            )
                        },
                    )
                    .await
            }
            SshKeyChoice::New { name } => name.clone(),
        };
        if let (Phase::Created, Some(_)) = (record.phase, &record.id) {
            return Ok(self.record(Record::Ready { step })?);
        }
        // The login key: the one kept from an earlier run if the journal knows its public
        // half, else a fresh one, saved to the keychain before it is registered so that a
        // crash cannot leave a registered key whose private half is lost.
        let entry = ssh_key_entry(&self.plan().id);
        let keychain = self.ctx.keychain.clone();
        let lookup = entry.clone();
        let stored = tokio::task::spawn_blocking(move || keychain.read(&lookup))
            .await
            .map_err(|e| AppError::internal(format!("keychain task: {e}")))?
            .map_err(AppError::from_keychain)?;
        let public_line = match (stored, record.detail.get(detail::PUBLIC_KEY)) {
            (Some(_), Some(line)) => line.clone(),
            _ => {
                let pair = onramp_connect::keys::generate_user_key(&format!("onramp-{name}"))
                    .map_err(|e| AppError::internal(e.to_string()))?;
                let keychain = self.ctx.keychain.clone();
                let (to, secret) = (entry.clone(), pair.private_openssh.clone());
                tokio::task::spawn_blocking(move || keychain.save(&to, &secret))
                    .await
                    .map_err(|e| AppError::internal(format!("keychain task: {e}")))?
                    .map_err(AppError::from_keychain)?;
                let mut note = one(detail::PUBLIC_KEY, pair.public_line.clone());
                note.insert(detail::FINGERPRINT.to_owned(), pair.fingerprint.clone());
                self.record(Record::Noted { step, detail: note })?;
                pair.public_line
            }
        };
        let body = CreateKey {
            name: Some(name.clone()),
            public_key: public_line.clone(),
            kind: Some(KeyType::Ed25519),
            resource_group: Some(IdRef::new(self.plan().resource_group_id)),
        };
        let (key, adopted) = self
            .find_or_create(
                step,
                "SSH key",
                || async {
                    Ok(vpc.list_keys().await?.into_iter().find(|k| {
                        k.name == name
                            && k.public_key.as_deref().map(key_body) == Some(key_body(&public_line))
                    }))
                },
                || vpc.create_key(&body, Idempotency::Unsafe),
                None,
            )
            .await?;
        self.record(Record::Created {
            step,
            id: key.id.clone(),
            name: key.name.clone(),
            adopted,
            keychain_entry: Some(entry),
            detail: BTreeMap::new(),
        })?;
        Ok(self.record(Record::Ready { step })?)
    }

    /// The VPC's default security group (the jump VSI's and the VPE's).
    async fn security_group(&self, step: StepId, vpc: &VpcClient) -> Result<String, Stop> {
        if let Some(id) = self
            .state()
            .step(StepId::Vpc)
            .detail
            .get(detail::SECURITY_GROUP)
        {
            return Ok(id.clone());
        }
        let vpc_id = self.id_of(StepId::Vpc)?;
        Ok(self
            .persist(step, "Reading the default security group", || {
                vpc.default_security_group(&vpc_id)
            })
            .await?
            .id)
    }

    async fn rule(&self, step: StepId) -> StepResult {
        let c = self.connectivity()?;
        let vpc = self.vpc_client()?;
        let record = self.state().step(step);
        if let (Phase::Created, Some(_)) = (record.phase, &record.id) {
            return Ok(self.record(Record::Ready { step })?);
        }
        let sg = self.security_group(step, &vpc).await?;
        let (name, port, remote) = if step == StepId::SshRule {
            (
                c.ssh_rule_name(),
                22,
                RuleEnd {
                    cidr_block: Some(c.ssh_cidr.trim().to_owned()),
                    ..RuleEnd::default()
                },
            )
        } else {
            // From the group itself: the jump VSI and the VPE are both in it.
            (
                c.postgres_rule_name(),
                5432,
                RuleEnd {
                    id: Some(sg.clone()),
                    ..RuleEnd::default()
                },
            )
        };
        let body = CreateSecurityGroupRule {
            direction: RuleDirection::Inbound,
            protocol: RuleProtocol::Tcp,
            port_min: Some(port),
            port_max: Some(port),
            remote: Some(remote),
            local: None,
            ip_version: Some("ipv4".into()),
            name: Some(name.clone()),
        };
        let (rule, adopted) = self
            .find_or_create(
                step,
                "security-group rule",
                || async {
                    Ok(vpc
                        .get_security_group(&sg)
                        .await?
                        .rules
                        .into_iter()
                        .find(|r| r.name.as_deref() == Some(name.as_str())))
                },
                || vpc.create_security_group_rule(&sg, &body, Idempotency::Unsafe),
                None,
            )
            .await?;
        self.created(
            step,
            &rule.id,
            &name,
            adopted,
            one(detail::SECURITY_GROUP, sg),
        )?;
        Ok(self.record(Record::Ready { step })?)
    }

    async fn jump_vsi(&self) -> StepResult {
        let step = StepId::JumpVsi;
        let c = self.connectivity()?;
        let vpc = self.vpc_client()?;
        let record = self.state().step(step);
        let id = match (record.phase, record.id) {
            (Phase::Created, Some(id)) => id,
            _ => {
                let vpc_id = self.id_of(StepId::Vpc)?;
                let subnet_id = self.id_of(StepId::Subnet)?;
                let key_id = self.id_of(StepId::SshKey)?;
                let zone = match self.state().step(StepId::Subnet).detail.get(detail::ZONE) {
                    Some(zone) => zone.clone(),
                    None => self
                        .persist(step, "Reading the subnet", || vpc.get_subnet(&subnet_id))
                        .await?
                        .zone
                        .map(|z| z.name)
                        .unwrap_or_default(),
                };
                // Generated here and used only in the create's user_data: the private half
                // is never stored. Its public line is journalled before the create, so a
                // VSI adopted after a crash has a known key.
                let host_key = onramp_connect::keys::generate_host_key()
                    .map_err(|e| AppError::internal(e.to_string()))?;
                let mut note = one(detail::HOST_KEY, host_key.public_line());
                note.insert(
                    detail::HOST_KEY_FINGERPRINT.to_owned(),
                    host_key.pair.fingerprint.clone(),
                );
                let user_data: Sensitive<String> = host_key.user_data();
                let body = CreateInstance {
                    name: Some(c.jump.name.clone()),
                    zone: NameRef::new(zone),
                    vpc: Some(IdRef::new(&vpc_id)),
                    profile: Some(NameRef::new(&c.jump.profile)),
                    image: IdRef::new(&c.jump.image_id),
                    keys: vec![IdRef::new(&key_id)],
                    resource_group: Some(IdRef::new(self.plan().resource_group_id)),
                    primary_network_interface: Some(NetworkInterfacePrototype {
                        name: Some("eth0".into()),
                        subnet: IdRef::new(&subnet_id),
                        security_groups: vec![],
                        allow_ip_spoofing: None,
                    }),
                    boot_volume_attachment: None,
                    user_data: Some(user_data),
                };
                let (made, adopted) = self
                    .find_or_create(
                        step,
                        "jump server",
                        || async {
                            Ok(vpc
                                .list_instances(Some(&vpc_id), Some(&c.jump.name))
                                .await?
                                .into_iter()
                                .find(|i| i.name == c.jump.name))
                        },
                        || vpc.create_instance(&body, Idempotency::Unsafe),
                        Some(note),
                    )
                    .await?;
                let nic = made
                    .primary_network_interface
                    .as_ref()
                    .map(|n| one(detail::NETWORK_INTERFACE, n.id.clone()))
                    .unwrap_or_default();
                self.created(step, &made.id, &made.name, adopted, nic)?;
                made.id
            }
        };
        self.wait_until(
            step,
            "jump server",
            || vpc.get_instance(&id),
            |i| {
                let status = i.status.as_ref().map(|s| s.as_str().to_owned());
                let life = i.lifecycle_state.as_ref();
                let state = status.clone().unwrap_or_else(|| "unknown".into());
                let verdict = if i.status == Some(InstanceStatus::Failed)
                    || life == Some(&LifecycleState::Failed)
                {
                    Verdict::Failed(
                        i.status_reasons
                            .iter()
                            .chain(&i.lifecycle_reasons)
                            .filter_map(|r| r.message.clone())
                            .collect::<Vec<_>>()
                            .join("; "),
                    )
                } else if i.status == Some(InstanceStatus::Running)
                    && life.is_none_or(|l| *l == LifecycleState::Stable)
                {
                    Verdict::Ready
                } else {
                    Verdict::Waiting
                };
                (state, verdict)
            },
        )
        .await?;
        Ok(self.record(Record::Ready { step })?)
    }

    async fn floating_ip(&self) -> StepResult {
        let step = StepId::FloatingIp;
        let c = self.connectivity()?;
        let vpc = self.vpc_client()?;
        let record = self.state().step(step);
        let id = match (record.phase, record.id) {
            (Phase::Created, Some(id)) => id,
            _ => {
                let jump = self.state().step(StepId::JumpVsi);
                let nic = match jump.detail.get(detail::NETWORK_INTERFACE) {
                    Some(nic) => nic.clone(),
                    None => {
                        let id = self.id_of(StepId::JumpVsi)?;
                        self.persist(step, "Reading the jump server", || vpc.get_instance(&id))
                            .await?
                            .primary_network_interface
                            .map(|n| n.id)
                            .unwrap_or_default()
                    }
                };
                let name = c.floating_ip_name();
                let body = CreateFloatingIp {
                    name: Some(name.clone()),
                    target: Some(IdRef::new(&nic)),
                    zone: None,
                    resource_group: Some(IdRef::new(self.plan().resource_group_id)),
                };
                let (made, adopted) = self
                    .find_or_create(
                        step,
                        "floating IP",
                        || async {
                            Ok(vpc
                                .list_floating_ips()
                                .await?
                                .into_iter()
                                .find(|f| f.name == name))
                        },
                        || vpc.create_floating_ip(&body, Idempotency::Unsafe),
                        None,
                    )
                    .await?;
                self.created(step, &made.id, &made.name, adopted, BTreeMap::new())?;
                made.id
            }
        };
        let ready = self
            .wait_until(
                step,
                "floating IP",
                || vpc.get_floating_ip(&id),
                |f| status_verdict(f.status.as_ref()),
            )
            .await?;
        if let Some(address) = ready.address {
            self.record(Record::Noted {
                step,
                detail: one(detail::ADDRESS, address),
            })?;
        }
        Ok(self.record(Record::Ready { step })?)
    }

    async fn vpe(&self) -> StepResult {
        let step = StepId::Vpe;
        let c = self.connectivity()?;
        let vpc = self.vpc_client()?;
        let record = self.state().step(step);
        let id = match (record.phase, record.id) {
            (Phase::Created, Some(id)) => id,
            _ => {
                let vpc_id = self.id_of(StepId::Vpc)?;
                let subnet_id = self.id_of(StepId::Subnet)?;
                let instance_id = self.id_of(StepId::Instance)?;
                let rc = self
                    .ctx
                    .cloud
                    .resource_controller()
                    .map_err(AppError::from_cloud)?;
                let crn = self
                    .persist(step, "Reading the database", || {
                        rc.get_instance(&instance_id)
                    })
                    .await?
                    .crn;
                let body = CreateEndpointGateway {
                    name: Some(c.vpe_name.clone()),
                    vpc: IdRef::new(&vpc_id),
                    target: EndpointGatewayTargetPrototype {
                        crn: Some(crn.clone()),
                        name: None,
                        resource_type: "provider_cloud_service".into(),
                    },
                    ips: vec![EndpointGatewayIpPrototype {
                        subnet: Some(IdRef::new(&subnet_id)),
                        name: Some(c.vpe_ip_name()),
                        // Released with the gateway, so the subnet can go after it.
                        auto_delete: Some(true),
                        ..EndpointGatewayIpPrototype::default()
                    }],
                    security_groups: vec![],
                    resource_group: Some(IdRef::new(self.plan().resource_group_id)),
                    dns_resolution_binding_mode: None,
                };
                let (made, adopted) = self
                    .find_or_create(
                        step,
                        "endpoint gateway",
                        || async {
                            Ok(vpc
                                .list_endpoint_gateways(Some(&vpc_id), Some(&c.vpe_name))
                                .await?
                                .into_iter()
                                .find(|g| g.name == c.vpe_name))
                        },
                        || vpc.create_endpoint_gateway(&body, Idempotency::Unsafe),
                        None,
                    )
                    .await?;
                self.created(
                    step,
                    &made.id,
                    &made.name,
                    adopted,
                    one(detail::TARGET, crn),
                )?;
                made.id
            }
        };
        let ready = self
            .wait_until(
                step,
                "endpoint gateway",
                || vpc.get_endpoint_gateway(&id),
                |g| {
                    let state = g
                        .lifecycle_state
                        .as_ref()
                        .map(|s| s.as_str().to_owned())
                        .unwrap_or_else(|| "unknown".into());
                    let verdict = match g.lifecycle_state {
                        Some(LifecycleState::Stable) if !g.ips.is_empty() => Verdict::Ready,
                        Some(LifecycleState::Failed) => Verdict::Failed(
                            g.lifecycle_reasons
                                .iter()
                                .filter_map(|r| r.message.clone())
                                .collect::<Vec<_>>()
                                .join("; "),
                        ),
                        _ => Verdict::Waiting,
                    };
                    (state, verdict)
                },
            )
            .await?;
        let mut facts = BTreeMap::new();
        if let Some(address) = ready.ips.first().and_then(|ip| ip.address.clone()) {
            facts.insert(detail::ADDRESS.to_owned(), address);
        }
        if let Some(host) = ready.service_endpoints.first() {
            facts.insert(detail::HOST_NAME.to_owned(), host.clone());
        }
        if let Some(crn) = ready.target.as_ref().and_then(|t| t.crn.clone()) {
            facts.insert(detail::TARGET.to_owned(), crn);
        }
        self.record(Record::Noted {
            step,
            detail: facts,
        })?;
        Ok(self.record(Record::Ready { step })?)
    }

    // ---- teardown ----

    /// The id of a resource whose create was announced but whose outcome was not: found by
    /// its name, as apply would.
    async fn find_by_name(&self, step: StepId) -> Result<Option<String>, Stop> {
        let c = self.connectivity()?;
        let vpc = self.vpc_client()?;
        let state = self.state();
        let vpc_id = state.step(StepId::Vpc).id;
        let what = "Looking for what an interrupted create left";
        let found = match step {
            StepId::Vpc => {
                let name = c.vpc_name().to_owned();
                self.persist(step, what, || async {
                    Ok(vpc
                        .list_vpcs(None)
                        .await?
                        .into_iter()
                        .find(|v| v.name == name)
                        .map(|v| v.id))
                })
                .await?
            }
            StepId::Subnet => {
                let Some(vpc_id) = vpc_id else {
                    return Ok(None);
                };
                let name = c.subnet_name().to_owned();
                self.persist(step, what, || async {
                    Ok(vpc
                        .list_subnets(Some(&vpc_id), None)
                        .await?
                        .into_iter()
                        .find(|s| s.name == name)
                        .map(|s| s.id))
                })
                .await?
            }
            StepId::SshKey => {
                let Some(line) = state.step(step).detail.get(detail::PUBLIC_KEY).cloned() else {
                    return Ok(None);
                };
                let name = c.ssh_key_name().to_owned();
                self.persist(step, what, || async {
                    Ok(vpc
                        .list_keys()
                        .await?
                        .into_iter()
                        .find(|k| {
                            k.name == name
                                && k.public_key.as_deref().map(key_body) == Some(key_body(&line))
                        })
                        .map(|k| k.id))
                })
                .await?
            }
            StepId::SshRule | StepId::PostgresRule => {
                if vpc_id.is_none() {
                    return Ok(None);
                }
                let sg = self.security_group(step, &vpc).await?;
                let name = if step == StepId::SshRule {
                    c.ssh_rule_name()
                } else {
                    c.postgres_rule_name()
                };
                self.persist(step, what, || async {
                    Ok(vpc
                        .get_security_group(&sg)
                        .await?
                        .rules
                        .into_iter()
                        .find(|r| r.name.as_deref() == Some(name.as_str()))
                        .map(|r| r.id))
                })
                .await?
            }
            StepId::JumpVsi => {
                let Some(vpc_id) = vpc_id else {
                    return Ok(None);
                };
                let name = c.jump.name.clone();
                self.persist(step, what, || async {
                    Ok(vpc
                        .list_instances(Some(&vpc_id), Some(&name))
                        .await?
                        .into_iter()
                        .find(|i| i.name == name)
                        .map(|i| i.id))
                })
                .await?
            }
            StepId::FloatingIp => {
                let name = c.floating_ip_name();
                self.persist(step, what, || async {
                    Ok(vpc
                        .list_floating_ips()
                        .await?
                        .into_iter()
                        .find(|f| f.name == name)
                        .map(|f| f.id))
                })
                .await?
            }
            StepId::Vpe => {
                let Some(vpc_id) = vpc_id else {
                    return Ok(None);
                };
                let name = c.vpe_name.clone();
                self.persist(step, what, || async {
                    Ok(vpc
                        .list_endpoint_gateways(Some(&vpc_id), Some(&name))
                        .await?
                        .into_iter()
                        .find(|g| g.name == name)
                        .map(|g| g.id))
                })
                .await?
            }
            _ => None,
        };
        Ok(found)
    }

    /// Deletes, retrying while the VPC API says it is still in use (a subnet whose VSI is
    /// still going away), then waits until it answers 404.
    async fn delete_and_wait<D, DFut, G, GFut, T>(
        &self,
        step: StepId,
        what: &str,
        mut delete: D,
        mut get: G,
    ) -> StepResult
    where
        D: FnMut() -> DFut,
        DFut: Future<Output = Result<(), CloudError>>,
        G: FnMut() -> GFut,
        GFut: Future<Output = Result<T, CloudError>>,
    {
        let started = Instant::now();
        let timeout = self.ctx.timing.removal_timeout;
        let too_long = |e: &str| {
            Stop::Failed(
                AppError::new(
                    ErrorCode::Network,
                    format!("The {what} has not gone yet: {e}"),
                )
                .hint(
                    "Try the teardown again later; Onramp keeps it on the list until it is gone.",
                ),
            )
        };
        loop {
            self.say(step, format!("Deleting the {what}"));
            match delete().await {
                Ok(()) => break,
                Err(e) if e.is_not_found() => return Ok(()),
                Err(e) if e.status == Some(409) || temporary(&e) => {
                    if started.elapsed() > timeout {
                        return Err(too_long(&e.to_string()));
                    }
                    self.say(step, format!("Waiting to delete the {what} ({e})"));
                }
                Err(e) => return Err(Stop::Failed(AppError::from_cloud(e))),
            }
            self.pause(self.ctx.timing.poll_interval(started.elapsed(), None))
                .await?;
        }
        loop {
            match get().await {
                Err(e) if e.is_not_found() => return Ok(()),
                Ok(_) => self.say(step, format!("The {what} is being deleted")),
                Err(e) => self.say(
                    step,
                    format!("Could not check the deletion ({e}); trying again"),
                ),
            }
            if started.elapsed() > timeout {
                return Err(too_long("it still answers"));
            }
            self.pause(self.ctx.timing.poll_interval(started.elapsed(), None))
                .await?;
        }
    }

    pub(super) async fn teardown_private_path(
        &self,
        step: StepId,
        record: &StepRecord,
    ) -> StepResult {
        let id = match record.id.clone() {
            Some(id) => Some(id),
            None => self.find_by_name(step).await?,
        };
        let plan_id = self.plan().id;
        let Some(id) = id else {
            if step == StepId::SshKey {
                self.forget_ssh_key(&plan_id).await?;
            }
            return Ok(self.record(Record::Deleted { step })?);
        };
        self.record(Record::DeleteIntent { step })?;
        let vpc = self.vpc_client()?;
        match step {
            StepId::Vpe => {
                self.delete_and_wait(
                    step,
                    "endpoint gateway",
                    || vpc.delete_endpoint_gateway(&id),
                    || vpc.get_endpoint_gateway(&id),
                )
                .await?
            }
            StepId::FloatingIp => {
                self.delete_and_wait(
                    step,
                    "floating IP",
                    || vpc.delete_floating_ip(&id),
                    || vpc.get_floating_ip(&id),
                )
                .await?
            }
            StepId::JumpVsi => {
                self.delete_and_wait(
                    step,
                    "jump server",
                    || vpc.delete_instance(&id),
                    || vpc.get_instance(&id),
                )
                .await?
            }
            StepId::SshRule | StepId::PostgresRule => {
                let sg = match record.detail.get(detail::SECURITY_GROUP) {
                    Some(sg) => sg.clone(),
                    None => self.security_group(step, &vpc).await?,
                };
                self.delete(step, "Deleting the rule", || {
                    vpc.delete_security_group_rule(&sg, &id)
                })
                .await?
            }
            StepId::SshKey => {
                self.delete(step, "Deleting the SSH key", || vpc.delete_key(&id))
                    .await?;
                self.forget_ssh_key(&plan_id).await?;
            }
            StepId::Subnet => {
                self.delete_and_wait(
                    step,
                    "subnet",
                    || vpc.delete_subnet(&id),
                    || vpc.get_subnet(&id),
                )
                .await?
            }
            StepId::Vpc => {
                self.delete_and_wait(step, "VPC", || vpc.delete_vpc(&id), || vpc.get_vpc(&id))
                    .await?
            }
            other => {
                return Err(Stop::Failed(AppError::internal(format!(
                    "{} is not a step of the private path",
                    other.as_str()
                ))))
            }
        }
        Ok(self.record(Record::Deleted { step })?)
    }

    pub(super) async fn forget_ssh_key(&self, plan_id: &str) -> StepResult {
        let keychain = self.ctx.keychain.clone();
        let entry = ssh_key_entry(plan_id);
        tokio::task::spawn_blocking(move || keychain.delete(&entry))
            .await
            .map_err(|e| AppError::internal(format!("keychain task: {e}")))?
            .map_err(AppError::from_keychain)?;
        Ok(())
    }
}

fn status_verdict(status: Option<&ResourceStatus>) -> (String, Verdict) {
    let state = status
        .map(|s| s.as_str().to_owned())
        .unwrap_or_else(|| "unknown".into());
    let verdict = match status {
        Some(ResourceStatus::Available) => Verdict::Ready,
        Some(ResourceStatus::Failed) => Verdict::Failed("the VPC API reported it failed".into()),
        _ => Verdict::Waiting,
    };
    (state, verdict)
}
