// The fake's way in to a provisioned plan: the tunnel and its events, the connection doctor
// (pausable, and failing where a test says), first queries, saving the generated key, and the
// copyable commands as Rust writes them.
import {
  type AppError,
  type ConnectCommands,
  type ConnectionInfo,
  type DoctorReport,
  type QueryResult,
  type Stage,
  type StageKind,
  type StepId,
  type TunnelInfo,
  type TunnelStatus,
} from '../../backend';
import { rule } from '../rules';
import {
  clone,
  HOME,
} from '../world';
import { fail } from './plan';
import { FakeProvision } from './provision';

const DOCTOR_STAGES: StageKind[] = ['dns', 'tcp', 'tls', 'login', 'query'];

export interface FakeTunnel {
  localPort: number;
  status: TunnelStatus;
  listeners: ((status: TunnelStatus) => void)[];
}

/** What the Connect step needs of an applied plan, as the journal and keychain have it. */
export interface Target {
  planName: string;
  hostName: string;
  user: string;
  jumpAddress: string;
  vpeAddress: string;
  hostKeyFingerprint: string;
  ownKey: boolean;
  short: string;
}

export const expand = (path: string) => (path.startsWith('~/') ? `${HOME}/${path.slice(2)}` : path.trim());

export abstract class FakeConnect extends FakeProvision {
  tunnels = new Map<string, FakeTunnel>();
  /** The local port the next tunnel listens on. */
  tunnelPort = 54321;
  /** The doctor's stage that fails, with the cause and the fix it reports. */
  doctorFailure: { stage: StageKind; cause: string; fix: string } | null = null;
  /** The doctor waits when this stage starts, until `releaseDoctor()`: to watch it stream. */
  doctorPause: StageKind | null = null;
  protected doctorResume: (() => void) | null = null;
  /** Files on the "disk" that hold another key: saving over them is refused. */
  existingFiles = new Set([`${HOME}/.ssh/id_ed25519`]);
  /** Where generated keys were saved, and for which plan. */
  savedKeys = new Map<string, string>();
  /** What the fake clipboard holds: a password copies there, never to the window. */
  clipboard: string | null = null;
  /** Set to make the (back end's) clipboard refuse the next copies. */
  clipboardRefuses: string | null = null;


  /** Done's summary with the way in this fake's world gives the plan (its private host name). */
  async planSummary(planId: string) {
    const summary = await super.planSummary(planId);
    const path = this.job(planId).plan.connectivity;
    const vpe = this.job(planId).progress.steps.find((s) => s.step === 'vpe');
    if (path && vpe?.status === 'Ready') summary.hostName = this.target(planId).hostName;
    return summary;
  }

  /** What a provisioned plan's journal says of its way in; refuses as the real one does. */
  protected target(planId: string): Target {
    const job = this.job(planId);
    const path = job.plan.connectivity;
    if (!path) {
      fail({
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
        fail({
          code: 'Conflict',
          message: `The ${what} is not ready yet.`,
          hint: 'Wait until the Provision step shows every row ready (or resume the plan there).',
        });
      }
    }
    const short = planId.replace(/[^A-Za-z0-9]/g, '').slice(0, 8);
    return {
      planName: job.plan.name,
      hostName: `${short}-pg.c7e0lq3d0hm8lbg600bg.private.databases.appdomain.cloud`,
      user: `ibm_cloud_${short}`,
      jumpAddress: '198.51.100.23',
      vpeAddress: '10.249.0.5',
      hostKeyFingerprint: 'SHA256:Q2l0eS1vZi1Nb250cmVhbC1qdW1wLWhvc3Qta2V5',
      ownKey: path?.sshKey.kind === 'Existing',
      short,
    };
  }

  /** The user's own key must be given as a private key file; a generated one is in the keychain. */
  protected checkKey(t: Target, keyFile: string | null) {
    if (!t.ownKey) return;
    const at = (message: string): AppError => ({ code: 'InvalidInput', message, field: 'connect.keyFile' });
    if (!keyFile?.trim()) fail(at('This plan uses your own SSH key: choose its private key file.'));
    if (keyFile?.trim().endsWith('.pub')) {
      fail(at(`${expand(keyFile)} is not a private key (it has no "-----BEGIN … PRIVATE KEY-----" line); a .pub file is the public half.`));
    }
  }

  protected openTunnelOf(planId: string): FakeTunnel | null {
    const tunnel = this.tunnels.get(planId);
    return tunnel && tunnel.status.state !== 'closed' ? tunnel : null;
  }

  protected commands(planId: string, t: Target, localPort: number, keyFile: string | null) {
    const dir = `${HOME}/.local/share/onramp/connect/${planId}`;
    return rule<ConnectCommands>('connectCommands', {
      ...{ planId, hostName: t.hostName, user: t.user, database: 'ibmclouddb', sshUser: 'root' },
      ...{ jumpAddress: t.jumpAddress, vpeAddress: t.vpeAddress, jumpSocket: `${t.jumpAddress}:22` },
      ...{ knownHosts: `${dir}/known_hosts`, ca: `${dir}/ca.pem`, localPort, keyFile },
    });
  }

  async connectionInfo(planId: string, keyFile: string | null): Promise<ConnectionInfo> {
    this.record('connectionInfo', planId, keyFile);
    this.signedIn();
    const t = this.target(planId);
    const tunnel = this.openTunnelOf(planId);
    const defaultKeyFile = `${HOME}/.ssh/onramp-${t.short}`;
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
      viaTunnel: tunnel ? await this.commands(planId, t, tunnel.localPort, null) : null,
      viaOpenssh: await this.commands(planId, t, 15432, keyFile?.trim() ? expand(keyFile) : defaultKeyFile),
      firstQuery: await rule<string>('firstQuery', {}),
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
    this.checkKey(this.target(planId), keyFile);
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
    const failedText: Record<StageKind, string> = {
      dns: 'The private host name does not lead to the VPE.',
      tcp: 'The path through the jump VSI to port 5432 is not open.',
      tls: 'The TLS check (verify-full) failed.',
      login: 'PostgreSQL refused the login.',
      query: 'The query failed.',
    };
    const stages: Stage[] = [];
    let failed = false;
    for (const kind of DOCTOR_STAGES) {
      const say = (status: Stage['status'], detail: string, cause: string | null = null, fix: string | null = null) => {
        const stage: Stage = { kind, status, detail, cause, fix };
        onStage(clone(stage));
        return stage;
      };
      if (failed) {
        stages.push(say('skipped', 'Not run: an earlier stage failed.'));
        continue;
      }
      say('running', running[kind]);
      if (this.doctorPause === kind) await new Promise<void>((resolve) => (this.doctorResume = resolve));
      else await Promise.resolve();
      const failure = this.doctorFailure?.stage === kind ? this.doctorFailure : null;
      failed = Boolean(failure);
      stages.push(failure ? say('failed', failedText[kind], failure.cause, failure.fix) : say('passed', passed[kind]));
    }
    return { stages, selectOne: failed ? null : 1 };
  }

  async runQuery(planId: string, keyFile: string | null, sql: string): Promise<QueryResult> {
    this.record('runQuery', planId, keyFile, sql);
    this.signedIn();
    const t = this.target(planId);
    this.checkKey(t, keyFile);
    if (!this.openTunnelOf(planId)) {
      fail({
        code: 'Conflict',
        message: 'The tunnel is not open.',
        hint: 'Open the tunnel first (or run the connection doctor to see what is wrong).',
      });
    }
    const text = sql.trim();
    const refuse = (message: string) => fail({ code: 'InvalidInput', message, field: 'connect.query' });
    if (!text) refuse('Type a query to run.');
    const column = /^select\s+([a-z_]+)\s*;?$/i.exec(text);
    if (column && !['null', 'current_user'].includes(column[1].toLowerCase())) {
      refuse(`PostgreSQL: column "${column[1]}" does not exist (SQLSTATE 42703)`);
    }
    const result = (columns: string[], rows: (string | null)[][], elapsedMs: number, stopped: string | null = null) => ({
      ...{ sql: text, columns, rows, rowCount: rows.length, stopped, elapsedMs },
      command: stopped ? `${rows.length} row(s) read` : `${rows.length} row(s)`,
    });
    if (/^select\s+null\b/i.test(text)) return result(['?column?'], [[null]], 3);
    if (/generate_series/i.test(text)) {
      // A query with no end: the back end stops it after the rows the window shows.
      const rows = Array.from({ length: 200 }, (_, i) => [String(i + 1)]);
      return result(['g'], rows, 40, 'The query returns more than 200 rows; Onramp stopped it there.');
    }
    const row = [t.user, 'ibmclouddb', 'PostgreSQL 18.1', 'TLSv1.3', 'TLS_AES_256_GCM_SHA384'];
    return result(['user', 'database', 'server', 'tls', 'cipher'], [row], 12);
  }

  async cancelQuery(planId: string): Promise<void> {
    this.record('cancelQuery', planId);
  }

  async saveSshKey(planId: string, path: string): Promise<string> {
    this.record('saveSshKey', planId, path);
    this.signedIn();
    if (this.target(planId).ownKey) {
      fail({ code: 'InvalidInput', message: 'This plan uses your own SSH key; Onramp has no copy of it to save.' });
    }
    const at = (message: string) => fail({ code: 'InvalidInput', message, field: 'connect.keyFile' });
    const file = expand(path);
    if (!file.startsWith('/')) at(`Give a full path (such as ~/.ssh/onramp), not "${file}".`);
    if (this.existingFiles.has(file) || (this.savedKeys.has(file) && this.savedKeys.get(file) !== planId)) {
      at(`${file} already exists and holds another key; choose another file name.`);
    }
    this.savedKeys.set(file, planId);
    return file;
  }
}
