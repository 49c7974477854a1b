//! terraform fmt layout: indentation, `=` alignment runs and spacing.

use crate::format::check_format;

fn fmt(text: &str) -> Vec<String> {
    check_format(text)
}

#[track_caller]
fn clean(text: &str) {
    let problems = fmt(text);
    assert!(problems.is_empty(), "{text}\n{problems:#?}");
}

#[track_caller]
fn reported(text: &str, needle: &str) {
    let problems = fmt(text);
    assert!(
        problems.iter().any(|p| p.contains(needle)),
        "{text}\n{problems:#?}"
    );
}

#[test]
fn aligned_runs_pass_and_misaligned_ones_are_reported() {
    clean("resource \"a\" \"b\" {\n  name    = \"x\"\n  profile = \"y\"\n}\n");
    reported(
        "resource \"a\" \"b\" {\n  name = \"x\"\n  profile = \"y\"\n}\n",
        "lines 2-3: the `=`",
    );
    reported(
        "resource \"a\" \"b\" {\n  name     = \"x\"\n  profile  = \"y\"\n}\n",
        "line 2: 5 space(s) before `=`, expected 4",
    );
}

#[test]
fn a_blank_line_ends_a_run() {
    clean("a = 1\n\nbbb = 2\n");
    reported("a = 1\nbbb = 2\n", "lines 1-2");
}

#[test]
fn a_comment_line_ends_a_run() {
    clean("a = 1\n# note\nbbb = 2\n");
}

#[test]
fn a_block_ends_a_run() {
    clean("r {\n  a = 1\n  x {\n    y = 2\n  }\n  bbb = 2\n}\n");
    clean("r {\n  a = 1\n  lifecycle { ignore_changes = [a] }\n  bbb = 2\n}\n");
}

#[test]
fn a_multi_line_value_ends_a_run_but_a_one_line_value_does_not() {
    clean("r {\n  a = 1\n  tags = [\n    \"t\",\n  ]\n  bbb = 2\n}\n");
    reported("r {\n  a = 1\n  tags = [\"t\"]\n}\n", "lines 2-3");
}

#[test]
fn a_heredoc_attribute_is_part_of_its_run_and_its_body_is_not_checked() {
    clean("r {\n  name      = \"x\"\n  user_data = <<-EOT\n      odd   indent\n\tand tab  \n  EOT\n  zone      = \"z\"\n}\n");
    reported(
        "r {\n  name = \"x\"\n  user_data = <<-EOT\n  EOT\n}\n",
        "lines 2-3",
    );
}

#[test]
fn the_lines_of_a_multi_line_object_form_their_own_runs() {
    clean("r {\n  p = jsonencode({\n    storage_gb  = 40\n    host_flavor = \"b\"\n  })\n}\n");
    reported(
        "r {\n  p = jsonencode({\n    storage_gb = 40\n    host_flavor = \"b\"\n  })\n}\n",
        "lines 3-4",
    );
}

#[test]
fn indentation_is_two_spaces_per_level() {
    reported(
        "r {\n    a = 1\n}\n",
        "line 2: indented by 4 spaces (terraform fmt: 2 spaces)",
    );
    reported("r {\n\ta = 1\n}\n", "line 2: indented by tabs");
    reported(
        "r {\n  a = 1\n  }\n",
        "line 3: indented by 2 spaces (terraform fmt: 0 spaces)",
    );
    clean("r {\n  p = jsonencode({\n    a = [\n      1,\n    ]\n  })\n}\n");
    clean("# top comment\nr {\n  # inner comment\n  a = \"${b.c}\"\n}\n");
}

#[test]
fn spacing_around_equals_and_trailing_whitespace_are_reported() {
    reported("a =  1\n", "line 1: one space after `=`");
    reported(
        "r {\n  tags  = [\n    1,\n  ]\n}\n",
        "line 2: one space before `=`",
    );
    reported("a = 1 \n", "line 1: trailing whitespace");
    reported("r {\n  \n}\n", "line 2: trailing whitespace");
}

#[test]
fn terraform_fmt_rewrites_are_reported() {
    use crate::format::check_rewrites;
    let body = hcl::parse("resource ibm_is_vpc vpc {\n  name = \"${var.name}\"\n  tags = [\"${var.a}-x\"]\n  zone = \"${var.a}${var.b}\"\n}\n").unwrap();
    let problems = check_rewrites(&body);
    assert_eq!(problems.len(), 2, "{problems:#?}");
    let unwrap = "resource ibm_is_vpc vpc: `name` = `\"${var.name}\"`: terraform fmt unwraps";
    assert!(problems.iter().any(|p| p.contains(unwrap)), "{problems:#?}");
    let quote = "resource ibm_is_vpc vpc: terraform fmt quotes block labels";
    assert!(problems.iter().any(|p| p.contains(quote)), "{problems:#?}");
}
