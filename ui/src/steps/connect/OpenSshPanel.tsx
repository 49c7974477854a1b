// Connecting without Onramp: saving the generated key where the user chooses (0600), and the
// ssh and psql commands that use it.
import { useState } from 'react';
import { Button, Stack, TextInput } from '@carbon/react';

import { asAppError, type Backend, type ConnectionInfo } from '../../backend';
import { CommandBlock } from '../CommandBlock';
import { invalidProps } from '../StepHeading';
import { said } from './keyFile';
import { useAlive } from './useAlive';

interface Props {
  backend: Backend;
  planId: string;
  info: ConnectionInfo;
  /** The path in the key file field (the suggested one until typed). */
  keyFileValue: string;
  onSavePath: (path: string) => void;
  keyFileError: string | null;
  setKeyFileError: (message: string | null) => void;
}

export function OpenSshPanel({ backend, planId, info, keyFileValue, onSavePath, keyFileError, setKeyFileError }: Props) {
  const [saving, setSaving] = useState(false);
  const [savedTo, setSavedTo] = useState<string | null>(null);
  const alive = useAlive();

  const saveKey = async (path: string) => {
    setSaving(true);
    setSavedTo(null);
    setKeyFileError(null);
    try {
      const written = await backend.saveSshKey(planId, path);
      if (alive.current) setSavedTo(written);
    } catch (e) {
      if (alive.current) setKeyFileError(said(asAppError(e)));
    } finally {
      if (alive.current) setSaving(false);
    }
  };

  return (
    <Stack gap={5} as="section" aria-labelledby="openssh-heading">
      <h2 id="openssh-heading" className="onramp-review__heading">
        Use OpenSSH instead
      </h2>
      <p className="onramp-step__text">
        To connect without Onramp, keep a tunnel open with your own ssh in one terminal and run psql in another.
      </p>
      {!info.ownKey && (
        <Stack gap={4}>
          <TextInput
            id="ssh-key-file"
            labelText="Private key file for OpenSSH"
            helperText="Onramp generated this plan’s key and keeps it in your OS keychain. Save a copy here (readable only by you) for ssh -i."
            autoComplete="off"
            spellCheck={false}
            value={keyFileValue}
            onChange={(e) => {
              onSavePath(e.target.value);
              setKeyFileError(null);
              setSavedTo(null);
            }}
            {...invalidProps('ssh-key-file', keyFileError ?? undefined)}
          />
          <div className="onramp-review__toolbar">
            <Button
              id="save-key-button"
              kind="tertiary"
              size="md"
              disabled={saving || !keyFileValue.trim()}
              onClick={() => void saveKey(keyFileValue)}
            >
              Save the key to this file
            </Button>
            <p id="save-key-result" className="onramp-connect__feedback" aria-live="polite">
              {savedTo && `Saved to ${savedTo}.`}
            </p>
          </div>
        </Stack>
      )}
      {info.viaOpenssh.ssh && (
        <CommandBlock id="ssh-command" label="ssh command (leave it running)" text={info.viaOpenssh.ssh} />
      )}
      <CommandBlock id="openssh-psql-command" label="psql command through it" text={info.viaOpenssh.psql} />
    </Stack>
  );
}
