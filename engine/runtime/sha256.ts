// SHA-256 of a string's UTF-8 bytes, synchronously in Node and in a browser page alike
// (@noble/hashes, audited; WebCrypto's digest is asynchronous).
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

export function sha256Hex(text: string): string {
  return bytesToHex(sha256(utf8ToBytes(text)));
}

export function sha256HexOfBytes(bytes: Uint8Array): string {
  return bytesToHex(sha256(bytes));
}
