# Onramp plan export (test sample): a private Gen 2 PostgreSQL with a jump server.

terraform {
  required_version = ">= 1.5.0"
  required_providers {
    ibm = {
      source  = "IBM-Cloud/ibm"
      version = "2.5.0"
    }
  }
}

provider "ibm" {
  region = "ca-mon"
}

data "ibm_resource_group" "group" {
  name = "Default"
}

data "ibm_is_image" "ubuntu" {
  name = "ibm-ubuntu-24-04-2-minimal-amd64-3"
}

resource "ibm_is_vpc" "vpc" {
  name                      = "onramp-vpc"
  resource_group            = data.ibm_resource_group.group.id
  address_prefix_management = "auto"
}

resource "ibm_is_subnet" "subnet" {
  name                     = "onramp-subnet"
  vpc                      = ibm_is_vpc.vpc.id
  zone                     = "ca-mon-1"
  total_ipv4_address_count = 16
  resource_group           = data.ibm_resource_group.group.id
}

resource "ibm_is_ssh_key" "key" {
  name       = "onramp-key"
  public_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOnramp onramp"
  type       = "ed25519"
}

resource "ibm_is_instance" "jump" {
  name      = "onramp-jump"
  vpc       = ibm_is_vpc.vpc.id
  zone      = ibm_is_subnet.subnet.zone
  profile   = "cx2-2x4"
  image     = data.ibm_is_image.ubuntu.id
  keys      = [ibm_is_ssh_key.key.id]
  user_data = <<-EOT
    #cloud-config
    package_update: true
  EOT

  primary_network_interface {
    subnet          = ibm_is_subnet.subnet.id
    security_groups = [ibm_is_vpc.vpc.default_security_group]
  }

  lifecycle {
    ignore_changes = [user_data, image]
  }
}

resource "ibm_is_floating_ip" "jump" {
  name   = "onramp-jump-ip"
  target = ibm_is_instance.jump.primary_network_interface[0].id
}

resource "ibm_is_security_group_rule" "ssh" {
  group     = ibm_is_vpc.vpc.default_security_group
  direction = "inbound"
  remote    = "203.0.113.4/32"
  protocol  = "tcp"
  port_min  = 22
  port_max  = 22
}

resource "ibm_resource_instance" "db" {
  name              = "onramp-db"
  service           = "databases-for-postgresql"
  plan              = "standard-gen2"
  location          = "ca-mon"
  resource_group_id = data.ibm_resource_group.group.id
  parameters_json = jsonencode({
    dataservices = {
      postgresql = {
        storage_gb  = 40
        members     = 3
        host_flavor = "bx3d.8x40"
      }
    }
  })

  timeouts {
    create = "30m"
  }

  lifecycle {
    ignore_changes = [parameters_json]
  }
}

resource "ibm_resource_key" "manager" {
  name                 = "onramp-manager"
  role                 = "Manager"
  resource_instance_id = ibm_resource_instance.db.id
}

resource "ibm_is_virtual_endpoint_gateway" "vpe" {
  name = "onramp-vpe"
  vpc  = ibm_is_vpc.vpc.id

  target {
    crn           = ibm_resource_instance.db.id
    resource_type = "provider_cloud_service"
  }

  ips {
    subnet = ibm_is_subnet.subnet.id
    name   = "onramp-vpe-ip"
  }
}

import {
  to = ibm_is_vpc.vpc
  id = "r038-5c1ef9d4-1111-4a4b-9a7e-0123456789ab"
}

import {
  to = ibm_is_instance.jump
  id = "02x7_0123abcd-1111-4a4b-9a7e-0123456789ab"
}

import {
  to = ibm_is_security_group_rule.ssh
  id = "r038-aaaa1111-2222-3333-4444-555566667777.r038-bbbb1111-2222-3333-4444-555566667777"
}

import {
  to = ibm_resource_instance.db
  id = "crn:v1:bluemix:public:databases-for-postgresql:ca-mon:a/0123456789abcdef0123456789abcdef:11111111-2222-3333-4444-555555555555::"
}
