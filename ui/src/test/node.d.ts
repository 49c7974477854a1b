// The two Node functions the rules' recorder uses (npm run rules), typed here so the app's
// own code keeps browser types only.
declare module 'node:child_process' {
  export function execFileSync(file: string, args: string[], options: { input: string; encoding: 'utf8' }): string;
}
declare module 'node:fs' {
  export function readFileSync(path: string, encoding: 'utf8'): string;
  export function writeFileSync(path: string, data: string): void;
}
