/** Child process for the kill -9 test: downloads one repository variant into a folder and exits. */
import { downloadModel } from '../../../src/models/download';
import { planForRepo } from '../../../src/models/plan';

async function main(): Promise<void> {
  const [endpoint, repo, variant, target] = process.argv.slice(2) as [string, string, string, string];
  const hub = { endpoint };
  const plan = await planForRepo(hub, repo, 'main', variant);
  await downloadModel(plan, { hub, target, concurrency: 1 });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${String(err)}\n`);
    process.exit(1);
  },
);
