// The fake back end's world: the accounts, the catalog and its prices, Key Protect, each
// region's VPCs and keys, images and profiles, a provisioned database's credentials and
// roles. Data only: what the rules make of it comes from Rust (./rules.ts).
import type {
  Account,
  CredentialRole,
  EncryptionOptions,
  ImageOption,
  KeyOption,
  LocationOffer,
  InstanceOffer,
  Offerings,
  ProfileOption,
  Recipe,
  RoleRow,
  VpcOption,
} from '../backend';

export const GOOD_KEY = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcdef';

export const sandboxAccount: Account = {
  mode: 'Sandbox',
  accountId: '0123456789abcdef0123456789abcdef',
  user: 'Sandbox User',
  email: 'newcomer@sandbox.onramp.invalid',
  iamId: 'IBMid-SANDBOX',
  iamEndpoint: 'http://127.0.0.1:4000/iam',
  keyStored: false,
};

export const cloudAccount: Account = {
  mode: 'IbmCloud',
  accountId: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
  user: 'Ada Lovelace',
  email: 'ada@example.com',
  iamId: 'IBMid-6900012ABC',
  iamEndpoint: 'https://iam.cloud.ibm.com/',
  keyStored: true,
};

export const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

const flavor = (id: string, cpu: number, memoryGb: number) => ({ id, cpu, memoryGb });
const ALL_FLAVORS = [
  flavor('bx3d.4x20', 4, 20),
  flavor('bx3d.8x40', 8, 40),
  flavor('mx3d.8x80', 8, 80),
  flavor('bx3d.16x80', 16, 80),
  flavor('bx3d.32x160', 32, 160),
  flavor('bx3d.48x240', 48, 240),
];

function location(id: string, label: string, extra: Partial<LocationOffer> = {}): LocationOffer {
  return {
    id,
    label,
    deploymentId: `databases-for-postgresql-standard-gen2-${id}`,
    flavors: ALL_FLAVORS,
    flavorsSource: 'Catalog',
    versions: ['18'],
    versionsSource: 'Catalog',
    members: [2, 3],
    storageMinGb: 10,
    storageMaxGb: 9600,
    ...extra,
  };
}

/** ca-mon has the whole catalog; in-che only the documented small flavors; us-east one version. */
export const FAKE_OFFERINGS: Offerings = {
  locations: [
    location('ca-mon', 'Montréal (ca-mon)', { versions: ['18', '17'] }),
    location('in-che', 'Chennai (in-che)', {
      flavors: ALL_FLAVORS.filter((f) => ['bx3d.4x20', 'bx3d.8x40', 'bx3d.16x80'].includes(f.id)),
      flavorsSource: 'Documented',
      versionsSource: 'Documented',
    }),
    location('us-east', 'Washington DC (us-east)'),
  ],
  resourceGroups: [
    { id: 'rg-default', name: 'Default', isDefault: true },
    { id: 'rg-team', name: 'team-databases', isDefault: false },
  ],
};

/** Illustrative prices per member-month; bx3d.48x240 has none, and in-che no pricing at all. */
const FLAVOR_PRICES: Record<string, Record<string, number>> = {
  'ca-mon': { 'bx3d.4x20': 237, 'bx3d.8x40': 474, 'mx3d.8x80': 620, 'bx3d.16x80': 948, 'bx3d.32x160': 1896 },
  'us-east': { 'bx3d.4x20': 230, 'bx3d.8x40': 460, 'mx3d.8x80': 600, 'bx3d.16x80': 920, 'bx3d.32x160': 1840 },
};
const DISK_PRICE: Record<string, number> = { 'ca-mon': 0.25, 'us-east': 0.24 };

/** A location's prices as the Global Catalog's pricing answers them (null: it has none). */
export function fakePricing(location: string): object | null {
  const flavors = FLAVOR_PRICES[location];
  if (!flavors) return null;
  const amount = (price: number) => [{ country: 'USA', currency: 'USD', prices: [{ quantity_tier: 1, price }] }];
  return {
    deployment_location: location,
    metrics: [
      ...Object.entries(flavors).map(([id, price]) => ({
        metric_id: `part-pg-gen2-member-${id}`,
        charge_unit_name: 'INSTANCE_MONTHS',
        amounts: amount(price),
      })),
      { metric_id: 'part-pg-gen2-disk', charge_unit_name: 'GIGABYTE_MONTHS', amounts: amount(DISK_PRICE[location]) },
    ],
  };
}

/** A Monitoring instance someone made in the account before Onramp (its team's). */
export const TEAM_MONITORING_CRN =
  'crn:v1:bluemix:public:sysdig-monitor:ca-mon:a/0123456789abcdef0123456789abcdef:5e3f1c7a-2b4d-4e6f-9a8b-0c1d2e3f4a5b::';

/** Each region's Monitoring instances (ca-mon has the team's). */
export function fakeMonitoring(location: string): InstanceOffer[] {
  return location === 'ca-mon'
    ? [{ crn: TEAM_MONITORING_CRN, name: 'team-monitoring', plan: 'graduated-tier', state: 'active', defaultReceiver: true }]
    : [];
}

/** A Cloud Logs instance someone made in the account before Onramp. */
export const TEAM_LOGS_CRN =
  'crn:v1:bluemix:public:logs:ca-mon:a/0123456789abcdef0123456789abcdef:9d2c4b6a-8e1f-4a3b-b5c7-d9e0f1a2b3c4::';

/** Each region's Cloud Logs instances (ca-mon has the team's). */
export function fakeLogs(location: string): InstanceOffer[] {
  return location === 'ca-mon'
    ? [{ crn: TEAM_LOGS_CRN, name: 'team-logs', plan: null, state: 'active', defaultReceiver: false }]
    : [];
}

/** Activity Tracker's account settings as the API answers them: a fresh account. */
export const FRESH_TRACKER_SETTINGS = {
  metadata_region_primary: '',
  private_api_endpoint_only: false,
  default_targets: [],
  permitted_target_regions: [],
  api_version: 2,
};

/** Logs Routing's account settings as the API answers them: a new account, still on v1. */
export const FRESH_LOGS_SETTINGS = {
  default_targets: [],
  permitted_target_regions: [],
  primary_metadata_region: '',
  private_api_endpoint_only: false,
  api_version: 1,
};

/** The catalog's price of Monitoring's graduated tier (by use), as the sandbox lists it. */
export const FAKE_MONITORING_PRICING = {
  metrics: [
    {
      metric_id: 'part-is-monitoring-time-series-hours',
      charge_unit_display_name: 'time series hours',
      charge_unit_quantity: 1000,
      amounts: [{ country: 'USA', currency: 'USD', prices: [{ quantity_tier: 1, price: 0.08 }] }],
    },
  ],
};

/** The catalog's price of Cloud Logs' plan (per GB ingested), as the sandbox lists it. */
export const FAKE_LOGS_PRICING = {
  metrics: [
    {
      resource_display_name: 'Store and search (GB ingested)',
      charge_unit_name: 'GIGABYTES',
      charge_unit_quantity: 1,
      amounts: [{ country: 'USA', currency: 'USD', prices: [{ quantity_tier: 1, price: 0.48 }] }],
    },
  ],
};

/** Metrics Routing's account settings as the API answers them: a fresh account, no region. */
export const FRESH_METRICS_SETTINGS = {
  default_targets: [],
  permitted_target_regions: [],
  primary_metadata_region: '',
  private_api_endpoint_only: false,
};

export const KEY_CRN = 'crn:v1:bluemix:public:kms:ca-mon:a/0123456789abcdef0123456789abcdef:kp-guid-1:key:key-1';

export const FAKE_ENCRYPTION: EncryptionOptions = {
  instances: [
    {
      guid: 'kp-guid-1',
      name: 'onramp-keys',
      region: 'ca-mon',
      rootKeys: [{ id: 'key-1', name: 'pg-root-key', crn: KEY_CRN }],
      problem: null,
    },
    {
      guid: 'kp-guid-2',
      name: 'legacy-keys',
      region: 'us-east',
      rootKeys: [],
      problem: 'Key Protect answered 403: you are not authorized to list keys of this instance.',
    },
  ],
  authorization: 'Missing',
};


/** What one region's VPC API lists: one VPC with one subnet, and one SSH key. */
export interface FakeRegion {
  vpcs: VpcOption[];
  keys: KeyOption[];
  /** Its zones; each region has three. */
  zones: string[];
}

export function fakeRegion(location: string): FakeRegion {
  return {
    vpcs: [
      {
        id: `${location}-vpc-default`,
        name: 'default-vpc',
        subnets: [
          {
            id: `${location}-subnet-default`,
            name: 'default-subnet',
            zone: `${location}-1`,
            cidr: '10.249.0.0/24',
            available: 248,
          },
        ],
      },
    ],
    keys: [
      {
        id: `${location}-key-laptop`,
        name: 'laptop',
        fingerprint: 'SHA256:8Xo2mS6VqQmYl7bHc4n1Zr0pTgKx3dWfEaJvUuNsIcY',
        kind: 'ed25519',
      },
    ],
    zones: [1, 2, 3].map((n) => `${location}-${n}`),
  };
}

/** Stock images, the recommended first; like IBM's, their ids differ between regions. */
export function fakeImages(location: string): ImageOption[] {
  return [
    {
      id: `${location}-image-ubuntu`,
      name: 'ibm-ubuntu-24-04-6-minimal-amd64-3',
      description: 'Ubuntu Linux 24.04 LTS Noble Numbat Minimal Install (amd64)',
    },
    {
      id: `${location}-image-debian`,
      name: 'ibm-debian-12-9-minimal-amd64-2',
      description: 'Debian GNU/Linux 12.x Bookworm/Stable - Minimal Install (amd64)',
    },
  ];
}

export const FAKE_PROFILES: ProfileOption[] = [
  { name: 'bx2-2x8', vcpu: 2, memoryGib: 8, family: 'balanced' },
  { name: 'cx2-2x4', vcpu: 2, memoryGib: 4, family: 'compute' },
  { name: 'mx2-2x16', vcpu: 2, memoryGib: 16, family: 'memory' },
  { name: 'bx2-4x16', vcpu: 4, memoryGib: 16, family: 'balanced' },
];


export const FAKE_PASSWORD = 'Sandbox-Manager-Password-7f3a9c';
/** The query the Connect step should suggest first (the fake answers Rust's; a test compares). */
export const FIRST_QUERY =
  'SELECT current_user AS "user", current_database() AS database, split_part(version(), \' on \', 1) AS server, s.version AS tls, s.cipher FROM pg_stat_ssl s WHERE s.pid = pg_backend_pid()';
export const HOME = '/home/ada';

/** The plan's own Manager credential's database user. */
export const MANAGER_USER = 'ibmcloud_d0388c96d13841b1b45f1039c73ea6c7';
/** The user of a Writer credential someone made in the IBM Cloud console. */
export const CONSOLE_USER = 'ibmcloud_5f0c2a9e7b4d4e1a8c3b6d2f9e0a1b7c';


/** PostgreSQL 18's predefined roles, and what each is a member of. */
export const PREDEFINED_ROLES: Record<string, string[]> = {
  pg_checkpoint: [],
  pg_create_subscription: [],
  pg_database_owner: [],
  pg_execute_server_program: [],
  pg_maintain: [],
  pg_monitor: ['pg_read_all_settings', 'pg_read_all_stats', 'pg_stat_scan_tables'],
  pg_read_all_data: [],
  pg_read_all_settings: [],
  pg_read_all_stats: [],
  pg_read_server_files: [],
  pg_signal_autovacuum_worker: [],
  pg_signal_backend: [],
  pg_stat_scan_tables: [],
  pg_use_reserved_connections: [],
  pg_write_all_data: [],
  pg_write_server_files: [],
};

/** A role as the fake's "pg_roles" holds it; its kind follows from its name. */
export type FakeRole = Omit<RoleRow, 'kind'>;

export const role = (name: string, flags: string, memberOf: string[] = []): FakeRole => {
  const [superuser, inherit, createRole, createDb, canLogin] = [...flags].map((f) => f === 't');
  return { name, superuser, inherit, createRole, createDb, canLogin, memberOf: [...memberOf].sort() };
};

/** The roles of a new Gen 2 database, with its Manager credential's user. */
export function gen2Roles(): FakeRole[] {
  return [
    role('ibm_admin', 'ftfff', [
      'pg_read_all_data',
      'pg_write_all_data',
      'pg_monitor',
      'pg_read_all_settings',
      'pg_read_all_stats',
      'pg_stat_scan_tables',
      'pg_signal_backend',
      'pg_checkpoint',
      'pg_create_subscription',
    ]),
    role('ibm_monitoring', 'ftfff', ['pg_monitor']),
    role('ibm_rest', 'ftfft', ['ibm_admin']),
    role('ibm_writer', 'ftfff', ['pg_read_all_data', 'pg_write_all_data']),
    role(MANAGER_USER, 'ftttt', ['ibm_admin', 'ibm_writer']),
    role(CONSOLE_USER, 'ftfft', ['ibm_writer']),
  ];
}

/** A credential's user: Manager and Writer differ as the tutorial's tables show. */
export const credentialUser = (user: string, kind: CredentialRole): FakeRole =>
  kind === 'Manager' ? role(user, 'ftttt', ['ibm_admin', 'ibm_writer']) : role(user, 'ftfft', ['ibm_writer']);


/** What each recipe makes its role a member of. */
export const RECIPE_GRANTS: Record<Recipe['kind'], string[]> = {
  Monitoring: ['pg_monitor'],
  CancelQueries: ['pg_signal_backend'],
  ReadOnly: ['pg_read_all_data'],
  ReadWrite: ['pg_read_all_data', 'pg_write_all_data'],
  DatabaseOwner: [],
};


/** A service credential as the fake's resource controller and keychain hold it. */
export interface FakeCredential {
  guid: string;
  name: string;
  role: CredentialRole;
  user: string;
  createdAt: string;
  /** In the keychain (Onramp made it); null when someone else did. */
  password: string | null;
  plansOwn: boolean;
}

/** One provisioned database's users: its credentials, roles, databases and kept passwords. */
export interface FakeDatabase {
  credentials: FakeCredential[];
  roles: FakeRole[];
  databases: Set<string>;
  /** SQL users' passwords in the keychain, by role. */
  passwords: Map<string, string>;
}

