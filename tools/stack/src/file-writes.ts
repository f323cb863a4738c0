import fs from 'node:fs';

export function writeFileWithMode(file: string, content: string | Buffer, mode: number): void {
  fs.writeFileSync(file, content, { mode });
  fs.chmodSync(file, mode); // writeFileSync's mode is filtered by umask and ignored for existing files
}

/** Atomic replace, so readers never see half a file. */
export function replaceFile(file: string, content: string, mode = 0o644): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileWithMode(tmp, content, mode);
  fs.renameSync(tmp, file);
}
