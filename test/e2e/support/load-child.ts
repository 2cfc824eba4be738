/**
 * runLoad in a process of its own (spawned by runLoadInChild, the job as JSON on stdin): latencies measured by a small,
 * fresh heap, not by the mocha process that has run the whole suite, whose garbage collections can pause its event
 * loop and would read as the measured service's tail latency. Prints `open <ms>` once its connections are open (when
 * asked to open them first), then the samples as JSON.
 */
import { runLoad, type ChildLoadJob } from './load';

async function main(): Promise<void> {
  let input = '';
  for await (const chunk of process.stdin) input += String(chunk);
  const { requests, openFirstPath, ...options } = JSON.parse(input) as ChildLoadJob;
  const samples = await runLoad({
    ...options,
    next: (i) => requests[i % requests.length]!,
    ...(openFirstPath ? { openFirst: { path: openFirstPath, onOpen: (ms: number) => process.stdout.write(`open ${Math.round(ms)}\n`) } } : {}),
  });
  process.stdout.write(JSON.stringify(samples));
}

main().catch((err: unknown) => {
  process.stderr.write(`load child failed: ${(err as Error).message}\n`);
  process.exit(1);
});
