# Test sample: authorization, CBR and observability routing resources.

terraform {
  required_providers {
    ibm = {
      source  = "IBM-Cloud/ibm"
      version = "~> 2.5.0"
    }
  }
}

resource "ibm_iam_authorization_policy" "byok" {
  source_service_name         = "databases-for-postgresql"
  target_service_name         = "kms"
  target_resource_instance_id = "12345678-aaaa-bbbb-cccc-1234567890ab"
  roles                       = ["Reader", "AuthorizationDelegator"]
}

resource "ibm_metrics_router_target" "t" {
  name            = "onramp-target"
  destination_crn = "crn:v1:bluemix:public:sysdig-monitor:ca-mon:a/1:2::"
}

resource "ibm_metrics_router_settings" "s" {
  primary_metadata_region = "ca-mon"

  default_targets {
    id = ibm_metrics_router_target.t.id
  }
}

resource "ibm_metrics_router_route" "r" {
  name = "onramp-route"

  rules {
    action = "send"

    targets {
      id = ibm_metrics_router_target.t.id
    }

    inclusion_filters {
      operand  = "location"
      operator = "is"
      values   = ["ca-mon"]
    }
  }
}

resource "ibm_cbr_zone" "z" {
  name       = "onramp-zone"
  account_id = "0123456789abcdef"

  addresses {
    type  = "ipAddress"
    value = "203.0.113.4"
  }
}

resource "ibm_cbr_rule" "r" {
  description      = "onramp"
  enforcement_mode = "enabled"

  contexts {
    attributes {
      name  = "networkZoneId"
      value = ibm_cbr_zone.z.id
    }
  }

  resources {
    attributes {
      name  = "serviceName"
      value = "databases-for-postgresql"
    }
  }

  operations {
    api_types {
      api_type_id = "crn:v1:bluemix:public:context-based-restrictions::::api-type:data-plane"
    }
  }
}

resource "ibm_atracker_settings" "a" {
  metadata_region_primary   = "ca-mon"
  private_api_endpoint_only = false
}

import {
  to = ibm_metrics_router_settings.s
  id = "ca-mon"
}

import {
  to = ibm_cbr_zone.z
  id = "0123456789abcdef0123456789abcdef"
}
