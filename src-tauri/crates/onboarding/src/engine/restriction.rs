//! The optional context-based restriction: a CBR network zone holding the plan's VPC, and a
//! rule that lets only that zone reach the database's data plane (contract/cbr.md, "Order
//! for the wizard"). Both are looked for before they are created, like the private path's
//! resources, and removed by teardown rule first. Whether IBM enforces CBR on Gen 2 is
//! uncertain; a refusal fails only these steps, with IBM's answer (`engine::optional`).

use std::collections::BTreeMap;

use onramp_cloud::{
    cbr::{
        AddressType, ApiType, Attribute, CbrClient, CreateRule, CreateZone, EnforcementMode,
        RuleContext, RuleFilter, RuleOperations, RuleResource, ZoneAddress, DATA_PLANE_API_TYPE,
    },
    CloudError, Idempotency,
};

use super::{Run, StepResult, Stop};
use crate::{
    journal::{Record, StepId, StepRecord},
    users::instance_guid,
    AppError,
};

/// The service name the rule restricts.
pub const SERVICE_NAME: &str = "databases-for-postgresql";

/// Keys of the journal's `detail` map for these steps.
mod detail {
    pub const VPC_CRN: &str = "vpcCrn";
    pub const ZONE: &str = "zoneId";
}

/// The id of the account's zone with this exact name (the list filters by name, loosely).
async fn zone_named(
    cbr: &CbrClient,
    account_id: &str,
    name: &str,
) -> Result<Option<String>, CloudError> {
    Ok(cbr
        .list_zones(account_id, Some(name))
        .await?
        .into_iter()
        .find(|z| z.name == name)
        .map(|z| z.id))
}

/// The id of the rule the filter finds (the instance's, through the plan's zone).
async fn rule_matching(cbr: &CbrClient, filter: &RuleFilter) -> Result<Option<String>, CloudError> {
    Ok(cbr
        .list_rules(filter)
        .await?
        .into_iter()
        .next()
        .map(|r| r.id))
}

impl Run {
    fn cbr_client(&self) -> Result<CbrClient, Stop> {
        Ok(self.ctx.cloud.cbr().map_err(AppError::from_cloud)?)
    }

    fn instance_guid(&self) -> Result<String, Stop> {
        Ok(instance_guid(&self.id_of(StepId::Instance)?).to_owned())
    }

    fn rule_filter(&self, guid: &str, zone: Option<&str>) -> RuleFilter {
        RuleFilter {
            account_id: self.state().account_id,
            service_name: Some(SERVICE_NAME.to_owned()),
            service_instance: Some(guid.to_owned()),
            zone_id: zone.map(str::to_owned),
        }
    }

    pub(super) async fn cbr_zone(&self) -> StepResult {
        let step = StepId::CbrZone;
        let c = self.connectivity()?;
        let name = c.cbr_zone_name();
        let account_id = self.state().account_id;
        // The zone names the VPC by CRN; the journal keeps its id.
        let vpc_id = self.id_of(StepId::Vpc)?;
        let vpc = self.vpc_client()?;
        let found = self
            .persist(step, "Reading the VPC's CRN", || vpc.get_vpc(&vpc_id))
            .await?;
        let vpc_crn = found.crn;
        let cbr = self.cbr_client()?;
        let body = CreateZone {
            name: name.clone(),
            account_id: account_id.clone(),
            description: format!(
                "Onramp: the VPC {} of the plan '{}'",
                c.vpc_name(),
                self.plan().name
            ),
            addresses: vec![ZoneAddress::new(AddressType::Vpc, vpc_crn.clone())],
            excluded: Vec::new(),
        };
        let (zone_id, adopted) = self
            .find_or_create(
                step,
                "network zone",
                || zone_named(&cbr, &account_id, &name),
                || async { Ok(cbr.create_zone(&body, Idempotency::Unsafe).await?.id) },
                None,
            )
            .await?;
        self.created(
            step,
            &zone_id,
            &name,
            adopted,
            BTreeMap::from([(detail::VPC_CRN.to_owned(), vpc_crn)]),
        )?;
        Ok(self.record(Record::Ready { step })?)
    }

    pub(super) async fn cbr_rule(&self) -> StepResult {
        let step = StepId::CbrRule;
        let c = self.connectivity()?;
        let plan = self.plan();
        let description = c.cbr_rule_description(&plan.name);
        let account_id = self.state().account_id;
        let zone_id = self.id_of(StepId::CbrZone)?;
        let guid = self.instance_guid()?;
        let cbr = self.cbr_client()?;
        let filter = self.rule_filter(&guid, Some(&zone_id));
        let body = CreateRule {
            description: Some(description.clone()),
            resources: vec![RuleResource {
                attributes: vec![
                    Attribute::new("accountId", account_id),
                    Attribute::new("serviceName", SERVICE_NAME),
                    Attribute::new("serviceInstance", guid),
                ],
                tags: Vec::new(),
            }],
            contexts: vec![RuleContext {
                attributes: vec![
                    Attribute::new("networkZoneId", zone_id.clone()),
                    Attribute::new("endpointType", "private"),
                ],
            }],
            // Cloud Databases takes only the data plane, and only enforced rules.
            operations: Some(RuleOperations {
                api_types: vec![ApiType {
                    api_type_id: DATA_PLANE_API_TYPE.to_owned(),
                }],
            }),
            enforcement_mode: Some(EnforcementMode::Enabled),
        };
        let (rule_id, adopted) = self
            .find_or_create(
                step,
                "rule",
                || rule_matching(&cbr, &filter),
                || async { Ok(cbr.create_rule(&body, Idempotency::Unsafe).await?.id) },
                None,
            )
            .await?;
        self.created(
            step,
            &rule_id,
            &description,
            adopted,
            BTreeMap::from([(detail::ZONE.to_owned(), zone_id)]),
        )?;
        Ok(self.record(Record::Ready { step })?)
    }

    /// Teardown of the zone or the rule: what an interrupted create left is looked for
    /// first; "not found" means done.
    pub(super) async fn teardown_restriction(
        &self,
        step: StepId,
        record: &StepRecord,
    ) -> StepResult {
        let cbr = self.cbr_client()?;
        let what = "Looking for what an interrupted create left";
        let id = match (record.id.clone(), step) {
            (Some(id), _) => Some(id),
            (None, StepId::CbrZone) => {
                let name = self.connectivity()?.cbr_zone_name();
                let account_id = self.state().account_id;
                self.persist(step, what, || zone_named(&cbr, &account_id, &name))
                    .await?
            }
            (None, _) => {
                let zone = self.state().step(StepId::CbrZone).id;
                match (self.state().step(StepId::Instance).id, zone) {
                    (Some(instance), Some(zone)) => {
                        let filter = self.rule_filter(instance_guid(&instance), Some(&zone));
                        self.persist(step, what, || rule_matching(&cbr, &filter))
                            .await?
                    }
                    _ => None,
                }
            }
        };
        let Some(id) = id else {
            return Ok(self.record(Record::Deleted { step })?);
        };
        self.record(Record::DeleteIntent { step })?;
        if step == StepId::CbrRule {
            self.delete(step, "Deleting the rule", || cbr.delete_rule(&id))
                .await?;
        } else {
            self.delete(step, "Deleting the network zone", || cbr.delete_zone(&id))
                .await?;
        }
        Ok(self.record(Record::Deleted { step })?)
    }
}
