// The node wing: Node only. Reading a guideline folder, signing and verifying bundles, the CLI
// and the editor's server. May import every wing below it.
export { loadGuideline, readSourceFiles, type LoadedGuideline } from './load.ts';
export { signBundle, verifyBundle, generateSigningKeys, keyIdOf, type Verified } from './sign.ts';
export { startServer, type ServerOptions, type RunningServer } from './server.ts';
export { main } from './cli.ts';
export { startCdsHooksServer, type CdsHooksServerOptions, type RunningCdsHooks } from './cds-hooks-server.ts';
