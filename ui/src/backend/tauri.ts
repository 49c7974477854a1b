// The real back end: the generated bindings over Tauri's IPC.
import { Channel } from '@tauri-apps/api/core';

import { commands, events, type AppError, type PlanProgress, type Result } from './bindings';
import { BackendError, type Backend, type ProgressListener } from './index';

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

/** A Channel per job: the back end streams its progress snapshots into `listener`. */
function channel(listener: ProgressListener): Channel<PlanProgress> {
  const progress = new Channel<PlanProgress>();
  progress.onmessage = listener;
  return progress;
}

export const tauriBackend: Backend = {
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
  watchPlan: (planId, onProgress) => unwrap(commands.watchPlan(planId, channel(onProgress))),
  resumePlan: (planId, retryFailed, onProgress) =>
    unwrap(commands.resumePlan(planId, retryFailed, channel(onProgress))),
  cancelPlan: async (planId) => {
    await unwrap(commands.cancelPlan(planId));
  },
  teardownPreview: (planId) => unwrap(commands.teardownPreview(planId)),
  teardownPlan: (planId, onProgress) => unwrap(commands.teardownPlan(planId, channel(onProgress))),
};
