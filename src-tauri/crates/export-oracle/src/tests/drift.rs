//! Import blocks, id shapes and the drift decisions.

use super::{assert_problem, mutate, schema, tf, CLEAN_TF};
use crate::drift::{drift_arg_names, id_matches, id_shape, IdShape, Remedy, DECISIONS};
use crate::imports;

#[test]
fn imports_lists_to_and_id() {
    let list = imports(CLEAN_TF).unwrap();
    assert_eq!(list.len(), 4);
    assert_eq!(
        list[0],
        (
            "ibm_is_vpc.vpc".to_string(),
            "r038-5c1ef9d4-1111-4a4b-9a7e-0123456789ab".to_string()
        )
    );
    assert!(imports("import {\n  to = ibm_is_vpc.vpc\n  id = var.vpc\n}\n").is_err());
    assert!(imports("import {").is_err());
}

#[test]
fn an_import_of_an_undeclared_resource_is_reported() {
    let t = format!("{CLEAN_TF}\nimport {{\n  to = ibm_is_vpc.other\n  id = \"r038-x\"\n}}\n");
    assert_problem(
        &tf(&t),
        &["import ibm_is_vpc.other: `to` names no resource declared"],
    );
}

#[test]
fn a_second_import_of_the_same_address_is_reported() {
    let t = format!("{CLEAN_TF}\nimport {{\n  to = ibm_is_vpc.vpc\n  id = \"r038-y\"\n}}\n");
    assert_problem(&tf(&t), &["import ibm_is_vpc.vpc: imported more than once"]);
}

#[test]
fn an_import_id_must_be_a_non_empty_literal() {
    let t = mutate(
        "  id = \"r038-5c1ef9d4-1111-4a4b-9a7e-0123456789ab\"\n",
        "  id = \"\"\n",
    );
    assert_problem(
        &tf(&t),
        &["import ibm_is_vpc.vpc: `id` must be a non-empty literal string"],
    );
    let t = mutate(
        "  id = \"r038-5c1ef9d4-1111-4a4b-9a7e-0123456789ab\"\n",
        "  id = var.vpc_id\n",
    );
    assert_problem(
        &tf(&t),
        &["import ibm_is_vpc.vpc: `id` must be a non-empty literal string"],
    );
}

#[test]
fn an_import_to_that_is_not_a_resource_address_is_reported() {
    let t = mutate("  to = ibm_is_vpc.vpc\n", "  to = \"ibm_is_vpc.vpc\"\n");
    assert_problem(&tf(&t), &["import: `to` must be a resource address"]);
}

#[test]
fn a_security_group_rule_import_id_needs_the_dot_form() {
    let t = mutate("555566667777.r038-bbbb", "555566667777/r038-bbbb");
    assert_problem(
        &tf(&t),
        &[
            "import ibm_is_security_group_rule.ssh: id",
            "<security_group_id>.<security_group_rule_id>",
        ],
    );
}

#[test]
fn a_resource_instance_import_id_must_be_a_crn() {
    let t = mutate("id = \"crn:v1:bluemix", "id = \"v1:bluemix");
    assert_problem(&tf(&t), &["import ibm_resource_instance.db: id", "CRN"]);
}

#[test]
fn id_shapes_come_from_the_schema_id_formats() {
    let expected = [
        ("ibm_resource_instance", IdShape::Crn),
        ("ibm_resource_key", IdShape::Crn),
        ("ibm_database", IdShape::Crn),
        ("ibm_is_security_group_rule", IdShape::DotPair),
        ("ibm_metrics_router_settings", IdShape::Region),
        ("ibm_logs_router_settings", IdShape::Region),
        ("ibm_atracker_settings", IdShape::Region),
        ("ibm_logs_router_tenant", IdShape::SlashPair),
        ("ibm_resource_tag", IdShape::CrnOrSlashPair),
        ("ibm_cbr_zone", IdShape::Hex32),
        ("ibm_is_vpc", IdShape::NonEmpty),
        ("ibm_iam_authorization_policy", IdShape::NonEmpty),
    ];
    for (ty, shape) in expected {
        let fmt = schema().resources[ty].import_id_format.as_deref().unwrap();
        assert_eq!(id_shape(fmt), shape, "{ty}: {fmt}");
    }
    assert!(id_matches(IdShape::Region, "us-south"));
    assert!(id_matches(IdShape::Region, "ca-mon"));
    assert!(!id_matches(IdShape::Region, "r038-1234"));
    assert!(!id_matches(IdShape::Region, "US South"));
    assert!(id_matches(IdShape::DotPair, "r038-a.r038-b"));
    assert!(!id_matches(IdShape::DotPair, "a.b.c"));
    assert!(!id_matches(IdShape::DotPair, "a."));
    assert!(id_matches(IdShape::SlashPair, "8717db99/us-east"));
    assert!(id_matches(
        IdShape::Hex32,
        "0123456789abcdef0123456789abcdef"
    ));
    assert!(!id_matches(IdShape::NonEmpty, "has space"));
}

#[test]
fn every_vendored_drift_entry_has_a_decision() {
    for (ty, bt) in &schema().resources {
        for entry in &bt.drift {
            for name in drift_arg_names(&entry.arg) {
                assert!(
                    DECISIONS.iter().any(|(r, a, _)| r == ty && *a == name),
                    "{ty}.{name} ({}) has no decision in drift::DECISIONS",
                    entry.arg
                );
            }
        }
    }
    assert_eq!(
        drift_arg_names("auto_delete_volume / dedicated_host(_group) / x, ..."),
        [
            "auto_delete_volume",
            "dedicated_host",
            "dedicated_host_group",
            "x"
        ]
    );
    let suppressed: Vec<_> = DECISIONS
        .iter()
        .filter(|d| d.2 == Remedy::Suppressed)
        .collect();
    assert_eq!(suppressed.len(), 2);
}

#[test]
fn an_imported_server_with_user_data_needs_ignore_changes() {
    let t = mutate(
        "ignore_changes = [user_data, image]",
        "ignore_changes = [image]",
    );
    assert_problem(
        &tf(&t),
        &[
            "resource ibm_is_instance.jump",
            "`user_data`",
            "would be replaced after import",
        ],
    );
}

#[test]
fn an_imported_server_with_an_image_needs_ignore_changes() {
    let t = mutate(
        "ignore_changes = [user_data, image]",
        "ignore_changes = [user_data]",
    );
    assert_problem(
        &tf(&t),
        &[
            "resource ibm_is_instance.jump",
            "`image`",
            "would be replaced after import",
        ],
    );
}

#[test]
fn an_imported_database_with_parameters_needs_ignore_changes() {
    let t = mutate(
        "    ignore_changes = [parameters_json]\n",
        "    prevent_destroy = true\n",
    );
    assert_problem(
        &tf(&t),
        &[
            "resource ibm_resource_instance.db",
            "`parameters_json`",
            "updated in place after import",
        ],
    );
}

#[test]
fn ignore_changes_all_satisfies_every_drift_entry() {
    let t = mutate(
        "ignore_changes = [user_data, image]",
        "ignore_changes = all",
    );
    let problems = tf(&t);
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn drift_is_only_enforced_on_imported_resources() {
    let start = CLEAN_TF
        .find("import {\n  to = ibm_is_instance.jump")
        .unwrap();
    let end = start + CLEAN_TF[start..].find("}\n").unwrap() + 3;
    let t = CLEAN_TF
        .replace(&CLEAN_TF[start..end], "")
        .replace("ignore_changes = [user_data, image]", "ignore_changes = []");
    let problems = tf(&t);
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn suppressed_drift_needs_nothing() {
    // The clean sample imports the VPC with address_prefix_management and the server with keys,
    // neither in ignore_changes: their DiffSuppressFuncs hide the difference.
    assert!(CLEAN_TF.contains("address_prefix_management = \"auto\""));
    assert!(tf(CLEAN_TF).is_empty());
}

#[test]
fn a_resource_key_needs_the_instance_crn() {
    let t = mutate(
        "resource_instance_id = ibm_resource_instance.db.id",
        "resource_instance_id = ibm_resource_instance.db.guid",
    );
    assert_problem(
        &tf(&t),
        &[
            "resource ibm_resource_key.manager",
            "`resource_instance_id` must be the instance CRN",
        ],
    );
    let t = mutate(
        "resource_instance_id = ibm_resource_instance.db.id",
        "resource_instance_id = \"crn:v1:bluemix:public:databases-for-postgresql:ca-mon:a/1:2::\"",
    );
    assert!(tf(&t).is_empty(), "{:#?}", tf(&t));
}

#[test]
fn a_resource_key_needs_a_role_display_name() {
    let t = mutate(
        "  role                 = \"Manager\"\n",
        "  role                 = \"crn:v1:bluemix:public:iam::::serviceRole:Manager\"\n",
    );
    assert_problem(
        &tf(&t),
        &[
            "resource ibm_resource_key.manager",
            "`role` must be a role display name",
        ],
    );
}

#[test]
fn a_server_image_must_be_an_id() {
    let start = CLEAN_TF
        .find("import {\n  to = ibm_is_instance.jump")
        .unwrap();
    let end = start + CLEAN_TF[start..].find("}\n").unwrap() + 3;
    let not_imported = CLEAN_TF.replace(&CLEAN_TF[start..end], "").replace(
        "ignore_changes = [user_data, image]",
        "ignore_changes = [user_data]",
    );
    assert!(tf(&not_imported).is_empty(), "{:#?}", tf(&not_imported));
    let by_name = not_imported.replace(
        "image     = data.ibm_is_image.ubuntu.id",
        "image     = \"ibm-ubuntu-24-04-2-minimal-amd64-3\"",
    );
    assert_problem(
        &tf(&by_name),
        &[
            "resource ibm_is_instance.jump",
            "`image` must be the image ID",
        ],
    );
    let by_id = not_imported.replace(
        "image     = data.ibm_is_image.ubuntu.id",
        "image     = \"r038-5c1ef9d4-1111-4a4b-9a7e-0123456789ab\"",
    );
    assert!(tf(&by_id).is_empty(), "{:#?}", tf(&by_id));
}
