// Run by settings-store.test.ts in a child process: saves new settings and
// dies (exit 3) after the new file is durable but before it is renamed into place.
import { openSettingsStore } from '../src/index.js';

const [path, key, address] = process.argv.slice(2);
const store = await openSettingsStore({
  path,
  key,
  beforeRename: () => {
    process.exit(3);
  },
});
await store.saveSettings({ use: false, address });
process.exit(0);
