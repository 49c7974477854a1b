// The real back end: the generated bindings over Tauri's IPC.
import { Channel } from '@tauri-apps/api/core';

import { commands, events, type AppError, type Result } from './bindings';
import { BackendError, type Backend } from './index';

async function unwrap<T>(call: Promise<Result<T, AppError>>): Promise<T> {
  let result: Result<T, AppError>;
  try {
    result = await call;
  } catch (error) {
    // IPC-level failures (a denied permission, a panic) arrive as plain strings.
    throw new BackendError({ code: 'Internal', message: String(error) });
  }
  if (result.status === 'error') {
    const error: unknown = result.error;
    throw new BackendError(typeof error === 'string' ? { code: 'Internal', message: error } : result.error);
  }
  return result.data;
}

/** A Channel per call: the back end streams a job's news (progress, tunnel states, stages) into `listener`. */
function channel<T>(listener: (message: T) => void): Channel<T> {
  const news = new Channel<T>();
  news.onmessage = listener;
  return news;
}

export const tauriBackend: Backend = {
  startupProblems: () => unwrap(commands.startupProblems()),
  accountStatus: () => unwrap(commands.accountStatus()),
  useSandbox: () => unwrap(commands.useSandbox()),
  useIbmCloud: () => unwrap(commands.useIbmCloud()),
  connectIbmCloud: (apiKey) => unwrap(commands.connectIbmCloud(apiKey)),
  forgetApiKey: () => unwrap(commands.forgetApiKey()),
  onAccountChanged: (listener) => events.accountChanged.listen((event) => listener(event.payload.status)),

  planOfferings: (refresh) => unwrap(commands.planOfferings(refresh)),
  newPlan: () => unwrap(commands.newPlan()),
  validatePlan: (plan) => unwrap(commands.validatePlan(plan)),
  saveDraft: async (plan) => {
    await unwrap(commands.saveDraft(plan));
  },
  loadDraft: () => unwrap(commands.loadDraft()),
  encryptionOptions: () => unwrap(commands.encryptionOptions()),
  reviewPlan: (plan) => unwrap(commands.reviewPlan(plan)),

  applyPlan: (plan, onProgress) => unwrap(commands.applyPlan(plan, channel(onProgress))),
  listPlans: () => unwrap(commands.listPlans()),
  damagedJournals: () => unwrap(commands.damagedJournals()),
  watchPlan: (planId, onProgress) => unwrap(commands.watchPlan(planId, channel(onProgress))),
  resumePlan: (planId, retryFailed, onProgress) =>
    unwrap(commands.resumePlan(planId, retryFailed, channel(onProgress))),
  cancelPlan: async (planId) => {
    await unwrap(commands.cancelPlan(planId));
  },
  teardownPreview: (planId) => unwrap(commands.teardownPreview(planId)),
  teardownPlan: (planId, onProgress) => unwrap(commands.teardownPlan(planId, channel(onProgress))),

  connectivityOptions: (location, planId) => unwrap(commands.connectivityOptions(location, planId)),
  observabilityOptions: (location) => unwrap(commands.observabilityOptions(location)),
  accountChanges: (plan) => unwrap(commands.accountChanges(plan)),
  connectionInfo: (planId, keyFile) => unwrap(commands.connectionInfo(planId, keyFile)),
  openTunnel: (planId, keyFile, onStatus) => unwrap(commands.openTunnel(planId, keyFile, channel(onStatus))),
  closeTunnel: async (planId) => {
    await unwrap(commands.closeTunnel(planId));
  },
  runDoctor: (planId, keyFile, onStage) => unwrap(commands.runDoctor(planId, keyFile, channel(onStage))),
  runQuery: (planId, keyFile, sql) => unwrap(commands.runQuery(planId, keyFile, sql)),
  cancelQuery: async (planId) => {
    await unwrap(commands.cancelQuery(planId));
  },
  saveSshKey: (planId, path) => unwrap(commands.saveSshKey(planId, path)),
  planSummary: (planId) => unwrap(commands.planSummary(planId)),
  plansOverview: () => unwrap(commands.plansOverview()),
  openPlan: (planId) => unwrap(commands.openPlan(planId)),
  discardDraft: async (planId) => {
    await unwrap(commands.discardDraft(planId));
  },
  exportPlan: (plan, format) => unwrap(commands.exportPlan(plan, format)),
  saveExport: (plan, format, path) => unwrap(commands.saveExport(plan, format, path)),
  existingDatabases: () => unwrap(commands.existingDatabases()),
  chooseExistingDatabase: (plan, database) => commands.chooseExistingDatabase(plan, database),
  scalePreview: (planId, target) => unwrap(commands.scalePreview(planId, target)),
  scaleDatabase: (planId, target, onProgress) => unwrap(commands.scaleDatabase(planId, target, channel(onProgress))),
  copyPassword: async (planId, which) => {
    await unwrap(commands.copyPassword(planId, which));
  },

  listCredentials: (planId) => unwrap(commands.listCredentials(planId)),
  createCredential: (planId, name, role) => unwrap(commands.createCredential(planId, name, role)),
  deleteCredential: async (planId, guid) => {
    await unwrap(commands.deleteCredential(planId, guid));
  },
  credentialPassword: (planId, guid) => unwrap(commands.credentialPassword(planId, guid)),
  listRoles: (planId, keyFile, predefined) => unwrap(commands.listRoles(planId, keyFile, predefined)),
  previewUserSql: (role, recipe) => unwrap(commands.previewUserSql(role, recipe)),
  previewPasswordSql: (role) => unwrap(commands.previewPasswordSql(role)),
  createSqlUser: (planId, keyFile, role, recipe, password) =>
    unwrap(commands.createSqlUser(planId, keyFile, role, recipe, password)),
  changePassword: (planId, keyFile, role, password) =>
    unwrap(commands.changePassword(planId, keyFile, role, password)),
  sqlUserPassword: (planId, role) => unwrap(commands.sqlUserPassword(planId, role)),
};
