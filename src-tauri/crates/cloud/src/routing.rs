//! What the three observability routing APIs (Metrics Routing v3, Activity Tracker Event
//! Routing v2, Logs Routing v3) share: a target's write status, who manages an object, the
//! kinds of target, and the target references and filters of the two that look alike.
//! Their differences (verbs, settings names, rule shapes) stay in their own modules.

use serde::{Deserialize, Serialize};

use crate::model::{open_enum, text_or_json};

open_enum! {
    /// `target_type`. Metrics Routing knows only `sysdig_monitor`, Logs Routing only
    /// `cloud_logs`; Activity Tracker all but the first.
    pub enum TargetType {
        SysdigMonitor = "sysdig_monitor",
        CloudLogs = "cloud_logs",
        CloudObjectStorage = "cloud_object_storage",
        EventStreams = "event_streams",
        AppConfig = "app_config",
    }
}

open_enum! {
    /// `managed_by` of a target or route; immutable once set.
    pub enum ManagedBy {
        Account = "account",
        Enterprise = "enterprise",
    }
}

open_enum! {
    /// `write_status.status`.
    pub enum WriteState {
        Success = "success",
        Failed = "failed",
    }
}

open_enum! {
    /// `action` of a Metrics or Logs Routing rule; `send` when absent.
    pub enum RuleAction {
        Send = "send",
        Drop = "drop",
    }
}

open_enum! {
    /// `operand` of an inclusion filter. Logs Routing accepts `location` only, which is why
    /// a Logs Routing route cannot pick out one database.
    pub enum FilterOperand {
        Location = "location",
        ServiceName = "service_name",
        ServiceInstance = "service_instance",
        ResourceType = "resource_type",
        Resource = "resource",
    }
}

open_enum! {
    /// `is` takes exactly one value, `in` up to 20.
    pub enum FilterOperator {
        Is = "is",
        In = "in",
    }
}

/// Whether the service could write to a target. A `failed` status with an authorization
/// reason is what a missing service-to-service policy looks like.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteStatus {
    pub status: WriteState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_failure: Option<String>,
    /// Documented as text; a mock shows an object, which is kept as its JSON text.
    #[serde(
        default,
        deserialize_with = "text_or_json",
        skip_serializing_if = "Option::is_none"
    )]
    pub reason_for_last_failure: Option<String>,
}

impl WriteStatus {
    pub fn is_failed(&self) -> bool {
        self.status == WriteState::Failed
    }
}

/// A target as a route or the settings show it (Metrics and Logs Routing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetReference {
    pub id: String,
    pub crn: String,
    pub name: String,
    pub target_type: TargetType,
}

/// A target as a request names it: `{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetIdentity {
    pub id: String,
}

impl TargetIdentity {
    pub fn new(id: impl Into<String>) -> Self {
        TargetIdentity { id: id.into() }
    }
}

impl From<&TargetReference> for TargetIdentity {
    fn from(reference: &TargetReference) -> Self {
        TargetIdentity::new(reference.id.clone())
    }
}

/// One condition of a rule; the filters of a rule are ANDed. The values are taken from
/// the CRN of the data's source (e.g. `service_instance` is the instance GUID).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InclusionFilter {
    pub operand: FilterOperand,
    pub operator: FilterOperator,
    pub values: Vec<String>,
}

impl InclusionFilter {
    /// `operand is value`.
    pub fn is(operand: FilterOperand, value: impl Into<String>) -> Self {
        InclusionFilter {
            operand,
            operator: FilterOperator::Is,
            values: vec![value.into()],
        }
    }

    /// `operand in values` (at most 20).
    pub fn is_in(operand: FilterOperand, values: impl IntoIterator<Item = String>) -> Self {
        InclusionFilter {
            operand,
            operator: FilterOperator::In,
            values: values.into_iter().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_reason_is_read_as_text_or_as_the_object_a_mock_shows() {
        let text: WriteStatus = serde_json::from_str(
            r#"{"status":"failed","last_failure":"2024-10-14T10:49:09Z","reason_for_last_failure":"Logs endpoint is not reachable. Received status code: 403"}"#,
        )
        .unwrap();
        assert!(text.is_failed());
        assert!(text
            .reason_for_last_failure
            .as_deref()
            .is_some_and(|r| r.contains("403")));
        let object: WriteStatus = serde_json::from_str(
            r#"{"status":"failed","reason_for_last_failure":{"message":"AUTH0001:Authorization","reason":"S2S token not authorized"}}"#,
        )
        .unwrap();
        assert!(object
            .reason_for_last_failure
            .as_deref()
            .is_some_and(|r| r.contains("AUTH0001")));
        let unknown: WriteStatus = serde_json::from_str(r#"{"status":"paused"}"#).unwrap();
        assert_eq!(unknown.status, WriteState::Unknown("paused".into()));
    }
}
