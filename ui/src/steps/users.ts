// What the Users step's sections share: the back end's fields, how errors are said, how a
// role is named in SQL, and how the SQL sections reach the database.
import type { AppError } from '../backend';

/** The back end's fields for the Users step's inputs. */
export const FIELD = {
  keyFile: 'connect.keyFile',
  credentialName: 'users.credentialName',
  roleName: 'users.roleName',
  password: 'users.password',
  database: 'users.database',
};

/** An error's message and hint, as one sentence for a field. */
export const said = (error: AppError) => [error.message, error.hint].filter(Boolean).join(' ');

/** Moves focus to a field once it shows its error, for a keyboard user who just pressed Create. */
export const focusLater = (id: string) => setTimeout(() => document.getElementById(id)?.focus());

/** How the SQL sections reach the database: the key file to send, and where its errors go. */
export interface SqlAccess {
  callKeyFile: () => string | null;
  placeKeyError: (error: AppError) => AppError | null;
}

