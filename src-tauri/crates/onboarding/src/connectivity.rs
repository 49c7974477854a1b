//! The Connectivity step's part of the plan: the private path from the desktop to the
//! database (VPC, subnet, SSH key, jump VSI with a floating IP, the VPE gateway, and the
//! security-group rules between them), its rules, and the names Onramp derives for the
//! resources the user does not name.

use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};
use specta::Type;

use crate::plan::Problem;

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

/// What is wrong with a VPC resource name, if anything: lowercase letters, digits and
/// hyphens, starting with a letter and not ending with a hyphen, at most `max` characters.
pub fn check_vpc_name(name: &str, what: &str, max: usize) -> Option<String> {
    if name.is_empty() {
        return Some(format!("Give the {what} a name."));
    }
    let length = name.chars().count();
    if length > max {
        return Some(format!(
            "The name is {length} characters long; at most {max} are allowed here."
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        let what = if bad.is_ascii_uppercase() {
            format!("the capital letter '{bad}'")
        } else if bad.is_whitespace() {
            "a space".to_owned()
        } else {
            format!("'{bad}'")
        };
        return Some(format!(
            "VPC names can't contain {what}. Use lowercase letters, digits and hyphens."
        ));
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Some("VPC names start with a lowercase letter.".to_owned());
    }
    if name.ends_with('-') {
        return Some("VPC names can't end with a hyphen.".to_owned());
    }
    None
}

/// Parses an IPv4 CIDR block `a.b.c.d/n` whose host bits are zero.
pub fn parse_cidr(text: &str) -> Result<(Ipv4Addr, u8), String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("Enter the address allowed to reach the jump server over SSH, for example your public IP as 198.51.100.7/32.".to_owned());
    }
    let Some((address, bits)) = text.split_once('/') else {
        return Err(format!(
            "Add the prefix length: {text}/32 allows that one address."
        ));
    };
    let address: Ipv4Addr = address
        .parse()
        .map_err(|_| format!("'{address}' is not an IPv4 address such as 198.51.100.7."))?;
    let bits: u8 = bits
        .parse()
        .ok()
        .filter(|b| *b <= 32)
        .ok_or_else(|| format!("'/{bits}' is not a prefix length: use 0 to 32."))?;
    let mask = if bits == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(bits))
    };
    let network = Ipv4Addr::from(u32::from(address) & mask);
    if network != address {
        return Err(format!(
            "{text} has host bits set: the block is {network}/{bits} (or use {address}/32 for that one address)."
        ));
    }
    Ok((address, bits))
}

/// Every problem with the private path, in the order of its fields.
pub fn validate(plan_location: &str, c: &Connectivity, problems: &mut Vec<Problem>) {
    let mut name = |field: &str, value: &str, what: &str, max: usize| {
        if let Some(message) = check_vpc_name(value, what, max) {
            problems.push(Problem::new(field, message));
        }
    };
    match &c.vpc {
        VpcChoice::New { name: n } => name(field::VPC, n, "VPC", VPC_NAME_MAX),
        VpcChoice::Existing { .. } => {}
    }
    match &c.subnet {
        SubnetChoice::New { name: n, .. } => name(field::SUBNET, n, "subnet", VPC_NAME_MAX),
        SubnetChoice::Existing { .. } => {}
    }
    match &c.ssh_key {
        SshKeyChoice::New { name: n } => name(field::SSH_KEY, n, "SSH key", VPC_NAME_MAX),
        SshKeyChoice::Existing { .. } => {}
    }
    name(field::JUMP_NAME, &c.jump.name, "jump server", JUMP_NAME_MAX);
    name(
        field::VPE_NAME,
        &c.vpe_name,
        "endpoint gateway",
        VPC_NAME_MAX - 3,
    );

    if let VpcChoice::Existing { id, .. } = &c.vpc {
        if id.is_empty() {
            problems.push(Problem::new(
                field::VPC,
                "Choose a VPC, or let Onramp create one.",
            ));
        }
    }
    match (&c.vpc, &c.subnet) {
        (_, SubnetChoice::Existing { id, .. }) if id.is_empty() => problems.push(Problem::new(
            field::SUBNET,
            "Choose a subnet, or let Onramp create one.",
        )),
        (VpcChoice::New { .. }, SubnetChoice::Existing { .. }) => problems.push(Problem::new(
            field::SUBNET,
            "A new VPC has no subnets yet: let Onramp create the subnet too.",
        )),
        (
            _,
            SubnetChoice::New {
                zone,
                address_count,
                ..
            },
        ) => {
            let zone_ok = zone
                .strip_prefix(plan_location)
                .and_then(|rest| rest.strip_prefix('-'))
                .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
            if zone.is_empty() {
                problems.push(Problem::new(
                    field::SUBNET_ZONE,
                    "Choose a zone for the subnet.",
                ));
            } else if !zone_ok {
                problems.push(Problem::new(
                    field::SUBNET_ZONE,
                    format!(
                        "The zone must be in the database's region {plan_location} (for example {plan_location}-1), not '{zone}': a VPE reaches only databases in its own region."
                    ),
                ));
            }
            let n = *address_count;
            if !(SUBNET_ADDRESSES_MIN..=SUBNET_ADDRESSES_MAX).contains(&n) || n.count_ones() != 1 {
                problems.push(Problem::new(
                    field::SUBNET_SIZE,
                    format!(
                        "A subnet's size is a power of two from {SUBNET_ADDRESSES_MIN} to {SUBNET_ADDRESSES_MAX} addresses (you entered {n}); {DEFAULT_SUBNET_ADDRESSES} is plenty for the jump server and the gateway."
                    ),
                ));
            }
        }
        _ => {}
    }
    if let SshKeyChoice::Existing { id, .. } = &c.ssh_key {
        if id.is_empty() {
            problems.push(Problem::new(
                field::SSH_KEY,
                "Choose an SSH key, or let Onramp generate one.",
            ));
        }
    }
    if c.jump.profile.is_empty() {
        problems.push(Problem::new(
            field::JUMP_PROFILE,
            format!("Choose a profile for the jump server ({DEFAULT_JUMP_PROFILE} is enough)."),
        ));
    }
    if c.jump.image_id.is_empty() {
        problems.push(Problem::new(
            field::JUMP_IMAGE,
            "Choose an image for the jump server, for example Ubuntu 24.04.",
        ));
    }
    if let Err(message) = parse_cidr(&c.ssh_cidr) {
        problems.push(Problem::new(field::SSH_CIDR, message));
    }
}

/// What is allowed but worth a second look: SSH open to the whole internet.
pub fn warnings(c: &Connectivity) -> Vec<Problem> {
    let mut out = Vec::new();
    if let Ok((_, 0)) = parse_cidr(&c.ssh_cidr) {
        out.push(Problem::new(
            field::SSH_CIDR,
            "0.0.0.0/0 lets anyone on the internet try to log in to the jump server. Only your SSH key gets in, but prefer your own address (/32).",
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> Connectivity {
        let mut c = Connectivity::suggested("ca-mon", "3f2a9c1e-7b4d-4e2a-9f10-5c6d7e8f9a0b");
        c.jump.image_id = "img".into();
        c.jump.image_name = "ibm-ubuntu-24-04-6-minimal-amd64-3".into();
        c.ssh_cidr = "198.51.100.7/32".into();
        c
    }

    fn problems(c: &Connectivity) -> Vec<(String, String)> {
        let mut out = Vec::new();
        validate("ca-mon", c, &mut out);
        out.into_iter().map(|p| (p.field, p.message)).collect()
    }

    fn only(c: &Connectivity) -> (String, String) {
        let all = problems(c);
        assert_eq!(all.len(), 1, "{all:?}");
        all.into_iter().next().unwrap()
    }

    #[test]
    fn default_names_carry_the_plans_suffix_so_two_plans_never_meet() {
        let a = Connectivity::suggested("ca-mon", "3f2a9c1e-7b4d-4e2a-9f10-5c6d7e8f9a0b");
        let b = Connectivity::suggested("ca-mon", "9c1b0000-0000-4000-8000-000000000000");
        assert_eq!(a.vpc_name(), "onramp-vpc-3f2a");
        assert_eq!(a.ssh_rule_name(), "onramp-jump-3f2a-ssh");
        assert_eq!(a.cbr_zone_name(), "onramp-vpc-3f2a-zone");
        for (x, y) in [
            (a.vpc_name(), b.vpc_name()),
            (a.subnet_name(), b.subnet_name()),
            (a.ssh_key_name(), b.ssh_key_name()),
            (a.jump.name.as_str(), b.jump.name.as_str()),
            (a.vpe_name.as_str(), b.vpe_name.as_str()),
        ] {
            assert_ne!(x, y);
        }
        // Every derived name still fits the VPC's 63 characters.
        assert!(a.postgres_rule_name().len() <= VPC_NAME_MAX);
        assert!(a.jump.name.len() <= JUMP_NAME_MAX);
        assert_eq!(name_suffix("not-a-uuid"), "ad", "only hex digits are taken");
        assert_eq!(name_suffix("zzz"), "plan");
    }

    #[test]
    fn the_suggestion_needs_only_an_image_and_an_ssh_source() {
        let c = Connectivity::suggested("ca-mon", "3f2a9c1e-7b4d-4e2a-9f10-5c6d7e8f9a0b");
        let fields: Vec<String> = problems(&c).into_iter().map(|p| p.0).collect();
        assert_eq!(fields, [field::JUMP_IMAGE, field::SSH_CIDR]);
        assert!(problems(&good()).is_empty());
        assert!(warnings(&good()).is_empty());
    }

    #[test]
    fn names_follow_the_vpc_rules() {
        for (name, expect) in [
            ("", "Give the"),
            ("Onramp", "capital letter 'O'"),
            ("on ramp", "a space"),
            ("on_ramp", "'_'"),
            ("1vpc", "start with a lowercase letter"),
            ("-vpc", "start with a lowercase letter"),
            ("vpc-", "end with a hyphen"),
        ] {
            let mut c = good();
            c.vpc = VpcChoice::New { name: name.into() };
            let (f, message) = only(&c);
            assert_eq!(f, field::VPC);
            assert!(message.contains(expect), "{name:?}: {message}");
        }
        let mut c = good();
        c.vpc = VpcChoice::New {
            name: format!("a{}", "b".repeat(62)),
        };
        assert!(problems(&c).is_empty(), "63 is allowed");
        c.vpc = VpcChoice::New {
            name: "a".repeat(64),
        };
        assert!(only(&c).1.contains("64 characters"));
    }

    #[test]
    fn each_named_resource_names_its_field() {
        type Change = Box<dyn Fn(&mut Connectivity)>;
        let cases: Vec<(Change, &str, &str)> = vec![
            (
                Box::new(|c| {
                    c.subnet = SubnetChoice::New {
                        name: "Sub".into(),
                        zone: "ca-mon-1".into(),
                        address_count: 16,
                    }
                }),
                field::SUBNET,
                "capital",
            ),
            (
                Box::new(|c| {
                    c.ssh_key = SshKeyChoice::New {
                        name: "my key".into(),
                    }
                }),
                field::SSH_KEY,
                "a space",
            ),
            (
                Box::new(|c| c.jump.name = format!("j{}", "x".repeat(JUMP_NAME_MAX))),
                field::JUMP_NAME,
                "at most 54",
            ),
            (
                Box::new(|c| c.vpe_name = "vpe.db".into()),
                field::VPE_NAME,
                "'.'",
            ),
            (
                Box::new(|c| c.jump.profile.clear()),
                field::JUMP_PROFILE,
                "bx2-2x8",
            ),
            (
                Box::new(|c| c.jump.image_id.clear()),
                field::JUMP_IMAGE,
                "Ubuntu",
            ),
            (
                Box::new(|c| {
                    c.vpc = VpcChoice::Existing {
                        id: String::new(),
                        name: String::new(),
                    }
                }),
                field::VPC,
                "Choose a VPC",
            ),
            (
                Box::new(|c| {
                    c.ssh_key = SshKeyChoice::Existing {
                        id: String::new(),
                        name: String::new(),
                    }
                }),
                field::SSH_KEY,
                "Choose an SSH key",
            ),
            (
                Box::new(|c| {
                    c.subnet = SubnetChoice::Existing {
                        id: "s".into(),
                        name: "s".into(),
                    }
                }),
                field::SUBNET,
                "A new VPC has no subnets",
            ),
        ];
        for (change, expect_field, expect) in cases {
            let mut c = good();
            change(&mut c);
            let (f, message) = only(&c);
            assert_eq!(f, expect_field, "{message}");
            assert!(message.contains(expect), "{message}");
        }
        let mut c = good();
        c.vpc = VpcChoice::Existing {
            id: "v".into(),
            name: "mine".into(),
        };
        c.subnet = SubnetChoice::Existing {
            id: String::new(),
            name: String::new(),
        };
        assert_eq!(only(&c).0, field::SUBNET);
        c.subnet = SubnetChoice::Existing {
            id: "s".into(),
            name: "mine".into(),
        };
        assert!(problems(&c).is_empty());
    }

    #[test]
    fn a_new_subnet_is_in_the_databases_region_and_a_power_of_two() {
        let subnet = |zone: &str, n| SubnetChoice::New {
            name: "s".into(),
            zone: zone.into(),
            address_count: n,
        };
        for (zone, n, expect_field, expect) in [
            ("", 16, field::SUBNET_ZONE, "Choose a zone"),
            ("us-south-1", 16, field::SUBNET_ZONE, "region ca-mon"),
            ("ca-mon", 16, field::SUBNET_ZONE, "ca-mon-1"),
            ("ca-mon-x", 16, field::SUBNET_ZONE, "not 'ca-mon-x'"),
            ("ca-mon-1", 4, field::SUBNET_SIZE, "(you entered 4)"),
            ("ca-mon-1", 24, field::SUBNET_SIZE, "power of two"),
            ("ca-mon-1", 131072, field::SUBNET_SIZE, "65536"),
            ("ca-mon-1", -16, field::SUBNET_SIZE, "(you entered -16)"),
        ] {
            let mut c = good();
            c.subnet = subnet(zone, n);
            let (f, message) = only(&c);
            assert_eq!(f, expect_field, "{zone} {n}: {message}");
            assert!(message.contains(expect), "{message}");
        }
        for n in [8, 16, 32, 256, 65536] {
            let mut c = good();
            c.subnet = subnet("ca-mon-3", n);
            assert!(problems(&c).is_empty(), "{n}");
        }
    }

    #[test]
    fn the_ssh_source_is_a_cidr_and_the_whole_internet_is_a_warning() {
        for (cidr, expect) in [
            ("", "Enter the address"),
            ("198.51.100.7", "198.51.100.7/32"),
            ("198.51.100/24", "not an IPv4 address"),
            ("::1/128", "not an IPv4 address"),
            ("198.51.100.7/33", "'/33' is not a prefix length"),
            ("198.51.100.7/x", "'/x'"),
            ("198.51.100.7/24", "198.51.100.0/24"),
        ] {
            let mut c = good();
            c.ssh_cidr = cidr.into();
            let (f, message) = only(&c);
            assert_eq!(f, field::SSH_CIDR);
            assert!(message.contains(expect), "{cidr:?}: {message}");
        }
        let mut c = good();
        c.ssh_cidr = "0.0.0.0/0".into();
        assert!(problems(&c).is_empty(), "allowed");
        let warned = warnings(&c);
        assert_eq!(warned.len(), 1);
        assert_eq!(warned[0].field, field::SSH_CIDR);
        c.ssh_cidr = "203.0.113.0/24".into();
        assert!(problems(&c).is_empty() && warnings(&c).is_empty());
    }

    #[test]
    fn the_wire_shape_is_tagged_and_camel_case() {
        let mut c = good();
        c.vpc = VpcChoice::Existing {
            id: "v".into(),
            name: "mine".into(),
        };
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(json["vpc"]["kind"], "Existing");
        assert_eq!(json["subnet"]["kind"], "New");
        assert_eq!(json["subnet"]["addressCount"], 16);
        assert_eq!(json["jump"]["imageId"], "img");
        assert_eq!(json["sshCidr"], "198.51.100.7/32");
        assert_eq!(json["vpeName"], "onramp-vpe-3f2a");
        assert_eq!(serde_json::from_value::<Connectivity>(json).unwrap(), c);
    }
}
