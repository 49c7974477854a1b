//! The Connectivity step's part of the plan: the private path from the desktop to the
//! database (VPC, subnet, SSH key, jump VSI with a floating IP, the VPE gateway, and the
//! security-group rules between them), its rules, and the names Onramp derives for the
//! resources the user does not name.

use serde::{Deserialize, Serialize};
use specta::Type;

/// The longest VPC resource name (VPC API: `^([a-z]|[a-z][-a-z0-9]*[a-z0-9])$`, ≤ 63).
pub const VPC_NAME_MAX: usize = 63;
/// Room left in the jump VSI's name for the suffixes of the names derived from it
/// (`-ip`, `-ssh`, `-postgres`).
pub const JUMP_NAME_MAX: usize = VPC_NAME_MAX - "-postgres".len();
/// A new subnet's size: IBM keeps 5 addresses of each subnet (the first four and the last),
/// so 16 leaves 11 for the jump VSI and the VPE's reserved IP, with room to spare.
pub const DEFAULT_SUBNET_ADDRESSES: i64 = 16;
pub const SUBNET_ADDRESSES_MIN: i64 = 8;
pub const SUBNET_ADDRESSES_MAX: i64 = 65536;
/// The smallest balanced profile: enough for an SSH jump host.
pub const DEFAULT_JUMP_PROFILE: &str = "bx2-2x8";

pub mod options;
mod rules;

pub use rules::{check_vpc_name, parse_cidr, validate, warnings};
/// The short suffix of a plan's default names: the first four hex digits of its id, so two
/// plans in one account and region never pick the same names (`onramp-vpc-3f2a`).
pub fn name_suffix(plan_id: &str) -> String {
    let hex: String = plan_id
        .chars()
        .filter(char::is_ascii_hexdigit)
        .take(4)
        .collect::<String>()
        .to_ascii_lowercase();
    if hex.is_empty() {
        "plan".to_owned()
    } else {
        hex
    }
}

/// The fields of the Connectivity step, as the UI names them.
pub mod field {
    pub const VPC: &str = "connectivity.vpc";
    pub const SUBNET: &str = "connectivity.subnet";
    pub const SUBNET_ZONE: &str = "connectivity.subnetZone";
    pub const SUBNET_SIZE: &str = "connectivity.subnetSize";
    pub const SSH_KEY: &str = "connectivity.sshKey";
    pub const JUMP_NAME: &str = "connectivity.jumpName";
    pub const JUMP_PROFILE: &str = "connectivity.jumpProfile";
    pub const JUMP_IMAGE: &str = "connectivity.jumpImage";
    pub const SSH_CIDR: &str = "connectivity.sshCidr";
    pub const VPE_NAME: &str = "connectivity.vpeName";
    pub const RESTRICT: &str = "connectivity.restrict";

    pub fn label(field: &str) -> Option<&'static str> {
        Some(match field {
            VPC => "VPC",
            SUBNET => "subnet",
            SUBNET_ZONE => "subnet's zone",
            SUBNET_SIZE => "subnet's size",
            SSH_KEY => "SSH key",
            JUMP_NAME => "jump server's name",
            JUMP_PROFILE => "jump server's profile",
            JUMP_IMAGE => "jump server's image",
            SSH_CIDR => "address allowed to SSH",
            VPE_NAME => "endpoint gateway's name",
            RESTRICT => "context-based restriction",
            _ => return None,
        })
    }
}

/// The private path the plan builds (or reuses) to reach the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Connectivity {
    pub vpc: VpcChoice,
    pub subnet: SubnetChoice,
    pub ssh_key: SshKeyChoice,
    pub jump: JumpServer,
    /// Who may SSH to the jump VSI: an IPv4 CIDR such as `198.51.100.7/32`.
    pub ssh_cidr: String,
    /// The VPE gateway's name; its reserved IP is `<name>-ip`.
    pub vpe_name: String,
    /// Also restrict the database's data plane to the VPC with a context-based restriction
    /// (a network zone holding the VPC, and a rule for the instance). A preview: IBM's Gen 2
    /// docs disagree on whether CBR applies (gen2-facts §6), so a refusal does not fail the
    /// plan. Absent in drafts saved before it existed.
    #[serde(default)]
    pub restrict: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(tag = "kind", rename_all_fields = "camelCase")]
pub enum VpcChoice {
    /// One already in the account, in the database's region: kept by teardown.
    Existing {
        id: String,
        name: String,
    },
    New {
        name: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(tag = "kind", rename_all_fields = "camelCase")]
pub enum SubnetChoice {
    /// One already in the chosen (existing) VPC: kept by teardown. Its zone is the VSI's.
    Existing { id: String, name: String },
    /// `zone` is e.g. `ca-mon-1`; `addressCount` a power of two from 8.
    New {
        name: String,
        zone: String,
        // Spelled out: the bindings generator does not apply `rename_all_fields`.
        #[serde(rename = "addressCount")]
        address_count: i64,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(tag = "kind", rename_all_fields = "camelCase")]
pub enum SshKeyChoice {
    /// A key already registered in the region; the user has its private half.
    Existing { id: String, name: String },
    /// Onramp generates an ed25519 pair; the private key goes to the keychain entry
    /// `ssh-key:<plan id>`, the public one to the VPC under `name`.
    New { name: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct JumpServer {
    pub name: String,
    /// e.g. `bx2-2x8`.
    pub profile: String,
    /// A stock image's id (`visibility=public`), e.g. Ubuntu 24.04 minimal.
    pub image_id: String,
    /// Its name, for Review.
    pub image_name: String,
}

impl Connectivity {
    /// What the step starts with: new resources in the location's first zone, named after
    /// Onramp and the plan (`onramp-vpc-3f2a`), so two plans never meet; the image and the
    /// SSH source still to choose.
    pub fn suggested(location: &str, plan_id: &str) -> Connectivity {
        let suffix = name_suffix(plan_id);
        Connectivity {
            vpc: VpcChoice::New {
                name: format!("onramp-vpc-{suffix}"),
            },
            subnet: SubnetChoice::New {
                name: format!("onramp-subnet-{suffix}"),
                zone: format!("{location}-1"),
                address_count: DEFAULT_SUBNET_ADDRESSES,
            },
            ssh_key: SshKeyChoice::New {
                name: format!("onramp-key-{suffix}"),
            },
            jump: JumpServer {
                name: format!("onramp-jump-{suffix}"),
                profile: DEFAULT_JUMP_PROFILE.into(),
                image_id: String::new(),
                image_name: String::new(),
            },
            ssh_cidr: String::new(),
            vpe_name: format!("onramp-vpe-{suffix}"),
            restrict: false,
        }
    }

    /// The CBR network zone holding the VPC (CBR names allow letters, digits, spaces,
    /// `-` and `_`, which VPC names are made of).
    pub fn cbr_zone_name(&self) -> String {
        format!("{}-zone", self.vpc_name())
    }

    /// The CBR rule's description (rules have no name).
    pub fn cbr_rule_description(&self, database: &str) -> String {
        format!(
            "Onramp: only the VPC {} may reach {database}",
            self.vpc_name()
        )
    }

    pub fn floating_ip_name(&self) -> String {
        format!("{}-ip", self.jump.name)
    }

    pub fn ssh_rule_name(&self) -> String {
        format!("{}-ssh", self.jump.name)
    }

    pub fn postgres_rule_name(&self) -> String {
        format!("{}-postgres", self.jump.name)
    }

    pub fn vpe_ip_name(&self) -> String {
        format!("{}-ip", self.vpe_name)
    }

    pub fn vpc_name(&self) -> &str {
        match &self.vpc {
            VpcChoice::Existing { name, .. } | VpcChoice::New { name } => name,
        }
    }

    pub fn subnet_name(&self) -> &str {
        match &self.subnet {
            SubnetChoice::Existing { name, .. } | SubnetChoice::New { name, .. } => name,
        }
    }

    pub fn ssh_key_name(&self) -> &str {
        match &self.ssh_key {
            SshKeyChoice::Existing { name, .. } | SshKeyChoice::New { name } => name,
        }
    }
}
