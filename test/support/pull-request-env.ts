/**
 * The runner's variables for a pull request run of the job `gate` in workflow `CI` of `octo/repo`,
 * with its event file (the pull request's number) written into `dir`.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export async function pullRequestEnv(dir: string, number: number, { api, step = 'gate' }: { api: string; step?: string }): Promise<Record<string, string>> {
  const eventPath = join(dir, `event-${number}.json`);
  await writeFile(eventPath, JSON.stringify({ pull_request: { number } }));
  return {
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_REPOSITORY: 'octo/repo',
    GITHUB_WORKFLOW: 'CI',
    GITHUB_JOB: 'gate',
    GITHUB_ACTION: step,
    GITHUB_API_URL: api,
    GITHUB_SERVER_URL: 'https://github.example',
    GITHUB_RUN_ID: '456',
  };
}
