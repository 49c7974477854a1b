//! The resources a plan makes and what each waits for: one entry per kind. Independent
//! steps run in parallel, so the private path is built while the database provisions; the
//! estimate is the graph's critical path. Adding a kind is its file in `resources/` and
//! its entry here.

use std::collections::BTreeMap;

use super::{
    resource::Resource,
    resources::{
        activity_route::ACTIVITY_ROUTE,
        activity_target::ACTIVITY_TARGET,
        authorization::AUTHORIZATION,
        cbr_rule::CBR_RULE,
        cbr_zone::CBR_ZONE,
        database::DATABASE,
        endpoint_gateway::ENDPOINT_GATEWAY,
        floating_ip::FLOATING_IP,
        jump_server::JUMP_SERVER,
        logs_instance::LOGS_INSTANCE,
        logs_route::LOGS_ROUTE,
        logs_settings::LOGS_SETTINGS,
        logs_target::LOGS_TARGET,
        manager_key::MANAGER_KEY,
        metrics_route::METRICS_ROUTE,
        metrics_settings::METRICS_SETTINGS,
        metrics_target::METRICS_TARGET,
        monitoring_instance::MONITORING_INSTANCE,
        routing_authorization::{
            ACTIVITY_AUTHORIZATION, LOGS_ROUTER_AUTHORIZATION, METRICS_AUTHORIZATION,
        },
        security_group_rule::POSTGRES_RULE,
        security_group_rule::SSH_RULE,
        ssh_key::SSH_KEY,
        subnet::SUBNET,
        vpc::VPC,
    },
};
use crate::{
    journal::StepId,
    plan::{DraftPlan, Encryption},
};

/// Every kind the engine knows, in the graph's order.
pub(crate) static KINDS: [&dyn Resource; 26] = [
    &AUTHORIZATION,
    &DATABASE,
    &MANAGER_KEY,
    &VPC,
    &SUBNET,
    &SSH_KEY,
    &SSH_RULE,
    &POSTGRES_RULE,
    &JUMP_SERVER,
    &FLOATING_IP,
    &ENDPOINT_GATEWAY,
    &CBR_ZONE,
    &CBR_RULE,
    &MONITORING_INSTANCE,
    &METRICS_AUTHORIZATION,
    &METRICS_SETTINGS,
    &METRICS_TARGET,
    &METRICS_ROUTE,
    &LOGS_INSTANCE,
    &ACTIVITY_AUTHORIZATION,
    &ACTIVITY_TARGET,
    &ACTIVITY_ROUTE,
    &LOGS_ROUTER_AUTHORIZATION,
    &LOGS_SETTINGS,
    &LOGS_TARGET,
    &LOGS_ROUTE,
];

/// The steps of `plan`, each with the steps it waits for, in an order where every step
/// comes after what it waits for (teardown walks it backwards).
pub fn graph(plan: &DraftPlan) -> Vec<(StepId, Vec<StepId>)> {
    let creates_authorization = matches!(
        &plan.encryption,
        Encryption::KeyProtect(choice) if choice.authorization == crate::plan::Authorization::Create
    );
    use StepId::*;
    let path = plan.connectivity.is_some();
    let restrict = plan.connectivity.as_ref().is_some_and(|c| c.restrict);
    let metrics = crate::observability::monitoring(plan).is_some();
    let events = crate::observability::activity(plan).is_some();
    let platform_logs = crate::observability::platform_logs(plan);
    let entries: [(StepId, bool, Vec<StepId>); 26] = [
        (Authorization, creates_authorization, vec![]),
        (
            Instance,
            true,
            if creates_authorization {
                vec![Authorization]
            } else {
                vec![]
            },
        ),
        (ManagerKey, true, vec![Instance]),
        // The VPC chain waits for nothing of the database's: it is built while the
        // database provisions. Only the VPE needs the database (its CRN, active).
        (Vpc, path, vec![]),
        (Subnet, path, vec![Vpc]),
        (SshKey, path, vec![]),
        (SshRule, path, vec![Vpc]),
        (PostgresRule, path, vec![Vpc]),
        (JumpVsi, path, vec![Subnet, SshKey]),
        (FloatingIp, path, vec![JumpVsi]),
        (Vpe, path, vec![Instance, Subnet]),
        // The zone holds the VPC (its CRN); the rule names the instance (its GUID).
        (CbrZone, restrict, vec![Vpc]),
        (CbrRule, restrict, vec![CbrZone, Instance]),
        // Observability: the Monitoring instance is made while the database provisions;
        // the route names the database, so it waits for it.
        (MonitoringInstance, metrics, vec![]),
        (MetricsAuthorization, metrics, vec![MonitoringInstance]),
        (MetricsSettings, metrics, vec![]),
        (
            MetricsTarget,
            metrics,
            vec![MonitoringInstance, MetricsAuthorization, MetricsSettings],
        ),
        (MetricsRoute, metrics, vec![MetricsTarget, Instance]),
        (LogsInstance, events, vec![]),
        (ActivityAuthorization, events, vec![LogsInstance]),
        (
            ActivityTarget,
            events,
            vec![LogsInstance, ActivityAuthorization],
        ),
        (ActivityRoute, events, vec![ActivityTarget]),
        // The settings first: an account Logs Routing will not move to v3 (v1 tenants in
        // use) stops platform logs before anything is made for them.
        (LogsSettings, platform_logs, vec![]),
        (
            LogsRouterAuthorization,
            platform_logs,
            vec![LogsInstance, LogsSettings],
        ),
        (LogsTarget, platform_logs, vec![LogsRouterAuthorization]),
        (LogsRoute, platform_logs, vec![LogsTarget]),
    ];
    entries
        .into_iter()
        .filter(|(_, included, _)| *included)
        .map(|(step, _, deps)| (step, deps))
        .collect()
}

/// The longest chain through the graph, by `cost` per step.
pub(crate) fn critical_path(graph: &[(StepId, Vec<StepId>)], cost: impl Fn(StepId) -> u64) -> u64 {
    let mut finish: BTreeMap<StepId, u64> = BTreeMap::new();
    for (step, deps) in graph {
        let start = deps
            .iter()
            .filter_map(|d| finish.get(d))
            .max()
            .copied()
            .unwrap_or(0);
        finish.insert(*step, start + cost(*step));
    }
    finish.values().max().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use std::{collections::BTreeSet, time::Duration};

    use super::*;
    use crate::{
        engine::{resources, timing::millis, Timing},
        plan::{Authorization, KeyProtectChoice},
    };

    pub(crate) fn plan(encryption: Encryption) -> DraftPlan {
        DraftPlan {
            id: "3f2a9c1e-7b4d-4e2a-9f10-5c6d7e8f9a0b".into(),
            name: "pg-demo".into(),
            location: "ca-mon".into(),
            resource_group_id: "g".into(),
            members: 2,
            host_flavor: "bx3d.4x20".into(),
            storage_gb: 10,
            version: "18".into(),
            encryption,
            connectivity: None,
            observability: None,
            existing: None,
        }
    }

    fn byok(authorization: Authorization) -> Encryption {
        Encryption::KeyProtect(KeyProtectChoice {
            instance_guid: "kp".into(),
            instance_name: "keys".into(),
            region: "ca-mon".into(),
            key_crn: "crn:key".into(),
            key_name: "root".into(),
            authorization,
        })
    }

    #[test]
    fn every_step_has_one_kind() {
        for kind in KINDS {
            assert_eq!(resources::of(kind.step()).step(), kind.step());
        }
        let steps: BTreeSet<StepId> = KINDS.iter().map(|k| k.step()).collect();
        assert_eq!(steps.len(), KINDS.len(), "one kind per step");
    }

    #[test]
    fn the_graph_has_the_authorization_only_when_the_plan_creates_it() {
        let steps = |e| graph(&plan(e));
        assert_eq!(
            steps(Encryption::ProviderManaged),
            vec![
                (StepId::Instance, vec![]),
                (StepId::ManagerKey, vec![StepId::Instance])
            ]
        );
        assert_eq!(
            steps(byok(Authorization::Exists)).len(),
            2,
            "an existing authorization is not Onramp's to create or delete"
        );
        assert_eq!(
            steps(byok(Authorization::Create)),
            vec![
                (StepId::Authorization, vec![]),
                (StepId::Instance, vec![StepId::Authorization]),
                (StepId::ManagerKey, vec![StepId::Instance])
            ]
        );
    }

    #[test]
    fn the_vpc_chain_does_not_wait_for_the_database_and_the_vpe_does() {
        use crate::connectivity::{Connectivity, VpcChoice};
        let mut p = plan(Encryption::ProviderManaged);
        p.connectivity = Some(Connectivity::suggested("ca-mon", &p.id));
        let g = graph(&p);
        let deps = |s: StepId| g.iter().find(|(x, _)| *x == s).unwrap().1.clone();
        // Everything a step waits for, transitively.
        fn upstream(g: &[(StepId, Vec<StepId>)], s: StepId, out: &mut BTreeSet<StepId>) {
            for d in &g.iter().find(|(x, _)| *x == s).unwrap().1 {
                out.insert(*d);
                upstream(g, *d, out);
            }
        }
        for step in [
            StepId::Vpc,
            StepId::Subnet,
            StepId::SshKey,
            StepId::SshRule,
            StepId::PostgresRule,
            StepId::JumpVsi,
            StepId::FloatingIp,
        ] {
            let mut up = BTreeSet::new();
            upstream(&g, step, &mut up);
            assert!(
                !up.contains(&StepId::Instance),
                "{step:?} waits for the database"
            );
        }
        assert_eq!(deps(StepId::Vpe), [StepId::Instance, StepId::Subnet]);
        assert_eq!(deps(StepId::JumpVsi), [StepId::Subnet, StepId::SshKey]);
        // Teardown goes in reverse: the path before the database, the VPE first.
        let reverse: Vec<StepId> = g.iter().rev().map(|(s, _)| *s).collect();
        assert_eq!(reverse[0], StepId::Vpe);
        assert_eq!(
            &reverse[7..],
            [StepId::Vpc, StepId::ManagerKey, StepId::Instance]
        );
        // The estimate runs the chain beside the database, not after it.
        let timing = Timing::sandbox(Duration::from_secs(600));
        let cost = |s: StepId| millis(resources::of(s).estimate(&timing));
        assert_eq!(
            critical_path(&g, cost),
            cost(StepId::Instance) + cost(StepId::Vpe)
        );
        // A chosen VPC is the user's; a created one is not.
        assert!(!resources::of(StepId::Vpc).chosen(&p));
        if let Some(c) = p.connectivity.as_mut() {
            c.vpc = VpcChoice::Existing {
                id: "v".into(),
                name: "mine".into(),
            };
        }
        assert!(resources::of(StepId::Vpc).chosen(&p));
        assert!(!resources::of(StepId::JumpVsi).chosen(&p));
    }

    #[test]
    fn the_estimate_is_the_critical_path() {
        let g = graph(&plan(byok(Authorization::Create)));
        assert_eq!(critical_path(&g, |_| 1), 3);
        let parallel = vec![
            (StepId::Authorization, vec![]),
            (StepId::Instance, vec![]),
            (StepId::ManagerKey, vec![StepId::Instance]),
        ];
        assert_eq!(
            critical_path(&parallel, |s| if s == StepId::Authorization {
                10
            } else {
                2
            }),
            10
        );
    }
}
