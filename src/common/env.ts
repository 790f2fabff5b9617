/** The process environment as the action reads it: the runner's variables, the proxy settings, the key. */
export type Env = Readonly<Record<string, string | undefined>>;
