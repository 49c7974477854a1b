// A fake of the back end for UI tests: state and choreography only, in layers (fake/plan.ts,
// fake/provision.ts, fake/connect.ts, fake/export.ts, fake/scale.ts, then the Users step's
// database here).
// Every rule output (problems per field, the review and cost, step names, the teardown
// preview, connectivity options, commands, SQL previews, name and password checks) is what
// the real Rust rules answer (./rules.ts); the world is data in ./world.ts. The plan's
// exports are the exception: their text is the fake's own (fake/export.ts says why).
import {
  type AccountStatus,
  type AppError,
  type Backend,
  type CredentialInfo,
  type CredentialRole,
  type PasswordOf,
  type Recipe,
  type RoleKind,
  type RoleRow,
  type SqlChange,
} from '../backend';
import { rule } from './rules';
import {
  clone,
  CONSOLE_USER,
  credentialUser,
  FAKE_PASSWORD,
  gen2Roles,
  MANAGER_USER,
  PREDEFINED_ROLES,
  RECIPE_GRANTS,
  role,
  type FakeCredential,
  type FakeDatabase,
} from './world';
import { FakeScale } from './fake/scale';
import { fail, problemAt } from './fake/plan';

export { CONSOLE_USER, FAKE_PASSWORD, FIRST_QUERY, GOOD_KEY, KEY_CRN, MANAGER_USER, fakeImages } from './world';

export class FakeBackend extends FakeScale implements Backend {
  /** Reading the roles fails with this (a tunnel that is down, say) until cleared. */
  rolesFailure: AppError | null = null;
  /** The next SQL change (create a user, change a password) fails with this. */
  sqlFailure: AppError | null = null;
  protected generated = 0;

  async copyPassword(planId: string, which: PasswordOf): Promise<void> {
    this.record('copyPassword', planId, which.kind);
    this.signedIn();
    if (this.clipboardRefuses) {
      fail({
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
      which.kind === 'credential' ? db.credentials.find((c) => c.guid === which.guid)?.password : db.passwords.get(which.role);
    if (!password) fail({ code: 'NotFound', message: 'Onramp keeps no copy of this password.' });
    this.clipboard = password as string;
  }


  /** The database of a provisioned plan, as a new Gen 2 one starts. */
  userDb(planId: string): FakeDatabase {
    this.target(planId);
    let db = this.databases.get(planId);
    if (!db) {
      const key = (name: string, role: CredentialRole, user: string, createdAt: string, password: string | null) => ({
        ...{ guid: `key-${planId.slice(-4)}-${name === 'onramp-manager' ? 'manager' : 'console'}`, name, role, user },
        ...{ createdAt, password, plansOwn: password !== null },
      });
      db = {
        credentials: [
          key('onramp-manager', 'Manager', MANAGER_USER, '2026-03-02T10:15:00Z', FAKE_PASSWORD),
          key('console-made', 'Writer', CONSOLE_USER, '2026-03-01T08:00:00Z', null),
        ],
        roles: gen2Roles(),
        databases: new Set(['ibmclouddb', 'postgres']),
        passwords: new Map(),
      };
      this.databases.set(planId, db);
    }
    return db;
  }

  /** A password of the kind the back end generates (three classes), repeatable for tests. */
  protected generatePassword(): string {
    this.generated += 1;
    const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
    let seed = this.generated * 7919;
    let text = '';
    for (let i = 0; i < 32; i += 1) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      text += alphabet[seed % alphabet.length];
    }
    return `Aa2${text.slice(3)}`;
  }

  /** The Manager's way in: the key file checked, and the tunnel opened if it is not. */
  protected managerSession(planId: string, keyFile: string | null) {
    this.checkKey(this.target(planId), keyFile);
    if (!this.openTunnelOf(planId)) {
      this.tunnels.set(planId, { localPort: this.tunnelPort, status: { state: 'open' }, listeners: [] });
    }
  }

  protected credentialInfo(c: FakeCredential): CredentialInfo {
    const { guid, name, role, user, createdAt, plansOwn } = c;
    return { guid, name, role, user, createdAt, stored: c.password !== null, plansOwn };
  }

  async listCredentials(planId: string): Promise<CredentialInfo[]> {
    this.record('listCredentials', planId);
    this.signedIn();
    const order = (a: FakeCredential, b: FakeCredential) =>
      Number(b.plansOwn) - Number(a.plansOwn) || a.createdAt.localeCompare(b.createdAt) || a.name.localeCompare(b.name);
    return [...this.userDb(planId).credentials].sort(order).map((c) => this.credentialInfo(c));
  }

  async createCredential(planId: string, name: string, kind: CredentialRole): Promise<CredentialInfo> {
    this.record('createCredential', planId, name, kind);
    this.signedIn();
    const db = this.userDb(planId);
    problemAt(await rule<AppError | null>('checkCredentialName', { name, taken: db.credentials.map((c) => c.name) }));
    const n = db.credentials.length;
    const user = `ibmcloud_${((n * 0x9e3779b1) >>> 0).toString(16).padStart(8, '0').repeat(4)}`;
    const credential: FakeCredential = {
      ...{ guid: `key-${planId.slice(-4)}-${n}`, name, role: kind, user },
      ...{ createdAt: `2026-03-02T1${Math.min(n, 9)}:30:00Z`, password: this.generatePassword(), plansOwn: false },
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
      fail({
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
      fail({
        code: 'NotFound',
        message: "Onramp has no copy of this credential's password.",
        hint: 'Passwords are shown once, when a credential is made; Onramp keeps those it made. Create a new credential to get one.',
      });
    }
    return password as string;
  }

  async listRoles(planId: string, keyFile: string | null, predefined: boolean): Promise<RoleRow[]> {
    this.record('listRoles', planId, keyFile, predefined);
    this.signedIn();
    this.checkKey(this.target(planId), keyFile);
    // A tunnel that cannot be opened fails before anything is read.
    if (this.rolesFailure) fail(clone(this.rolesFailure));
    this.managerSession(planId, keyFile);
    const all = [
      ...this.userDb(planId).roles,
      ...Object.entries(PREDEFINED_ROLES).map(([name, memberOf]) => role(name, 'ftfff', memberOf)),
    ];
    const rows = await Promise.all(
      all.map(async (r) => ({ ...clone(r), kind: await rule<RoleKind>('kindOf', { name: r.name, superuser: r.superuser }) })),
    );
    return rows
      .filter((r) => predefined || r.kind !== 'Predefined')
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async previewUserSql(name: string, recipe: Recipe): Promise<string[]> {
    this.record('previewUserSql', name, recipe);
    return rule<string[]>('recipePreview', { role: name, recipe });
  }

  async previewPasswordSql(name: string): Promise<string> {
    this.record('previewPasswordSql', name);
    return rule<string>('passwordSql', { role: name });
  }

  /** A typed password, checked as the back end checks it, or a generated one. */
  protected async passwordFor(password: string | null, name: string): Promise<string> {
    if (!password) return this.generatePassword();
    problemAt(await rule<AppError | null>('checkPassword', { password, role: name }));
    return password;
  }

  protected takeSqlFailure() {
    const failure = this.sqlFailure;
    this.sqlFailure = null;
    if (failure) fail(failure);
  }

  async createSqlUser(planId: string, keyFile: string | null, name: string, recipe: Recipe, password: string | null) {
    // The password itself never goes into `sent`: only whether one was typed.
    this.record('createSqlUser', planId, keyFile, name, recipe, password === null ? null : '(typed)');
    this.signedIn();
    const secret = await this.passwordFor(password, name);
    this.managerSession(planId, keyFile);
    const db = this.userDb(planId);
    const taken = [...db.roles.map((r) => r.name), ...Object.keys(PREDEFINED_ROLES)];
    problemAt(await rule<AppError | null>('checkRoleName', { name, taken }));
    if (recipe.kind === 'DatabaseOwner') {
      const exists = db.databases.has(recipe.database);
      problemAt(await rule<AppError | null>('checkDatabaseName', { database: recipe.database, exists }));
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
    const statements = await rule<string[]>('recipePreview', { role: name, recipe });
    return { statements, keychainEntry: `sql-user:${planId}:${name}` } satisfies SqlChange;
  }

  async changePassword(planId: string, keyFile: string | null, name: string, password: string | null): Promise<SqlChange> {
    this.record('changePassword', planId, keyFile, name, password === null ? null : '(typed)');
    this.signedIn();
    const secret = await this.passwordFor(password, name);
    this.managerSession(planId, keyFile);
    const db = this.userDb(planId);
    if (!db.roles.some((r) => r.name === name)) {
      fail({ code: 'NotFound', message: `There is no role named ${name}.`, field: 'users.roleName' });
    }
    this.takeSqlFailure();
    // The keychain changes only now that "PostgreSQL" accepted it.
    const credential = db.credentials.find((c) => c.password !== null && c.user === name);
    if (credential) credential.password = secret;
    else db.passwords.set(name, secret);
    return {
      statements: [await rule<string>('passwordSql', { role: name })],
      keychainEntry: credential ? `credential:${credential.guid}` : `sql-user:${planId}:${name}`,
    };
  }

  async sqlUserPassword(planId: string, name: string): Promise<string> {
    this.record('sqlUserPassword', planId, name);
    const password = this.userDb(planId).passwords.get(name);
    if (!password) fail({ code: 'NotFound', message: `Onramp keeps no password for ${name}.` });
    return password as string;
  }
}

/** A back end whose keychain is locked: connecting fails after IAM accepted the key. */
export class LockedKeychainBackend extends FakeBackend {
  async connectIbmCloud(apiKey: string): Promise<AccountStatus> {
    this.calls.push('connectIbmCloud');
    this.received.push(apiKey);
    return fail({
      code: 'KeychainUnavailable',
      message: 'Onramp could not reach your system keychain, so it cannot keep the API key safely (no Secret Service).',
      hint: 'Unlock your keyring and try again. Nothing was saved.',
    });
  }
}
