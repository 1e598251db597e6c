// SHA-256 of a string's UTF-8 bytes, synchronously. In Node, node:crypto (OpenSSL), reached through
// process.getBuiltinModule (Node 20.16+) so that the runtime imports no Node built-in; elsewhere (a
// browser page, where WebCrypto's digest is asynchronous) @noble/hashes, audited and synchronous.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

interface NodeHash { update(data: string | Uint8Array, encoding?: 'utf8'): NodeHash; digest(encoding: 'hex'): string }
interface NodeCrypto { createHash(algorithm: 'sha256'): NodeHash }

const nodeCrypto: NodeCrypto | undefined = (() => {
  try {
    const p = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
    const c = p?.getBuiltinModule?.('node:crypto') as NodeCrypto | undefined;
    return typeof c?.createHash === 'function' ? c : undefined;
  } catch {
    return undefined;
  }
})();

export function sha256Hex(text: string): string {
  if (nodeCrypto) return nodeCrypto.createHash('sha256').update(text, 'utf8').digest('hex');
  return bytesToHex(sha256(utf8ToBytes(text)));
}

export function sha256HexOfBytes(bytes: Uint8Array): string {
  if (nodeCrypto) return nodeCrypto.createHash('sha256').update(bytes).digest('hex');
  return bytesToHex(sha256(bytes));
}

/** The same hash with @noble/hashes only (what a browser computes); for tests and benchmarks. */
export function sha256HexPortable(text: string): string {
  return bytesToHex(sha256(utf8ToBytes(text)));
}
