"""Conformance of the sandbox with IBM's own Python SDKs.

Walks the whole tutorial against a fresh `onramp-sandbox`, using IBM's SDKs unchanged (only
their service URLs point at the sandbox's endpoints.json), and passes every response through
the SDK model's `from_dict`, which rejects a response that lacks a required field. That
includes reading the ownership tag back through Global Tagging and Global Search. Then it
reaches the database the way a newcomer would: OpenSSH `ssh -L` through the jump VSI, and
`psql` with `sslmode=verify-full` and the sandbox CA, logged in with the Manager credential.

Run: python -m unittest tests/conformance/test_sdk_conformance.py
Env: ONRAMP_SANDBOX_BIN (default target/debug/onramp-sandbox).

Where IBM's Python models disagree with the real service, the suite follows the service and
says so: the list models of Resource Controller require `next_url`, but the real last page
carries `next_url: null` (shared/contract/resource-controller.md §3).
"""

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import unittest
from pathlib import Path

import requests
from ibm_cloud_sdk_core import ApiException
from ibm_cloud_sdk_core.authenticators import IAMAuthenticator
from ibm_platform_services import (
    GlobalCatalogV1,
    GlobalSearchV2,
    GlobalTaggingV1,
    IamIdentityV1,
    IamPolicyManagementV1,
    ResourceControllerV2,
    ResourceManagerV2,
)
from ibm_platform_services.context_based_restrictions_v1 import (
    ContextBasedRestrictionsV1,
    Rule,
    RuleList,
    Zone,
    ZoneList,
)
from ibm_platform_services.global_catalog_v1 import CatalogEntry, EntrySearchResult, PricingGet
from ibm_platform_services.global_search_v2 import ScanResult
from ibm_platform_services.global_tagging_v1 import Resource, TagList, TagResults
from ibm_platform_services.iam_identity_v1 import ApiKey
from ibm_platform_services.iam_policy_management_v1 import Policy, PolicyCollection
from ibm_platform_services.resource_controller_v2 import (
    ResourceInstance,
    ResourceInstancesList,
    ResourceKey,
    ResourceKeysList,
)
from ibm_platform_services.resource_manager_v2 import ResourceGroupList
from ibm_vpc import VpcV1
from ibm_vpc.vpc_v1 import (
    VPC,
    DefaultSecurityGroup,
    EndpointGateway,
    FloatingIP,
    ImageCollection,
    Instance,
    InstanceProfileCollection,
    Key,
    NetworkInterfaceUnpaginatedCollection,
    SecurityGroupRule,
    Subnet,
    SubnetCollection,
    VPCCollection,
)

ROOT = Path(__file__).resolve().parents[2]
REGION = "ca-mon"
PLAN = "databases-for-postgresql-gen2-standard"
OWNERSHIP_TAG = "onramp:managed"
KMS = "ee41347f-b18e-4ca6-bf80-b5467c63f9a6"
IBM_ADMIN = {
    "pg_read_all_data", "pg_write_all_data", "pg_monitor", "pg_read_all_settings",
    "pg_read_all_stats", "pg_stat_scan_tables", "pg_signal_backend", "pg_checkpoint",
    "pg_create_subscription",
}
IBM_WRITER = {"pg_read_all_data", "pg_write_all_data"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, check, timeout=60, every=0.25):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = check()
        if last:
            return last
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


class Conformance(unittest.TestCase):
    """One walk through the tutorial; the steps share what they made, in order."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = Path(tempfile.mkdtemp(prefix="onramp-conformance-"))
        # The sandbox writes no key down: the caller chooses it, as a user holds their own.
        cls.api_key = secrets.token_urlsafe(33)
        os.chmod(cls.tmp, 0o755)
        binary = os.environ.get("ONRAMP_SANDBOX_BIN", str(ROOT / "target/debug/onramp-sandbox"))
        cls.log = open(cls.tmp / "sandbox.log", "w")
        cls.proc = subprocess.Popen(
            [binary, "--state-dir", str(cls.tmp / "state"), "--provision-seconds", "2", "--api-key", cls.api_key],
            stdout=subprocess.PIPE, stderr=cls.log, text=True,
        )
        line = cls.proc.stdout.readline()
        if "listening on" not in line:
            raise RuntimeError(f"sandbox did not start: {line!r}; see {cls.tmp / 'sandbox.log'}")
        cls.ep = json.loads((cls.tmp / "state/endpoints.json").read_text())
        cls.auth = IAMAuthenticator(cls.api_key, url=cls.ep["iam"])

        def client(kind, url):
            c = kind(authenticator=cls.auth)
            c.set_service_url(url)
            return c

        cls.rc = client(ResourceControllerV2, cls.ep["resource_controller"])
        cls.rm = client(ResourceManagerV2, cls.ep["resource_controller"])
        cls.gc = client(GlobalCatalogV1, cls.ep["global_catalog"])
        cls.cbr = client(ContextBasedRestrictionsV1, cls.ep["cbr"])
        cls.policies = client(IamPolicyManagementV1, cls.ep["iam"])
        cls.identity = client(IamIdentityV1, cls.ep["iam"])
        cls.tagging = client(GlobalTaggingV1, cls.ep["global_tagging"])
        cls.search = client(GlobalSearchV2, cls.ep["global_search"])
        cls.vpc = VpcV1(authenticator=cls.auth)
        cls.vpc.set_service_url(cls.ep["regions"][REGION]["vpc"])
        cls.made = {}
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "onramp-test", "-f", str(cls.tmp / "id")],
            check=True,
        )

    @classmethod
    def tearDownClass(cls):
        for p in getattr(cls, "ssh_procs", []):
            p.kill()
        cls.proc.terminate()
        try:
            cls.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            cls.proc.kill()
        cls.log.close()
        if os.environ.get("ONRAMP_KEEP_TMP") != "1":
            shutil.rmtree(cls.tmp, ignore_errors=True)

    # ------------------------------------------------------------------ IAM
    def test_01_token_and_bad_key(self):
        token = self.auth.token_manager.get_token()
        self.assertEqual(token.count("."), 2)
        bad = IAMAuthenticator("x" * 44, url=self.ep["iam"])
        with self.assertRaises(ApiException) as caught:
            bad.token_manager.get_token()
        self.assertEqual(caught.exception.status_code, 400)
        self.assertIn("Provided API key could not be found", caught.exception.message)

    def test_02_apikey_details(self):
        details = self.identity.get_api_keys_details(iam_api_key=self.api_key).get_result()
        key = ApiKey.from_dict(details)
        self.assertEqual(key.account_id, self.ep["account_id"])

    def test_03_unauthenticated_calls_are_refused(self):
        response = requests.get(self.ep["resource_controller"] + "/v2/resource_instances", timeout=10)
        self.assertEqual(response.status_code, 401)
        self.assertIn("error_code", response.json())
        response = requests.get(
            self.ep["regions"][REGION]["vpc"] + "/vpcs?version=2026-06-23&generation=2",
            headers={"Authorization": "Bearer not.a.token"}, timeout=10,
        )
        self.assertEqual(response.status_code, 401)
        self.assertIn("errors", response.json())

    # ------------------------------------------------------------------ groups and catalog
    def test_04_resource_groups(self):
        result = self.rm.list_resource_groups(account_id=self.ep["account_id"]).get_result()
        groups = ResourceGroupList.from_dict(result).resources
        default = [g for g in groups if g.default]
        self.assertEqual(len(default), 1)
        self.assertEqual(default[0].name, "Default")
        type(self).made["group"] = default[0].id

    def test_05_catalog(self):
        service = CatalogEntry.from_dict(self.gc.get_catalog_entry(id="databases-for-postgresql").get_result())
        self.assertEqual(service.kind, "service")
        plans = EntrySearchResult.from_dict(
            self.gc.get_child_objects(id="databases-for-postgresql", kind="plan").get_result()
        )
        gen2 = [p for p in plans.resources if p.name == "standard-gen2"]
        self.assertEqual(gen2[0].id, PLAN)
        deployments = EntrySearchResult.from_dict(
            self.gc.get_child_objects(id=PLAN, kind="deployment", include="*").get_result()
        )
        locations = {d.metadata.deployment.location for d in deployments.resources if d.metadata.rc_compatible}
        self.assertIn(REGION, locations)
        deployment = next(d for d in deployments.resources if d.metadata.deployment.location == REGION)
        flavors = [f["id"] for f in deployment.metadata.other["host_flavors"]]
        self.assertIn("bx3d.4x20", flavors)
        pricing = PricingGet.from_dict(self.gc.get_pricing(id=deployment.id).get_result())
        self.assertTrue(pricing.metrics)

    # ------------------------------------------------------------------ broker validation
    def create_db(self, name="pg-onramp", location=REGION, **postgresql):
        params = {"dataservices": {"postgresql": {"members": 2, "storage_gb": 10, "host_flavor": "bx3d.4x20", "version": "18", **postgresql}}}
        return self.rc.create_resource_instance(
            name=name, target=location, resource_group=self.made["group"], resource_plan_id=PLAN,
            parameters=params, tags=[OWNERSHIP_TAG],
        )

    def assert_broker_error(self, call, text):
        with self.assertRaises(ApiException) as caught:
            call()
        self.assertEqual(caught.exception.status_code, 400)
        body = caught.exception.http_response.json()
        self.assertEqual(body["error_code"], "RC-ServiceBrokerErrorResponse")
        self.assertIn(text, body["message"])
        self.assertTrue(body["message"].startswith("The broker for 'Databases for PostgreSQL' service returned error, [400, Bad Request] "))
        return body

    def test_06_broker_validation(self):
        self.assert_broker_error(lambda: self.create_db(members=5), "invalid members '5', allowed values: 2, 3.")
        self.assert_broker_error(
            lambda: self.create_db(storage_gb=10000),
            "invalid storage size '10000', only integer values between 10 and 9600 are allowed.",
        )
        self.assert_broker_error(
            lambda: self.create_db(location="in-che", host_flavor="mx3d.8x80"),
            "invalid host flavor 'mx3d.8x80' for location 'in-che'",
        )
        self.assert_broker_error(lambda: self.create_db(colour="blue"), "invalid parameter 'dataservices.postgresql.colour'")

    def test_07_byok_needs_the_authorization(self):
        kms = self.rc.list_resource_instances(resource_id=KMS).get_result()
        instance = ResourceInstancesList.from_dict({**kms, "next_url": kms["next_url"] or ""}).resources[0]
        keys = requests.get(
            self.ep["regions"][instance.region_id]["key_protect"] + "/api/v2/keys",
            params={"extractable": "false", "state": "1"},
            headers={"Authorization": "Bearer " + self.auth.token_manager.get_token(), "bluemix-instance": instance.guid},
            timeout=10,
        ).json()
        root = keys["resources"][0]
        self.assertFalse(root["extractable"])
        type(self).made["kms"] = instance.guid
        params = {"dataservices": {"postgresql": {"members": 2}, "encryption": {"disk": root["crn"]}}}
        call = lambda: self.rc.create_resource_instance(
            name="pg-byok", target=REGION, resource_group=self.made["group"], resource_plan_id=PLAN, parameters=params
        )
        self.assert_broker_error(call, "create an IAM service-to-service authorization")
        account = self.ep["account_id"]
        created = self.policies.create_policy(
            type="authorization",
            subjects=[{"attributes": [{"name": "accountId", "value": account}, {"name": "serviceName", "value": "databases-for-postgresql"}]}],
            roles=[{"role_id": "crn:v1:bluemix:public:iam::::serviceRole:Reader"},
                   {"role_id": "crn:v1:bluemix:public:iam::::role:AuthorizationDelegator"}],
            resources=[{"attributes": [{"name": "accountId", "value": account}, {"name": "serviceName", "value": "kms"},
                                       {"name": "serviceInstance", "value": instance.guid}]}],
        )
        self.assertEqual(created.get_status_code(), 201)
        policy = Policy.from_dict(created.get_result())
        type(self).made["policy"] = policy.id
        listed = PolicyCollection.from_dict(
            self.policies.list_policies(account_id=account, type="authorization").get_result()
        )
        self.assertEqual([p.id for p in listed.policies], [policy.id])
        with self.assertRaises(ApiException) as caught:
            self.policies.create_policy(type="authorization", subjects=created.get_result()["subjects"],
                                        roles=[{"role_id": "crn:v1:bluemix:public:iam::::serviceRole:Reader"}],
                                        resources=created.get_result()["resources"])
        self.assertEqual(caught.exception.status_code, 409)
        self.assertEqual(caught.exception.http_response.json()["errors"][0]["code"], "policy_conflict_error")

    # ------------------------------------------------------------------ provisioning
    def test_08_create_and_poll_to_active(self):
        response = self.create_db()
        self.assertIn(response.get_status_code(), (201, 202))
        created = ResourceInstance.from_dict(response.get_result())
        self.assertEqual(created.state, "provisioning")
        self.assertEqual(created.last_operation.state, "in progress")
        type(self).made["db"] = created.guid
        type(self).made["db_crn"] = created.crn
        # RC has no client token and no name rule: the same name again is a second instance
        # (resource-controller.md §1). It is removed again so the rest of the walk sees one.
        namesake = ResourceInstance.from_dict(self.create_db().get_result())
        self.assertNotEqual(namesake.guid, created.guid)
        self.assertEqual(namesake.name, created.name)

        def active(guid):
            got = ResourceInstance.from_dict(self.rc.get_resource_instance(id=guid).get_result())
            self.assertNotEqual(got.state, "failed", got.last_operation)
            return got if got.state == "active" else None

        wait_for("the namesake to be active", lambda: active(namesake.guid), timeout=120, every=0.5)
        self.assertIn(self.rc.delete_resource_instance(id=namesake.guid).get_status_code(), (202, 204))
        wait_for("the namesake to be removed", lambda: ResourceInstance.from_dict(
            self.rc.get_resource_instance(id=namesake.guid).get_result()).state == "removed")
        got = wait_for("the database to be active", lambda: active(created.guid), timeout=120, every=0.5)
        self.assertEqual(got.last_operation.state, "succeeded")
        ds = got.extensions["dataservices"]
        self.assertEqual(ds["postgresql"]["members"], 2)
        self.assertEqual(ds["connection"]["postgres"]["query_options"]["sslmode"], "verify-full")
        type(self).made["hostname"] = ds["connection"]["postgres"]["hosts"][0]["hostname"]
        self.assertTrue(self.made["hostname"].startswith(created.guid + ".private."))

    def test_09_list_with_paging(self):
        self.create_db(name="pg-second")
        first = self.rc.list_resource_instances(resource_id="databases-for-postgresql", limit=1).get_result()
        page1 = ResourceInstancesList.from_dict(first)
        self.assertEqual(page1.rows_count, 1)
        self.assertIsNotNone(page1.next_url)
        start = re.search(r"start=([^&]+)", page1.next_url).group(1)
        last = self.rc.list_resource_instances(start=start, limit=1).get_result()
        # The real service ends with next_url: null, which IBM's Python model rejects; the
        # suite follows the service and checks the rest of the page through the model.
        self.assertIsNone(last["next_url"])
        with self.assertRaises(ValueError):
            ResourceInstancesList.from_dict(last)
        page2 = ResourceInstancesList.from_dict({**last, "next_url": ""})
        names = {page1.resources[0].name, page2.resources[0].name}
        self.assertEqual(names, {"pg-onramp", "pg-second"})

    # ------------------------------------------------------------------ credentials
    def test_10_manager_and_writer_keys(self):
        for role in ("Manager", "Writer"):
            response = self.rc.create_resource_key(name=f"onramp-{role.lower()}", source=self.made["db"], role=role)
            self.assertEqual(response.get_status_code(), 201)
            key = ResourceKey.from_dict(response.get_result())
            creds = response.get_result()["credentials"]
            pg = creds["connection"]["postgres"]
            self.assertRegex(pg["authentication"]["username"], r"^ibmcloud_[0-9a-f]{32}$")
            self.assertEqual(pg["hosts"][0]["hostname"], self.made["hostname"])
            self.assertTrue(pg["composed"][0].endswith("?sslmode=verify-full"))
            self.assertIn("certificate_base64", pg["certificate"])
            type(self).made[role] = (key.guid, pg["authentication"]["username"], pg["authentication"]["password"])
        listed = self.rc.list_resource_keys_for_instance(id=self.made["db"]).get_result()
        self.assertEqual(listed["rows_count"], 2)
        ResourceKeysList.from_dict({**listed, "next_url": listed["next_url"] or ""})
        with self.assertRaises(ApiException) as caught:
            self.rc.create_resource_key(name="bad", source=self.made["db"], role="Superuser")
        self.assertEqual(caught.exception.status_code, 400)

    # ------------------------------------------------------------------ VPC
    def test_11_vpc_path(self):
        v = self.vpc
        vpc = VPC.from_dict(v.create_vpc(name="onramp-vpc", resource_group={"id": self.made["group"]}).get_result())
        VPCCollection.from_dict(v.list_vpcs().get_result())
        subnet = Subnet.from_dict(v.create_subnet({
            "name": "onramp-subnet", "vpc": {"id": vpc.id}, "zone": {"name": f"{REGION}-1"}, "total_ipv4_address_count": 256,
        }).get_result())
        SubnetCollection.from_dict(v.list_subnets(vpc_id=vpc.id).get_result())
        wait_for("the subnet", lambda: v.get_subnet(id=subnet.id).get_result()["status"] == "available")
        public_key = (self.tmp / "id.pub").read_text().strip()
        key = Key.from_dict(v.create_key(public_key=public_key, name="onramp-key", type="ed25519").get_result())
        fingerprint = subprocess.run(["ssh-keygen", "-lf", str(self.tmp / "id.pub")], capture_output=True, text=True).stdout.split()[1]
        self.assertEqual(key.fingerprint, fingerprint)
        images = ImageCollection.from_dict(v.list_images(visibility="public", status="available").get_result())
        image = next(i for i in images.images if i.operating_system.family == "Ubuntu Linux")
        profiles = InstanceProfileCollection.from_dict(v.list_instance_profiles().get_result())
        self.assertIn("bx2-2x8", [p.name for p in profiles.profiles])
        instance = Instance.from_dict(v.create_instance({
            "name": "onramp-jump", "image": {"id": image.id}, "zone": {"name": f"{REGION}-1"},
            "profile": {"name": "bx2-2x8"}, "keys": [{"id": key.id}], "vpc": {"id": vpc.id},
            "primary_network_interface": {"subnet": {"id": subnet.id}},
        }).get_result())
        wait_for("the VSI", lambda: v.get_instance(id=instance.id).get_result()["status"] == "running")
        Instance.from_dict(v.get_instance(id=instance.id).get_result())
        NetworkInterfaceUnpaginatedCollection.from_dict(v.list_instance_network_interfaces(instance_id=instance.id).get_result())
        fip = FloatingIP.from_dict(v.create_floating_ip({"name": "onramp-fip", "target": {"id": instance.primary_network_interface.id}}).get_result())
        self.assertTrue(fip.address.startswith("203.0.113."))
        sg = DefaultSecurityGroup.from_dict(v.get_vpc_default_security_group(id=vpc.id).get_result())
        self.assertEqual(len(sg.rules), 2)
        rule = SecurityGroupRule.from_dict(v.create_security_group_rule(sg.id, {
            "direction": "inbound", "protocol": "tcp", "port_min": 22, "port_max": 22, "remote": {"cidr_block": "198.51.100.7/32"},
        }).get_result())
        gateway = EndpointGateway.from_dict(v.create_endpoint_gateway(
            target={"crn": self.made["db_crn"], "resource_type": "provider_cloud_service"},
            vpc={"id": vpc.id}, name="onramp-pg-vpe", ips=[{"subnet": {"id": subnet.id}, "name": "onramp-pg-vpe-ip"}],
        ).get_result())
        stable = wait_for("the VPE", lambda: (g := v.get_endpoint_gateway(id=gateway.id).get_result())["lifecycle_state"] == "stable" and g)
        EndpointGateway.from_dict(stable)
        self.assertEqual(stable["service_endpoints"], [self.made["hostname"]])
        with self.assertRaises(ApiException) as caught:
            v.delete_vpc(id=vpc.id)
        self.assertEqual(caught.exception.status_code, 409)
        type(self).made.update(vpc=vpc.id, subnet=subnet.id, key=key.id, instance=instance.id, fip=fip.id,
                               fip_address=fip.address, sg=sg.id, rule=rule.id, vpe=gateway.id,
                               vpe_ip=stable["ips"][0]["address"])

    # ------------------------------------------------------------------ tags
    def tags_of(self, crn):
        response = self.tagging.list_tags(attached_to=crn, tag_type="user", providers=["ghost"], offset=0, limit=100)
        self.assertEqual(response.get_status_code(), 200)
        return sorted(t.name for t in TagList.from_dict(response.get_result()).items)

    def test_11a_global_tagging_and_search(self):
        crn = self.made["db_crn"]
        # The create's tags are the instance's user tags.
        self.assertEqual(self.tags_of(crn), [OWNERSHIP_TAG])

        missing = crn.replace(self.made["db"], "00000000-0000-0000-0000-000000000000")
        response = self.tagging.attach_tag(
            resources=[Resource(resource_id=crn), Resource(resource_id=missing)],
            tag_names=["Onramp-Run:Conformance"],
        )
        self.assertEqual(response.get_status_code(), 200)
        results = {r.resource_id: r for r in TagResults.from_dict(response.get_result()).results}
        self.assertFalse(results[crn].is_error)
        # A resource it cannot tag is reported inside the 200, not as an HTTP error.
        self.assertTrue(results[missing].is_error)
        self.assertTrue(results[missing].message)
        self.assertEqual(self.tags_of(crn), ["onramp-run:conformance", OWNERSHIP_TAG])

        response = self.search.search(query=f'crn:"{crn}"', fields=["crn", "name", "tags", "access_tags", "service_tags"])
        self.assertEqual(response.get_status_code(), 200)
        found = ScanResult.from_dict(response.get_result())
        self.assertEqual([i.crn for i in found.items], [crn])
        item = found.items[0].to_dict()
        self.assertEqual(item["name"], "pg-onramp")
        self.assertEqual(sorted(item["tags"]), ["onramp-run:conformance", OWNERSHIP_TAG])
        by_tag = ScanResult.from_dict(self.search.search(query=f'tags:"{OWNERSHIP_TAG}"', fields=["crn"]).get_result())
        self.assertIn(crn, [i.crn for i in by_tag.items])
        self.assertFalse(ScanResult.from_dict(self.search.search(query=f'crn:"{missing}"').get_result()).items)

        response = self.tagging.detach_tag(resources=[Resource(resource_id=crn)], tag_names=["onramp-run:conformance"])
        self.assertEqual(response.get_status_code(), 200)
        self.assertFalse(any(r.is_error for r in TagResults.from_dict(response.get_result()).results))
        self.assertEqual(self.tags_of(crn), [OWNERSHIP_TAG])

    def test_12_vpc_version_is_required(self):
        token = self.auth.token_manager.get_token()
        response = requests.get(self.ep["regions"][REGION]["vpc"] + "/vpcs", headers={"Authorization": "Bearer " + token}, timeout=10)
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["errors"][0]["target"]["name"], "version")

    # ------------------------------------------------------------------ CBR
    def test_13_cbr_zone_and_rule(self):
        account = self.ep["account_id"]
        vpc_crn = self.vpc.get_vpc(id=self.made["vpc"]).get_result()["crn"]
        zone = self.cbr.create_zone(name="onramp-zone", account_id=account, description="",
                                    addresses=[{"type": "vpc", "value": vpc_crn}])
        self.assertEqual(zone.get_status_code(), 201)
        zone = Zone.from_dict(zone.get_result())
        ZoneList.from_dict(self.cbr.list_zones(account_id=account).get_result())
        rule = Rule.from_dict(self.cbr.create_rule(
            description="",
            contexts=[{"attributes": [{"name": "networkZoneId", "value": zone.id}, {"name": "endpointType", "value": "private"}]}],
            resources=[{"attributes": [{"name": "accountId", "value": account}, {"name": "serviceName", "value": "databases-for-postgresql"},
                                       {"name": "serviceInstance", "value": self.made["db"]}]}],
            operations={"api_types": [{"api_type_id": "crn:v1:bluemix:public:context-based-restrictions::::api-type:data-plane"}]},
            enforcement_mode="enabled",
        ).get_result())
        RuleList.from_dict(self.cbr.list_rules(account_id=account, service_instance=self.made["db"]).get_result())
        type(self).made.update(zone=zone.id, cbr_rule=rule.id)

    # ------------------------------------------------------------------ the newcomer's query
    def test_14_psql_through_ssh_tunnel(self):
        addresses = requests.get(self.ep["sandbox"]["addresses"], timeout=10).json()["addresses"]
        ssh_target = next(a for a in addresses if a["address"] == self.made["fip_address"] and a["port"] == 22)
        host, port = ssh_target["target"].rsplit(":", 1)
        local = free_port()
        ssh = subprocess.Popen([
            "ssh", "-F", "/dev/null", "-N", "-L", f"{local}:{self.made['vpe_ip']}:5432",
            "-p", port, "-i", str(self.tmp / "id"), "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
            "-o", "StrictHostKeyChecking=accept-new", "-o", f"UserKnownHostsFile={self.tmp / 'known_hosts'}",
            "-o", "ExitOnForwardFailure=yes", f"root@{host}",
        ], stderr=subprocess.PIPE, text=True)
        type(self).ssh_procs = [ssh]

        def forwarded():
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", local)) == 0

        wait_for("the SSH tunnel", forwarded, timeout=30)
        _, user, password = self.made["Manager"]
        conninfo = (f"host={self.made['hostname']} hostaddr=127.0.0.1 port={local} dbname=postgres user={user} "
                    f"sslmode=verify-full sslrootcert={self.ep['sandbox']['ca_pem']}")
        query = ("SELECT r.rolname, m.rolname FROM pg_auth_members am JOIN pg_roles r ON r.oid = am.roleid "
                 "JOIN pg_roles m ON m.oid = am.member WHERE m.rolname IN ('ibm_admin', 'ibm_writer', %s) ORDER BY 1, 2")
        writer_user = self.made["Writer"][1]
        out = subprocess.run(
            ["psql", conninfo, "-XAtF|", "-c", query.replace("%s", f"'{user}', '{writer_user}'")],
            env={**os.environ, "PGPASSWORD": password, "PGCONNECT_TIMEOUT": "10"}, capture_output=True, text=True, timeout=60,
        )
        self.assertEqual(out.returncode, 0, out.stderr)
        members = {}
        for line in out.stdout.strip().splitlines():
            granted, member = line.split("|")
            members.setdefault(member, set()).add(granted)
        server_roles = subprocess.run(
            ["psql", conninfo, "-XAt", "-c", "SELECT rolname FROM pg_roles WHERE rolname LIKE 'pg\\_%'"],
            env={**os.environ, "PGPASSWORD": password}, capture_output=True, text=True, timeout=60,
        ).stdout.split()
        # The machine's PostgreSQL may be older than the service's (pg_create_subscription
        # arrived in 16); the sandbox grants every role the server has.
        self.assertEqual(members["ibm_admin"], IBM_ADMIN & set(server_roles))
        self.assertEqual(members["ibm_writer"], IBM_WRITER)
        self.assertEqual(members[user], {"ibm_admin", "ibm_writer"})
        self.assertEqual(members[writer_user], {"ibm_writer"})
        attrs = subprocess.run(
            ["psql", conninfo, "-XAt", "-c", f"SELECT rolcreaterole, rolcreatedb, rolsuper FROM pg_roles WHERE rolname = '{user}'"],
            env={**os.environ, "PGPASSWORD": password}, capture_output=True, text=True, timeout=60,
        ).stdout.strip()
        self.assertEqual(attrs, "t|t|f")
        # verify-full against the wrong host name must fail: the certificate is for the
        # instance's private host name only.
        wrong = subprocess.run(
            ["psql", conninfo.replace(f"host={self.made['hostname']}", "host=localhost"), "-XAt", "-c", "SELECT 1"],
            env={**os.environ, "PGPASSWORD": password}, capture_output=True, text=True, timeout=60,
        )
        self.assertNotEqual(wrong.returncode, 0)
        self.assertIn("does not match host name", wrong.stderr)

    def test_15_jump_host_refuses_other_targets_and_keys(self):
        addresses = requests.get(self.ep["sandbox"]["addresses"], timeout=10).json()["addresses"]
        ssh_target = next(a for a in addresses if a["address"] == self.made["fip_address"])
        host, port = ssh_target["target"].rsplit(":", 1)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.tmp / "other")], check=True)
        refused = subprocess.run([
            "ssh", "-F", "/dev/null", "-N", "-p", port, "-i", str(self.tmp / "other"), "-o", "IdentitiesOnly=yes",
            "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", f"root@{host}",
        ], capture_output=True, text=True, timeout=30)
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn("Permission denied", refused.stderr)

    def test_16_every_socket_is_on_loopback(self):
        pids = {self.proc.pid}
        for pidfile in (self.tmp / "state/instances").glob("*/data/postmaster.pid"):
            pids.add(int(pidfile.read_text().split()[0]))
        out = subprocess.run(["ss", "-Htanp"], capture_output=True, text=True, check=True).stdout
        seen = 0
        for line in out.splitlines():
            owners = {int(p) for p in re.findall(r"pid=(\d+)", line)}
            if not owners & pids:
                continue
            seen += 1
            local, peer = line.split()[3], line.split()[4]
            for address in (local, peer):
                ip = address.rsplit(":", 1)[0].strip("[]")
                self.assertTrue(ip in ("127.0.0.1", "::1", "*", "0.0.0.0") and (address == peer or ip in ("127.0.0.1", "::1")),
                                f"socket off loopback: {line}")
        self.assertGreater(seen, 2, "expected the sandbox's and PostgreSQL's sockets")

    # ------------------------------------------------------------------ teardown
    def test_17_delete_everything(self):
        v = self.vpc
        for key in ("Manager", "Writer"):
            self.assertEqual(self.rc.delete_resource_key(id=self.made[key][0]).get_status_code(), 204)
        self.assertEqual(self.cbr.delete_rule(rule_id=self.made["cbr_rule"]).get_status_code(), 204)
        self.assertEqual(self.cbr.delete_zone(zone_id=self.made["zone"]).get_status_code(), 204)
        self.assertEqual(v.delete_endpoint_gateway(id=self.made["vpe"]).get_status_code(), 204)
        self.assertEqual(v.delete_floating_ip(id=self.made["fip"]).get_status_code(), 204)
        self.assertEqual(v.delete_instance(id=self.made["instance"]).get_status_code(), 204)
        self.assertEqual(v.delete_security_group_rule(security_group_id=self.made["sg"], id=self.made["rule"]).get_status_code(), 204)
        self.assertEqual(v.delete_key(id=self.made["key"]).get_status_code(), 204)
        self.assertEqual(v.delete_subnet(id=self.made["subnet"]).get_status_code(), 204)
        self.assertEqual(v.delete_vpc(id=self.made["vpc"]).get_status_code(), 204)
        self.assertEqual(self.policies.delete_policy(policy_id=self.made["policy"]).get_status_code(), 204)
        port = int([a for a in requests.get(self.ep["sandbox"]["addresses"], timeout=10).json()["addresses"]
                    if a["address"] == self.made["hostname"]][0]["target"].rsplit(":", 1)[1])
        for guid in [self.made["db"]] + [i["guid"] for i in self.rc.list_resource_instances(name="pg-second").get_result()["resources"]]:
            self.assertIn(self.rc.delete_resource_instance(id=guid, recursive=True).get_status_code(), (202, 204))
        wait_for("the databases to be removed", lambda: not self.rc.list_resource_instances(resource_id="databases-for-postgresql").get_result()["resources"])
        gone = ResourceInstance.from_dict(self.rc.get_resource_instance(id=self.made["db"]).get_result())
        self.assertEqual(gone.state, "removed")
        self.assertEqual(self.tags_of(self.made["db_crn"]), [], "a removed instance keeps no tags")
        with socket.socket() as s:
            self.assertNotEqual(s.connect_ex(("127.0.0.1", port)), 0, "the database server still listens")
        self.assertEqual(v.list_vpcs().get_result()["vpcs"], [])
        self.assertEqual(requests.get(self.ep["sandbox"]["addresses"], timeout=10).json()["addresses"], [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
