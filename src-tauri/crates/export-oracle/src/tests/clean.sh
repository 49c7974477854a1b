#!/usr/bin/env bash
# Onramp plan export (test sample): the same plan with the ibmcloud CLI.
set -euo pipefail

ibmcloud login --apikey @"$HOME/.onramp/apikey" -r ca-mon
ibmcloud target -r ca-mon -g Default
ibmcloud plugin install vpc-infrastructure

VPC_ID="$(ibmcloud is vpc-create onramp-vpc --resource-group-name Default --output JSON | jq -r .id)"
ibmcloud is subnet-create onramp-subnet "$VPC_ID" \
  --zone ca-mon-1 \
  --ipv4-address-count 16 \
  -q

if ! ibmcloud resource service-instance onramp-db --id >/dev/null 2>&1; then
  ibmcloud resource service-instance-create onramp-db databases-for-postgresql standard-gen2 ca-mon \
    -g Default \
    -p '{"dataservices": {"postgresql": {"storage_gb": 40, "members": 3}}}'
fi
DB_CRN=$(ibmcloud resource service-instance onramp-db --id | tail -n 1)
ibmcloud resource service-key-create onramp-manager --instance-name onramp-db \
  -p '{"role_crn": "crn:v1:bluemix:public:iam::::serviceRole:Manager"}'
SG_ID="$(ibmcloud is vpc-default-security-group "$VPC_ID" --output JSON | jq -r .id)"
ibmcloud is security-group-rule-add "$SG_ID" inbound tcp --port-min 22 --port-max 22 --remote 203.0.113.4/32
ibmcloud is endpoint-gateway-create --target "$DB_CRN" --target-type provider_cloud_service \
  --vpc "$VPC_ID" --name onramp-vpe --new-reserved-ip '{"subnet": {"id": "x"}}' --sg "$SG_ID" --output JSON
cat <<YAML >cloud-init.yaml
#cloud-config
runcmd:
  - ibmcloud not-a-command --bogus
YAML
