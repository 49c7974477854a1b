//! VPC API (vpcv1) of one region: the network path to a private database. VPC, subnet,
//! SSH key, image and profile, the jump instance, its floating IP, security-group rules, and
//! the endpoint gateway (VPE) that gives the database an address inside the VPC.

use reqwest::Method;
use serde::{de::DeserializeOwned, Deserialize, Serialize, Serializer};
use serde_json::Value;
use url::Url;

use onramp_secrets::Sensitive;

use crate::{
    context::Cloud,
    endpoints::join_path,
    error::CloudError,
    http::{ApiRequest, Idempotency},
    model::{collect_pages, open_enum, with_query, PageLink},
};

const SERVICE: &str = "VPC";
/// The API version every call pins; behaviour follows this date, not the day of the call.
/// It is the date of the spec IBM's Go SDK was generated from.
pub const API_VERSION: &str = "2026-06-23";
const PAGE_SIZE: &str = "100";

open_enum! {
    /// `status` of a VPC, subnet or floating IP.
    pub enum ResourceStatus {
        Available = "available",
        Deleting = "deleting",
        Failed = "failed",
        Pending = "pending",
    }
}

open_enum! {
    pub enum HealthState {
        Ok = "ok",
        Degraded = "degraded",
        Faulted = "faulted",
        Inapplicable = "inapplicable",
    }
}

open_enum! {
    /// `lifecycle_state` of instances and endpoint gateways.
    pub enum LifecycleState {
        Pending = "pending",
        Stable = "stable",
        Updating = "updating",
        Waiting = "waiting",
        Suspended = "suspended",
        Deleting = "deleting",
        Failed = "failed",
    }
}

open_enum! {
    /// `status` of an instance.
    pub enum InstanceStatus {
        Pending = "pending",
        Starting = "starting",
        Running = "running",
        Stopping = "stopping",
        Stopped = "stopped",
        Restarting = "restarting",
        Deleting = "deleting",
        Failed = "failed",
    }
}

open_enum! {
    pub enum ImageStatus {
        Available = "available",
        Deleting = "deleting",
        Deprecated = "deprecated",
        Failed = "failed",
        Obsolete = "obsolete",
        Pending = "pending",
        Unusable = "unusable",
    }
}

open_enum! {
    pub enum KeyType {
        Rsa = "rsa",
        Ed25519 = "ed25519",
    }
}

open_enum! {
    pub enum RuleDirection {
        Inbound = "inbound",
        Outbound = "outbound",
    }
}

open_enum! {
    /// Rules Onramp creates use `tcp`: `all` became `icmp_tcp_udp` in 2025-12 and `any` is new.
    pub enum RuleProtocol {
        Tcp = "tcp",
        Udp = "udp",
        Icmp = "icmp",
        All = "all",
        IcmpTcpUdp = "icmp_tcp_udp",
        Any = "any",
    }
}

open_enum! {
    pub enum ProfileStatus {
        Current = "current",
        Previous = "previous",
    }
}

// ---------------------------------------------------------------- references

/// A reference to another VPC resource (VPC, subnet, security group, ACL, image, …).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Reference {
    pub id: String,
    pub crn: Option<String>,
    pub href: Option<String>,
    pub name: Option<String>,
    pub resource_type: Option<String>,
}

/// A reference by name (zones, profiles).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct NameReference {
    pub name: String,
    pub href: Option<String>,
    pub resource_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ResourceGroupReference {
    pub id: String,
    pub href: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ReservedIpReference {
    pub address: Option<String>,
    pub id: Option<String>,
    pub href: Option<String>,
    pub name: Option<String>,
    pub resource_type: Option<String>,
}

/// Why a resource is in its state (`status_reasons`, `lifecycle_reasons`, `health_reasons`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Reason {
    pub code: Option<String>,
    pub message: Option<String>,
    pub more_info: Option<String>,
}

// ---------------------------------------------------------------- resources

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Vpc {
    pub id: String,
    pub crn: String,
    pub name: String,
    pub href: Option<String>,
    pub status: Option<ResourceStatus>,
    pub health_state: Option<HealthState>,
    pub classic_access: Option<bool>,
    pub default_network_acl: Option<Reference>,
    pub default_routing_table: Option<Reference>,
    pub default_security_group: Option<Reference>,
    pub resource_group: Option<ResourceGroupReference>,
    pub dns: Option<Value>,
    pub created_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Subnet {
    pub id: String,
    pub crn: String,
    pub name: String,
    pub href: Option<String>,
    pub status: Option<ResourceStatus>,
    pub ipv4_cidr_block: Option<String>,
    pub ip_version: Option<String>,
    pub available_ipv4_address_count: Option<u64>,
    pub total_ipv4_address_count: Option<u64>,
    pub vpc: Option<Reference>,
    pub zone: Option<NameReference>,
    pub network_acl: Option<Reference>,
    pub routing_table: Option<Reference>,
    pub public_gateway: Option<Reference>,
    pub resource_group: Option<ResourceGroupReference>,
    pub created_at: Option<String>,
}

/// An SSH public key registered for instances. The public key is not a secret.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Key {
    pub id: String,
    pub crn: String,
    pub name: String,
    pub href: Option<String>,
    /// `SHA256:…`
    pub fingerprint: Option<String>,
    pub length: Option<u32>,
    pub public_key: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<KeyType>,
    pub resource_group: Option<ResourceGroupReference>,
    pub created_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Image {
    pub id: String,
    pub crn: String,
    pub name: String,
    pub href: Option<String>,
    pub status: Option<ImageStatus>,
    pub visibility: Option<String>,
    pub encryption: Option<String>,
    pub operating_system: Option<OperatingSystem>,
    pub user_data_format: Option<String>,
    #[serde(default)]
    pub zones: Vec<NameReference>,
    pub resource_group: Option<ResourceGroupReference>,
    pub created_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct OperatingSystem {
    pub name: Option<String>,
    /// e.g. `Ubuntu Linux`.
    pub family: Option<String>,
    /// e.g. `amd64`.
    pub architecture: Option<String>,
    pub display_name: Option<String>,
    pub vendor: Option<String>,
    pub version: Option<String>,
    pub href: Option<String>,
    pub user_data_format: Option<String>,
    pub allow_user_image_creation: Option<bool>,
    pub dedicated_host_only: Option<bool>,
}

/// One of an instance profile's `{type, value | values | default | min | max | step}`
/// descriptions; kept loose because the exact contents vary by property.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ProfileProperty {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub value: Option<Value>,
    pub default: Option<Value>,
    #[serde(default)]
    pub values: Vec<Value>,
    pub min: Option<Value>,
    pub max: Option<Value>,
    pub step: Option<Value>,
}

impl ProfileProperty {
    /// The fixed value, or the default, as a whole number.
    pub fn as_u64(&self) -> Option<u64> {
        self.value
            .as_ref()
            .or(self.default.as_ref())
            .and_then(Value::as_u64)
    }

    /// The fixed value, or the default, as text.
    pub fn as_text(&self) -> Option<&str> {
        self.value
            .as_ref()
            .or(self.default.as_ref())
            .and_then(Value::as_str)
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct InstanceProfile {
    /// e.g. `bx2-2x8`.
    pub name: String,
    pub href: Option<String>,
    pub family: Option<String>,
    pub status: Option<ProfileStatus>,
    pub vcpu_count: Option<ProfileProperty>,
    pub memory: Option<ProfileProperty>,
    pub bandwidth: Option<ProfileProperty>,
    pub vcpu_architecture: Option<ProfileProperty>,
    pub os_architecture: Option<ProfileProperty>,
    /// Zones where the profile can be used; check the chosen zone is among them.
    #[serde(default)]
    pub zones: Vec<NameReference>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct NetworkInterfaceReference {
    pub id: String,
    pub href: Option<String>,
    pub name: Option<String>,
    pub primary_ip: Option<ReservedIpReference>,
    pub subnet: Option<Reference>,
    pub resource_type: Option<String>,
}

/// An instance's network interface, with the security groups it is in.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct NetworkInterface {
    pub id: String,
    pub name: Option<String>,
    pub primary_ip: Option<ReservedIpReference>,
    #[serde(default)]
    pub security_groups: Vec<Reference>,
    pub subnet: Option<Reference>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct InstanceVcpu {
    pub architecture: Option<String>,
    pub count: Option<u32>,
    pub manufacturer: Option<String>,
}

/// A virtual server. The floating IP goes on `primary_network_interface.id`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Instance {
    pub id: String,
    pub crn: String,
    pub name: String,
    pub href: Option<String>,
    pub status: Option<InstanceStatus>,
    #[serde(default)]
    pub status_reasons: Vec<Reason>,
    pub lifecycle_state: Option<LifecycleState>,
    #[serde(default)]
    pub lifecycle_reasons: Vec<Reason>,
    pub health_state: Option<HealthState>,
    pub vpc: Option<Reference>,
    pub zone: Option<NameReference>,
    pub profile: Option<NameReference>,
    pub image: Option<Reference>,
    pub primary_network_interface: Option<NetworkInterfaceReference>,
    #[serde(default)]
    pub network_interfaces: Vec<NetworkInterfaceReference>,
    /// The newer attachment form; kept loose as Onramp creates classic interfaces.
    pub primary_network_attachment: Option<Value>,
    /// GiB.
    pub memory: Option<u32>,
    pub vcpu: Option<InstanceVcpu>,
    pub startable: Option<bool>,
    pub resource_group: Option<ResourceGroupReference>,
    pub created_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct FloatingIpTarget {
    pub id: String,
    pub crn: Option<String>,
    pub href: Option<String>,
    pub name: Option<String>,
    pub primary_ip: Option<ReservedIpReference>,
    pub subnet: Option<Reference>,
    pub resource_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct FloatingIp {
    pub id: String,
    pub crn: String,
    pub name: String,
    pub href: Option<String>,
    pub address: Option<String>,
    pub status: Option<ResourceStatus>,
    pub zone: Option<NameReference>,
    pub target: Option<FloatingIpTarget>,
    pub resource_group: Option<ResourceGroupReference>,
    pub created_at: Option<String>,
}

/// The far (or near) end of a rule: a CIDR block, an address, or a security group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct RuleEnd {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cidr_block: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SecurityGroupRule {
    pub id: String,
    pub href: Option<String>,
    pub name: Option<String>,
    pub direction: Option<RuleDirection>,
    pub protocol: Option<RuleProtocol>,
    pub ip_version: Option<String>,
    pub port_min: Option<u16>,
    pub port_max: Option<u16>,
    pub remote: Option<RuleEnd>,
    pub local: Option<RuleEnd>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SecurityGroup {
    pub id: String,
    pub crn: String,
    pub name: String,
    pub href: Option<String>,
    pub vpc: Option<Reference>,
    #[serde(default)]
    pub rules: Vec<SecurityGroupRule>,
    pub resource_group: Option<ResourceGroupReference>,
    pub created_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct EndpointGatewayTarget {
    pub crn: Option<String>,
    pub name: Option<String>,
    pub href: Option<String>,
    pub resource_type: Option<String>,
}

/// A VPE gateway. Ready when `lifecycle_state` is `stable` and an IP is bound.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct EndpointGateway {
    pub id: String,
    pub crn: String,
    pub name: String,
    pub href: Option<String>,
    pub lifecycle_state: Option<LifecycleState>,
    #[serde(default)]
    pub lifecycle_reasons: Vec<Reason>,
    pub health_state: Option<HealthState>,
    #[serde(default)]
    pub ips: Vec<ReservedIpReference>,
    #[serde(default)]
    pub security_groups: Vec<Reference>,
    /// The private host names the gateway answers for.
    #[serde(default)]
    pub service_endpoints: Vec<String>,
    pub target: Option<EndpointGatewayTarget>,
    pub vpc: Option<Reference>,
    pub resource_group: Option<ResourceGroupReference>,
    pub dns_resolution_binding_mode: Option<String>,
    pub created_at: Option<String>,
}

/// A reserved IP of a subnet or of an endpoint gateway.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ReservedIp {
    pub id: String,
    pub address: Option<String>,
    pub href: Option<String>,
    pub name: Option<String>,
    pub auto_delete: Option<bool>,
    pub owner: Option<String>,
    pub lifecycle_state: Option<LifecycleState>,
    pub target: Option<Value>,
    pub resource_type: Option<String>,
    pub created_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Zone {
    pub name: String,
    pub href: Option<String>,
    pub status: Option<String>,
    pub region: Option<NameReference>,
}

// ---------------------------------------------------------------- collections

/// A page of a VPC collection: what paging needs, whatever the items are called.
trait Collection: DeserializeOwned {
    type Item;
    fn into_page(self) -> (Vec<Self::Item>, Option<String>);
}

macro_rules! collection {
    ($(#[$meta:meta])* $name:ident, $field:ident, $item:ty) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Deserialize)]
        pub struct $name {
            pub first: Option<PageLink>,
            pub limit: Option<u32>,
            pub total_count: Option<u64>,
            pub next: Option<PageLink>,
            #[serde(default)]
            pub $field: Vec<$item>,
        }

        impl Collection for $name {
            type Item = $item;
            fn into_page(self) -> (Vec<$item>, Option<String>) {
                let next = self.next.as_ref().and_then(PageLink::start_token);
                (self.$field, next)
            }
        }
    };
}

collection!(VpcCollection, vpcs, Vpc);
collection!(SubnetCollection, subnets, Subnet);
collection!(KeyCollection, keys, Key);
collection!(ImageCollection, images, Image);
collection!(
    /// Paginated from version 2026-04-07 on.
    InstanceProfileCollection,
    profiles,
    InstanceProfile
);
collection!(InstanceCollection, instances, Instance);
collection!(FloatingIpCollection, floating_ips, FloatingIp);
collection!(SecurityGroupCollection, security_groups, SecurityGroup);
collection!(
    EndpointGatewayCollection,
    endpoint_gateways,
    EndpointGateway
);
collection!(EndpointGatewayIpCollection, ips, ReservedIp);
collection!(ReservedIpCollection, reserved_ips, ReservedIp);

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
struct ZoneCollection {
    #[serde(default)]
    zones: Vec<Zone>,
}

// ---------------------------------------------------------------- requests

/// `{"id": …}`: how a request names an existing resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdRef {
    pub id: String,
}

impl IdRef {
    pub fn new(id: impl Into<String>) -> Self {
        IdRef { id: id.into() }
    }
}

/// `{"name": …}`: zones and profiles are named, not numbered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameRef {
    pub name: String,
}

impl NameRef {
    pub fn new(name: impl Into<String>) -> Self {
        NameRef { name: name.into() }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateVpc {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_group: Option<IdRef>,
    /// `auto` (default: one prefix per zone) or `manual`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_prefix_management: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classic_access: Option<bool>,
}

/// Either `zone` + `total_ipv4_address_count`, or `ipv4_cidr_block`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateSubnet {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub vpc: IdRef,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<NameRef>,
    /// A power of two, e.g. 256.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_ipv4_address_count: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv4_cidr_block: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_group: Option<IdRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_acl: Option<IdRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_gateway: Option<IdRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routing_table: Option<IdRef>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateKey {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub public_key: String,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<KeyType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_group: Option<IdRef>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkInterfacePrototype {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub subnet: IdRef,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub security_groups: Vec<IdRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_ip_spoofing: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolumePrototype {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub profile: NameRef,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BootVolumeAttachmentPrototype {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_volume_on_instance_delete: Option<bool>,
    pub volume: VolumePrototype,
}

/// `POST /instances` from an image, with a classic network interface.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreateInstance {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub zone: NameRef,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc: Option<IdRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<NameRef>,
    pub image: IdRef,
    /// SSH keys installed by cloud-init; Linux needs at least one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<IdRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_group: Option<IdRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_network_interface: Option<NetworkInterfacePrototype>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boot_volume_attachment: Option<BootVolumeAttachmentPrototype>,
    /// cloud-init text. Sensitive because Onramp puts the instance's SSH host private key
    /// in it; it is written out only into this request's body.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "expose_optional"
    )]
    pub user_data: Option<Sensitive<String>>,
}

fn expose_optional<S: Serializer>(
    value: &Option<Sensitive<String>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(secret) => serializer.serialize_str(secret.expose()),
        None => serializer.serialize_none(),
    }
}

/// Reserve a floating IP bound to a network interface (`target`) or unbound in a `zone`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateFloatingIp {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<IdRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<NameRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_group: Option<IdRef>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateSecurityGroupRule {
    pub direction: RuleDirection,
    pub protocol: RuleProtocol,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port_min: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port_max: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote: Option<RuleEnd>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local: Option<RuleEnd>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointGatewayTargetPrototype {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `provider_cloud_service` for IBM services such as the database.
    pub resource_type: String,
}

/// An existing reserved IP (`id`) or a new one in `subnet`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointGatewayIpPrototype {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet: Option<IdRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_delete: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateEndpointGateway {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub vpc: IdRef,
    pub target: EndpointGatewayTargetPrototype,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ips: Vec<EndpointGatewayIpPrototype>,
    /// Empty means the VPC's default security group.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub security_groups: Vec<IdRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_group: Option<IdRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_resolution_binding_mode: Option<String>,
}

/// Filters of `GET /images`; stock images are `visibility=public`, `status=available`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageFilter {
    pub name: Option<String>,
    pub visibility: Option<String>,
    pub status: Option<String>,
    pub resource_group_id: Option<String>,
}

// ---------------------------------------------------------------- client

/// The VPC API of one region.
#[derive(Debug, Clone)]
pub struct VpcClient {
    cloud: Cloud,
    base: Url,
    region: String,
}

impl VpcClient {
    pub(crate) fn new(cloud: Cloud, region: &str) -> Result<Self, CloudError> {
        let base = cloud.endpoints().region(region)?.vpc;
        Ok(VpcClient {
            cloud,
            base,
            region: region.to_owned(),
        })
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    /// Every VPC call carries the pinned `version` and `generation=2`.
    fn url(&self, segments: &[&str], query: &[(&str, Option<&str>)]) -> Result<Url, CloudError> {
        let url = with_query(
            join_path(&self.base, segments)?,
            &[("version", Some(API_VERSION)), ("generation", Some("2"))],
        );
        Ok(with_query(url, query))
    }

    async fn get<T: DeserializeOwned>(&self, segments: &[&str]) -> Result<T, CloudError> {
        let url = self.url(segments, &[])?;
        self.cloud.json(&ApiRequest::get(SERVICE, url)).await
    }

    async fn create<T: DeserializeOwned>(
        &self,
        segments: &[&str],
        body: &impl Serialize,
        idempotency: Idempotency,
    ) -> Result<T, CloudError> {
        let request = ApiRequest::new(SERVICE, Method::POST, self.url(segments, &[])?)
            .json(body)?
            .idempotency(idempotency);
        self.cloud.json(&request).await
    }

    async fn delete(&self, segments: &[&str]) -> Result<(), CloudError> {
        let url = self.url(segments, &[])?;
        self.cloud
            .no_content(&ApiRequest::new(SERVICE, Method::DELETE, url))
            .await
    }

    async fn list<C: Collection>(
        &self,
        segments: &[&str],
        filters: &[(&str, Option<&str>)],
    ) -> Result<Vec<C::Item>, CloudError> {
        collect_pages(SERVICE, |start| async move {
            let mut query = filters.to_vec();
            query.push(("limit", Some(PAGE_SIZE)));
            query.push(("start", start.as_deref()));
            let url = self.url(segments, &query)?;
            let page: C = self.cloud.json(&ApiRequest::get(SERVICE, url)).await?;
            Ok(page.into_page())
        })
        .await
    }

    /// `GET /regions/{region}/zones`.
    pub async fn list_zones(&self) -> Result<Vec<Zone>, CloudError> {
        let zones: ZoneCollection = self.get(&["regions", &self.region, "zones"]).await?;
        Ok(zones.zones)
    }

    pub async fn list_vpcs(&self, resource_group_id: Option<&str>) -> Result<Vec<Vpc>, CloudError> {
        self.list::<VpcCollection>(&["vpcs"], &[("resource_group.id", resource_group_id)])
            .await
    }

    pub async fn get_vpc(&self, id: &str) -> Result<Vpc, CloudError> {
        self.get(&["vpcs", id]).await
    }

    /// 201, `status: pending` until `available`.
    pub async fn create_vpc(
        &self,
        body: &CreateVpc,
        idempotency: Idempotency,
    ) -> Result<Vpc, CloudError> {
        self.create(&["vpcs"], body, idempotency).await
    }

    /// 204; subnets, gateways and instances must be gone first.
    pub async fn delete_vpc(&self, id: &str) -> Result<(), CloudError> {
        self.delete(&["vpcs", id]).await
    }

    /// `GET /vpcs/{id}/default_security_group`.
    pub async fn default_security_group(&self, vpc_id: &str) -> Result<SecurityGroup, CloudError> {
        self.get(&["vpcs", vpc_id, "default_security_group"]).await
    }

    pub async fn list_subnets(
        &self,
        vpc_id: Option<&str>,
        zone_name: Option<&str>,
    ) -> Result<Vec<Subnet>, CloudError> {
        self.list::<SubnetCollection>(
            &["subnets"],
            &[("vpc.id", vpc_id), ("zone.name", zone_name)],
        )
        .await
    }

    pub async fn get_subnet(&self, id: &str) -> Result<Subnet, CloudError> {
        self.get(&["subnets", id]).await
    }

    pub async fn create_subnet(
        &self,
        body: &CreateSubnet,
        idempotency: Idempotency,
    ) -> Result<Subnet, CloudError> {
        self.create(&["subnets"], body, idempotency).await
    }

    pub async fn delete_subnet(&self, id: &str) -> Result<(), CloudError> {
        self.delete(&["subnets", id]).await
    }

    /// `GET /subnets/{id}/reserved_ips`.
    pub async fn list_subnet_reserved_ips(
        &self,
        subnet_id: &str,
    ) -> Result<Vec<ReservedIp>, CloudError> {
        self.list::<ReservedIpCollection>(&["subnets", subnet_id, "reserved_ips"], &[])
            .await
    }

    pub async fn list_keys(&self) -> Result<Vec<Key>, CloudError> {
        self.list::<KeyCollection>(&["keys"], &[]).await
    }

    pub async fn get_key(&self, id: &str) -> Result<Key, CloudError> {
        self.get(&["keys", id]).await
    }

    pub async fn create_key(
        &self,
        body: &CreateKey,
        idempotency: Idempotency,
    ) -> Result<Key, CloudError> {
        self.create(&["keys"], body, idempotency).await
    }

    pub async fn delete_key(&self, id: &str) -> Result<(), CloudError> {
        self.delete(&["keys", id]).await
    }

    pub async fn list_images(&self, filter: &ImageFilter) -> Result<Vec<Image>, CloudError> {
        self.list::<ImageCollection>(
            &["images"],
            &[
                ("name", filter.name.as_deref()),
                ("visibility", filter.visibility.as_deref()),
                ("status", filter.status.as_deref()),
                ("resource_group.id", filter.resource_group_id.as_deref()),
            ],
        )
        .await
    }

    pub async fn list_instance_profiles(&self) -> Result<Vec<InstanceProfile>, CloudError> {
        self.list::<InstanceProfileCollection>(&["instance", "profiles"], &[])
            .await
    }

    pub async fn list_instances(
        &self,
        vpc_id: Option<&str>,
        name: Option<&str>,
    ) -> Result<Vec<Instance>, CloudError> {
        self.list::<InstanceCollection>(&["instances"], &[("vpc.id", vpc_id), ("name", name)])
            .await
    }

    pub async fn get_instance(&self, id: &str) -> Result<Instance, CloudError> {
        self.get(&["instances", id]).await
    }

    /// Binds an unbound floating IP to an instance's interface (`PUT`, 201).
    pub async fn bind_floating_ip(
        &self,
        instance: &str,
        nic: &str,
        fip: &str,
    ) -> Result<FloatingIp, CloudError> {
        let url = self.url(
            &[
                "instances",
                instance,
                "network_interfaces",
                nic,
                "floating_ips",
                fip,
            ],
            &[],
        )?;
        self.cloud
            .json(&ApiRequest::new(SERVICE, Method::PUT, url))
            .await
    }

    /// Unbinds a floating IP from an instance's interface (204); the floating IP stays.
    pub async fn unbind_floating_ip(
        &self,
        instance: &str,
        nic: &str,
        fip: &str,
    ) -> Result<(), CloudError> {
        self.delete(&[
            "instances",
            instance,
            "network_interfaces",
            nic,
            "floating_ips",
            fip,
        ])
        .await
    }

    pub async fn get_instance_network_interface(
        &self,
        instance: &str,
        id: &str,
    ) -> Result<NetworkInterface, CloudError> {
        self.get(&["instances", instance, "network_interfaces", id])
            .await
    }

    /// 201, `status` `pending` → `starting` → `running`.
    pub async fn create_instance(
        &self,
        body: &CreateInstance,
        idempotency: Idempotency,
    ) -> Result<Instance, CloudError> {
        self.create(&["instances"], body, idempotency).await
    }

    /// 204; the instance shows `deleting` until GET answers 404.
    pub async fn delete_instance(&self, id: &str) -> Result<(), CloudError> {
        self.delete(&["instances", id]).await
    }

    pub async fn list_floating_ips(&self) -> Result<Vec<FloatingIp>, CloudError> {
        self.list::<FloatingIpCollection>(&["floating_ips"], &[])
            .await
    }

    pub async fn get_floating_ip(&self, id: &str) -> Result<FloatingIp, CloudError> {
        self.get(&["floating_ips", id]).await
    }

    pub async fn create_floating_ip(
        &self,
        body: &CreateFloatingIp,
        idempotency: Idempotency,
    ) -> Result<FloatingIp, CloudError> {
        self.create(&["floating_ips"], body, idempotency).await
    }

    pub async fn delete_floating_ip(&self, id: &str) -> Result<(), CloudError> {
        self.delete(&["floating_ips", id]).await
    }

    pub async fn list_security_groups(
        &self,
        vpc_id: Option<&str>,
    ) -> Result<Vec<SecurityGroup>, CloudError> {
        self.list::<SecurityGroupCollection>(&["security_groups"], &[("vpc.id", vpc_id)])
            .await
    }

    pub async fn get_security_group(&self, id: &str) -> Result<SecurityGroup, CloudError> {
        self.get(&["security_groups", id]).await
    }

    pub async fn create_security_group_rule(
        &self,
        security_group_id: &str,
        body: &CreateSecurityGroupRule,
        idempotency: Idempotency,
    ) -> Result<SecurityGroupRule, CloudError> {
        self.create(
            &["security_groups", security_group_id, "rules"],
            body,
            idempotency,
        )
        .await
    }

    pub async fn delete_security_group_rule(
        &self,
        security_group_id: &str,
        rule_id: &str,
    ) -> Result<(), CloudError> {
        self.delete(&["security_groups", security_group_id, "rules", rule_id])
            .await
    }

    pub async fn list_endpoint_gateways(
        &self,
        vpc_id: Option<&str>,
        name: Option<&str>,
    ) -> Result<Vec<EndpointGateway>, CloudError> {
        self.list::<EndpointGatewayCollection>(
            &["endpoint_gateways"],
            &[("vpc.id", vpc_id), ("name", name)],
        )
        .await
    }

    /// Poll until `lifecycle_state` is `stable`.
    pub async fn get_endpoint_gateway(&self, id: &str) -> Result<EndpointGateway, CloudError> {
        self.get(&["endpoint_gateways", id]).await
    }

    pub async fn create_endpoint_gateway(
        &self,
        body: &CreateEndpointGateway,
        idempotency: Idempotency,
    ) -> Result<EndpointGateway, CloudError> {
        self.create(&["endpoint_gateways"], body, idempotency).await
    }

    pub async fn delete_endpoint_gateway(&self, id: &str) -> Result<(), CloudError> {
        self.delete(&["endpoint_gateways", id]).await
    }

    /// `GET /endpoint_gateways/{id}/ips`: the reserved IPs bound to the gateway.
    pub async fn list_endpoint_gateway_ips(
        &self,
        endpoint_gateway_id: &str,
    ) -> Result<Vec<ReservedIp>, CloudError> {
        self.list::<EndpointGatewayIpCollection>(
            &["endpoint_gateways", endpoint_gateway_id, "ips"],
            &[],
        )
        .await
    }
}
