import fs from 'node:fs';
import path from 'node:path';

/**
 * Reads a private key by name from the worker's keys directory, once per name. A name cannot
 * escape the directory (job payloads validate it, and it is checked again here).
 */
export function keyReader(keysDir: string): (keyName: string) => Buffer {
  const cache = new Map<string, Buffer>();
  return (keyName) => {
    const cached = cache.get(keyName);
    if (cached) return cached;
    const file = path.join(keysDir, keyName);
    if (path.dirname(file) !== path.resolve(keysDir)) throw new Error(`key name "${keyName}" is not a plain file name`);
    if (!fs.existsSync(file)) throw new Error(`key "${keyName}" not found in this worker's keys directory ${keysDir}`);
    const key = fs.readFileSync(file);
    cache.set(keyName, key);
    return key;
  };
}
