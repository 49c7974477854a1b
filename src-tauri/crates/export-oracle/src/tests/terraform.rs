//! check_terraform: parsing, schema arguments and blocks, constraints, providers, references.

use super::{assert_problem, mutate, tf, CLEAN_ROUTING_TF, CLEAN_TF};

#[test]
fn the_clean_sample_has_no_problem() {
    let problems = tf(CLEAN_TF);
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn the_routing_sample_has_no_problem() {
    let problems = tf(CLEAN_ROUTING_TF);
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn a_parse_error_is_one_problem() {
    let problems = tf("resource \"ibm_is_vpc\" \"vpc\" {\n  name = \"x\"\n");
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(problems[0].starts_with("HCL parse error"), "{problems:#?}");
}

#[test]
fn a_single_line_block_left_open_is_a_parse_error() {
    let problems = tf("import { to = ibm_is_vpc.vpc\n  id = \"x\" }\n");
    assert_problem(&problems, &["HCL parse error"]);
}

#[test]
fn an_unknown_resource_type_is_reported() {
    let t = mutate(
        "resource \"ibm_is_ssh_key\" \"key\"",
        "resource \"ibm_is_sshkey\" \"key\"",
    );
    assert_problem(
        &tf(&t),
        &[
            "resource ibm_is_sshkey.key",
            "not in the provider 2.5.0 schema",
        ],
    );
}

#[test]
fn an_unknown_data_source_type_is_reported() {
    let t = mutate(
        "data \"ibm_is_image\" \"ubuntu\"",
        "data \"ibm_is_images\" \"ubuntu\"",
    );
    assert_problem(&tf(&t), &["data ibm_is_images.ubuntu", "data source type"]);
}

#[test]
fn an_unknown_argument_is_reported() {
    let t = mutate(
        "  type       = \"ed25519\"\n",
        "  type       = \"ed25519\"\n\n  foo = 1\n",
    );
    assert_problem(
        &tf(&t),
        &["resource ibm_is_ssh_key.key: unknown argument `foo`"],
    );
}

#[test]
fn a_computed_only_argument_is_reported() {
    let t = mutate(
        "  name                      = \"onramp-vpc\"\n",
        "  name                      = \"onramp-vpc\"\n\n  crn = \"x\"\n",
    );
    assert_problem(&tf(&t), &["ibm_is_vpc.vpc", "`crn` is computed-only"]);
}

#[test]
fn a_deprecated_argument_is_reported() {
    let t = mutate(
        "  name                      = \"onramp-vpc\"\n",
        "  name                      = \"onramp-vpc\"\n\n  classic_access = false\n",
    );
    assert_problem(
        &tf(&t),
        &["ibm_is_vpc.vpc", "`classic_access` is deprecated"],
    );
}

#[test]
fn an_unknown_argument_inside_a_nested_block_is_reported() {
    let t = mutate(
        "    subnet          = ibm_is_subnet.subnet.id\n",
        "    subnet          = ibm_is_subnet.subnet.id\n\n    bogus = 1\n",
    );
    assert_problem(
        &tf(&t),
        &[
            "ibm_is_instance.jump",
            "unknown argument `primary_network_interface.0.bogus`",
        ],
    );
}

#[test]
fn an_unknown_nested_block_is_reported() {
    let t = mutate(
        "  primary_network_interface {\n",
        "  nic {}\n\n  primary_network_interface {\n",
    );
    assert_problem(&tf(&t), &["ibm_is_instance.jump", "unknown block `nic`"]);
}

#[test]
fn a_block_written_as_an_attribute_is_reported() {
    let t = mutate(
        "  address_prefix_management = \"auto\"\n",
        "  address_prefix_management = \"auto\"\n\n  dns = { enable_hub = true }\n",
    );
    assert_problem(&tf(&t), &["ibm_is_vpc.vpc", "`dns` is a block"]);
}

#[test]
fn an_argument_written_as_a_block_is_reported() {
    let t = mutate(
        "  address_prefix_management = \"auto\"\n",
        "  address_prefix_management = \"auto\"\n\n  tags {}\n",
    );
    assert_problem(
        &tf(&t),
        &["ibm_is_vpc.vpc", "`tags` is an argument, not a block"],
    );
}

#[test]
fn a_missing_required_argument_is_reported() {
    let t = mutate("  zone                     = \"ca-mon-1\"\n", "");
    assert_problem(
        &tf(&t),
        &["ibm_is_subnet.subnet", "missing required argument `zone`"],
    );
}

#[test]
fn a_missing_required_nested_argument_is_reported() {
    let t = mutate("    crn           = ibm_resource_instance.db.id\n    resource_type = \"provider_cloud_service\"\n", "    crn = ibm_resource_instance.db.id\n");
    assert_problem(
        &tf(&t),
        &[
            "ibm_is_virtual_endpoint_gateway.vpe",
            "missing required argument `target.0.resource_type`",
        ],
    );
}

#[test]
fn a_missing_required_block_is_reported() {
    let t = mutate("  target {\n    crn           = ibm_resource_instance.db.id\n    resource_type = \"provider_cloud_service\"\n  }\n\n", "");
    assert_problem(
        &tf(&t),
        &[
            "ibm_is_virtual_endpoint_gateway.vpe",
            "missing required block `target`",
        ],
    );
}

#[test]
fn too_many_blocks_are_reported() {
    let t = mutate("  lifecycle {\n    ignore_changes = [user_data, image]\n", "  primary_network_interface {\n    subnet = ibm_is_subnet.subnet.id\n  }\n\n  lifecycle {\n    ignore_changes = [user_data, image]\n");
    assert_problem(
        &tf(&t),
        &[
            "ibm_is_instance.jump",
            "`primary_network_interface` appears 2 times, at most 1",
        ],
    );
}

#[test]
fn meta_arguments_are_allowed() {
    let t = mutate(
        "  type       = \"ed25519\"\n",
        "  type       = \"ed25519\"\n  depends_on = [ibm_is_vpc.vpc]\n  provider   = ibm\n",
    );
    let problems = tf(&t);
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn a_timeouts_block_where_none_is_declared_is_reported() {
    let t = mutate(
        "  type       = \"ed25519\"\n",
        "  type       = \"ed25519\"\n\n  timeouts {\n    create = \"5m\"\n  }\n",
    );
    assert_problem(&tf(&t), &["ibm_is_ssh_key.key", "declares no timeouts"]);
}

#[test]
fn a_timeouts_key_the_resource_does_not_declare_is_reported() {
    let t = mutate(
        "  address_prefix_management = \"auto\"\n",
        "  address_prefix_management = \"auto\"\n\n  timeouts {\n    update = \"5m\"\n  }\n",
    );
    assert_problem(
        &tf(&t),
        &[
            "ibm_is_vpc.vpc",
            "timeouts: `update` is not accepted (accepted: create, delete)",
        ],
    );
}

#[test]
fn a_timeout_that_is_not_a_duration_is_reported() {
    let t = mutate("    create = \"30m\"\n", "    create = \"half an hour\"\n");
    assert_problem(&tf(&t), &["ibm_resource_instance.db", "is not a duration"]);
}

#[test]
fn a_gen2_database_needs_a_long_create_timeout() {
    let t = mutate("    create = \"30m\"\n", "    create = \"15m\"\n");
    assert_problem(&tf(&t), &["ibm_resource_instance.db", "Gen 2 provisioning"]);
    let t = mutate("  timeouts {\n    create = \"30m\"\n  }\n\n", "");
    assert_problem(
        &tf(&t),
        &["ibm_resource_instance.db", "create timeout is 10m"],
    );
}

#[test]
fn ignore_changes_must_name_known_arguments() {
    let t = mutate(
        "ignore_changes = [user_data, image]",
        "ignore_changes = [user_data, image, nope]",
    );
    assert_problem(
        &tf(&t),
        &[
            "ibm_is_instance.jump",
            "ignore_changes names unknown argument `nope`",
        ],
    );
    let t = mutate(
        "ignore_changes = [user_data, image]",
        "ignore_changes = [user_data, image, status]",
    );
    assert_problem(&tf(&t), &["ibm_is_instance.jump", "computed-only `status`"]);
    let t = mutate(
        "ignore_changes = [user_data, image]",
        "ignore_changes = [user_data, \"image\"]",
    );
    assert_problem(&tf(&t), &["ibm_is_instance.jump", "must be a bare name"]);
}

#[test]
fn an_unknown_lifecycle_key_is_reported() {
    let t = mutate(
        "    ignore_changes = [parameters_json]\n",
        "    ignore_changes = [parameters_json]\n    prevent_destroyy = true\n",
    );
    assert_problem(
        &tf(&t),
        &[
            "ibm_resource_instance.db",
            "lifecycle: `prevent_destroyy` is not allowed",
        ],
    );
}

#[test]
fn a_literal_outside_allowed_values_is_reported() {
    let t = mutate("  type       = \"ed25519\"\n", "  type       = \"dsa\"\n");
    assert_problem(
        &tf(&t),
        &[
            "ibm_is_ssh_key.key",
            "`type` = \"dsa\" is not one of: ed25519, rsa",
        ],
    );
}

#[test]
fn a_nested_literal_outside_allowed_values_is_reported() {
    let t = mutate("\"provider_cloud_service\"", "\"cloud_service\"");
    assert_problem(
        &tf(&t),
        &[
            "ibm_is_virtual_endpoint_gateway.vpe",
            "`target.0.resource_type` = \"cloud_service\"",
        ],
    );
}

#[test]
fn conflicting_arguments_are_reported_once() {
    let t = mutate(
        "  total_ipv4_address_count = 16\n",
        "  total_ipv4_address_count = 16\n  ipv4_cidr_block          = \"10.0.0.0/28\"\n",
    );
    let problems = tf(&t);
    assert_problem(&problems, &["ibm_is_subnet.subnet", "conflicts with"]);
    assert_eq!(
        problems.iter().filter(|p| p.contains("conflicts")).count(),
        1,
        "{problems:#?}"
    );
}

#[test]
fn exactly_one_of_is_enforced() {
    let t = mutate(
        "  target = ibm_is_instance.jump.primary_network_interface[0].id\n",
        "",
    );
    assert_problem(
        &tf(&t),
        &[
            "ibm_is_floating_ip.jump",
            "exactly one of `target`, `zone` must be set (found: none)",
        ],
    );
    let t = mutate(
        "  primary_network_interface {\n",
        "  primary_network_attachment {}\n\n  primary_network_interface {\n",
    );
    assert_problem(
        &tf(&t),
        &[
            "ibm_is_instance.jump",
            "exactly one of",
            "found: primary_network_attachment, primary_network_interface",
        ],
    );
}

#[test]
fn at_least_one_of_is_enforced() {
    let t = mutate("  image     = data.ibm_is_image.ubuntu.id\n", "");
    assert_problem(
        &tf(&t),
        &["ibm_is_instance.jump", "at least one of", "`image`"],
    );
}

#[test]
fn required_with_is_enforced() {
    let t = mutate("  port_max  = 22\n", "");
    assert_problem(
        &tf(&t),
        &[
            "ibm_is_security_group_rule.ssh",
            "`port_min` requires `port_max`",
        ],
    );
}

#[test]
fn the_provider_must_be_pinned_to_2_5_0() {
    let t = mutate(
        "      version = \"2.5.0\"\n",
        "      version = \">= 2.4.0\"\n",
    );
    assert_problem(&tf(&t), &["required_providers.ibm.version must pin 2.5.0"]);
    for ok in ["= 2.5.0", "~> 2.5.0"] {
        let t = mutate("\"2.5.0\"", &format!("\"{ok}\""));
        assert!(tf(&t).is_empty(), "{ok}: {:#?}", tf(&t));
    }
    let t = mutate(
        "      source  = \"IBM-Cloud/ibm\"\n",
        "      source  = \"hashicorp/ibm\"\n",
    );
    assert_problem(&tf(&t), &["required_providers.ibm.source"]);
    let start = CLEAN_TF.find("terraform {").unwrap();
    let end = CLEAN_TF.find("provider \"ibm\"").unwrap();
    let t = mutate(&CLEAN_TF[start..end], "");
    assert_problem(&tf(&t), &["no `terraform { required_providers"]);
}

#[test]
fn references_must_name_declared_resources_and_known_attributes() {
    let t = mutate(
        "  vpc                      = ibm_is_vpc.vpc.id\n",
        "  vpc                      = ibm_is_vpc.vpx.id\n",
    );
    assert_problem(&tf(&t), &["reference `ibm_is_vpc.vpx.id`", "not declared"]);
    let t = mutate(
        "  vpc                      = ibm_is_vpc.vpc.id\n",
        "  vpc                      = ibm_is_vpc.vpc.vpc_id\n",
    );
    assert_problem(
        &tf(&t),
        &[
            "reference `ibm_is_vpc.vpc.vpc_id`",
            "ibm_is_vpc has no attribute `vpc_id`",
        ],
    );
    let t = mutate(
        "data.ibm_is_image.ubuntu.id\n",
        "data.ibm_is_image.debian.id\n",
    );
    assert_problem(&tf(&t), &["`data.ibm_is_image.debian` is not declared"]);
}

#[test]
fn the_top_level_must_be_terraform_blocks() {
    let t = format!("{CLEAN_TF}\nresources \"ibm_is_vpc\" \"x\" {{}}\n");
    assert_problem(&tf(&t), &["unknown block type `resources`"]);
    let t = format!("{CLEAN_TF}\nresource \"ibm_is_ssh_key\" \"key\" {{\n  name       = \"k\"\n  public_key = \"x\"\n}}\n");
    assert_problem(&tf(&t), &["resource ibm_is_ssh_key.key: declared twice"]);
}
