/** Progress lines with the time since the bench started: `[ 3:07] e2e 50 hosts …`. */
export function progressLog(stream: NodeJS.WriteStream = process.stderr): (line: string) => void {
  const started = Date.now();
  return (line) => {
    const s = Math.floor((Date.now() - started) / 1000);
    stream.write(`[${String(Math.floor(s / 60)).padStart(2)}:${String(s % 60).padStart(2, '0')}] ${line}\n`);
  };
}
