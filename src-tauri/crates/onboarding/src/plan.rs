//! The draft plan the wizard edits (Basics, Sizing, Encryption), what the cloud offers for
//! it, and the one set of rules that checks it. The UI asks [`validate`] as the user types
//! and shows each [`Problem`] at its field; Review and apply refuse a plan with a problem.

use serde::{Deserialize, Serialize};
use specta::Type;

use crate::connectivity::{self, Connectivity};

/// The longest service name Resource Controller accepts.
pub const NAME_MAX: usize = 180;
/// Storage per member, in GB, as the broker enforces it.
pub const STORAGE_MIN_GB: i64 = 10;
pub const STORAGE_MAX_GB: i64 = 9600;
/// What a new plan starts with: the tutorial's Manager credential and small sizes (the
/// tutorial's 9600 GB × 3 example is never a default: it is very expensive).
pub const DEFAULT_STORAGE_GB: i64 = 10;
pub const DEFAULT_MEMBERS: i64 = 2;
/// The name of the first Manager credential the plan creates.
pub const MANAGER_KEY_NAME: &str = "onramp-manager";

/// The fields, as the UI names them; a [`Problem`] carries one.
pub mod field {
    pub const NAME: &str = "name";
    pub const LOCATION: &str = "location";
    pub const RESOURCE_GROUP: &str = "resourceGroupId";
    pub const MEMBERS: &str = "members";
    pub const HOST_FLAVOR: &str = "hostFlavor";
    pub const STORAGE: &str = "storageGb";
    pub const VERSION: &str = "version";
    pub const ENCRYPTION_KEY: &str = "encryption.key";
    pub const ENCRYPTION_AUTHORIZATION: &str = "encryption.authorization";

    /// What the user calls a field, for messages that name it.
    pub fn label(field: &str) -> &str {
        match field {
            NAME => "service name",
            LOCATION => "location",
            RESOURCE_GROUP => "resource group",
            MEMBERS => "number of members",
            HOST_FLAVOR => "host flavor",
            STORAGE => "storage per member",
            VERSION => "PostgreSQL version",
            ENCRYPTION_KEY => "Key Protect root key",
            ENCRYPTION_AUTHORIZATION => "service authorization",
            other => crate::connectivity::field::label(other)
                .or_else(|| crate::observability::field::label(other))
                .unwrap_or(other),
        }
    }
}

/// What the user chose so far. Numbers are wide and signed so that whatever the window
/// sends arrives here and gets a message, instead of failing to deserialize.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct DraftPlan {
    /// Names the plan's draft and journal files; a UUID.
    pub id: String,
    pub name: String,
    pub location: String,
    pub resource_group_id: String,
    pub members: i64,
    pub host_flavor: String,
    pub storage_gb: i64,
    pub version: String,
    pub encryption: Encryption,
    /// The private path to the database; `None` builds none (drafts and journals written
    /// before the Connectivity step load as `None`).
    #[serde(default)]
    pub connectivity: Option<Connectivity>,
    /// Where the database's platform metrics go (the Observability step); `None` routes
    /// nothing (and is what plans written before the step load as).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observability: Option<crate::observability::Observability>,
    /// A database the user already has, chosen in Basics instead of making one: the plan
    /// uses it (its name, location and size are copied in) and teardown keeps it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub existing: Option<ExistingDatabase>,
}

/// The account's Gen 2 database a plan starts from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ExistingDatabase {
    pub crn: String,
    pub name: String,
}

/// How the database's disks are encrypted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(tag = "kind")]
pub enum Encryption {
    /// The instance makes and manages its own key (LUKS AES-256). The default.
    ProviderManaged,
    /// Bring your own key: a Key Protect root key.
    KeyProtect(KeyProtectChoice),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct KeyProtectChoice {
    /// The Key Protect instance's GUID (the `bluemix-instance` header) and region.
    pub instance_guid: String,
    pub instance_name: String,
    pub region: String,
    /// The root key's CRN: the create's `encryption.disk`.
    pub key_crn: String,
    pub key_name: String,
    pub authorization: Authorization,
}

/// The service-to-service authorization BYOK needs (databases-for-postgresql → kms,
/// Reader and AuthorizationDelegator).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
pub enum Authorization {
    /// Not checked yet.
    Unknown,
    /// It exists in the account.
    Exists,
    /// It is missing, and the plan creates it before the database.
    Create,
    /// It is missing and the user chose not to create it: apply is blocked.
    Missing,
}

/// One thing wrong with the plan, at the field that causes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    pub field: String,
    pub message: String,
}

impl Problem {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        Problem {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

/// Where a list shown in the wizard came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
pub enum ListSource {
    /// From the live Global Catalog.
    Catalog,
    /// The catalog did not publish it; this is the documented list (gen2-facts §2), and the
    /// UI says so.
    Documented,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct FlavorOffer {
    pub id: String,
    pub cpu: u32,
    pub memory_gb: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct LocationOffer {
    /// e.g. `ca-mon`.
    pub id: String,
    /// e.g. `Montréal (ca-mon)`.
    pub label: String,
    /// The catalog deployment's id, whose pricing the estimate reads.
    pub deployment_id: String,
    pub flavors: Vec<FlavorOffer>,
    pub flavors_source: ListSource,
    /// Newest first.
    pub versions: Vec<String>,
    pub versions_source: ListSource,
    pub members: Vec<i64>,
    pub storage_min_gb: i64,
    pub storage_max_gb: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ResourceGroupOffer {
    pub id: String,
    pub name: String,
    pub is_default: bool,
}

/// What the account and the catalog offer for a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Offerings {
    pub locations: Vec<LocationOffer>,
    pub resource_groups: Vec<ResourceGroupOffer>,
}

impl Offerings {
    pub fn location(&self, id: &str) -> Option<&LocationOffer> {
        self.locations.iter().find(|l| l.id == id)
    }

    /// A new plan: the first location, the default group, the smallest flavor, the newest
    /// version, 2 members, 10 GB.
    pub fn new_plan(&self, id: String) -> DraftPlan {
        let location = self.locations.first();
        let group = self
            .resource_groups
            .iter()
            .find(|g| g.is_default)
            .or(self.resource_groups.first());
        DraftPlan {
            id,
            name: String::new(),
            location: location.map(|l| l.id.clone()).unwrap_or_default(),
            resource_group_id: group.map(|g| g.id.clone()).unwrap_or_default(),
            members: DEFAULT_MEMBERS,
            host_flavor: location
                .and_then(smallest_flavor)
                .map(|f| f.id.clone())
                .unwrap_or_default(),
            storage_gb: DEFAULT_STORAGE_GB,
            version: location
                .and_then(|l| l.versions.first())
                .cloned()
                .unwrap_or_default(),
            encryption: Encryption::ProviderManaged,
            connectivity: None,
            observability: None,
            existing: None,
        }
    }
}

/// The service's default when no flavor is given: the smallest in the location.
pub fn smallest_flavor(location: &LocationOffer) -> Option<&FlavorOffer> {
    location.flavors.iter().min_by_key(|f| (f.cpu, f.memory_gb))
}

/// A human label for a location id.
pub fn location_label(id: &str) -> String {
    let city = match id {
        "ca-mon" => "Montréal",
        "in-che" => "Chennai",
        "in-mum" => "Mumbai",
        "eu-de" => "Frankfurt",
        "us-east" => "Washington DC",
        "us-south" => "Dallas",
        "eu-gb" => "London",
        "eu-es" => "Madrid",
        "jp-tok" => "Tokyo",
        "jp-osa" => "Osaka",
        "au-syd" => "Sydney",
        "br-sao" => "São Paulo",
        "ca-tor" => "Toronto",
        _ => return id.to_owned(),
    };
    format!("{city} ({id})")
}

/// What is wrong with the service name, if anything: Resource Controller's rules.
pub fn check_name(name: &str) -> Option<String> {
    if name.trim().is_empty() {
        return Some("Give the database a name, for example pg-demo.".to_owned());
    }
    let length = name.chars().count();
    if length > NAME_MAX {
        return Some(format!(
            "The name is {length} characters long; IBM Cloud allows at most {NAME_MAX}."
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, ' ' | '-' | '.' | '_' | ':')))
    {
        let what = match bad {
            '\t' | '\n' | '\r' => "a tab or line break".to_owned(),
            c => format!("'{c}'"),
        };
        return Some(format!(
            "The name can't contain {what}. Use letters, digits, spaces and - . _ :"
        ));
    }
    if name.starts_with(' ') || name.ends_with(' ') {
        return Some("Remove the space at the start or end of the name.".to_owned());
    }
    None
}

/// Every problem with `plan` against what `offerings` has, in the order of the fields.
/// Pure and fast: the UI calls it on every keystroke.
pub fn validate(plan: &DraftPlan, offerings: &Offerings) -> Vec<Problem> {
    let mut problems = Vec::new();
    match &plan.existing {
        Some(existing) => validate_existing(plan, existing, offerings, &mut problems),
        None => validate_new_database(plan, offerings, &mut problems),
    }
    if let Some(path) = &plan.connectivity {
        connectivity::validate(&plan.location, path, &mut problems);
    }
    problems.extend(crate::observability::validate(plan));
    problems
}

/// A database the user already has: its name, size and version are facts to use, not
/// choices to check (Resource Controller allowed them); where it is, and that its
/// encryption is its own, matter.
fn validate_existing(
    plan: &DraftPlan,
    existing: &ExistingDatabase,
    offerings: &Offerings,
    problems: &mut Vec<Problem>,
) {
    if existing.crn.is_empty() {
        problems.push(Problem::new(field::NAME, "Choose the database to use."));
    }
    if offerings.location(&plan.location).is_none() {
        problems.push(Problem::new(
            field::LOCATION,
            format!(
                "The database you chose is in '{}', where Gen 2 is not offered.",
                plan.location
            ),
        ));
    }
    if matches!(plan.encryption, Encryption::KeyProtect(_)) {
        problems.push(Problem::new(
            field::ENCRYPTION_KEY,
            "The database you chose keeps the encryption it was made with: choose the provider-managed key here.",
        ));
    }
}

/// A database the plan makes: every choice checked against the offerings.
fn validate_new_database(plan: &DraftPlan, offerings: &Offerings, problems: &mut Vec<Problem>) {
    if let Some(message) = check_name(&plan.name) {
        problems.push(Problem::new(field::NAME, message));
    }

    let location = offerings.location(&plan.location);
    if plan.location.is_empty() {
        problems.push(Problem::new(field::LOCATION, "Choose a location."));
    } else if location.is_none() {
        problems.push(Problem::new(
            field::LOCATION,
            format!(
                "Databases for PostgreSQL Gen 2 is not offered in '{}'. Choose one of: {}.",
                plan.location,
                offerings
                    .locations
                    .iter()
                    .map(|l| l.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }

    if plan.resource_group_id.is_empty() {
        problems.push(Problem::new(
            field::RESOURCE_GROUP,
            "Choose a resource group.",
        ));
    } else if !offerings
        .resource_groups
        .iter()
        .any(|g| g.id == plan.resource_group_id)
    {
        problems.push(Problem::new(
            field::RESOURCE_GROUP,
            "This resource group is not in the account (or your key cannot see it). Choose one from the list.",
        ));
    }

    if plan.members != 2 && plan.members != 3 {
        problems.push(Problem::new(
            field::MEMBERS,
            format!(
                "Members must be 2 or 3 (you chose {}): 2 spreads the database over two zones, 3 over three.",
                plan.members
            ),
        ));
    }

    if plan.host_flavor.is_empty() {
        problems.push(Problem::new(field::HOST_FLAVOR, "Choose a host flavor."));
    } else if let Some(location) = location {
        if !location.flavors.iter().any(|f| f.id == plan.host_flavor) {
            problems.push(Problem::new(
                field::HOST_FLAVOR,
                format!(
                    "{} is not offered in {}. Offered there: {}.",
                    plan.host_flavor,
                    location.id,
                    location
                        .flavors
                        .iter()
                        .map(|f| f.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }

    let (min, max) = location
        .map(|l| (l.storage_min_gb, l.storage_max_gb))
        .unwrap_or((STORAGE_MIN_GB, STORAGE_MAX_GB));
    if plan.storage_gb < min || plan.storage_gb > max {
        problems.push(Problem::new(
            field::STORAGE,
            format!(
                "Storage per member must be a whole number of GB from {min} to {max} (you entered {}).",
                plan.storage_gb
            ),
        ));
    }

    if plan.version.is_empty() {
        problems.push(Problem::new(field::VERSION, "Choose a PostgreSQL version."));
    } else if let Some(location) = location {
        if !location.versions.contains(&plan.version) {
            problems.push(Problem::new(
                field::VERSION,
                format!(
                    "PostgreSQL {} is not offered in {}. Offered: {}.",
                    plan.version,
                    location.id,
                    location.versions.join(", ")
                ),
            ));
        }
    }

    if let Encryption::KeyProtect(choice) = &plan.encryption {
        if choice.key_crn.is_empty() {
            problems.push(Problem::new(
                field::ENCRYPTION_KEY,
                "Choose a Key Protect root key, or use the provider-managed key.",
            ));
        } else {
            match choice.authorization {
                Authorization::Exists | Authorization::Create => {}
                Authorization::Unknown => problems.push(Problem::new(
                    field::ENCRYPTION_AUTHORIZATION,
                    "Onramp has not yet checked whether Databases for PostgreSQL may use Key Protect keys.",
                )),
                Authorization::Missing => problems.push(Problem::new(
                    field::ENCRYPTION_AUTHORIZATION,
                    "Databases for PostgreSQL is not authorized to use your Key Protect keys, so the database could not read its key. Let Onramp create the authorization (Reader and Authorization Delegator), or create it in IAM and check again.",
                )),
            }
        }
    }
}

/// What is allowed but worth a second look before applying (shown beside the field, not
/// blocking): for now, SSH open to the whole internet.
pub fn warnings(plan: &DraftPlan) -> Vec<Problem> {
    plan.connectivity
        .as_ref()
        .map(connectivity::warnings)
        .unwrap_or_default()
}

/// The test offerings (Montréal with two flavors, Chennai with one) for other modules' tests.
#[cfg(test)]
pub(crate) mod testing {
    pub fn offerings() -> super::Offerings {
        super::tests::offerings()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn offerings() -> Offerings {
        let flavor = |id: &str, cpu, memory_gb| FlavorOffer {
            id: id.to_owned(),
            cpu,
            memory_gb,
        };
        let location = |id: &str, flavors: Vec<FlavorOffer>| LocationOffer {
            id: id.to_owned(),
            label: location_label(id),
            deployment_id: format!("dep:{id}"),
            flavors,
            flavors_source: ListSource::Catalog,
            versions: vec!["18".to_owned()],
            versions_source: ListSource::Catalog,
            members: vec![2, 3],
            storage_min_gb: 10,
            storage_max_gb: 9600,
        };
        Offerings {
            locations: vec![
                location(
                    "ca-mon",
                    vec![flavor("bx3d.8x40", 8, 40), flavor("bx3d.4x20", 4, 20)],
                ),
                location("in-che", vec![flavor("bx3d.4x20", 4, 20)]),
            ],
            resource_groups: vec![
                ResourceGroupOffer {
                    id: "g1".into(),
                    name: "other".into(),
                    is_default: false,
                },
                ResourceGroupOffer {
                    id: "g2".into(),
                    name: "Default".into(),
                    is_default: true,
                },
            ],
        }
    }

    fn good() -> DraftPlan {
        let mut plan = offerings().new_plan("p".into());
        plan.name = "pg-demo".into();
        plan
    }

    fn fields(plan: &DraftPlan) -> Vec<(String, String)> {
        validate(plan, &offerings())
            .into_iter()
            .map(|p| (p.field, p.message))
            .collect()
    }

    fn only_problem(plan: &DraftPlan) -> (String, String) {
        let all = fields(plan);
        assert_eq!(all.len(), 1, "{all:?}");
        all.into_iter().next().unwrap()
    }

    #[test]
    fn a_new_plan_takes_the_defaults_and_needs_only_a_name() {
        let plan = offerings().new_plan("p".into());
        assert_eq!(plan.location, "ca-mon");
        assert_eq!(plan.resource_group_id, "g2", "the default group");
        assert_eq!(plan.host_flavor, "bx3d.4x20", "the smallest flavor");
        assert_eq!((plan.members, plan.storage_gb), (2, 10));
        assert_eq!(plan.version, "18");
        assert_eq!(only_problem(&plan).0, field::NAME);
        assert!(validate(&good(), &offerings()).is_empty());
    }

    #[test]
    fn names_follow_resource_controllers_rules() {
        for (name, expect) in [
            ("", "Give the database a name"),
            ("   ", "Give the database a name"),
            ("pg/demo", "can't contain '/'"),
            ("pg\tdemo", "a tab or line break"),
            ("pg-demo ", "start or end"),
            (" pg", "start or end"),
        ] {
            let mut plan = good();
            plan.name = name.into();
            let (f, message) = only_problem(&plan);
            assert_eq!(f, field::NAME);
            assert!(message.contains(expect), "{name:?}: {message}");
        }
        let mut plan = good();
        plan.name = "a".repeat(181);
        assert!(only_problem(&plan).1.contains("181 characters"));
        plan.name = "a".repeat(180);
        assert!(fields(&plan).is_empty());
        plan.name = "Prod DB: Montréal_1.0".into();
        assert!(fields(&plan).is_empty());
    }

    #[test]
    fn location_group_members_flavor_storage_version_each_name_their_field() {
        type Change = Box<dyn Fn(&mut DraftPlan)>;
        let cases: Vec<(Change, &str, &str)> = vec![
            (
                Box::new(|p| p.location.clear()),
                field::LOCATION,
                "Choose a location",
            ),
            (
                Box::new(|p| p.location = "us-south".into()),
                field::LOCATION,
                "not offered in 'us-south'. Choose one of: ca-mon, in-che",
            ),
            (
                Box::new(|p| p.resource_group_id.clear()),
                field::RESOURCE_GROUP,
                "Choose a resource group",
            ),
            (
                Box::new(|p| p.resource_group_id = "zz".into()),
                field::RESOURCE_GROUP,
                "not in the account",
            ),
            (
                Box::new(|p| p.members = 5),
                field::MEMBERS,
                "must be 2 or 3 (you chose 5)",
            ),
            (Box::new(|p| p.members = -1), field::MEMBERS, "you chose -1"),
            (
                Box::new(|p| p.host_flavor.clear()),
                field::HOST_FLAVOR,
                "Choose a host flavor",
            ),
            (
                Box::new(|p| p.host_flavor = "bx3d.48x240".into()),
                field::HOST_FLAVOR,
                "bx3d.48x240 is not offered in ca-mon. Offered there: bx3d.8x40, bx3d.4x20",
            ),
            (
                Box::new(|p| p.storage_gb = 9),
                field::STORAGE,
                "from 10 to 9600 (you entered 9)",
            ),
            (
                Box::new(|p| p.storage_gb = 9601),
                field::STORAGE,
                "(you entered 9601)",
            ),
            (
                Box::new(|p| p.storage_gb = -10),
                field::STORAGE,
                "(you entered -10)",
            ),
            (
                Box::new(|p| p.version.clear()),
                field::VERSION,
                "Choose a PostgreSQL version",
            ),
            (
                Box::new(|p| p.version = "16".into()),
                field::VERSION,
                "PostgreSQL 16 is not offered in ca-mon. Offered: 18",
            ),
        ];
        for (change, expect_field, expect) in cases {
            let mut plan = good();
            change(&mut plan);
            let (f, message) = only_problem(&plan);
            assert_eq!(f, expect_field, "{message}");
            assert!(message.contains(expect), "{message}");
        }
        let mut plan = good();
        plan.storage_gb = 9600;
        plan.members = 3;
        assert!(fields(&plan).is_empty());
    }

    #[test]
    fn a_flavor_of_another_location_is_refused_after_the_location_changes() {
        let mut plan = good();
        plan.host_flavor = "bx3d.8x40".into();
        assert!(fields(&plan).is_empty());
        plan.location = "in-che".into();
        let (f, message) = only_problem(&plan);
        assert_eq!(f, field::HOST_FLAVOR);
        assert!(message.contains("not offered in in-che"), "{message}");
    }

    #[test]
    fn the_private_path_is_validated_with_the_plan_and_warns_about_an_open_ssh_port() {
        let mut plan = good();
        let mut path = Connectivity::suggested("ca-mon", "3f2a9c1e-7b4d-4e2a-9f10-5c6d7e8f9a0b");
        path.jump.image_id = "img".into();
        path.ssh_cidr = "0.0.0.0/0".into();
        plan.connectivity = Some(path.clone());
        assert!(fields(&plan).is_empty());
        assert_eq!(
            warnings(&plan)[0].field,
            crate::connectivity::field::SSH_CIDR
        );
        path.ssh_cidr = "nowhere".into();
        plan.connectivity = Some(path);
        assert_eq!(only_problem(&plan).0, "connectivity.sshCidr");
        assert_eq!(
            field::label("connectivity.sshCidr"),
            "address allowed to SSH"
        );
        assert!(warnings(&good()).is_empty());
    }

    #[test]
    fn key_protect_needs_a_key_and_the_authorization() {
        let mut choice = KeyProtectChoice {
            instance_guid: "kp".into(),
            instance_name: "keys".into(),
            region: "ca-mon".into(),
            key_crn: String::new(),
            key_name: String::new(),
            authorization: Authorization::Exists,
        };
        let mut plan = good();
        plan.encryption = Encryption::KeyProtect(choice.clone());
        assert_eq!(only_problem(&plan).0, field::ENCRYPTION_KEY);
        choice.key_crn = "crn:v1:bluemix:public:kms:ca-mon:a/x:kp:key:1".into();
        for (authorization, ok) in [
            (Authorization::Exists, true),
            (Authorization::Create, true),
            (Authorization::Missing, false),
            (Authorization::Unknown, false),
        ] {
            choice.authorization = authorization;
            plan.encryption = Encryption::KeyProtect(choice.clone());
            let problems = fields(&plan);
            assert_eq!(problems.is_empty(), ok, "{authorization:?}: {problems:?}");
            if !ok {
                assert_eq!(problems[0].0, field::ENCRYPTION_AUTHORIZATION);
            }
        }
    }

    #[test]
    fn the_wire_shape_is_camel_case_with_a_tagged_encryption() {
        let mut plan = good();
        plan.encryption = Encryption::KeyProtect(KeyProtectChoice {
            instance_guid: "kp".into(),
            instance_name: "keys".into(),
            region: "ca-mon".into(),
            key_crn: "crn".into(),
            key_name: "root".into(),
            authorization: Authorization::Create,
        });
        let json = serde_json::to_value(&plan).unwrap();
        assert_eq!(json["resourceGroupId"], "g2");
        assert_eq!(json["storageGb"], 10);
        assert_eq!(json["encryption"]["kind"], "KeyProtect");
        assert_eq!(json["encryption"]["keyCrn"], "crn");
        assert_eq!(json["encryption"]["authorization"], "Create");
        let back: DraftPlan = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(back, plan);
        // A draft saved before the Connectivity step loads with no private path.
        let mut old = json;
        old.as_object_mut().unwrap().remove("connectivity");
        assert_eq!(
            serde_json::from_value::<DraftPlan>(old)
                .unwrap()
                .connectivity,
            None
        );
        let provider = serde_json::json!({"kind": "ProviderManaged"});
        assert_eq!(
            serde_json::from_value::<Encryption>(provider).unwrap(),
            Encryption::ProviderManaged
        );
    }
}
