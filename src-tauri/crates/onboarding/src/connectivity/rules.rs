//! The rules of the Connectivity step's part of the plan: VPC resource names, the SSH
//! source CIDR, the zone and subnet size, and what an existing choice needs.

use std::net::Ipv4Addr;

use super::{
    field, Connectivity, SshKeyChoice, SubnetChoice, VpcChoice, DEFAULT_JUMP_PROFILE,
    DEFAULT_SUBNET_ADDRESSES, JUMP_NAME_MAX, SUBNET_ADDRESSES_MAX, SUBNET_ADDRESSES_MIN,
    VPC_NAME_MAX,
};
use crate::plan::Problem;

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
    use crate::connectivity::*;

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
