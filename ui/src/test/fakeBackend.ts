// A fake of the back end's interface for UI tests: it keeps a mode, a "keychain" and a
// known-good key, a draft, a catalog, each region's VPC world, a tiny provisioning engine
// that moves only when the test says so (`push`), and a way to a provisioned database (a
// tunnel, the connection doctor, queries) and its users (credentials, roles, SQL users and
// their passwords). It answers with the same shapes, rules and messages as the real commands
// (the rules are ports of `onboarding::plan::validate`, `onboarding::connectivity::validate`
// and `onboarding::users`).
import {
  BackendError,
  type Account,
  type AccountStatus,
  type AppError,
  type Backend,
  type ConnectCommands,
  type ConnectionInfo,
  type Connectivity,
  type ConnectivityOptions,
  type CredentialInfo,
  type CredentialRole,
  type DamagedJournal,
  type DoctorReport,
  type DraftPlan,
  type EncryptionOptions,
  type ImageOption,
  type KeyOption,
  type LocationOffer,
  type Mode,
  type Offerings,
  type PasswordOf,
  type PlannedResource,
  type PlanProgress,
  type Problem,
  type ProfileOption,
  type ProgressListener,
  type StartupProblem,
  type QueryResult,
  type Recipe,
  type Review,
  type RoleKind,
  type RoleRow,
  type SqlChange,
  type Stage,
  type StageKind,
  type StepError,
  type StepId,
  type StepProgress,
  type TeardownItem,
  type TunnelInfo,
  type TunnelStatus,
  type VpcOption,
} from '../backend';

export const GOOD_KEY = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcdef';

const sandboxAccount: Account = {
  mode: 'Sandbox',
  accountId: '0123456789abcdef0123456789abcdef',
  user: 'Sandbox User',
  email: 'newcomer@sandbox.onramp.invalid',
  iamId: 'IBMid-SANDBOX',
  iamEndpoint: 'http://127.0.0.1:4000/iam',
  keyStored: false,
};

const cloudAccount: Account = {
  mode: 'IbmCloud',
  accountId: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
  user: 'Ada Lovelace',
  email: 'ada@example.com',
  iamId: 'IBMid-6900012ABC',
  iamEndpoint: 'https://iam.cloud.ibm.com/',
  keyStored: true,
};

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

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

/** A port of `plan::check_name`. */
function checkName(name: string): string | null {
  if (!name.trim()) return 'Give the database a name, for example pg-demo.';
  const length = [...name].length;
  if (length > 180) return `The name is ${length} characters long; IBM Cloud allows at most 180.`;
  const bad = [...name].find((c) => !/^[\p{Alphabetic}\p{N} \-._:]$/u.test(c));
  if (bad !== undefined) {
    const what = bad === '\t' || bad === '\n' || bad === '\r' ? 'a tab or line break' : `'${bad}'`;
    return `The name can't contain ${what}. Use letters, digits, spaces and - . _ :`;
  }
  if (name.startsWith(' ') || name.endsWith(' ')) return 'Remove the space at the start or end of the name.';
  return null;
}

/** A port of `plan::validate`: every problem, in the order of the fields. */
export function validate(plan: DraftPlan, offerings: Offerings): Problem[] {
  const problems: Problem[] = [];
  const add = (field: string, message: string) => problems.push({ field, message });
  const name = checkName(plan.name);
  if (name) add('name', name);

  const loc = offerings.locations.find((l) => l.id === plan.location);
  if (!plan.location) add('location', 'Choose a location.');
  else if (!loc) {
    add(
      'location',
      `Databases for PostgreSQL Gen 2 is not offered in '${plan.location}'. Choose one of: ${offerings.locations
        .map((l) => l.id)
        .join(', ')}.`,
    );
  }

  if (!plan.resourceGroupId) add('resourceGroupId', 'Choose a resource group.');
  else if (!offerings.resourceGroups.some((g) => g.id === plan.resourceGroupId)) {
    add(
      'resourceGroupId',
      'This resource group is not in the account (or your key cannot see it). Choose one from the list.',
    );
  }

  if (plan.members !== 2 && plan.members !== 3) {
    add(
      'members',
      `Members must be 2 or 3 (you chose ${plan.members}): 2 spreads the database over two zones, 3 over three.`,
    );
  }

  if (!plan.hostFlavor) add('hostFlavor', 'Choose a host flavor.');
  else if (loc && !loc.flavors.some((f) => f.id === plan.hostFlavor)) {
    add(
      'hostFlavor',
      `${plan.hostFlavor} is not offered in ${loc.id}. Offered there: ${loc.flavors.map((f) => f.id).join(', ')}.`,
    );
  }

  const [min, max] = loc ? [loc.storageMinGb, loc.storageMaxGb] : [10, 9600];
  if (plan.storageGb < min || plan.storageGb > max) {
    add(
      'storageGb',
      `Storage per member must be a whole number of GB from ${min} to ${max} (you entered ${plan.storageGb}).`,
    );
  }

  if (!plan.version) add('version', 'Choose a PostgreSQL version.');
  else if (loc && !loc.versions.includes(plan.version)) {
    add('version', `PostgreSQL ${plan.version} is not offered in ${loc.id}. Offered: ${loc.versions.join(', ')}.`);
  }

  if (plan.encryption.kind === 'KeyProtect') {
    const choice = plan.encryption;
    if (!choice.keyCrn) add('encryption.key', 'Choose a Key Protect root key, or use the provider-managed key.');
    else if (choice.authorization === 'Unknown') {
      add(
        'encryption.authorization',
        'Onramp has not yet checked whether Databases for PostgreSQL may use Key Protect keys.',
      );
    } else if (choice.authorization === 'Missing') {
      add(
        'encryption.authorization',
        'Databases for PostgreSQL is not authorized to use your Key Protect keys, so the database could not read its key. Let Onramp create the authorization (Reader and Authorization Delegator), or create it in IAM and check again.',
      );
    }
  }
  if (plan.connectivity) validateConnectivity(plan.location, plan.connectivity, add);
  return problems;
}

// --- The private path's rules: a port of `onboarding::connectivity` ------------------------

const VPC_NAME_MAX = 63;
const JUMP_NAME_MAX = VPC_NAME_MAX - '-postgres'.length;

/** A port of `Connectivity::suggested`: new resources named after the plan, the image and SSH source still to choose. */
export function suggestedConnectivity(location: string, planId: string): Connectivity {
  const suffix = planId.replace(/[^0-9a-fA-F]/g, '').slice(0, 4).toLowerCase() || 'plan';
  return {
    vpc: { kind: 'New', name: `onramp-vpc-${suffix}` },
    subnet: { kind: 'New', name: `onramp-subnet-${suffix}`, zone: `${location}-1`, addressCount: 16 },
    sshKey: { kind: 'New', name: `onramp-key-${suffix}` },
    jump: { name: `onramp-jump-${suffix}`, profile: 'bx2-2x8', imageId: '', imageName: '' },
    sshCidr: '',
    vpeName: `onramp-vpe-${suffix}`,
    restrict: false,
  };
}

/** A port of `connectivity::check_vpc_name`. */
function checkVpcName(name: string, what: string, max: number): string | null {
  if (!name) return `Give the ${what} a name.`;
  const length = [...name].length;
  if (length > max) return `The name is ${length} characters long; at most ${max} are allowed here.`;
  const bad = [...name].find((c) => !/^[a-z0-9-]$/.test(c));
  if (bad !== undefined) {
    const which = /^[A-Z]$/.test(bad) ? `the capital letter '${bad}'` : /^\s$/.test(bad) ? 'a space' : `'${bad}'`;
    return `VPC names can't contain ${which}. Use lowercase letters, digits and hyphens.`;
  }
  if (!/^[a-z]/.test(name)) return 'VPC names start with a lowercase letter.';
  if (name.endsWith('-')) return "VPC names can't end with a hyphen.";
  return null;
}

/** A port of `connectivity::parse_cidr`: the prefix length, or what is wrong. */
export function parseCidr(input: string): { bits: number } | { error: string } {
  const text = input.trim();
  if (!text) {
    return {
      error:
        'Enter the address allowed to reach the jump server over SSH, for example your public IP as 198.51.100.7/32.',
    };
  }
  const slash = text.indexOf('/');
  if (slash < 0) return { error: `Add the prefix length: ${text}/32 allows that one address.` };
  const address = text.slice(0, slash);
  const bitsText = text.slice(slash + 1);
  const octets = address.split('.');
  const octetOk = (o: string) => /^(0|[1-9][0-9]{0,2})$/.test(o) && Number(o) <= 255;
  if (octets.length !== 4 || !octets.every(octetOk)) {
    return { error: `'${address}' is not an IPv4 address such as 198.51.100.7.` };
  }
  const bits = /^[0-9]+$/.test(bitsText) ? Number(bitsText) : NaN;
  if (!(bits >= 0 && bits <= 32)) return { error: `'/${bitsText}' is not a prefix length: use 0 to 32.` };
  const value = octets.reduce((n, o) => n * 256 + Number(o), 0);
  const size = 2 ** (32 - bits);
  const network = value - (value % size);
  if (network !== value) {
    const dotted = [24, 16, 8, 0].map((shift) => Math.floor(network / 2 ** shift) % 256).join('.');
    return {
      error: `${text} has host bits set: the block is ${dotted}/${bits} (or use ${address}/32 for that one address).`,
    };
  }
  return { bits };
}

/** A port of `connectivity::validate`: every problem with the private path, in field order. */
function validateConnectivity(location: string, c: Connectivity, add: (field: string, message: string) => void) {
  const name = (field: string, value: string, what: string, max: number) => {
    const message = checkVpcName(value, what, max);
    if (message) add(field, message);
  };
  if (c.vpc.kind === 'New') name('connectivity.vpc', c.vpc.name, 'VPC', VPC_NAME_MAX);
  if (c.subnet.kind === 'New') name('connectivity.subnet', c.subnet.name, 'subnet', VPC_NAME_MAX);
  if (c.sshKey.kind === 'New') name('connectivity.sshKey', c.sshKey.name, 'SSH key', VPC_NAME_MAX);
  name('connectivity.jumpName', c.jump.name, 'jump server', JUMP_NAME_MAX);
  name('connectivity.vpeName', c.vpeName, 'endpoint gateway', VPC_NAME_MAX - 3);

  if (c.vpc.kind === 'Existing' && !c.vpc.id) add('connectivity.vpc', 'Choose a VPC, or let Onramp create one.');
  if (c.subnet.kind === 'Existing' && !c.subnet.id) {
    add('connectivity.subnet', 'Choose a subnet, or let Onramp create one.');
  } else if (c.subnet.kind === 'Existing' && c.vpc.kind === 'New') {
    add('connectivity.subnet', 'A new VPC has no subnets yet: let Onramp create the subnet too.');
  } else if (c.subnet.kind === 'New') {
    const { zone, addressCount: n } = c.subnet;
    if (!zone) add('connectivity.subnetZone', 'Choose a zone for the subnet.');
    else if (!(zone.startsWith(`${location}-`) && /^[0-9]+$/.test(zone.slice(location.length + 1)))) {
      add(
        'connectivity.subnetZone',
        `The zone must be in the database's region ${location} (for example ${location}-1), not '${zone}': a VPE reaches only databases in its own region.`,
      );
    }
    const powerOfTwo = Number.isInteger(Math.log2(n));
    if (!(n >= 8 && n <= 65536) || !powerOfTwo) {
      add(
        'connectivity.subnetSize',
        `A subnet's size is a power of two from 8 to 65536 addresses (you entered ${n}); 16 is plenty for the jump server and the gateway.`,
      );
    }
  }
  if (c.sshKey.kind === 'Existing' && !c.sshKey.id) {
    add('connectivity.sshKey', 'Choose an SSH key, or let Onramp generate one.');
  }
  if (!c.jump.profile) add('connectivity.jumpProfile', 'Choose a profile for the jump server (bx2-2x8 is enough).');
  if (!c.jump.imageId) add('connectivity.jumpImage', 'Choose an image for the jump server, for example Ubuntu 24.04.');
  const cidr = parseCidr(c.sshCidr);
  if ('error' in cidr) add('connectivity.sshCidr', cidr.error);
}

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

const SANDBOX_SSH_SOURCE =
  'In the sandbox the jump server runs on this computer, so SSH comes from 127.0.0.1. On IBM Cloud you would enter your public address.';
const CLOUD_SSH_SOURCE =
  'Onramp does not ask a third-party service for your public address. Enter it as a.b.c.d/32 (a "what is my IP" search shows it); behind a VPN or a company proxy, use its outgoing range.';

// --- The way in: what `onboarding::connect` answers for a provisioned plan -------------------

export const FAKE_PASSWORD = 'Sandbox-Manager-Password-7f3a9c';
export const FIRST_QUERY =
  'SELECT current_user AS "user", current_database() AS database, split_part(version(), \' on \', 1) AS server, s.version AS tls, s.cipher FROM pg_stat_ssl s WHERE s.pid = pg_backend_pid()';
const HOME = '/home/ada';
const DOCTOR_STAGES: StageKind[] = ['dns', 'tcp', 'tls', 'login', 'query'];
const DOCTOR_FAILED_TEXT: Record<StageKind, string> = {
  dns: 'The private host name does not lead to the VPE.',
  tcp: 'The path through the jump VSI to port 5432 is not open.',
  tls: 'The TLS check (verify-full) failed.',
  login: 'PostgreSQL refused the login.',
  query: 'The query failed.',
};

/** What the Connect step needs of an applied plan, as the journal and keychain have it. */
interface Target {
  planId: string;
  planName: string;
  hostName: string;
  user: string;
  jumpAddress: string;
  vpeAddress: string;
  hostKeyFingerprint: string;
  ownKey: boolean;
  short: string;
}

const expand = (path: string) => (path.startsWith('~/') ? `${HOME}/${path.slice(2)}` : path.trim());
const shellQuote = (word: string) =>
  word && /^[A-Za-z0-9@%+=:,./_-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;

/** A port of `connect::commands`. */
function connectCommands(t: Target, port: number, keyFile: string | null): ConnectCommands {
  const rootCert = `${HOME}/.local/share/onramp/connect/${t.short}/ca.pem`;
  const ssh =
    keyFile === null
      ? null
      : [
          'ssh -i',
          shellQuote(keyFile),
          `-N -L 127.0.0.1:${port}:${t.vpeAddress}:5432`,
          '-o IdentitiesOnly=yes -o ExitOnForwardFailure=yes -o StrictHostKeyChecking=yes',
          `-o UserKnownHostsFile=${HOME}/.local/share/onramp/connect/${t.short}/known_hosts`,
          `-o HostKeyAlias=${t.jumpAddress}`,
          `root@${t.jumpAddress}`,
        ].join(' ');
  const conninfo = `host=${t.hostName} hostaddr=127.0.0.1 port=${port} dbname=ibmclouddb user=${t.user} sslmode=verify-full sslrootcert=${rootCert}`;
  return {
    localPort: port,
    ssh,
    psql: `psql ${shellQuote(conninfo)}`,
    connectionString: `postgresql://${t.user}@${t.hostName}:${port}/ibmclouddb?hostaddr=127.0.0.1&sslmode=verify-full&sslrootcert=${encodeURIComponent(rootCert)}`,
  };
}

// --- Users: what `onboarding::users` does with credentials and roles ------------------------

/** The plan's own Manager credential's database user. */
export const MANAGER_USER = 'ibmcloud_d0388c96d13841b1b45f1039c73ea6c7';
/** The user of a Writer credential someone made in the IBM Cloud console. */
export const CONSOLE_USER = 'ibmcloud_5f0c2a9e7b4d4e1a8c3b6d2f9e0a1b7c';

const ROLE_NAME_MAX_BYTES = 63;
const PASSWORD_MIN = 15;
const PASSWORD_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

/** PostgreSQL 18's predefined roles, and what each is a member of. */
const PREDEFINED_ROLES: Record<string, string[]> = {
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
type FakeRole = Omit<RoleRow, 'kind'>;

const role = (name: string, flags: string, memberOf: string[] = []): FakeRole => {
  const [superuser, inherit, createRole, createDb, canLogin] = [...flags].map((f) => f === 't');
  return { name, superuser, inherit, createRole, createDb, canLogin, memberOf: [...memberOf].sort() };
};

/** The roles of a new Gen 2 database, with its Manager credential's user. */
function gen2Roles(): FakeRole[] {
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
const credentialUser = (user: string, kind: CredentialRole): FakeRole =>
  kind === 'Manager' ? role(user, 'ftttt', ['ibm_admin', 'ibm_writer']) : role(user, 'ftfft', ['ibm_writer']);

/** A port of `users::kind_of`. */
export function kindOf(name: string, superuser = false): RoleKind {
  if (superuser) return 'Service';
  const rest = name.startsWith('ibmcloud_') ? name.slice('ibmcloud_'.length) : null;
  if (rest !== null && /^[0-9a-fA-F]{32}$/.test(rest)) return 'Credential';
  if (name.startsWith('pg_')) return 'Predefined';
  if (name.startsWith('ibm') || name === 'postgres') return 'Service';
  return 'User';
}

/** A port of `users::quote_ident`. */
export const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** A port of `users::password_sql`, password masked. */
const passwordSql = (name: string) => `ALTER ROLE ${quoteIdent(name)} WITH PASSWORD '********'`;

/** A port of `users::recipe_sql` with the password masked (the preview). */
export function recipeSql(name: string, recipe: Recipe): string[] {
  const who = quoteIdent(name);
  const statements = [`CREATE ROLE ${who} WITH LOGIN PASSWORD '********'`];
  switch (recipe.kind) {
    case 'Monitoring':
      statements.push(`GRANT pg_monitor TO ${who}`);
      break;
    case 'CancelQueries':
      statements.push(`GRANT pg_signal_backend TO ${who}`);
      break;
    case 'ReadOnly':
      statements.push(`GRANT pg_read_all_data TO ${who}`);
      break;
    case 'ReadWrite':
      statements.push(`GRANT pg_read_all_data, pg_write_all_data TO ${who}`);
      break;
    case 'DatabaseOwner':
      statements.push(`GRANT ${who} TO CURRENT_USER`, `CREATE DATABASE ${quoteIdent(recipe.database)} OWNER ${who}`);
      break;
  }
  return statements;
}

/** What each recipe makes its role a member of. */
const RECIPE_GRANTS: Record<Recipe['kind'], string[]> = {
  Monitoring: ['pg_monitor'],
  CancelQueries: ['pg_signal_backend'],
  ReadOnly: ['pg_read_all_data'],
  ReadWrite: ['pg_read_all_data', 'pg_write_all_data'],
  DatabaseOwner: [],
};

const utf8Length = (text: string) => new TextEncoder().encode(text).length;

/** A port of `users::check_role_name`. */
function checkRoleName(name: string, taken: string[]): string | null {
  if (!name.trim()) return 'Give the user a name.';
  if (name !== name.trim()) return 'Remove the spaces at the start or end of the name.';
  if (name.includes('\0')) return 'A name cannot contain the NUL character.';
  const bytes = utf8Length(name);
  if (bytes > ROLE_NAME_MAX_BYTES) {
    return `The name is ${bytes} bytes long; PostgreSQL keeps only the first ${ROLE_NAME_MAX_BYTES}.`;
  }
  const lower = name.toLowerCase();
  if (lower.startsWith('pg_')) return "Names starting with pg_ are reserved for PostgreSQL's own roles.";
  if (lower.startsWith('ibm')) {
    return "Names starting with ibm are reserved for the service's own roles (ibm_admin, ibm_writer, ibmcloud_… credentials).";
  }
  if (['public', 'none', 'current_user', 'session_user', 'current_role'].includes(lower)) {
    return `${name} is a reserved word for roles in PostgreSQL.`;
  }
  if (taken.includes(name)) return `A role named ${name} already exists.`;
  return null;
}

/** A port of `users::check_password`. */
function checkPassword(password: string, name: string): string | null {
  const length = [...password].length;
  if (length < PASSWORD_MIN) {
    return `Use at least ${PASSWORD_MIN} characters (${length} now), or let Onramp generate one.`;
  }
  if (password.includes('\0')) return 'A password cannot contain the NUL character.';
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((c) => c.test(password)).length;
  if (classes < 3) return 'Mix at least three of: lowercase, uppercase, digits, symbols.';
  if (name && password.toLowerCase().includes(name.toLowerCase())) return "The password must not contain the user's name.";
  return null;
}

/** A port of `users::check_credential_name`. */
function checkCredentialName(name: string, taken: string[]): string | null {
  if (!name.trim()) return 'Give the credential a name.';
  if (name !== name.trim()) return 'Remove the spaces at the start or end of the name.';
  if ([...name].length > 100) return "A credential's name is at most 100 characters.";
  if (taken.includes(name)) return `This database already has a credential named ${name}.`;
  return null;
}

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

// The fake runs the steps one after another (the real engine runs the private path beside the
// database); a plan without a private path has only the database's steps.
const STEP_LABELS: Record<StepId, string> = {
  authorization: 'Service authorization (PostgreSQL → Key Protect)',
  instance: 'Databases for PostgreSQL (Gen 2)',
  'manager-key': 'Manager service credential',
  vpc: 'VPC',
  subnet: 'Subnet',
  'ssh-key': 'SSH key',
  'ssh-rule': 'Security-group rule: SSH to the jump server',
  'postgres-rule': 'Security-group rule: jump server to the database (5432)',
  'jump-vsi': 'Jump server (virtual server instance)',
  'floating-ip': 'Floating IP of the jump server',
  vpe: 'Endpoint gateway (VPE) to the database',
  'cbr-zone': 'Context-based restriction: network zone (preview)',
  'cbr-rule': 'Context-based restriction: rule for the database (preview)',
};
const OPTIONAL_STEPS: StepId[] = ['cbr-zone', 'cbr-rule'];
const PATH_STEPS: StepId[] = ['vpc', 'subnet', 'ssh-key', 'ssh-rule', 'postgres-rule', 'jump-vsi', 'floating-ip', 'vpe'];
const STEP_ESTIMATES: Partial<Record<StepId, number>> = { authorization: 5_000, instance: 60_000, 'manager-key': 10_000 };
const PATH_STEP_ESTIMATE = 15_000;
/** How many pushes a step stays Working before it is Ready. */
const STEP_TICKS: Partial<Record<StepId, number>> = { instance: 2 };
const TICK_MS = 20_000;

/** A port of `engine::resource_name`. */
function resourceName(plan: DraftPlan, step: StepId): string {
  const c = plan.connectivity;
  if (step === 'authorization') return 'databases-for-postgresql → kms';
  if (step === 'instance') return plan.name;
  if (step === 'manager-key') return 'onramp-manager';
  if (!c) return '';
  const names: Partial<Record<StepId, string>> = {
    vpc: c.vpc.name,
    subnet: c.subnet.name,
    'ssh-key': c.sshKey.name,
    'ssh-rule': `${c.jump.name}-ssh`,
    'postgres-rule': `${c.jump.name}-postgres`,
    'jump-vsi': c.jump.name,
    'floating-ip': `${c.jump.name}-ip`,
    'cbr-zone': `${c.vpc.name}-zone`,
    'cbr-rule': `Onramp: only the VPC ${c.vpc.name} may reach ${plan.name}`,
  };
  return names[step] ?? c.vpeName;
}

/** What teardown deletes, a port of `engine::teardown_preview`'s words. */
const TEARDOWN_CONSEQUENCES: Partial<Record<StepId, string>> = {
  'manager-key':
    'Deletes the credential: the PostgreSQL user it created is dropped, and its password is removed from your keychain.',
  vpe: 'Deletes the endpoint gateway and releases its reserved IP; the database is no longer reachable from the VPC.',
  'floating-ip': 'Releases the public address of the jump server.',
  'jump-vsi': 'Deletes the jump server and its boot disk.',
  'ssh-rule': "Removes the rule Onramp added to the VPC's default security group.",
  'postgres-rule': "Removes the rule Onramp added to the VPC's default security group.",
  'ssh-key': 'Deletes the SSH key from the VPC and its private half from your keychain.',
  subnet: 'Deletes the subnet (once nothing uses it).',
  vpc: 'Deletes the VPC and its default security group, ACL and routing table.',
  'cbr-rule': "Deletes the rule: the database's data plane is no longer limited to the VPC's zone.",
  'cbr-zone': 'Deletes the network zone (after the rule that uses it).',
};

interface Job {
  plan: DraftPlan;
  progress: PlanProgress;
  listeners: ProgressListener[];
  /** Pushes each Working step has had. */
  ticks: Partial<Record<StepId, number>>;
  /** The authorization existed before Onramp: teardown keeps it. */
  adopted: boolean;
}

interface FakeTunnel {
  localPort: number;
  status: TunnelStatus;
  listeners: ((status: TunnelStatus) => void)[];
}

export class FakeBackend implements Backend {
  mode: Mode = 'Sandbox';
  storedKey: string | null = null;
  calls: string[] = [];
  /** Every argument the account calls received, to prove what crossed the boundary. */
  received: unknown[] = [];
  /** The plan commands' arguments, in order. */
  sent: { call: string; args: unknown[] }[] = [];
  listeners: ((status: AccountStatus) => void)[] = [];

  offerings: Offerings = clone(FAKE_OFFERINGS);
  encryption: EncryptionOptions = clone(FAKE_ENCRYPTION);
  /** The saved draft (`draft.json`). */
  draft: DraftPlan | null = null;
  /** Names already used in the account, which only Review (the cloud) can tell. */
  takenNames = new Set(['pg-taken']);
  /** The next time these steps run, they fail with this error. */
  failures: Partial<Record<StepId, StepError>> = {};
  jobs = new Map<string, Job>();
  /** Each region's VPCs, subnets, zones and SSH keys; tests change them. */
  regions: Record<string, FakeRegion> = Object.fromEntries(FAKE_OFFERINGS.locations.map((l) => [l.id, fakeRegion(l.id)]));
  /** Open tunnels by plan id. */
  tunnels = new Map<string, FakeTunnel>();
  /** The local port the next tunnel listens on. */
  tunnelPort = 54321;
  /** The doctor's stage that fails, with the cause and the fix it reports. */
  doctorFailure: { stage: StageKind; cause: string; fix: string } | null = null;
  /** The doctor waits when this stage starts, until `releaseDoctor()`: to watch it stream. */
  doctorPause: StageKind | null = null;
  private doctorResume: (() => void) | null = null;
  /** Files on the "disk" that hold another key: saving over them is refused. */
  existingFiles = new Set([`${HOME}/.ssh/id_ed25519`]);
  /** Where generated keys were saved, and for which plan. */
  savedKeys = new Map<string, string>();
  /** Each provisioned database's credentials, roles and passwords, made on first use. */
  databases = new Map<string, FakeDatabase>();
  /** Reading the roles fails with this (a tunnel that is down, say) until cleared. */
  rolesFailure: AppError | null = null;
  /** The next SQL change (create a user, change a password) fails with this. */
  sqlFailure: AppError | null = null;
  private generated = 0;
  private planCount = 0;
  private lastJob: string | null = null;

  private status(): AccountStatus {
    const account = this.mode === 'Sandbox' ? sandboxAccount : this.storedKey ? cloudAccount : null;
    return { mode: this.mode, account, problem: null, endpointsOverride: null, build: 'Test' };
  }

  private answer(): AccountStatus {
    const status = this.status();
    this.listeners.forEach((l) => l(status));
    return status;
  }

  private record(call: string, ...args: unknown[]) {
    this.calls.push(call);
    this.sent.push({ call, args: clone(args.filter((a) => typeof a !== 'function')) });
  }

  private signedIn(): Account {
    const account = this.status().account;
    if (!account) {
      throw new BackendError({
        code: 'SignedOut',
        message: 'Onramp is not signed in to IBM Cloud.',
        hint: 'Go back to the Account step and connect.',
      });
    }
    return account;
  }

  async accountStatus() {
    this.calls.push('accountStatus');
    return this.answer();
  }

  async useSandbox() {
    this.calls.push('useSandbox');
    this.mode = 'Sandbox';
    return this.answer();
  }

  async useIbmCloud() {
    this.calls.push('useIbmCloud');
    this.mode = 'IbmCloud';
    return this.answer();
  }

  async connectIbmCloud(apiKey: string) {
    this.calls.push('connectIbmCloud');
    this.received.push(apiKey);
    const key = apiKey.trim();
    if (!key) throw new BackendError({ code: 'InvalidInput', message: 'Paste an IBM Cloud API key.', field: 'apiKey' });
    if (key !== GOOD_KEY) {
      throw new BackendError({
        code: 'InvalidApiKey',
        message: 'Provided API key could not be found.',
        field: 'apiKey',
        hint: 'Check that you copied the whole key.',
        requestId: 'req-1',
      });
    }
    this.storedKey = key;
    this.mode = 'IbmCloud';
    return this.answer();
  }

  async forgetApiKey() {
    this.calls.push('forgetApiKey');
    this.storedKey = null;
    return this.answer();
  }

  async onAccountChanged(listener: (status: AccountStatus) => void) {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  // --- The plan -----------------------------------------------------------------------

  async planOfferings(refresh: boolean) {
    this.record('planOfferings', refresh);
    this.signedIn();
    return clone(this.offerings);
  }

  async newPlan(): Promise<DraftPlan> {
    this.record('newPlan');
    this.signedIn();
    const first = this.offerings.locations[0];
    const group = this.offerings.resourceGroups.find((g) => g.isDefault) ?? this.offerings.resourceGroups[0];
    const smallest = [...(first?.flavors ?? [])].sort((a, b) => a.cpu - b.cpu || a.memoryGb - b.memoryGb)[0];
    this.planCount += 1;
    const id = `00000000-0000-4000-8000-${String(this.planCount).padStart(12, '0')}`;
    return {
      id,
      name: '',
      location: first?.id ?? '',
      resourceGroupId: group?.id ?? '',
      members: 2,
      hostFlavor: smallest?.id ?? '',
      storageGb: 10,
      version: first?.versions[0] ?? '',
      encryption: { kind: 'ProviderManaged' },
      // Gen 2 is private-only: a new plan builds the way in unless the user opts out.
      connectivity: suggestedConnectivity(first?.id ?? '', id),
    };
  }

  async validatePlan(plan: DraftPlan) {
    this.record('validatePlan', plan);
    this.signedIn();
    return validate(plan, this.offerings);
  }

  async saveDraft(plan: DraftPlan) {
    this.record('saveDraft', plan);
    this.draft = clone(plan);
  }

  async loadDraft() {
    this.record('loadDraft');
    return this.draft ? clone(this.draft) : null;
  }

  async encryptionOptions() {
    this.record('encryptionOptions');
    this.signedIn();
    return clone(this.encryption);
  }

  async reviewPlan(plan: DraftPlan): Promise<Review> {
    this.record('reviewPlan', plan);
    this.signedIn();
    return this.review(plan);
  }

  private review(plan: DraftPlan): Review {
    const problems = validate(plan, this.offerings);
    const own = this.jobs.has(plan.id);
    if (!own && !problems.some((p) => p.field === 'name') && this.takenNames.has(plan.name)) {
      problems.push({
        field: 'name',
        message: `The account already has a service named '${plan.name}' in this resource group. Choose another name.`,
      });
    }
    return { problems, resources: this.resources(plan), cost: this.cost(plan) };
  }

  /** A port of `review::planned_resources`. */
  private resources(plan: DraftPlan): PlannedResource[] {
    const loc = this.offerings.locations.find((l) => l.id === plan.location);
    const group = this.offerings.resourceGroups.find((g) => g.id === plan.resourceGroupId)?.name ?? plan.resourceGroupId;
    const f = loc?.flavors.find((x) => x.id === plan.hostFlavor);
    const resources: PlannedResource[] = [];
    if (plan.encryption.kind === 'KeyProtect' && plan.encryption.authorization === 'Create') {
      resources.push({
        label: 'Service authorization',
        name: 'databases-for-postgresql → kms',
        settings: [
          { label: 'Source', value: 'Databases for PostgreSQL (all instances in the account)' },
          { label: 'Target', value: 'Key Protect (all instances in the account)' },
          { label: 'Roles', value: 'Reader, Authorization Delegator' },
        ],
      });
    }
    const encryption =
      plan.encryption.kind === 'ProviderManaged'
        ? 'Provider-managed key (LUKS AES-256)'
        : `Key Protect root key '${plan.encryption.keyName}' in '${plan.encryption.instanceName}' (${plan.encryption.region})`;
    resources.push({
      label: 'Databases for PostgreSQL (Gen 2)',
      name: plan.name,
      settings: [
        { label: 'Plan', value: 'standard-gen2' },
        { label: 'Location', value: loc?.label ?? plan.location },
        { label: 'Resource group', value: group },
        { label: 'Members', value: `${plan.members} (high availability across ${plan.members} zones)` },
        { label: 'Host flavor', value: f ? `${f.id} (${f.cpu} vCPU × ${f.memoryGb} GB RAM per member)` : plan.hostFlavor },
        { label: 'Storage', value: `${plan.storageGb} GB per member (can grow later, never shrink)` },
        { label: 'PostgreSQL version', value: `${plan.version} (set only at deployment)` },
        { label: 'Disk encryption', value: encryption },
        { label: 'Endpoints', value: 'Private only (Gen 2)' },
        { label: 'Tags', value: `onramp, onramp-plan:${plan.id}` },
      ],
    });
    resources.push({
      label: 'Service credential',
      name: 'onramp-manager',
      settings: [
        { label: 'Role', value: 'Manager: a PostgreSQL user in ibm_admin and ibm_writer, with CREATEROLE and CREATEDB' },
        { label: 'Password', value: 'Kept in your OS keychain, never on disk' },
      ],
    });
    if (plan.connectivity) resources.push(...this.pathResources(plan, plan.connectivity));
    return resources;
  }

  /** A port of `review::private_path_resources`. */
  private pathResources(plan: DraftPlan, c: Connectivity): PlannedResource[] {
    const existing = 'Existing: Onramp uses it and teardown keeps it';
    const rule = 'The VPC’s default security group';
    return [
      c.vpc.kind === 'Existing'
        ? { label: 'VPC', name: c.vpc.name, settings: [{ label: 'Choice', value: existing }, { label: 'ID', value: c.vpc.id }] }
        : {
            label: 'VPC',
            name: c.vpc.name,
            settings: [
              { label: 'Region', value: plan.location },
              { label: 'Address prefixes', value: 'Automatic (one per zone)' },
            ],
          },
      c.subnet.kind === 'Existing'
        ? {
            label: 'Subnet',
            name: c.subnet.name,
            settings: [{ label: 'Choice', value: existing }, { label: 'ID', value: c.subnet.id }],
          }
        : {
            label: 'Subnet',
            name: c.subnet.name,
            settings: [
              { label: 'Zone', value: c.subnet.zone },
              { label: 'Size', value: `${c.subnet.addressCount} addresses (IBM keeps 5 of them)` },
            ],
          },
      c.sshKey.kind === 'Existing'
        ? {
            label: 'SSH key',
            name: c.sshKey.name,
            settings: [{ label: 'Choice', value: existing }, { label: 'ID', value: c.sshKey.id }],
          }
        : {
            label: 'SSH key',
            name: c.sshKey.name,
            settings: [
              { label: 'Type', value: 'ed25519, generated on this computer' },
              { label: 'Private key', value: 'Kept in your OS keychain, never on disk' },
            ],
          },
      {
        label: 'Security-group rule',
        name: `${c.jump.name}-ssh`,
        settings: [
          { label: 'Rule', value: `Inbound TCP 22 (SSH) from ${c.sshCidr}` },
          { label: 'Security group', value: rule },
        ],
      },
      {
        label: 'Security-group rule',
        name: `${c.jump.name}-postgres`,
        settings: [
          {
            label: 'Rule',
            value: 'Inbound TCP 5432 (PostgreSQL) from the same security group: the jump server to the endpoint gateway',
          },
          { label: 'Security group', value: rule },
        ],
      },
      {
        label: 'Jump server (virtual server instance)',
        name: c.jump.name,
        settings: [
          { label: 'Profile', value: c.jump.profile },
          { label: 'Image', value: c.jump.imageName || c.jump.imageId },
          { label: 'Subnet', value: c.subnet.name },
          { label: 'SSH key', value: c.sshKey.name },
        ],
      },
      {
        label: 'Floating IP',
        name: `${c.jump.name}-ip`,
        settings: [{ label: 'Bound to', value: `${c.jump.name} (its network interface)` }],
      },
      {
        label: 'Endpoint gateway (VPE)',
        name: c.vpeName,
        settings: [
          { label: 'Target', value: `The database '${plan.name}' (its CRN), once it is active` },
          { label: 'Reserved IP', value: `${c.vpeName}-ip in the subnet ${c.subnet.name}` },
        ],
      },
    ];
  }

  /** A port of `cost::estimate` over the illustrative prices above. */
  private cost(plan: DraftPlan): Review['cost'] {
    const members = Math.max(plan.members, 0);
    const storage = Math.max(plan.storageGb, 0);
    const flavorPrice = FLAVOR_PRICES[plan.location]?.[plan.hostFlavor] ?? null;
    const diskPrice = DISK_PRICE[plan.location] ?? null;
    const round = (n: number) => Math.round(n * 100) / 100;
    const line = (label: string, unit: number | null, quantity: number, missing: string) => ({
      label,
      unitMonthly: unit,
      quantity,
      monthly: unit === null ? null : round(unit * quantity),
      note: unit === null ? missing : null,
    });
    const lines = [
      line(
        `Host flavor ${plan.hostFlavor} × ${plan.members} members`,
        flavorPrice,
        members,
        'The catalog lists no price for this flavor in this location.',
      ),
      line(
        `Disk ${plan.storageGb} GB × ${plan.members} members`,
        diskPrice,
        storage * members,
        'The catalog lists no disk price for this location.',
      ),
    ];
    const monthly = lines.reduce((sum, l) => sum + (l.monthly ?? 0), 0);
    const notes = [
      'Backup storage beyond the included amount, and data transfer, are billed separately and not in this estimate.',
      'The private path (VPC, jump server, floating IP) is billed by VPC and not in this estimate.',
    ];
    if (!(plan.location in FLAVOR_PRICES)) notes.unshift('The catalog has no pricing for this location.');
    if (this.mode === 'Sandbox') {
      notes.unshift(
        'Sandbox prices are illustrative, for rehearsal; they are not IBM’s prices and nothing is billed.',
      );
    }
    return {
      currency: 'USD',
      lines,
      monthlyKnown: round(monthly),
      hourlyKnown: Math.round((monthly / 730) * 1000) / 1000,
      complete: lines.every((l) => l.monthly !== null),
      notes,
    };
  }

  // --- Provisioning: a job moves one step per `push` ------------------------------------

  async applyPlan(plan: DraftPlan, onProgress: ProgressListener) {
    this.record('applyPlan', plan);
    const account = this.signedIn();
    const existing = this.jobs.get(plan.id);
    if (existing) {
      existing.listeners.push(onProgress);
      return existing.progress.activity === 'Idle' ? this.resumePlan(plan.id, false, onProgress) : clone(existing.progress);
    }
    const problem = this.review(plan).problems[0];
    if (problem) {
      throw new BackendError({
        code: 'InvalidInput',
        message: problem.message,
        field: problem.field,
        hint: 'Fix this in the plan before applying it.',
      });
    }
    const database: StepId[] =
      plan.encryption.kind === 'KeyProtect' && plan.encryption.authorization === 'Create'
        ? ['authorization', 'instance', 'manager-key']
        : ['instance', 'manager-key'];
    const restriction: StepId[] = plan.connectivity?.restrict ? ['cbr-zone', 'cbr-rule'] : [];
    const steps = [...database, ...(plan.connectivity ? PATH_STEPS : []), ...restriction];
    const progress: PlanProgress = {
      planId: plan.id,
      planName: plan.name,
      mode: this.mode,
      accountId: account.accountId,
      activity: 'Applying',
      outcome: null,
      steps: steps.map((step) => this.waitingStep(plan, step)),
      elapsedMs: 0,
      estimateMs: steps.reduce((sum, s) => sum + (STEP_ESTIMATES[s] ?? 0), 0) + (plan.connectivity ? PATH_STEP_ESTIMATE : 0),
      startedAt: new Date().toISOString(),
    };
    const job: Job = { plan: clone(plan), progress, listeners: [onProgress], ticks: {}, adopted: false };
    this.jobs.set(plan.id, job);
    this.lastJob = plan.id;
    this.startNext(job);
    return this.publish(job);
  }

  /** Puts a plan in the "journal", as if an earlier run of the app had left it so. */
  seedPlan(progress: PlanProgress, plan?: DraftPlan) {
    const job: Job = {
      plan: clone(plan ?? { ...(this.draft as DraftPlan), id: progress.planId, name: progress.planName }),
      progress: clone(progress),
      listeners: [],
      ticks: {},
      adopted: false,
    };
    this.jobs.set(progress.planId, job);
    this.lastJob = progress.planId;
  }

  /**
   * Moves the job one step on (the latest one unless `planId` says which) and sends the
   * snapshot to its listeners, as the engine's Channel would. Returns the new progress.
   */
  push(planId?: string): PlanProgress {
    const job = this.jobs.get(planId ?? this.lastJob ?? '');
    if (!job) throw new Error('no job to push');
    const p = job.progress;
    p.elapsedMs += TICK_MS;
    if (p.activity === 'Applying') this.applyTick(job);
    else if (p.activity === 'TearingDown') this.teardownTick(job);
    return this.publish(job);
  }

  /** Pushes until the job is idle. */
  finish(planId?: string): PlanProgress {
    let progress = this.push(planId);
    for (let i = 0; i < 20 && progress.activity !== 'Idle'; i += 1) progress = this.push(planId);
    return progress;
  }

  private waitingStep(plan: DraftPlan, step: StepId): StepProgress {
    return {
      step,
      label: STEP_LABELS[step],
      name: resourceName(plan, step),
      status: 'Waiting',
      resourceId: null,
      detail: null,
      error: null,
      elapsedMs: 0,
      estimateMs: STEP_ESTIMATES[step] ?? PATH_STEP_ESTIMATE,
      next: null,
    };
  }

  private publish(job: Job): PlanProgress {
    for (const listener of job.listeners) listener(clone(job.progress));
    return clone(job.progress);
  }

  private startNext(job: Job) {
    const next = job.progress.steps.find((s) => s.status === 'Waiting');
    if (!next) {
      job.progress.activity = 'Idle';
      job.progress.outcome = 'Succeeded';
      return;
    }
    next.status = 'Working';
    next.next = null;
    next.detail =
      next.step === 'instance' ? 'provisioning: Creating the database' : `Creating ${next.name}`;
    job.ticks[next.step] = 0;
  }

  private applyTick(job: Job) {
    const working = job.progress.steps.find((s) => s.status === 'Working');
    if (!working) return this.startNext(job);
    working.elapsedMs += TICK_MS;
    const ticks = (job.ticks[working.step] ?? 0) + 1;
    job.ticks[working.step] = ticks;
    const failure = this.failures[working.step];
    if (failure) {
      delete this.failures[working.step];
      working.status = 'Failed';
      working.error = clone(failure);
      working.detail = working.step === 'instance' ? 'failed: The create request was refused' : null;
      if (OPTIONAL_STEPS.includes(working.step)) {
        // A port of `engine::optional`: the plan succeeds without the restriction.
        working.next =
          "The database and its private path work without it: IBM's Gen 2 docs disagree on whether context-based restrictions apply. Retry later, or leave it; teardown removes what was made.";
        for (const later of job.progress.steps.filter((s) => s.status === 'Waiting' && OPTIONAL_STEPS.includes(s.step))) {
          later.status = 'Blocked';
        }
        return this.startNext(job);
      }
      working.next = failure.field
        ? `Fix the ${failure.field} field in the plan and apply again, or tear down what was created.`
        : 'Retry when the cause is fixed, or tear down what was created.';
      for (const later of job.progress.steps.filter((s) => s.status === 'Waiting')) {
        later.status = 'Blocked';
        later.next = 'Waits for the step it depends on; retry that one.';
      }
      job.progress.activity = 'Idle';
      job.progress.outcome = 'Failed';
      return;
    }
    if (ticks < (STEP_TICKS[working.step] ?? 1)) {
      working.detail = 'provisioning: Provisioning members (50%)';
      return;
    }
    working.status = 'Ready';
    working.detail = working.step === 'instance' ? 'active: Provisioned' : null;
    working.resourceId =
      working.step === 'instance'
        ? `crn:v1:bluemix:public:databases-for-postgresql:${job.plan.location}:a/${job.progress.accountId}:${job.plan.id}::`
        : `${working.step}-${job.plan.id.slice(-4)}`;
    if (this.kept(job, working.step)) working.detail = 'Uses the existing one';
    this.startNext(job);
  }

  /** What `startupProblems` and `damagedJournals` answer. */
  startup: StartupProblem[] = [];
  damaged: DamagedJournal[] = [];

  async startupProblems(): Promise<StartupProblem[]> {
    this.record('startupProblems');
    return clone(this.startup);
  }

  async damagedJournals(): Promise<DamagedJournal[]> {
    this.record('damagedJournals');
    return clone(this.damaged);
  }

  async listPlans() {
    this.record('listPlans');
    return [...this.jobs.values()]
      .filter((j) => j.progress.outcome !== 'TornDown')
      .reverse()
      .map((j) => clone(j.progress));
  }

  async watchPlan(planId: string, onProgress: ProgressListener) {
    this.record('watchPlan', planId);
    const job = this.job(planId);
    job.listeners.push(onProgress);
    onProgress(clone(job.progress));
    return clone(job.progress);
  }

  async resumePlan(planId: string, retryFailed: boolean, onProgress: ProgressListener) {
    this.record('resumePlan', planId, retryFailed);
    this.signedIn();
    const job = this.job(planId);
    if (!job.listeners.includes(onProgress)) job.listeners.push(onProgress);
    const p = job.progress;
    if (p.activity !== 'Idle') return clone(p);
    if (p.outcome === 'TeardownIncomplete') {
      throw new BackendError({
        code: 'Conflict',
        message: 'This plan is being torn down; it cannot be applied again.',
        hint: 'Finish the teardown, then start a new plan.',
      });
    }
    for (const s of p.steps) {
      const again = s.status === 'Paused' || (retryFailed && (s.status === 'Failed' || s.status === 'Blocked'));
      if (again) Object.assign(s, { status: 'Waiting', error: null, next: null, detail: null });
    }
    p.activity = 'Applying';
    p.outcome = null;
    this.lastJob = planId;
    this.startNext(job);
    if (p.steps.some((s) => s.status === 'Failed' && !OPTIONAL_STEPS.includes(s.step))) {
      // Without retrying, a failed step stays failed: the job ends where it was.
      p.activity = 'Idle';
      p.outcome = 'Failed';
    }
    return this.publish(job);
  }

  async cancelPlan(planId: string) {
    this.record('cancelPlan', planId);
    const job = this.jobs.get(planId);
    if (!job || job.progress.activity === 'Idle') {
      throw new BackendError({ code: 'NotFound', message: 'Nothing is running for this plan.' });
    }
    for (const s of job.progress.steps.filter((x) => x.status === 'Working')) {
      s.status = 'Paused';
      s.next = 'Resume to carry on where it stopped.';
    }
    job.progress.activity = 'Idle';
    job.progress.outcome = 'Cancelled';
    this.publish(job);
  }

  async teardownPreview(planId: string): Promise<TeardownItem[]> {
    this.record('teardownPreview', planId);
    const job = this.job(planId);
    // What the Users step made goes first, as teardown does it first.
    const db = this.databases.get(planId);
    const extras: TeardownItem[] = [
      ...(db?.credentials ?? [])
        .filter((c) => !c.plansOwn && c.password !== null)
        .map((c) => ({
          key: `credential:${c.name}`,
          step: null,
          label: 'Service credential (made in Users)',
          name: c.name,
          resourceId: c.guid,
          deletes: true,
          consequence:
            'Deletes the credential: the PostgreSQL user it created is dropped, and its password is removed from your keychain.',
        })),
      ...[...(db?.passwords.keys() ?? [])].map((role) => ({
        key: `sql-user:${role}`,
        step: null,
        label: "SQL user's password (made in Users)",
        name: role,
        resourceId: null,
        deletes: true,
        consequence: 'Removes the password from your keychain; the user itself goes with the database.',
      })),
    ];
    const steps = [...job.progress.steps]
      .reverse()
      .filter((s) => !['Waiting', 'Blocked', 'Deleted'].includes(s.status))
      .map((s) => {
        const kept = this.kept(job, s.step);
        let consequence: string;
        if (s.step === 'authorization') {
          consequence = kept
            ? 'Kept: it existed before Onramp, and other databases may rely on it.'
            : 'Removes the authorization Onramp created. Other databases with Key Protect keys in this account would lose access to their keys, so keep it if you made any.';
        } else if (s.step === 'instance') {
          consequence =
            this.mode === 'Sandbox'
              ? 'Deletes the sandbox database and its data. Nothing is billed in the sandbox.'
              : 'Deletes the database, its data and its backups; billing stops. IBM Cloud keeps a deleted instance for 3 days (soft deletion), during which it can be reclaimed from the resource reclamations list; after that it is gone for good.';
        } else if (kept) consequence = 'Kept: you chose this existing resource, and it stays as it was.';
        else consequence = TEARDOWN_CONSEQUENCES[s.step] ?? '';
        return {
          key: s.step as string,
          step: s.step,
          label: s.label,
          name: s.name,
          resourceId: s.resourceId,
          deletes: !kept,
          consequence,
        };
      });
    return [...extras, ...steps];
  }

  /** A port of `engine::kept`: what existed before Onramp stays. */
  private kept(job: Job, step: StepId): boolean {
    const c = job.plan.connectivity;
    if (step === 'authorization') return job.adopted;
    if (step === 'vpc') return c?.vpc.kind === 'Existing';
    if (step === 'subnet') return c?.subnet.kind === 'Existing';
    if (step === 'ssh-key') return c?.sshKey.kind === 'Existing';
    return false;
  }

  async teardownPlan(planId: string, onProgress: ProgressListener) {
    this.record('teardownPlan', planId);
    this.signedIn();
    const job = this.job(planId);
    if (job.progress.activity === 'Applying') {
      throw new BackendError({
        code: 'Conflict',
        message: 'This plan is still being applied.',
        hint: 'Cancel it first, then tear it down.',
      });
    }
    if (!job.listeners.includes(onProgress)) job.listeners.push(onProgress);
    job.progress.activity = 'TearingDown';
    job.progress.outcome = null;
    this.lastJob = planId;
    this.teardownTick(job);
    return this.publish(job);
  }

  private teardownTick(job: Job) {
    const p = job.progress;
    const deleting = p.steps.find((s) => s.status === 'Deleting');
    if (deleting) {
      deleting.status = 'Deleted';
      deleting.detail = null;
    }
    for (const next of [...p.steps].reverse()) {
      if (!['Ready', 'Failed', 'Paused', 'DeleteFailed'].includes(next.status)) continue;
      // What existed before Onramp is passed over, and the next one deleted.
      if (this.kept(job, next.step)) {
        next.status = 'Kept';
        continue;
      }
      next.status = 'Deleting';
      next.error = null;
      next.next = null;
      next.detail = `Deleting ${next.name}`;
      return;
    }
    p.activity = 'Idle';
    p.outcome = 'TornDown';
  }

  // --- The private path's options ----------------------------------------------------------

  async connectivityOptions(location: string, planId: string): Promise<ConnectivityOptions> {
    this.record('connectivityOptions', location);
    this.signedIn();
    const region = this.regions[location];
    if (!region) {
      throw new BackendError({
        code: 'CloudRejected',
        message: `The VPC API has no region '${location}'.`,
        hint: 'Choose a location of Databases for PostgreSQL Gen 2 in Basics.',
      });
    }
    const images = fakeImages(location);
    const sandbox = this.mode === 'Sandbox';
    const sshSource = sandbox
      ? { cidr: '127.0.0.1/32', explanation: SANDBOX_SSH_SOURCE }
      : { cidr: null, explanation: CLOUD_SSH_SOURCE };
    const suggested = suggestedConnectivity(location, planId);
    suggested.jump.imageId = images[0].id;
    suggested.jump.imageName = images[0].name;
    if (suggested.subnet.kind === 'New') suggested.subnet.zone = region.zones[0] ?? suggested.subnet.zone;
    suggested.sshCidr = sshSource.cidr ?? '';
    return clone({
      region: location,
      vpcs: region.vpcs,
      zones: region.zones,
      keys: region.keys,
      images,
      profiles: FAKE_PROFILES,
      sshSource,
      suggested,
    });
  }

  // --- Connect: the tunnel, the doctor, queries -----------------------------------------------

  /** What a provisioned plan's journal says of its way in; refuses as the real one does. */
  private target(planId: string): Target {
    const job = this.job(planId);
    const path = job.plan.connectivity;
    if (!path) {
      throw new BackendError({
        code: 'Conflict',
        message: 'This plan has no private path, so Onramp has no way to the database.',
        hint: 'Plan one in the Connectivity step (a VPC, a jump server and a VPE) and apply it, or connect from a machine already inside the VPC.',
      });
    }
    const needed: [StepId, string][] = [
      ['instance', 'database'],
      ['manager-key', 'Manager credential'],
      ['jump-vsi', 'jump server'],
      ['floating-ip', "jump server's floating IP"],
      ['vpe', 'private endpoint (VPE)'],
    ];
    for (const [step, what] of needed) {
      if (job.progress.steps.find((s) => s.step === step)?.status !== 'Ready') {
        throw new BackendError({
          code: 'Conflict',
          message: `The ${what} is not ready yet.`,
          hint: 'Wait until the Provision step shows every row ready (or resume the plan there).',
        });
      }
    }
    const short = planId.replace(/[^A-Za-z0-9]/g, '').slice(0, 8);
    return {
      planId,
      planName: job.plan.name,
      hostName: `${short}-pg.c7e0lq3d0hm8lbg600bg.private.databases.appdomain.cloud`,
      user: `ibm_cloud_${short}`,
      jumpAddress: '198.51.100.23',
      vpeAddress: '10.249.0.5',
      hostKeyFingerprint: 'SHA256:Q2l0eS1vZi1Nb250cmVhbC1qdW1wLWhvc3Qta2V5',
      ownKey: path.sshKey.kind === 'Existing',
      short,
    };
  }

  /** The user's own key must be given as a private key file; a generated one is in the keychain. */
  private checkKey(t: Target, keyFile: string | null) {
    if (!t.ownKey) return;
    const at = (message: string): AppError => ({ code: 'InvalidInput', message, field: 'connect.keyFile' });
    if (!keyFile?.trim()) throw new BackendError(at('This plan uses your own SSH key: choose its private key file.'));
    if (keyFile.trim().endsWith('.pub')) {
      throw new BackendError(
        at(
          `${expand(keyFile)} is not a private key (it has no "-----BEGIN … PRIVATE KEY-----" line); a .pub file is the public half.`,
        ),
      );
    }
  }

  private openTunnelOf(planId: string): FakeTunnel | null {
    const tunnel = this.tunnels.get(planId);
    return tunnel && tunnel.status.state !== 'closed' ? tunnel : null;
  }

  async connectionInfo(planId: string, keyFile: string | null): Promise<ConnectionInfo> {
    this.record('connectionInfo', planId, keyFile);
    this.signedIn();
    const t = this.target(planId);
    const tunnel = this.openTunnelOf(planId);
    const defaultKeyFile = `${HOME}/.ssh/onramp-${t.short}`;
    const forOpenssh = keyFile?.trim() ? expand(keyFile) : defaultKeyFile;
    return clone({
      planId,
      planName: t.planName,
      hostName: t.hostName,
      database: 'ibmclouddb',
      user: t.user,
      jumpAddress: t.jumpAddress,
      vpeAddress: t.vpeAddress,
      hostKeyFingerprint: t.hostKeyFingerprint,
      ownKey: t.ownKey,
      defaultKeyFile,
      tunnel: tunnel ? { localPort: tunnel.localPort, status: tunnel.status } : null,
      viaTunnel: tunnel ? connectCommands(t, tunnel.localPort, null) : null,
      viaOpenssh: connectCommands(t, 15432, forOpenssh),
      firstQuery: FIRST_QUERY,
    });
  }

  async openTunnel(planId: string, keyFile: string | null, onStatus: (status: TunnelStatus) => void): Promise<TunnelInfo> {
    this.record('openTunnel', planId, keyFile);
    this.signedIn();
    const open = this.openTunnelOf(planId);
    if (open) {
      // Rejoining: the new listener hears the tunnel's state from now on.
      open.listeners.push(onStatus);
      onStatus(clone(open.status));
      return { localPort: open.localPort, status: clone(open.status) };
    }
    const t = this.target(planId);
    this.checkKey(t, keyFile);
    const tunnel: FakeTunnel = { localPort: this.tunnelPort, status: { state: 'open' }, listeners: [onStatus] };
    this.tunnels.set(planId, tunnel);
    onStatus({ state: 'open' });
    return { localPort: tunnel.localPort, status: { state: 'open' } };
  }

  /** The tunnel changes state on its own (reconnecting, closed when idle or lost). */
  tunnelEvent(planId: string, status: TunnelStatus) {
    const tunnel = this.tunnels.get(planId);
    if (!tunnel) throw new Error('no tunnel to change');
    tunnel.status = clone(status);
    for (const listener of tunnel.listeners) listener(clone(status));
    if (status.state === 'closed') this.tunnels.delete(planId);
  }

  async closeTunnel(planId: string) {
    this.record('closeTunnel', planId);
    if (this.tunnels.has(planId)) this.tunnelEvent(planId, { state: 'closed', reason: { kind: 'by_user' } });
  }

  /** Lets a doctor paused at `doctorPause` go on. */
  releaseDoctor() {
    this.doctorPause = null;
    this.doctorResume?.();
    this.doctorResume = null;
  }

  async runDoctor(planId: string, keyFile: string | null, onStage: (stage: Stage) => void): Promise<DoctorReport> {
    this.record('runDoctor', planId, keyFile);
    this.signedIn();
    const t = this.target(planId);
    this.checkKey(t, keyFile);
    const running: Record<StageKind, string> = {
      dns: `Does ${t.hostName} lead to the VPE at ${t.vpeAddress}?`,
      tcp: `SSH to ${t.jumpAddress}:22 and a channel to ${t.vpeAddress}:5432`,
      tls: `TLS with ${t.hostName} (verify-full)`,
      login: `Log in as ${t.user} to ibmclouddb`,
      query: 'SELECT 1',
    };
    const passed: Record<StageKind, string> = {
      dns: `Inside the VPC, ${t.hostName} resolves to the VPE at ${t.vpeAddress} (sandbox address map).`,
      tcp: `SSH to ${t.jumpAddress}:22 with the pinned host key ${t.hostKeyFingerprint}; a channel to ${t.vpeAddress}:5432 is open.`,
      tls: `TLSv1.3 with a certificate valid for ${t.hostName} (verify-full).`,
      login: `Logged in as ${t.user} to ibmclouddb.`,
      query: 'SELECT 1 returned 1.',
    };
    const stages: Stage[] = [];
    let failed = false;
    for (const kind of DOCTOR_STAGES) {
      if (failed) {
        const skipped: Stage = { kind, status: 'skipped', detail: 'Not run: an earlier stage failed.', cause: null, fix: null };
        onStage(clone(skipped));
        stages.push(skipped);
        continue;
      }
      onStage({ kind, status: 'running', detail: running[kind], cause: null, fix: null });
      if (this.doctorPause === kind) await new Promise<void>((resolve) => (this.doctorResume = resolve));
      else await Promise.resolve();
      const failure = this.doctorFailure?.stage === kind ? this.doctorFailure : null;
      const stage: Stage = failure
        ? { kind, status: 'failed', detail: DOCTOR_FAILED_TEXT[kind], cause: failure.cause, fix: failure.fix }
        : { kind, status: 'passed', detail: passed[kind], cause: null, fix: null };
      failed = Boolean(failure);
      onStage(clone(stage));
      stages.push(stage);
    }
    return { stages, selectOne: failed ? null : 1 };
  }

  async runQuery(planId: string, keyFile: string | null, sql: string): Promise<QueryResult> {
    this.record('runQuery', planId, keyFile, sql);
    this.signedIn();
    const t = this.target(planId);
    this.checkKey(t, keyFile);
    if (!this.openTunnelOf(planId)) {
      throw new BackendError({
        code: 'Conflict',
        message: 'The tunnel is not open.',
        hint: 'Open the tunnel first (or run the connection doctor to see what is wrong).',
      });
    }
    const text = sql.trim();
    const refuse = (message: string): never => {
      throw new BackendError({ code: 'InvalidInput', message, field: 'connect.query' });
    };
    if (!text) refuse('Type a query to run.');
    const column = /^select\s+([a-z_]+)\s*;?$/i.exec(text);
    if (column && !['null', 'current_user'].includes(column[1].toLowerCase())) {
      refuse(`PostgreSQL: column "${column[1]}" does not exist (SQLSTATE 42703)`);
    }
    if (/^select\s+null\b/i.test(text)) {
      return { sql: text, columns: ['?column?'], rows: [[null]], rowCount: 1, stopped: null, command: '1 row(s)', elapsedMs: 3 };
    }
    if (/generate_series/i.test(text)) {
      // A query with no end: the back end stops it after the rows the window shows.
      return {
        sql: text,
        columns: ['g'],
        rows: Array.from({ length: 200 }, (_, i) => [String(i + 1)]),
        rowCount: 200,
        stopped: 'The query returns more than 200 rows; Onramp stopped it there.',
        command: '200 row(s) read',
        elapsedMs: 40,
      };
    }
    return {
      sql: text,
      columns: ['user', 'database', 'server', 'tls', 'cipher'],
      rows: [[t.user, 'ibmclouddb', 'PostgreSQL 18.1', 'TLSv1.3', 'TLS_AES_256_GCM_SHA384']],
      rowCount: 1,
      stopped: null,
      command: '1 row(s)',
      elapsedMs: 12,
    };
  }

  async cancelQuery(planId: string): Promise<void> {
    this.record('cancelQuery', planId);
  }

  async saveSshKey(planId: string, path: string): Promise<string> {
    this.record('saveSshKey', planId, path);
    this.signedIn();
    const t = this.target(planId);
    if (t.ownKey) {
      throw new BackendError({
        code: 'InvalidInput',
        message: 'This plan uses your own SSH key; Onramp has no copy of it to save.',
      });
    }
    const at = (message: string) => new BackendError({ code: 'InvalidInput', message, field: 'connect.keyFile' });
    const file = expand(path);
    if (!file.startsWith('/')) throw at(`Give a full path (such as ~/.ssh/onramp), not "${file}".`);
    if (this.existingFiles.has(file) || (this.savedKeys.has(file) && this.savedKeys.get(file) !== planId)) {
      throw at(`${file} already exists and holds another key; choose another file name.`);
    }
    this.savedKeys.set(file, planId);
    return file;
  }

  /** What the fake clipboard holds: a password copies there, never to the window. */
  clipboard: string | null = null;
  /** Set to make the (back end's) clipboard refuse the next copies. */
  clipboardRefuses: string | null = null;

  async copyPassword(planId: string, which: PasswordOf): Promise<void> {
    this.record('copyPassword', planId, which.kind);
    this.signedIn();
    if (this.clipboardRefuses) {
      throw new BackendError({
        code: 'Internal',
        message: `The clipboard refused the password (${this.clipboardRefuses}).`,
        hint: 'Use Reveal and copy it yourself.',
      });
    }
    if (which.kind === 'manager') {
      this.target(planId);
      this.clipboard = FAKE_PASSWORD;
      return;
    }
    // Read as the back end reads it, without the window's reading commands.
    const db = this.userDb(planId);
    const password =
      which.kind === 'credential'
        ? db.credentials.find((c) => c.guid === which.guid)?.password
        : db.passwords.get(which.role);
    if (!password) throw new BackendError({ code: 'NotFound', message: 'Onramp keeps no copy of this password.' });
    this.clipboard = password;
  }

  // --- Users: credentials, roles, SQL users and passwords ----------------------------------------

  /** The database of a provisioned plan, as a new Gen 2 one starts. */
  userDb(planId: string): FakeDatabase {
    this.target(planId);
    let db = this.databases.get(planId);
    if (!db) {
      db = {
        credentials: [
          {
            guid: `key-${planId.slice(-4)}-manager`,
            name: 'onramp-manager',
            role: 'Manager',
            user: MANAGER_USER,
            createdAt: '2026-03-02T10:15:00Z',
            password: FAKE_PASSWORD,
            plansOwn: true,
          },
          {
            guid: `key-${planId.slice(-4)}-console`,
            name: 'console-made',
            role: 'Writer',
            user: CONSOLE_USER,
            createdAt: '2026-03-01T08:00:00Z',
            password: null,
            plansOwn: false,
          },
        ],
        roles: gen2Roles(),
        databases: new Set(['ibmclouddb', 'postgres']),
        passwords: new Map(),
      };
      this.databases.set(planId, db);
    }
    return db;
  }

  /** A port of `users::generate_password`, made repeatable for tests. */
  private generatePassword(): string {
    this.generated += 1;
    let seed = this.generated * 7919;
    let text = '';
    for (let i = 0; i < 32; i += 1) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      text += PASSWORD_ALPHABET[seed % PASSWORD_ALPHABET.length];
    }
    // Three classes, as the rules ask of typed ones.
    return `Aa2${text.slice(3)}`;
  }

  /** The Manager's way in: the key file checked, and the tunnel opened if it is not. */
  private managerSession(planId: string, keyFile: string | null) {
    const t = this.target(planId);
    this.checkKey(t, keyFile);
    if (!this.openTunnelOf(planId)) {
      this.tunnels.set(planId, { localPort: this.tunnelPort, status: { state: 'open' }, listeners: [] });
    }
  }

  private credentialInfo(c: FakeCredential): CredentialInfo {
    return {
      guid: c.guid,
      name: c.name,
      role: c.role,
      user: c.user,
      createdAt: c.createdAt,
      stored: c.password !== null,
      plansOwn: c.plansOwn,
    };
  }

  async listCredentials(planId: string): Promise<CredentialInfo[]> {
    this.record('listCredentials', planId);
    this.signedIn();
    const sorted = [...this.userDb(planId).credentials].sort(
      (a, b) =>
        Number(b.plansOwn) - Number(a.plansOwn) ||
        a.createdAt.localeCompare(b.createdAt) ||
        a.name.localeCompare(b.name),
    );
    return sorted.map((c) => this.credentialInfo(c));
  }

  async createCredential(planId: string, name: string, kind: CredentialRole): Promise<CredentialInfo> {
    this.record('createCredential', planId, name, kind);
    this.signedIn();
    const db = this.userDb(planId);
    const problem = checkCredentialName(
      name,
      db.credentials.map((c) => c.name),
    );
    if (problem) throw new BackendError({ code: 'InvalidInput', message: problem, field: 'users.credentialName' });
    const n = db.credentials.length;
    const user = `ibmcloud_${((n * 0x9e3779b1) >>> 0).toString(16).padStart(8, '0').repeat(4)}`;
    const credential: FakeCredential = {
      guid: `key-${planId.slice(-4)}-${n}`,
      name,
      role: kind,
      user,
      createdAt: `2026-03-02T1${Math.min(n, 9)}:30:00Z`,
      password: this.generatePassword(),
      plansOwn: false,
    };
    db.credentials.push(credential);
    db.roles.push(credentialUser(user, kind));
    return this.credentialInfo(credential);
  }

  async deleteCredential(planId: string, guid: string): Promise<void> {
    this.record('deleteCredential', planId, guid);
    this.signedIn();
    const db = this.userDb(planId);
    const credential = db.credentials.find((c) => c.guid === guid);
    if (credential?.plansOwn) {
      throw new BackendError({
        code: 'Conflict',
        message: "This is the plan's own Manager credential: Onramp connects and runs SQL as it.",
        hint: 'Tearing the plan down deletes it. To rotate it, create another Manager credential first.',
      });
    }
    if (!credential) return;
    // IBM Cloud drops the credential's user with it.
    db.credentials = db.credentials.filter((c) => c !== credential);
    db.roles = db.roles.filter((r) => r.name !== credential.user);
  }

  async credentialPassword(planId: string, guid: string): Promise<string> {
    this.record('credentialPassword', planId, guid);
    const password = this.userDb(planId).credentials.find((c) => c.guid === guid)?.password;
    if (!password) {
      throw new BackendError({
        code: 'NotFound',
        message: "Onramp has no copy of this credential's password.",
        hint: 'Passwords are shown once, when a credential is made; Onramp keeps those it made. Create a new credential to get one.',
      });
    }
    return password;
  }

  async listRoles(planId: string, keyFile: string | null, predefined: boolean): Promise<RoleRow[]> {
    this.record('listRoles', planId, keyFile, predefined);
    this.signedIn();
    this.checkKey(this.target(planId), keyFile);
    // A tunnel that cannot be opened fails before anything is read.
    if (this.rolesFailure) throw new BackendError(clone(this.rolesFailure));
    this.managerSession(planId, keyFile);
    const all = [
      ...this.userDb(planId).roles,
      ...Object.entries(PREDEFINED_ROLES).map(([name, memberOf]) => role(name, 'ftfff', memberOf)),
    ];
    return all
      .map((r) => ({ ...clone(r), kind: kindOf(r.name, r.superuser) }))
      .filter((r) => predefined || r.kind !== 'Predefined')
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async previewUserSql(name: string, recipe: Recipe): Promise<string[]> {
    this.record('previewUserSql', name, recipe);
    return recipeSql(name, recipe);
  }

  async previewPasswordSql(name: string): Promise<string> {
    this.record('previewPasswordSql', name);
    return passwordSql(name);
  }

  /** A port of `commands::users::check_typed`: a typed password's problem, or a generated one. */
  private passwordFor(password: string | null, name: string): string {
    if (!password) return this.generatePassword();
    const problem = checkPassword(password, name);
    if (problem) throw new BackendError({ code: 'InvalidInput', message: problem, field: 'users.password' });
    return password;
  }

  private takeSqlFailure() {
    const failure = this.sqlFailure;
    this.sqlFailure = null;
    if (failure) throw new BackendError(failure);
  }

  async createSqlUser(
    planId: string,
    keyFile: string | null,
    name: string,
    recipe: Recipe,
    password: string | null,
  ): Promise<SqlChange> {
    // The password itself never goes into `sent`: only whether one was typed.
    this.record('createSqlUser', planId, keyFile, name, recipe, password === null ? null : '(typed)');
    this.signedIn();
    const secret = this.passwordFor(password, name);
    this.managerSession(planId, keyFile);
    const db = this.userDb(planId);
    const taken = [...db.roles.map((r) => r.name), ...Object.keys(PREDEFINED_ROLES)];
    const problem = checkRoleName(name, taken);
    if (problem) throw new BackendError({ code: 'InvalidInput', message: problem, field: 'users.roleName' });
    if (recipe.kind === 'DatabaseOwner') {
      const at = (message: string) => new BackendError({ code: 'InvalidInput', message, field: 'users.database' });
      const database = recipe.database;
      if (!database.trim()) throw at('Name the new database.');
      if (utf8Length(database) > ROLE_NAME_MAX_BYTES || database.includes('\0')) {
        throw at(`A database name is at most ${ROLE_NAME_MAX_BYTES} bytes, without NUL.`);
      }
      if (db.databases.has(database)) throw at(`A database named ${database} already exists.`);
    }
    this.takeSqlFailure();
    db.roles.push(role(name, 'ftfft', RECIPE_GRANTS[recipe.kind]));
    if (recipe.kind === 'DatabaseOwner') {
      db.databases.add(recipe.database);
      // GRANT "x" TO CURRENT_USER: the Manager's user becomes a member of the owner.
      const manager = db.roles.find((r) => r.name === MANAGER_USER);
      if (manager) manager.memberOf = [...manager.memberOf, name].sort();
    }
    db.passwords.set(name, secret);
    return { statements: recipeSql(name, recipe), keychainEntry: `sql-user:${planId}:${name}` };
  }

  async changePassword(planId: string, keyFile: string | null, name: string, password: string | null): Promise<SqlChange> {
    this.record('changePassword', planId, keyFile, name, password === null ? null : '(typed)');
    this.signedIn();
    const secret = this.passwordFor(password, name);
    this.managerSession(planId, keyFile);
    const db = this.userDb(planId);
    if (!db.roles.some((r) => r.name === name)) {
      throw new BackendError({ code: 'NotFound', message: `There is no role named ${name}.`, field: 'users.roleName' });
    }
    this.takeSqlFailure();
    // The keychain changes only now that "PostgreSQL" accepted it.
    const credential = db.credentials.find((c) => c.password !== null && c.user === name);
    if (credential) credential.password = secret;
    else db.passwords.set(name, secret);
    return {
      statements: [passwordSql(name)],
      keychainEntry: credential ? `credential:${credential.guid}` : `sql-user:${planId}:${name}`,
    };
  }

  async sqlUserPassword(planId: string, name: string): Promise<string> {
    this.record('sqlUserPassword', planId, name);
    const password = this.userDb(planId).passwords.get(name);
    if (!password) throw new BackendError({ code: 'NotFound', message: `Onramp keeps no password for ${name}.` });
    return password;
  }

  private job(planId: string): Job {
    const job = this.jobs.get(planId);
    if (!job) throw new BackendError({ code: 'NotFound', message: 'Onramp has no record of this plan being applied.' });
    return job;
  }
}

/** A back end whose keychain is locked: connecting fails after IAM accepted the key. */
export class LockedKeychainBackend extends FakeBackend {
  async connectIbmCloud(apiKey: string): Promise<AccountStatus> {
    this.calls.push('connectIbmCloud');
    this.received.push(apiKey);
    throw new BackendError({
      code: 'KeychainUnavailable',
      message: 'Onramp could not reach your system keychain, so it cannot keep the API key safely (no Secret Service).',
      hint: 'Unlock your keyring and try again. Nothing was saved.',
    });
  }
}
