// The rules' answers the fake back end gives: what the real Rust functions said for each
// input (src/test/rules.json, written by `npm run rules` and checked fresh by a Rust test).
// The fake keeps state and choreography; every rule output comes from here, so a rule
// changed in Rust cannot leave these tests green against the old one.
import recorded from './rules.json';

export type RuleName =
  | 'validatePlan'
  | 'suggestedConnectivity'
  | 'plannedResources'
  | 'costEstimate'
  | 'steps'
  | 'scaleCheck'
  | 'chooseExisting'
  | 'teardownPreview'
  | 'recipePreview'
  | 'passwordSql'
  | 'checkRoleName'
  | 'checkPassword'
  | 'checkCredentialName'
  | 'kindOf'
  | 'checkDatabaseName'
  | 'connectCommands'
  | 'connectivityOptions'
  | 'firstQuery'
  | 'checkApiKey'
  | 'nameTaken'
  | 'refuseApply'
  | 'doneSummary'
  | 'plansOverview'
  | 'accountChanges'
  | 'monitoringPlans'
  | 'priceLines'
  | 'diagram';

interface Entry {
  rule: string;
  input: Record<string, unknown>;
  output: unknown;
}

/**
 * rules.json: the answers, one a line, and the large inputs they share (the catalog, say)
 * once each under `values`, referred to as `{"$value": id}` from a top-level input field.
 */
interface Recording {
  values: Record<string, unknown>;
  answers: Entry[];
}

/** A short name for a shared value: FNV-1a of its canonical JSON. */
function valueId(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return `v${hash.toString(16).padStart(8, '0')}`;
}

const SHARED_OVER = 400;

/** JSON with keys sorted: the same input is the same key, whoever wrote it. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const key = (rule: string, input: unknown) => `${rule} ${canonical(input)}`;
const recording = recorded as unknown as Recording;
const resolve = (input: Record<string, unknown>) =>
  Object.fromEntries(
    Object.entries(input).map(([k, v]) => {
      const ref = v && typeof v === 'object' && '$value' in v ? (v as { $value: string }).$value : null;
      return [k, ref === null ? v : recording.values[ref]];
    }),
  );
const table = new Map<string, unknown>(recording.answers.map((e) => [key(e.rule, resolve(e.input)), e.output]));

/** While `npm run rules` records: the onramp-rules binary to ask, and what it answered. */
const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
const recorder = env.ONRAMP_RULES_RECORD ?? null;
const answered: Entry[] = [];

async function ask(rule: string, input: unknown): Promise<unknown> {
  const { execFileSync } = await import('node:child_process');
  const line = execFileSync(recorder as string, [], { input: `${JSON.stringify({ rule, input })}\n`, encoding: 'utf8' });
  const reply = JSON.parse(line) as { output?: unknown; error?: string };
  if (reply.error !== undefined) throw new Error(`onramp-rules ${rule}: ${reply.error}`);
  answered.push({ rule, input: input as Record<string, unknown>, output: reply.output });
  return reply.output;
}

/** What the rule `rule` says for `input`. */
export async function rule<T>(name: RuleName, input: object): Promise<T> {
  const k = key(name, input);
  if (!table.has(k)) {
    if (!recorder) {
      throw new Error(
        `No Rust answer for ${name}(${canonical(input)}) in src/test/rules.json: run \`npm run rules\` in ui/ to record it.`,
      );
    }
    table.set(k, await ask(name, JSON.parse(JSON.stringify(input)) as unknown));
  }
  return JSON.parse(JSON.stringify(table.get(k))) as T;
}

/** Adds what the recorder was told to rules.json (called after each test file while recording). */
export async function saveRecorded(): Promise<void> {
  if (!recorder || answered.length === 0) return;
  const { readFileSync, writeFileSync } = await import('node:fs');
  const file = env.ONRAMP_RULES_FILE as string;
  const before = JSON.parse(readFileSync(file, 'utf8')) as Recording;
  const values = new Map<string, unknown>(Object.entries(before.values));
  const all = new Map<string, Entry>();
  const share = (input: Record<string, unknown>) =>
    Object.fromEntries(
      Object.entries(input).map(([k, v]) => {
        const text = canonical(v);
        if (text.length <= SHARED_OVER) return [k, v];
        const id = valueId(text);
        values.set(id, v);
        return [k, { $value: id }];
      }),
    );
  for (const e of before.answers) all.set(key(e.rule, e.input), e);
  for (const e of answered.splice(0)) {
    const input = share(e.input);
    all.set(key(e.rule, input), { rule: e.rule, input, output: e.output });
  }
  const answers = [...all.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, e]) => JSON.stringify(e));
  const shared = [...values.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, v]) => `${JSON.stringify(id)}:${JSON.stringify(v)}`);
  writeFileSync(file, `{"values":{\n${shared.join(',\n')}\n},"answers":[\n${answers.join(',\n')}\n]}\n`);
}
