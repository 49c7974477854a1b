// The UI's only door to the back end. Components receive a `Backend`; the app passes the
// Tauri one (./tauri.ts, the only module that imports @tauri-apps/*), tests pass a fake.
import type {
  AccountChange,
  AccountStatus,
  AppError,
  ConnectionInfo,
  ConnectivityOptions,
  CredentialInfo,
  CredentialRole,
  DamagedJournal,
  DoctorReport,
  DraftPlan,
  ObservabilityOptions,
  EncryptionOptions,
  ExportFormat,
  Offerings,
  PasswordOf,
  PlanExport,
  PlanListing,
  PlanProgress,
  PlanSummary,
  Problem,
  QueryResult,
  Recipe,
  Review,
  RoleRow,
  DatabaseListing,
  ScalePreview,
  ScaleProgress,
  Size,
  SqlChange,
  Stage,
  StartupProblem,
  TeardownItem,
  TunnelInfo,
  TunnelStatus,
} from './bindings';

export type {
  DatabaseListing,
  ExistingDatabase,
  ScalePreview,
  ScaleProgress,
  ScaleStage,
  Size,
  Account,
  AccountChange,
  AccountStatus,
  Activity,
  AppError,
  Authorization,
  BuildKind,
  CloseReason,
  ConnectCommands,
  ConnectionInfo,
  Connectivity,
  ConnectivityOptions,
  CostEstimate,
  CostLine,
  CredentialInfo,
  CredentialRole,
  DamagedJournal,
  DoctorReport,
  DraftPlan,
  Encryption,
  EncryptionOptions,
  ErrorCode,
  ExportFormat,
  FlavorOffer,
  ImageOption,
  JumpServer,
  KeyOffer,
  KeyOption,
  KeyProtectChoice,
  KeyProtectInstance,
  ActivityChoice,
  InstanceOffer,
  MonitoringChoice,
  MonitoringPlan,
  MonitoringPlanOffer,
  Observability,
  ObservabilityOptions,
  SettingChange,
  ListSource,
  LocationOffer,
  Mode,
  Offerings,
  Outcome,
  PasswordOf,
  PlannedResource,
  PlanExport,
  PlanSummary,
  PlanListing,
  PlanState,
  DoneResource,
  SecretPlace,
  Skipped,
  PlanProgress,
  Problem,
  ProfileOption,
  QueryResult,
  Recipe,
  ResourceGroupOffer,
  Review,
  RoleKind,
  RoleRow,
  Setting,
  SqlChange,
  SshKeyChoice,
  SshSource,
  Stage,
  StartupProblem,
  StageKind,
  StageStatus,
  StepError,
  StepId,
  Place,
  DiagramNode,
  StepProgress,
  StepStatus,
  SubnetChoice,
  SubnetOption,
  TeardownItem,
  TunnelInfo,
  TunnelStatus,
  VpcChoice,
  VpcOption,
} from './bindings';

/** Receives every progress snapshot of a running job (the Tauri side is a Channel). */
export type ProgressListener = (progress: PlanProgress) => void;

export interface Backend {
  /** What went wrong while starting (a log folder, an unreadable draft) that the window shows. */
  startupProblems(): Promise<StartupProblem[]>;
  /** Journals Onramp cannot read: their plans may still have resources that bill. */
  damagedJournals(): Promise<DamagedJournal[]>;
  accountStatus(): Promise<AccountStatus>;
  useSandbox(): Promise<AccountStatus>;
  useIbmCloud(): Promise<AccountStatus>;
  /** Sends the key once; it never comes back. */
  connectIbmCloud(apiKey: string): Promise<AccountStatus>;
  forgetApiKey(): Promise<AccountStatus>;
  onAccountChanged(listener: (status: AccountStatus) => void): Promise<() => void>;

  /** Locations offering Gen 2 and the account's resource groups; `refresh` reads them again. */
  planOfferings(refresh: boolean): Promise<Offerings>;
  /** A plan with the defaults and a fresh id. */
  newPlan(): Promise<DraftPlan>;
  /** Every problem with the plan, each at its field. Asked on every change. */
  validatePlan(plan: DraftPlan): Promise<Problem[]>;
  saveDraft(plan: DraftPlan): Promise<void>;
  loadDraft(): Promise<DraftPlan | null>;
  encryptionOptions(): Promise<EncryptionOptions>;
  /** The whole plan, its cost, and what blocks it (including what only the cloud knows). */
  reviewPlan(plan: DraftPlan): Promise<Review>;

  /** Starts applying; resolves with the first progress, the rest goes to `onProgress`. */
  applyPlan(plan: DraftPlan, onProgress: ProgressListener): Promise<PlanProgress>;
  /** Plans applied and not torn down yet, newest first. */
  listPlans(): Promise<PlanProgress[]>;
  watchPlan(planId: string, onProgress: ProgressListener): Promise<PlanProgress>;
  resumePlan(planId: string, retryFailed: boolean, onProgress: ProgressListener): Promise<PlanProgress>;
  cancelPlan(planId: string): Promise<void>;
  teardownPreview(planId: string): Promise<TeardownItem[]>;
  /** What Done shows of a finished plan: what it made, its cost, where its secrets live, what it left out. */
  planSummary(planId: string): Promise<PlanSummary>;
  /** Every plan: applied ones (state, resources ready, monthly cost) and drafts, the edited one marked. */
  plansOverview(): Promise<PlanListing[]>;
  /** Makes a plan the one edited (the current one stays in the list); resolves with it. */
  openPlan(planId: string): Promise<DraftPlan>;
  /** Throws away a draft never applied. */
  discardDraft(planId: string): Promise<void>;
  /**
   * The plan as an ibmcloud CLI script or a Terraform configuration. Before apply it creates
   * what the plan would; once the plan's journal exists, Terraform's also imports what it made.
   */
  exportPlan(plan: DraftPlan, format: ExportFormat): Promise<PlanExport>;
  /** Writes the same text to `path` (`~/` is home); resolves with the full path. Path errors at `exportFile`. */
  saveExport(plan: DraftPlan, format: ExportFormat, path: string): Promise<string>;

  /** The account's Gen 2 databases in every location, newest first (Basics' "Use a database I already have"). */
  existingDatabases(): Promise<DatabaseListing[]>;
  /** The plan made to use `database` (its name, location, group, size), or to make its own again with null. */
  chooseExistingDatabase(plan: DraftPlan, database: DatabaseListing | null): Promise<DraftPlan>;

  /** A size for the plan's database: problems at their fields, the cost before and after; sends nothing. */
  scalePreview(planId: string, target: Size): Promise<ScalePreview>;
  /** Scales to `target` (null: goes on with the scale under way), with each change; answers the size reached. */
  scaleDatabase(planId: string, target: Size | null, onProgress: (p: ScaleProgress) => void): Promise<Size>;
  teardownPlan(planId: string, onProgress: ProgressListener): Promise<PlanProgress>;

  /**
   * The region's VPCs, zones, SSH keys, images and profiles, and the private path suggested
   * for the plan `planId` (its default names carry the plan's suffix).
   */
  connectivityOptions(location: string, planId: string): Promise<ConnectivityOptions>;
  /** The Monitoring instances in `location`, and the plans a new one can have, with prices. */
  observabilityOptions(location: string): Promise<ObservabilityOptions>;
  /** The account-wide settings the plan would change, each whole, before and after. */
  accountChanges(plan: DraftPlan): Promise<AccountChange[]>;
  /**
   * Where a provisioned plan's database is and how to reach it. `keyFile` is the private key
   * file the OpenSSH command names (the user's own key, or where to save the generated one).
   */
  connectionInfo(planId: string, keyFile: string | null): Promise<ConnectionInfo>;
  /** Opens (or rejoins) the plan's tunnel; its later states go to `onStatus`. */
  openTunnel(planId: string, keyFile: string | null, onStatus: (status: TunnelStatus) => void): Promise<TunnelInfo>;
  closeTunnel(planId: string): Promise<void>;
  /** Checks the way to the database hop by hop; each stage is sent as it starts and ends. */
  runDoctor(planId: string, keyFile: string | null, onStage: (stage: Stage) => void): Promise<DoctorReport>;
  /** Runs SQL as the Manager credential through the tunnel; errors in the SQL name `connect.query`. */
  runQuery(planId: string, keyFile: string | null, sql: string): Promise<QueryResult>;
  /** Stops the query running for the plan (the result so far comes back from `runQuery`). */
  cancelQuery(planId: string): Promise<void>;
  /** Writes the generated SSH key to `path` for OpenSSH; resolves with the full path written. */
  saveSshKey(planId: string, path: string): Promise<string>;
  /**
   * Copies one of the plan's passwords from the keychain to the clipboard without passing it
   * to the window; the back end clears it from the clipboard after a minute if it is still there.
   */
  copyPassword(planId: string, which: PasswordOf): Promise<void>;

  /** The database's service credentials, the plan's own Manager first. No secrets. */
  listCredentials(planId: string): Promise<CredentialInfo[]>;
  /** A Manager or Writer credential; its password goes to the keychain. Name errors at `users.credentialName`. */
  createCredential(planId: string, name: string, role: CredentialRole): Promise<CredentialInfo>;
  /** Deletes a credential and its keychain entry (never the plan's own Manager). */
  deleteCredential(planId: string, guid: string): Promise<void>;
  /** A stored credential's password: asked only when the user reveals or copies it. */
  credentialPassword(planId: string, guid: string): Promise<string>;
  /** The roles as `pg_roles` has them, read as the Manager through the tunnel (opened if needed). */
  listRoles(planId: string, keyFile: string | null, predefined: boolean): Promise<RoleRow[]>;
  /** The statements a recipe runs, password masked. */
  previewUserSql(role: string, recipe: Recipe): Promise<string[]>;
  previewPasswordSql(role: string): Promise<string>;
  /**
   * Creates a login role from a recipe as the Manager; `password` null lets the back end
   * generate one. Errors name `users.roleName`, `users.password` or `users.database`.
   */
  createSqlUser(
    planId: string,
    keyFile: string | null,
    role: string,
    recipe: Recipe,
    password: string | null,
  ): Promise<SqlChange>;
  /** `ALTER ROLE … WITH PASSWORD` as the Manager; the keychain changes only once PostgreSQL accepted it. */
  changePassword(planId: string, keyFile: string | null, role: string, password: string | null): Promise<SqlChange>;
  /** A SQL user's password from the keychain: asked only when the user reveals or copies it. */
  sqlUserPassword(planId: string, role: string): Promise<string>;
}

/** A command's failure, carrying the back end's `{code, message, field?, hint?}`. */
export class BackendError extends Error {
  constructor(readonly detail: AppError) {
    super(detail.message);
    this.name = 'BackendError';
  }
}

export function asAppError(error: unknown): AppError {
  if (error instanceof BackendError) return error.detail;
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'Internal', message };
}
