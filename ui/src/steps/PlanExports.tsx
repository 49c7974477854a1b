// The plan as something to run without Onramp: its ibmcloud CLI script, its curl script (the
// API calls Onramp makes) and its Terraform configuration, a tab each. A tab's export is asked of the back end the first time the tab
// is shown; each can be read (a focusable, scrollable block), copied, or saved to a file.
import { useCallback, useEffect, useRef, useState } from 'react';
import {
  Button,
  InlineLoading,
  InlineNotification,
  Stack,
  Tab,
  TabList,
  TabPanel,
  TabPanels,
  Tabs,
  TextInput,
} from '@carbon/react';

import { asAppError, type AppError, type Backend, type DraftPlan, type ExportFormat, type PlanExport } from '../backend';
import { useCopy } from './CommandBlock';
import { said } from './connect/keyFile';
import { useAlive } from './connect/useAlive';
import { invalidProps } from './StepHeading';

/** The back end's field for the file an export is saved to. */
export const EXPORT_FILE_FIELD = 'exportFile';

interface Format {
  format: ExportFormat;
  /** The tab's name. */
  tab: string;
  /** What the text is, for the block's and the buttons' names. */
  what: string;
}

const FORMATS: Format[] = [
  { format: 'cli', tab: 'ibmcloud CLI', what: 'ibmcloud CLI script' },
  { format: 'curl', tab: 'curl', what: 'curl script' },
  { format: 'terraform', tab: 'Terraform', what: 'Terraform configuration' },
];

const resources = (n: number) => (n === 1 ? 'the 1 resource' : `the ${n} resources`);

/** One sentence on what the export is and does, as the back end says it is. */
function about(exported: PlanExport): string {
  if (exported.format === 'cli') {
    const script =
      'A bash script of ibmcloud commands, in the order Onramp runs them. It reads your API key from the IBMCLOUD_API_KEY environment variable.';
    return exported.applied ? `${script} This plan was applied: running the script makes a second set of resources.` : script;
  }
  if (exported.format === 'curl') {
    const script =
      'A bash script of the API calls Onramp makes, with curl and jq: the same order, bodies and waits. It reads your API key from IBMCLOUD_API_KEY.';
    return exported.applied ? `${script} This plan was applied: a second run stops at the first resource that exists.` : script;
  }
  const config = 'A Terraform configuration for the IBM Cloud provider 2.5.0.';
  if (!exported.applied) return `${config} It creates what this plan creates.`;
  if (exported.imports === 0) return `${config} Nothing this plan made exists now, so it imports nothing.`;
  return `${config} It imports ${resources(exported.imports)} this plan made, so Terraform takes them over without changes.`;
}

interface Props {
  backend: Backend;
  plan: DraftPlan;
  /** The heading's level where the section sits (2 in Review, 3 under Done's "Next"). */
  level?: 2 | 3;
}

export function PlanExports(props: Props) {
  // Another plan (or the plan changed) starts over: its exports are asked again.
  return <Exports key={JSON.stringify(props.plan)} {...props} />;
}

function Exports({ backend, plan, level = 2 }: Props) {
  const [selected, setSelected] = useState(0);
  // The tabs shown so far: each loads its export once, when first shown, and keeps it.
  const [shown, setShown] = useState<ExportFormat[]>([FORMATS[0].format]);
  const Heading = `h${level}` as const;

  const choose = (index: number) => {
    setSelected(index);
    const { format } = FORMATS[index];
    setShown((before) => (before.includes(format) ? before : [...before, format]));
  };

  return (
    <Stack gap={5} as="section" aria-labelledby="exports-heading" className="onramp-exports">
      <Heading id="exports-heading" className="onramp-review__heading">
        The plan as CLI, curl and Terraform
      </Heading>
      <p className="onramp-step__text">
        To make or keep the same resources without Onramp. None of them holds a secret: passwords and keys stay in your OS
        keychain.
      </p>
      <Tabs selectedIndex={selected} onChange={({ selectedIndex }) => choose(selectedIndex)}>
        <TabList aria-label="Export formats">
          {FORMATS.map((f) => (
            <Tab key={f.format} data-export-tab={f.format}>
              {f.tab}
            </Tab>
          ))}
        </TabList>
        <TabPanels>
          {FORMATS.map((f) => (
            <TabPanel key={f.format} data-export-panel={f.format} className="onramp-exports__panel">
              {shown.includes(f.format) && <ExportPanel backend={backend} plan={plan} format={f} />}
            </TabPanel>
          ))}
        </TabPanels>
      </Tabs>
    </Stack>
  );
}

interface PanelProps {
  backend: Backend;
  plan: DraftPlan;
  format: Format;
}

/** One format: loaded when it mounts (its tab first shown), then read, copied or saved. */
function ExportPanel({ backend, plan, format: { format, what } }: PanelProps) {
  const [exported, setExported] = useState<PlanExport | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  const alive = useAlive();
  // The section is keyed by the plan's content: a new object with the same plan asks nothing again.
  const latest = useRef(plan);
  latest.current = plan;

  const load = useCallback(async () => {
    setError(null);
    setExported(null);
    try {
      const found = await backend.exportPlan(latest.current, format);
      if (alive.current) setExported(found);
    } catch (e) {
      if (alive.current) setError(asAppError(e));
    }
  }, [backend, format, alive]);

  useEffect(() => {
    void load();
  }, [load]);

  const id = `export-${format}`;
  if (error) {
    return (
      <Stack gap={4}>
        <InlineNotification
          id={`${id}-error`}
          kind="error"
          lowContrast
          hideCloseButton
          role="alert"
          title={`Onramp could not write the ${what}: ${error.message}`}
          subtitle={error.hint ?? undefined}
        />
        <div>
          <Button id={`${id}-retry`} kind="tertiary" size="md" onClick={() => void load()}>
            Retry
          </Button>
        </div>
      </Stack>
    );
  }
  if (!exported) return <InlineLoading id={`${id}-loading`} description={`Writing the ${what}…`} />;
  return <ExportView backend={backend} plan={plan} exported={exported} id={id} what={what} />;
}

interface ViewProps {
  backend: Backend;
  plan: DraftPlan;
  exported: PlanExport;
  /** `export-cli` or `export-terraform`: the prefix of every id in the panel. */
  id: string;
  what: string;
}

function ExportView({ backend, plan, exported, id, what }: ViewProps) {
  const { copy, news } = useCopy(exported.text);
  const [path, setPath] = useState(`~/${exported.fileName}`);
  const [saving, setSaving] = useState(false);
  const [saveNews, setSaveNews] = useState('');
  const [fileError, setFileError] = useState<string | null>(null);
  const alive = useAlive();

  const save = async () => {
    setSaving(true);
    setSaveNews('');
    setFileError(null);
    try {
      const written = await backend.saveExport(plan, exported.format, path);
      if (alive.current) setSaveNews(`Saved to ${written}.`);
    } catch (e) {
      const failure = asAppError(e);
      if (!alive.current) return;
      // A path Onramp cannot use is shown at the field; anything else, where the result goes.
      if (failure.field === EXPORT_FILE_FIELD) setFileError(said(failure));
      else setSaveNews(`Onramp could not save the ${what}: ${said(failure)}`);
    } finally {
      if (alive.current) setSaving(false);
    }
  };

  return (
    <Stack gap={5}>
      <p id={`${id}-about`} className="onramp-step__text">
        {about(exported)}
      </p>
      <div>
        <div className="onramp-command__head">
          <span id={`${id}-label`} className="cds--label onramp-command__label">
            {exported.fileName}
          </span>
          <Button id={`${id}-copy`} kind="ghost" size="sm" onClick={() => void copy()}>
            Copy<span className="cds--visually-hidden"> the {what}</span>
          </Button>
        </div>
        {/* Focusable so the keyboard can scroll it; its only content is the text, as saved. */}
        <pre
          id={`${id}-text`}
          className="onramp-exports__text"
          tabIndex={0}
          role="region"
          aria-label={`The ${what}, ${exported.fileName}`}
        >
          {exported.text}
        </pre>
        <p id={`${id}-copied`} className="onramp-command__feedback" aria-live="polite">
          {news}
        </p>
      </div>
      <Stack gap={4}>
        <TextInput
          id={`${id}-file`}
          labelText="Save to file"
          helperText="A full path; ~/ is your home folder. A file already there is replaced."
          autoComplete="off"
          spellCheck={false}
          value={path}
          onChange={(e) => {
            setPath(e.target.value);
            setFileError(null);
            setSaveNews('');
          }}
          {...invalidProps(`${id}-file`, fileError ?? undefined)}
        />
        <div className="onramp-review__toolbar">
          <Button id={`${id}-save`} kind="tertiary" size="md" disabled={saving || !path.trim()} onClick={() => void save()}>
            Save<span className="cds--visually-hidden"> the {what} to this file</span>
          </Button>
          <p id={`${id}-saved`} className="onramp-connect__feedback" aria-live="polite">
            {saveNews}
          </p>
        </div>
      </Stack>
    </Stack>
  );
}
