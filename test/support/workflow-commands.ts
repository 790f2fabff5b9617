/**
 * What the runner would take as workflow commands in a step's stdout, read the way the runner
 * reads it: a line ends at `\n`, `\r\n` or a lone `\r`; a line that starts (after blanks) with
 * `::name …::` is a command, and so is the old form `##[name …]` anywhere in a line. Command data
 * is unescaped as the runner unescapes it (`%0A`, `%0D`, `%25`).
 */
export interface WorkflowCommand {
  name: string;
  data: string;
  legacy: boolean;
}

export function workflowCommands(stdout: string): WorkflowCommand[] {
  const commands: WorkflowCommand[] = [];
  for (const line of stdout.split(/\r\n|\r|\n/)) {
    const current = /^::([^\s:]+)(?:\s[^:]*)?::(.*)$/.exec(line.trimStart());
    if (current) commands.push({ name: current[1] ?? '', data: unescapeData(current[2] ?? ''), legacy: false });
    for (const legacy of line.matchAll(/##\[([^\s\]]+)[^\]]*\]([^\n]*)/g)) commands.push({ name: legacy[1] ?? '', data: legacy[2] ?? '', legacy: true });
  }
  return commands;
}

function unescapeData(data: string): string {
  return data.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
}

/**
 * The commands this action may write: the masks for its own secrets, debug lines, warnings and one
 * error (the failed step). Anything else (a `stop-commands`, a mask of someone else's choosing, a
 * second error, an old-form `##[…]` command) came from text the action did not write.
 */
export function unexpectedCommands(stdout: string, secrets: readonly string[]): WorkflowCommand[] {
  const commands = workflowCommands(stdout);
  const errors = commands.filter((command) => command.name === 'error');
  return commands.filter(
    (command) =>
      command.legacy ||
      !['add-mask', 'debug', 'warning', 'error'].includes(command.name) ||
      (command.name === 'add-mask' && !secrets.includes(command.data)) ||
      (command.name === 'error' && errors.length > 1) ||
      /^\s*PWNED/.test(command.data),
  );
}
