// The key file as the Connect step's calls need it: the user's own private key (asked only
// when the plan logs in with it), and where a failure about it is shown (at its field).
import type { AppError } from '../../backend';

/** The back end's field for the key file. */
export const KEY_FILE_FIELD = 'connect.keyFile';

export interface KeyFile {
  /** What open, doctor and query are given: the user's own key file, or null (the keychain has it). */
  forCalls: () => string | null;
  /** Shows a failure about the key file at its field; answers any other failure. */
  place: (error: AppError) => AppError | null;
  clearError: () => void;
}

/** An error's message and hint, as one sentence for a field. */
export const said = (error: AppError) => [error.message, error.hint].filter(Boolean).join(' ');
