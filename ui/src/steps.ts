// The wizard's steps, in order (DESIGN §1). A step becomes reachable once the ones before
// it are done; until its screen exists it stays disabled in the stepper.
export interface StepInfo {
  id: string;
  label: string;
  summary: string;
}

export const STEPS: StepInfo[] = [
  { id: 'account', label: 'Account', summary: 'Sandbox or IBM Cloud, and your API key' },
  { id: 'basics', label: 'Basics', summary: 'Name, location and resource group' },
  { id: 'sizing', label: 'Sizing', summary: 'Members, host flavor, storage and version' },
  { id: 'encryption', label: 'Encryption', summary: 'Provider key or Key Protect' },
  { id: 'connectivity', label: 'Connectivity', summary: 'VPC, jump server and private endpoint' },
  { id: 'review', label: 'Review', summary: 'The whole plan, its cost, as CLI and Terraform' },
  { id: 'provision', label: 'Provision', summary: 'Create everything, live' },
  { id: 'connect', label: 'Connect', summary: 'Tunnel, connection doctor, first query' },
  { id: 'users', label: 'Users', summary: 'Credentials, roles and passwords' },
  { id: 'observability', label: 'Observability', summary: 'Monitoring, logs and activity tracking' },
  { id: 'done', label: 'Done', summary: 'Summary, export and teardown' },
];
